package accounts

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
)

// TestNodeOnPostgres runs the accounts node as the guildhall binary wires
// it, with a DSN (the binary's -db.dsn) instead of a file: the bootstrap
// admin and every account are rows of schema "accounts" of that database,
// and no SQLite file is made at DBPath. (Accounts has no binary of its
// own; the guildhall binary with -db.dsn also opens compliance and hq,
// which do not run on PostgreSQL yet.) A taken username is refused with
// its error id, a disabled account cannot sign in, and a node restarted on
// the same database finds its admin and does not bootstrap again.
func TestNodeOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	e := newEnvWith(t, func(c *Config, _ *Deps) { c.Storage.DSN = dsn })
	ctx := context.Background()
	a := e.create(map[string]any{"username": "li.company", "password": "first password!", "role": "company-admin", "districts": []string{"jingkai"}, "company": "c-42"})
	if rec := e.do("POST", "/api/v1/auth/accounts", e.adminToken, map[string]any{"username": "li.company", "password": "another password",
		"role": "company-admin", "districts": []string{"jingkai"}, "company": "c-42"}); rec.Code != http.StatusConflict || errID(t, rec) != "account.username_taken" {
		t.Fatalf("a taken username: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+a.ID, e.adminToken, map[string]any{"disabled": true}, "If-Match", `"1"`); rec.Code != http.StatusOK {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	if rec := e.login("li.company", "first password!", "192.0.2.50"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("a disabled account's login: %d %s", rec.Code, rec.Body)
	}

	db, err := storage.OpenPostgres(ctx, dsn, "accounts")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var disabled bool
	var n int
	if err := db.QueryRow(`SELECT disabled, (SELECT count(*) FROM accounts) FROM accounts WHERE id = $1`, a.ID).Scan(&disabled, &n); err != nil || !disabled || n != 2 {
		t.Fatalf("accounts in the PostgreSQL schema: %d, li.company disabled %v (%v)", n, disabled, err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "accounts.db")); !os.IsNotExist(err) {
		t.Errorf("a SQLite file at DBPath although a DSN was given: %v", err)
	}

	if err := e.node.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := New(ctx, Config{DBPath: filepath.Join(e.dir, "accounts.db"), Storage: storage.Config{DSN: dsn}}, Deps{Issuer: e.issuer})
	if err != nil {
		t.Fatalf("a node restarted on the same database: %v", err)
	}
	t.Cleanup(func() { _ = again.Close() })
	if pw, created, err := again.EnsureBootstrapAdmin(ctx); err != nil || created || pw != "" {
		t.Fatalf("bootstrap after restart: created=%v err=%v", created, err)
	}
	rows, err := again.Audit(ctx, a.ID)
	if err != nil || len(rows) != 2 || rows[0].Action != service.ActionCreate || rows[1].Action != service.ActionUpdate {
		t.Fatalf("the account's audit rows after the restart: %+v %v", rows, err)
	}
}
