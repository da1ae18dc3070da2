package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil/migrationtest"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
)

// testdata/v1.db is an accounts database as the service made it before its
// audit log became pkg/audit's (the account in account_id, no resource):
// made at commit 49a5b9a by the bootstrap of an empty store, the creation
// of the account ops.v1 and the reset of its password to v1Password, then
// VACUUMed with 512-byte pages to keep it small. The data dir of every
// `make run` from then holds such a file (data/auth/accounts.db).
const v1Password = "the v1 password, reset"

// oldAudit is how the audit rows of a database of before must read as
// pkg/audit's entries: resource "account", resource_id the account_id.
func oldAudit(t *testing.T, db *storage.DB) []string {
	t.Helper()
	return migrationtest.Query(t, db, `SELECT id, at, subject, role, scope, action, 'account', account_id, fields_changed, request_id, remote_ip FROM audit_log ORDER BY id`)
}

// entryRow renders an entry as oldAudit renders a row.
func entryRow(t *testing.T, e audit.Entry) string {
	t.Helper()
	fields, err := json.Marshal(e.FieldsChanged)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(e.ID, " ", strings.Join([]string{storage.FormatTime(e.At), e.Subject, e.Role, e.Scope, e.Action,
		e.Resource, e.ResourceID, string(fields), e.RequestID, e.RemoteIP}, " "))
}

func TestMigrateTurnsTheOldAuditLogIntoTheSharedOneAndKeepsEveryAccount(t *testing.T) {
	ctx := context.Background()
	db := migrationtest.Open(t, "testdata/v1.db")
	accounts := migrationtest.Rows(t, db)["accounts"]
	old := oldAudit(t, db)
	versions := migrationtest.Versions(t, db)
	if len(accounts) != 2 || len(old) != 3 {
		t.Fatalf("the fixture holds %d accounts and %d audit rows, want 2 and 3", len(accounts), len(old))
	}

	for range 2 {
		if err := Migrate(ctx, db); err != nil {
			t.Fatalf("migrating a database of before: %v", err)
		}
	}
	if slices.Equal(migrationtest.Versions(t, db), versions) {
		t.Fatal("no migration applied to the fixture: it is not a database of before")
	}
	if got := migrationtest.Rows(t, db)["accounts"]; !slices.Equal(got, accounts) {
		t.Errorf("accounts before:\n%s\nafter:\n%s", strings.Join(accounts, "\n"), strings.Join(got, "\n"))
	}

	// Every audit row is still there, with its id, as an entry of the
	// resource "account"; the log goes on after them.
	st := New(db)
	entries, _, err := st.ListAudit(ctx, audit.Filter{Resource: service.ResourceAccount}, kitx.Page{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range slices.Backward(entries) {
		got = append(got, entryRow(t, e))
	}
	if !slices.Equal(got, old) {
		t.Errorf("audit rows before:\n%s\nafter:\n%s", strings.Join(old, "\n"), strings.Join(got, "\n"))
	}
	if err := st.InsertAudit(ctx, audit.Entry{Subject: "s", Action: service.ActionCreate, Resource: service.ResourceAccount, ResourceID: "a-new"}); err != nil {
		t.Fatal(err)
	}
	latest, _, err := st.ListAudit(ctx, audit.Filter{Resource: service.ResourceAccount, ResourceID: "a-new"}, kitx.Page{Size: 1})
	if err != nil || len(latest) != 1 || latest[0].ID != int64(len(old)+1) {
		t.Fatalf("a new audit row after the migration: %+v %v, want id %d", latest, err, len(old)+1)
	}

	// The account still signs in with its password.
	r, found, err := st.ByUsername(ctx, "ops.v1")
	if err != nil || !found || !auth.CheckPassword(r.Hash, v1Password) || r.Role != auth.RoleOps {
		t.Fatalf("ops.v1 after the migration: found=%v role=%s err=%v", found, r.Role, err)
	}

	// The schema is a new database's, and the audit log has pkg/audit's
	// columns and indexes (SQLite added resource last, with a default).
	schema, want := migrationtest.Schema(t, db), migrationtest.Schema(t, migrationtest.Fresh(t, Migrate))
	for table, s := range want {
		if schema[table] != s {
			t.Errorf("table %s of the migrated database:\n%s\nof a new one:\n%s", table, schema[table], s)
		}
	}
	shared := migrationtest.Fresh(t, audit.Migrate)
	for _, q := range []string{
		`SELECT name, type, "notnull", pk FROM pragma_table_info('audit_log') ORDER BY name`,
		`SELECT name, "unique" FROM pragma_index_list('audit_log') ORDER BY name`,
	} {
		if a, b := migrationtest.Query(t, db, q), migrationtest.Query(t, shared, q); !slices.Equal(a, b) {
			t.Errorf("%s\naccounts:  %v\npkg/audit: %v", q, a, b)
		}
	}
}
