package main

import (
	"encoding/json"
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
	"github.com/guildhall/guildhall/services/compliance"
)

// TestRealWiringOnPostgres runs the binary with -db.dsn: its tables, the
// outbox's and inbox's among them, are in the schema jingkai_compliance of
// that database (no SQLite file is made at -db.path). A guard hired in
// membership is scored by the consumer (flags as booleans), the company's
// counts are read over the API, and the relay publishes the scoreboard's
// events from there.
func TestRealWiringOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	env := testutil.NewEnv(t, testutil.WithBroker(devstack.BrokerConfig{Partitions: 1}))
	members := eventbus.Topic("jingkai", "membership")
	env.CreateTopics(members)
	keyring := env.Path("seal.keys")
	if err := os.WriteFile(keyring, []byte("k1:"+strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	idp := testutil.NewOIDC(t, "https://id.example.test/realms/guildhall", "guildhall-api")
	token := idp.Token(t, auth.Principal{Subject: "alice", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	dbPath := env.Path("compliance.db")
	cmd := testutil.StartCommand(t, runMain, append(idp.Flags(),
		"-district=jingkai", "-db.path="+dbPath, "-db.dsn="+dsn, "-pii.seal-key-file="+keyring,
		"-relay.election-ttl=2", "-relay.candidate=compliance-0",
		"-kafka.brokers="+env.Broker().Addr, "-etcd.endpoints="+strings.Join(env.Etcd().Endpoints, ","),
	)...)
	api := cmd.API.As(token)
	api.Prefix = "/api/v1/districts/jingkai"

	g := &eventsv1.Guard{Id: "g1", District: "jingkai", CompanyId: "k1", EmploymentStatus: "active", BackgroundCheckStatus: "passed",
		HasCertificate: true, CertificateValidUntil: "2099-12-31", BadgeService: true, PreJobTrained: true, Version: 1}
	env.Publish(members, testutil.Envelope("jingkai", "membership", eventsv1.TypeGuardHired, "guard", "g1", &eventsv1.GuardHired{Guard: g}))
	testutil.Eventually(t, "the guard scored from the membership topic", func() bool {
		var s struct {
			Counts struct {
				Active    int `json:"active"`
				Certified int `json:"certified"`
			} `json:"counts"`
		}
		r := api.Do("GET", "/compliance/companies/k1", nil)
		return r.Status == http.StatusOK && json.Unmarshal(r.Body, &s) == nil && s.Counts.Active == 1 && s.Counts.Certified == 1
	})

	db, err := storage.OpenPostgres(env.Context(), dsn, "jingkai_compliance")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var certified, badge bool
	if err := db.QueryRow(`SELECT has_certificate, badge_service FROM guards WHERE id = 'g1'`).Scan(&certified, &badge); err != nil || !certified || !badge {
		t.Fatalf("the scored guard in the PostgreSQL schema: certificate %v, badge %v (%v)", certified, badge, err)
	}
	topic := eventbus.Topic("jingkai", compliance.ServiceName)
	testutil.Eventually(t, "the scoreboard's events published from the PostgreSQL outbox to "+topic, func() bool {
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
	testutil.CheckLog(t, cmd.Log.Bytes())
}
