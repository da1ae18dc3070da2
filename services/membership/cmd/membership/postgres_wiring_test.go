package main

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
)

// TestRealWiringOnPostgres runs the binary with -db.dsn: its tables, the
// outbox's among them, are in the schema jingkai_membership of that
// database (no SQLite file is made at -db.path), a company registers and
// the relay publishes its event.
func TestRealWiringOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	env := testutil.NewEnv(t)
	keyFile := env.Path("key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString([]byte("0123456789abcdef0123"))), 0o600); err != nil {
		t.Fatal(err)
	}
	sealFile := env.Path("seal")
	if err := os.WriteFile(sealFile, []byte("k1:"+hex.EncodeToString(bytes.Repeat([]byte{1}, 32))+"\ncurrent=k1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	idp := testutil.NewOIDC(t, "https://id.example.test/realms/guildhall", "guildhall-api")
	token := idp.Token(t, auth.Principal{Subject: "alice", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}})
	dbPath := env.Path("membership.db")
	cmd := testutil.StartCommand(t, runMain, append(idp.Flags(),
		"-district=jingkai", "-db.path="+dbPath, "-db.dsn="+dsn,
		"-pii.id-hash-key-file="+keyFile, "-pii.seal-key-file="+sealFile, "-relay.election-ttl=2",
		"-kafka.brokers="+env.Broker().Addr, "-etcd.endpoints="+strings.Join(env.Etcd().Endpoints, ","),
	)...)
	code, err := idcheck.MakeCreditCode("91420100MA0000001")
	if err != nil {
		t.Fatal(err)
	}
	cmd.API.As(token).Must(http.StatusCreated, "POST", "/api/v1/districts/jingkai/companies", map[string]any{
		"name": "武汉测试保安服务有限公司", "credit_code": code, "licence_number": idcheck.MakeLicenceNumber("鄂", 2019, 1), "kind": "service_company",
	}, nil)

	db, err := storage.OpenPostgres(env.Context(), dsn, "jingkai_membership")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM companies WHERE credit_code = $1`, code).Scan(&n); err != nil || n != 1 {
		t.Fatalf("companies in the PostgreSQL schema: %d (%v)", n, err)
	}
	testutil.Eventually(t, "the relay publishing the CompanyRegistered event", func() bool {
		var sent int
		if err := db.QueryRow(`SELECT count(*) FROM eventbus_outbox WHERE sent_at IS NOT NULL`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		return sent == 1
	})
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Errorf("a SQLite file at -db.path although -db.dsn was given: %v", err)
	}
	cmd.Stop()
}
