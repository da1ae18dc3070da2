package audit

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
)

// legacyTable is the audit log as the membership and meetings services'
// first migrations created it before this package owned the table: the
// same columns; meetings had one index, membership three.
const legacyTable = `-- +goose Up
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    resource       TEXT    NOT NULL,
    resource_id    TEXT    NOT NULL,
    fields_changed TEXT    NOT NULL DEFAULT '[]',
    request_id     TEXT    NOT NULL DEFAULT '',
    remote_ip      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_resource ON audit_log (resource, resource_id, id);
`

// legacy are the old services' audit tables.
var legacy = map[string]string{
	"meetings": legacyTable + `-- +goose Down
DROP TABLE audit_log;
`,
	"membership": legacyTable + `CREATE INDEX audit_log_subject ON audit_log (subject, id);
CREATE INDEX audit_log_at ON audit_log (at);
-- +goose Down
DROP TABLE audit_log;
`,
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
	for svc, ddl := range legacy {
		t.Run("The "+svc+" service's old audit log is kept.", func(t *testing.T) { adopt(t, svc, ddl) })
	}
}

func adopt(t *testing.T, svc, ddl string) {
	ctx := context.Background()
	db := openEmpty(t)
	fsys := fstest.MapFS{"m/sqlite/00001_" + svc + ".sql": {Data: []byte(ddl)}}
	if err := db.Migrate(ctx, fsys, "m", "goose_"+svc); err != nil {
		t.Fatal(err)
	}
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
