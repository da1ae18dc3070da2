// Package migrationtest checks that a service's databases made by its
// earlier migrations still open under its current ones: with every row they
// held, and with the schema a new database gets. A service keeps such a
// database as a fixture (testdata/v<N>.db, made by the code of that time)
// for each change of its migrations that existing data dirs must survive.
package migrationtest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
)

// Migrate is a service's migration of its database (its store.Migrate).
type Migrate func(ctx context.Context, db *storage.DB) error

// Copy copies the database file fixture into a temporary directory and
// returns the copy's path, for a test that opens it itself (the fixture is
// never written).
func Copy(t testing.TB, fixture string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), filepath.Base(fixture))
	src, err := os.Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Open opens a copy of the database file fixture (Copy); it is closed when
// the test ends.
func Open(t testing.TB, fixture string) *storage.DB {
	t.Helper()
	return open(t, Copy(t, fixture))
}

// Fresh returns a new database migrated by migrate; it is closed when the
// test ends.
func Fresh(t testing.TB, migrate Migrate) *storage.DB {
	t.Helper()
	db := open(t, filepath.Join(t.TempDir(), "fresh.db"))
	if err := migrate(context.Background(), db); err != nil {
		t.Fatalf("migrating a new database: %v", err)
	}
	return db
}

func open(t testing.TB, path string) *storage.DB {
	t.Helper()
	db, err := storage.OpenSQLite(context.Background(), path, storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// CheckUpgrade opens a copy of fixture (a database made by the service's
// earlier migrations, holding some rows), migrates it with migrate twice,
// and fails the test unless each run succeeds, every row of the fixture's
// tables is still there unchanged, and the schema is exactly the one
// migrate gives a new database. When the database has the kit's audit log
// and idempotency keys it also checks that they go on working: a new audit
// entry comes after the old ones, and an old record's key is still taken.
// It returns the migrated database for the service's own checks.
func CheckUpgrade(t *testing.T, fixture string, migrate Migrate) *storage.DB {
	t.Helper()
	ctx := context.Background()
	db := Open(t, fixture)
	before := Rows(t, db)
	if len(before) == 0 {
		t.Fatalf("%s has no rows outside the migrations' version tables: nothing to check", fixture)
	}
	versions := Versions(t, db)
	for range 2 {
		if err := migrate(ctx, db); err != nil {
			t.Fatalf("migrating %s: %v", fixture, err)
		}
	}
	if slices.Equal(Versions(t, db), versions) {
		t.Fatalf("migrating %s applied no migration: it is not a database of earlier migrations, and the test checks nothing", fixture)
	}
	after := Rows(t, db)
	for table, rows := range before {
		if !slices.Equal(after[table], rows) {
			t.Errorf("table %s before the migration:\n%s\nafter:\n%s", table, strings.Join(rows, "\n"), strings.Join(after[table], "\n"))
		}
	}
	got, want := Schema(t, db), Schema(t, Fresh(t, migrate))
	for _, table := range slices.Sorted(maps.Keys(want)) {
		if got[table] != want[table] {
			t.Errorf("table %s of the migrated %s:\n%s\nof a new database:\n%s", table, fixture, got[table], want[table])
		}
	}
	for table := range got {
		if _, ok := want[table]; !ok {
			t.Errorf("the migrated %s has a table %s that a new database has not", fixture, table)
		}
	}
	if _, ok := got[audit.Table]; ok {
		checkAudit(t, db, len(before[audit.Table]))
	}
	if _, ok := got[idempotency.Table]; ok {
		checkIdempotency(t, db, before[idempotency.Table])
	}
	return db
}

// checkAudit adds an entry after the old ones and lists them all.
func checkAudit(t *testing.T, db *storage.DB, old int) {
	t.Helper()
	ctx := context.Background()
	q := db.Querier()
	if err := audit.Insert(ctx, q, audit.Table, audit.Entry{At: time.Now(), Subject: "migrationtest", Action: "test.write", Resource: "test", ResourceID: "t-1"}); err != nil {
		t.Fatalf("a new audit entry after the migration: %v", err)
	}
	entries, _, err := audit.List(ctx, q, audit.Table, audit.Filter{}, kitx.Page{Size: old + 1})
	if err != nil || len(entries) != old+1 || entries[0].Subject != "migrationtest" {
		t.Fatalf("the audit log after the migration: %d entries (%v), want the new one first and the %d old ones", len(entries), err, old)
	}
	if old > 0 && entries[1].ID >= entries[0].ID {
		t.Errorf("the new audit entry's id %d does not come after the old ones (%d)", entries[0].ID, entries[1].ID)
	}
}

// checkIdempotency reads each old record back and checks its key is taken.
func checkIdempotency(t *testing.T, db *storage.DB, old []string) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.DB.QueryContext(ctx, `SELECT scope, key, created_at FROM `+idempotency.Table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var scope, key, created string
		if err := rows.Scan(&scope, &key, &created); err != nil {
			t.Fatal(err)
		}
		n++
		rec, ok, err := idempotency.Get(ctx, db.Querier(), idempotency.Table, scope, key)
		if err != nil || !ok {
			t.Fatalf("the old record %s %s: %v %v", scope, key, ok, err)
		}
		// Within its TTL the key stays the first request's.
		err = idempotency.Put(ctx, db.Querier(), idempotency.Table, idempotency.Record{Scope: scope, Key: key, RequestHash: "other", Body: []byte{}, CreatedAt: rec.CreatedAt})
		if err == nil {
			t.Errorf("the old record %s %s was replaced by another request", scope, key)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(old) {
		t.Errorf("%d idempotency records, want %d", n, len(old))
	}
}

// Rows returns every row of every table of db but the migrations' version
// tables (goose_*) and SQLite's own, in rowid order, each rendered as text:
// what a migration must keep.
func Rows(t testing.TB, db *storage.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range tables(t, db) {
		if strings.HasPrefix(table, "goose_") {
			continue
		}
		rows, err := db.DB.Query(`SELECT * FROM "` + table + `" ORDER BY rowid`)
		if err != nil {
			// A WITHOUT ROWID table orders by its primary key.
			rows, err = db.DB.Query(`SELECT * FROM "` + table + `"`)
		}
		if err != nil {
			t.Fatal(err)
		}
		out[table] = texts(t, rows, true)
	}
	for table, rows := range out {
		if len(rows) == 0 {
			delete(out, table)
		}
	}
	return out
}

// Versions lists the migrations applied to db: each owner's goose table
// and the versions it holds.
func Versions(t testing.TB, db *storage.DB) []string {
	t.Helper()
	var out []string
	for _, table := range tables(t, db) {
		if strings.HasPrefix(table, "goose_") {
			for _, v := range Query(t, db, `SELECT version_id FROM "`+table+`" WHERE is_applied ORDER BY version_id`) {
				out = append(out, table+" "+v)
			}
		}
	}
	return out
}

// Schema returns each table of db (SQLite's own left out) as text: its
// columns in order with their type, NOT NULL, default and primary-key
// position, then its indexes with their columns, so that two databases'
// schemas compare with ==.
func Schema(t testing.TB, db *storage.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range tables(t, db) {
		var b strings.Builder
		for _, col := range Query(t, db, `SELECT name, type, "notnull", COALESCE(dflt_value, 'NULL'), pk FROM pragma_table_info(?) ORDER BY cid`, table) {
			fmt.Fprintf(&b, "column %s\n", col)
		}
		for _, idx := range Query(t, db, `SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY name`, table) {
			name := strings.Fields(idx)[0]
			cols := Query(t, db, `SELECT COALESCE(name, '<expr>') FROM pragma_index_info(?) ORDER BY seqno`, name)
			fmt.Fprintf(&b, "index %s (%s)\n", idx, strings.Join(cols, ", "))
		}
		out[table] = b.String()
	}
	return out
}

func tables(t testing.TB, db *storage.DB) []string {
	t.Helper()
	return Query(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
}

// Query returns each row of q as its values joined by spaces.
func Query(t testing.TB, db *storage.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.DB.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return texts(t, rows, false)
}

// texts renders each of rows as its values joined by spaces, each as
// "column=value" when named, and closes rows.
func texts(t testing.TB, rows *sql.Rows, named bool) []string {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
			if named {
				parts[i] = cols[i] + "=" + parts[i]
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
