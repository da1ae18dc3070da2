package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
)

// TestRealWiringOnPostgres runs the binary with -db.dsn: its tables, the
// outbox's among them, are in the schema jingkai_meetings of that
// database (no SQLite file is made at -db.path), a meeting is created and
// the relay publishes its event.
func TestRealWiringOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	env := testutil.NewEnv(t)
	idp := testutil.NewOIDC(t, "https://id.example.test/realms/guildhall", "guildhall-api")
	token := idp.Token(t, auth.Principal{Subject: "alice", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	dbPath := env.Path("meetings.db")
	cmd := testutil.StartCommand(t, runMain, append(idp.Flags(),
		"-district=jingkai", "-db.path="+dbPath, "-db.dsn="+dsn, "-relay.election-ttl=2", "-relay.candidate=meetings-0",
		"-kafka.brokers="+env.Broker().Addr, "-etcd.endpoints="+strings.Join(env.Etcd().Endpoints, ","),
	)...)
	start := time.Date(2025, 9, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var created struct{ ID string }
	cmd.API.As(token).Must(http.StatusCreated, "POST", "/api/v1/districts/jingkai/meetings", map[string]any{
		"type": "district_working", "title": "经开、蔡甸片区第一次工作会议", "starts_at": start, "ends_at": start.Add(3 * time.Hour),
	}, &created)

	db, err := storage.OpenPostgres(env.Context(), dsn, "jingkai_meetings")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM meetings WHERE id = $1`, created.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("meetings in the PostgreSQL schema: %d (%v)", n, err)
	}
	testutil.Eventually(t, "the relay publishing the meeting's event", func() bool {
		var unsent, all int
		if err := db.QueryRow(`SELECT count(*) FILTER (WHERE sent_at IS NULL), count(*) FROM eventbus_outbox`).Scan(&unsent, &all); err != nil {
			t.Fatal(err)
		}
		return all > 0 && unsent == 0
	})
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Errorf("a SQLite file at -db.path although -db.dsn was given: %v", err)
	}
	cmd.Stop()
}
