package audit

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
)

// legacy are the indexes each service's own first migration created with
// the audit log before this package owned the table (the same columns).
var legacy = map[string][]string{
	"meetings":   {"audit_log_resource"},
	"membership": {"audit_log_resource", "audit_log_subject", "audit_log_at"},
}

// makeLegacy gives db the audit log as svc's own migration made it: this
// package's table recorded under the service's goose table, not
// MigrationsTable, with only the service's indexes. The services' real old
// databases are their tests' fixtures (migrationtest.CheckUpgrade).
func makeLegacy(t *testing.T, db *storage.DB, svc string) {
	t.Helper()
	if err := db.Migrate(context.Background(), Migrations, "migrations", "goose_"+svc); err != nil {
		t.Fatal(err)
	}
	for _, idx := range wantIndexes {
		if !slices.Contains(legacy[svc], idx) {
			if _, err := db.DB.Exec(`DROP INDEX ` + idx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func openEmpty(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "m.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// indexes returns the names of the indexes SQLite has on table, sorted
// (the automatic ones of primary keys left out).
func indexes(t *testing.T, db *storage.DB, table string) []string {
	t.Helper()
	rows, err := db.DB.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

var wantIndexes = []string{"audit_log_at", "audit_log_resource", "audit_log_subject"}

func TestMigrateCreatesTheLogOnceWithTheIndexesItsQueriesUse(t *testing.T) {
	ctx := context.Background()
	db := openEmpty(t)
	for range 2 {
		if err := Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	if got := indexes(t, db, Table); !slices.Equal(got, wantIndexes) {
		t.Fatalf("indexes %v, want %v", got, wantIndexes)
	}
	var v int64
	if err := db.DB.QueryRow(`SELECT MAX(version_id) FROM ` + MigrationsTable).Scan(&v); err != nil || v != 1 {
		t.Fatalf("%s at version %d (%v), want 1", MigrationsTable, v, err)
	}
}

// A database a service created before this package owned the table keeps
// its rows and ids; the migration adds the indexes it lacked, and the log
// goes on from the last id.
func TestMigrateAdoptsTheLogAServiceCreatedBefore(t *testing.T) {
	for svc := range legacy {
		t.Run("The "+svc+" service's old audit log is kept.", func(t *testing.T) { adopt(t, svc) })
	}
}

func adopt(t *testing.T, svc string) {
	ctx := context.Background()
	db := openEmpty(t)
	makeLegacy(t, db, svc)
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	old := Entry{At: t0, Subject: "alice", Role: "hq-admin", Scope: "city", Action: "meeting.create", Resource: "meeting",
		ResourceID: "m-1", FieldsChanged: []string{"title"}, RequestID: "r-1", RemoteIP: "192.0.2.1"}
	if err := Insert(ctx, db.Querier(), Table, old); err != nil {
		t.Fatal(err)
	}

	if err := Migrate(ctx, db); err != nil {
		t.Fatalf("migrating a database with the services' old audit_log: %v", err)
	}
	if got := indexes(t, db, Table); !slices.Equal(got, wantIndexes) {
		t.Fatalf("indexes %v, want %v", got, wantIndexes)
	}
	if err := Insert(ctx, db.Querier(), Table, Entry{At: t0.Add(time.Hour), Subject: "bob", Action: "meeting.update", Resource: "meeting", ResourceID: "m-1"}); err != nil {
		t.Fatal(err)
	}
	got, _, err := List(ctx, db.Querier(), Table, Filter{Resource: "meeting", ResourceID: "m-1"}, kitx.Page{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != 2 || got[0].Subject != "bob" || got[1].ID != 1 {
		t.Fatalf("entries after the migration: %+v", got)
	}
	kept := got[1]
	if !kept.At.Equal(t0) || kept.Subject != old.Subject || kept.Scope != old.Scope || kept.RequestID != old.RequestID ||
		kept.RemoteIP != old.RemoteIP || !slices.Equal(kept.FieldsChanged, old.FieldsChanged) {
		t.Fatalf("the old entry changed: %+v, want %+v", kept, old)
	}
}
