package main

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/patrols"
)

// TestRealWiringOnPostgres runs the binary with -db.dsn: its tables, the
// outbox's and inbox's among them, are in the schema jingkai_patrols of
// that database (no SQLite file is made at -db.path). A volunteer hired in
// membership is projected by the consumer (flags as booleans), a team is
// created over the API, and the relay publishes its event from there.
func TestRealWiringOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	env := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	members := eventbus.Topic("jingkai", "membership")
	env.CreateTopics(members)
	idp := testutil.NewOIDC(t, "https://id.example.test/realms/guildhall", "guildhall-api")
	token := idp.Token(t, auth.Principal{Subject: "lead", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	dbPath := env.Path("patrols.db")
	cmd := testutil.StartCommand(t, runMain, append(idp.Flags(),
		"-district=jingkai", "-db.path="+dbPath, "-db.dsn="+dsn, "-relay.election-ttl=2", "-relay.candidate=patrols-0",
		"-kafka.brokers="+env.Broker().Addr, "-etcd.endpoints="+strings.Join(env.Etcd().Endpoints, ","),
	)...)
	api := cmd.API.As(token)
	api.Prefix = "/api/v1/districts/jingkai"

	guard := &eventsv1.Guard{Id: "g1", District: "jingkai", CompanyId: "c1", EmploymentStatus: "active", HasCertificate: true,
		CertificateValidUntil: "2099-12-31", BackgroundCheckStatus: "passed", VolunteerPolice: true, Version: 1}
	env.Publish(members, testutil.Envelope("jingkai", "membership", eventsv1.TypeGuardHired, "guard", "g1", &eventsv1.GuardHired{Guard: guard}))
	var tm struct{ ID string }
	testutil.Eventually(t, "the guard projected from the membership topic", func() bool {
		r := api.Do("POST", "/teams", map[string]any{"name": "经开义警", "leader_guard_id": "g1"})
		if r.Status == http.StatusCreated {
			r.Decode(t, &tm)
		}
		return r.Status == http.StatusCreated
	})

	db, err := storage.OpenPostgres(env.Context(), dsn, "jingkai_patrols")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var volunteer bool
	if err := db.QueryRow(`SELECT volunteer_police FROM guards WHERE id = 'g1'`).Scan(&volunteer); err != nil || !volunteer {
		t.Fatalf("the projected guard in the PostgreSQL schema: volunteer %v (%v)", volunteer, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM teams WHERE id = $1`, tm.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("teams in the PostgreSQL schema: %d (%v)", n, err)
	}
	topic := eventbus.Topic("jingkai", patrols.ServiceName)
	testutil.Eventually(t, "TeamCreated published from the PostgreSQL outbox to "+topic, func() bool {
		var unsent, all int
		if err := db.QueryRow(`SELECT count(*) FILTER (WHERE sent_at IS NULL), count(*) FROM eventbus_outbox`).Scan(&unsent, &all); err != nil {
			t.Fatal(err)
		}
		return all > 0 && unsent == 0 && len(env.Messages(topic)) == all
	})
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Errorf("a SQLite file at -db.path although -db.dsn was given: %v", err)
	}
	cmd.Stop()
}
