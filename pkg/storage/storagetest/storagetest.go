// Package storagetest checks the down sections of an owner's goose
// migrations on both engines: that each one undoes exactly what its up did,
// so a release can be rolled back by hand (goose down-to) and migrated up
// again. A node never migrates down itself; without this test nothing runs
// the downs, and a wrong one is found on the day it is needed.
package storagetest

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
)

// Owner is one owner of tables in a database: its migrations (fsys under
// Dir/<dialect>) and its goose version table, as it passes them to
// storage.DB.Migrate.
type Owner struct {
	// Name names the owner in failures, e.g. "membership".
	Name  string
	FS    fs.FS
	Dir   string
	Table string
	// Adopts names the tables an earlier owner of the database may have
	// made, which this owner's first up then adopts (CREATE TABLE IF NOT
	// EXISTS) rather than makes, and so its last down drops: after this
	// owner's downs they are not compared, and the earlier owner's down
	// must make them again if it needs them. (The audit log: the accounts
	// service's SQLite databases had one before pkg/audit did.)
	Adopts []string
}

// The kit's owners of tables, which a service's Migrate (or its node)
// applies after its own.
var (
	Audit       = Owner{Name: "audit", FS: audit.Migrations, Dir: "migrations", Table: audit.MigrationsTable, Adopts: []string{audit.Table}}
	Idempotency = Owner{Name: "idempotency", FS: idempotency.Migrations, Dir: "migrations", Table: idempotency.MigrationsTable}
	EventBus    = Owner{Name: "eventbus", FS: eventbus.Migrations, Dir: "migrations", Table: eventbus.MigrationsTable}
)

// Migrate is a service's migration of its database (its store.Migrate):
// the owners, in order.
type Migrate func(ctx context.Context, db *storage.DB) error

// CheckDowns checks owners' downs on a new SQLite file and, as every
// PostgreSQL test (pgtest: skipped without a server, failed without one
// under CI), on a new PostgreSQL schema. owners are those migrate applies,
// in its order. On each engine it
//
//  1. applies every owner's migrations one version at a time, recording the
//     database's schema (tables, columns, indexes, constraints, triggers,
//     functions, views, sequences) and row counts after each;
//  2. runs migrate, which must find nothing left to do (owners are all it
//     applies);
//  3. runs the downs one version at a time, last owner first, and after
//     each compares the database with what it was before that version's
//     up: a down that forgets a column, an index or a trigger, or drops
//     what an earlier version made, fails here by name;
//  4. ends with the empty database it started from, and runs migrate
//     again, which must give the same database as in 2.
func CheckDowns(t *testing.T, migrate Migrate, owners ...Owner) {
	t.Helper()
	if len(owners) == 0 {
		t.Fatal("storagetest: no owners to check")
	}
	t.Run("sqlite", func(t *testing.T) {
		db, err := storage.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "downs.db"), storage.Config{Synchronous: "normal"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		check(t, db, migrate, owners)
	})
	t.Run("postgres", func(t *testing.T) {
		check(t, pgtest.Open(t, nil), migrate, owners)
	})
}

// state is the database after one step of the check.
type state struct {
	label string
	snap  map[string]string
}

func check(t *testing.T, db *storage.DB, migrate Migrate, owners []Owner) {
	t.Helper()
	ctx := context.Background()
	states := []state{{"the empty database", Snapshot(t, db)}}
	versions := make([][]int64, len(owners))
	for i, o := range owners {
		vs, err := db.MigrationVersions(o.FS, o.Dir, o.Table)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) == 0 {
			t.Fatalf("%s has no %s migrations", o.Name, db.Dialect.Name())
		}
		versions[i] = vs
		for _, v := range vs {
			if err := db.MigrateUpTo(ctx, o.FS, o.Dir, o.Table, v); err != nil {
				t.Fatal(err)
			}
			states = append(states, state{fmt.Sprintf("%s up to %d", o.Name, v), Snapshot(t, db)})
		}
	}
	top := states[len(states)-1]
	if err := migrate(ctx, db); err != nil {
		t.Fatalf("migrate after every owner's migrations: %v", err)
	}
	diff(t, "migrate after every owner's migrations (it applies more than the owners given?)", top, Snapshot(t, db))

	cur := len(states) - 1
	for i := len(owners) - 1; i >= 0; i-- {
		o, vs := owners[i], versions[i]
		for j := len(vs) - 1; j >= 0; j-- {
			var to int64
			if j > 0 {
				to = vs[j-1]
			}
			if err := db.MigrateDownTo(ctx, o.FS, o.Dir, o.Table, to); err != nil {
				t.Fatal(err)
			}
			cur--
			want, got := states[cur], Snapshot(t, db)
			if j == 0 && len(o.Adopts) > 0 {
				want = state{want.label + " (but for the tables " + o.Name + " adopts)", without(want.snap, o.Adopts)}
				got = without(got, o.Adopts)
			}
			diff(t, fmt.Sprintf("%s down from %d", o.Name, vs[j]), want, got)
		}
	}
	if err := migrate(ctx, db); err != nil {
		t.Fatalf("migrate after every down: %v", err)
	}
	diff(t, "migrate after every down", top, Snapshot(t, db))
}

// without returns snap less the objects of tables (the keys Snapshot gives
// them: "<kind> <table>", "<kind> <table>.<name>", "<kind> <table>(…)").
func without(snap map[string]string, tables []string) map[string]string {
	out := maps.Clone(snap)
	for k := range out {
		_, rest, _ := strings.Cut(k, " ")
		for _, table := range tables {
			if rest == table || strings.HasPrefix(rest, table+".") || strings.HasPrefix(rest, table+"(") {
				delete(out, k)
			}
		}
	}
	return out
}

// diff fails t with every difference of got from want.
func diff(t *testing.T, step string, want state, got map[string]string) {
	t.Helper()
	keys := map[string]bool{}
	for k := range want.snap {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		w, inWant := want.snap[k]
		g, inGot := got[k]
		switch {
		case !inGot:
			out = append(out, fmt.Sprintf("  missing %s: %s", k, w))
		case !inWant:
			out = append(out, fmt.Sprintf("  left behind %s: %s", k, g))
		case w != g:
			out = append(out, fmt.Sprintf("  changed %s:\n    want %s\n    got  %s", k, w, g))
		}
	}
	if len(out) > 0 {
		t.Errorf("after %s the database differs from %s:\n%s", step, want.label, strings.Join(out, "\n"))
	}
}

// Snapshot returns what a migration makes in db, outside the goose version
// tables, each object keyed by kind and name (an object of a table by the
// table's name, a dot and its own): its definition as the engine
// reports it (columns by name, not position: PostgreSQL numbers a column
// added again after a drop past the dropped one), and each table's row
// count (migrations that insert rows must take them out again).
func Snapshot(t testing.TB, db *storage.DB) map[string]string {
	t.Helper()
	if db.Dialect == storage.Postgres {
		return snapshotPostgres(t, db)
	}
	return snapshotSQLite(t, db)
}

func snapshotSQLite(t testing.TB, db *storage.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	type object struct{ kind, name, table, sql string }
	var objects []object
	query(t, db.DB, `SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\' AND tbl_name NOT LIKE 'goose\_%' ESCAPE '\'`, nil, func(r []string) {
		objects = append(objects, object{r[0], r[1], r[2], r[3]})
	})
	for _, o := range objects {
		switch o.kind {
		case "table":
			// DROP COLUMN edits the table's CREATE text in place, so the
			// text of a table that lost a column and got it back differs
			// in spacing: compare what the text declares instead.
			upper := strings.ToUpper(o.sql)
			out["table "+o.name] = fmt.Sprintf("without_rowid=%t strict=%t", strings.Contains(upper, "WITHOUT ROWID"), strings.Contains(upper, "STRICT"))
			query(t, db.DB, `SELECT name, type, "notnull", COALESCE(dflt_value, ''), pk FROM pragma_table_info(?)`, []any{o.name}, func(r []string) {
				out["column "+o.name+"."+r[0]] = strings.Join(r[1:], " ")
			})
			query(t, db.DB, `SELECT "table", "from", COALESCE("to", ''), on_update, on_delete FROM pragma_foreign_key_list(?)`, []any{o.name}, func(r []string) {
				out["foreign key "+o.name+"."+r[1]] = strings.Join(r, " ")
			})
			query(t, db.DB, `SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, []any{o.name}, func(r []string) {
				if strings.HasPrefix(r[0], "sqlite_autoindex_") {
					// Named by position among the table's constraints:
					// keyed by what it indexes instead.
					var cols []string
					query(t, db.DB, `SELECT COALESCE(name, '') FROM pragma_index_info(?)`, []any{r[0]}, func(c []string) { cols = append(cols, c[0]) })
					out["auto index "+o.name+"("+strings.Join(cols, ",")+")"] = strings.Join(r[1:], " ")
				}
			})
			out["rows "+o.name] = count(t, db.DB, `"`+o.name+`"`)
		default: // index, trigger, view
			if o.sql != "" {
				out[o.kind+" "+o.table+"."+o.name] = strings.Join(strings.Fields(o.sql), " ")
			}
		}
	}
	return out
}

func snapshotPostgres(t testing.TB, db *storage.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	ns := []any{db.Schema}
	notGoose := func(name string) bool { return !strings.HasPrefix(name, "goose_") }
	var tables []string
	query(t, db.DB, `SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1`, ns, func(r []string) {
		// Indexes are keyed by their table below.
		if notGoose(r[0]) && r[1] != "i" && r[1] != "I" {
			out["relation "+r[0]] = "kind " + r[1]
			if r[1] == "r" || r[1] == "p" {
				tables = append(tables, r[0])
			}
		}
	})
	query(t, db.DB, `SELECT table_name, column_name, data_type, is_nullable, COALESCE(column_default, ''), COALESCE(is_identity, '')
		FROM information_schema.columns WHERE table_schema = $1`, ns, func(r []string) {
		if notGoose(r[0]) {
			out["column "+r[0]+"."+r[1]] = strings.Join(r[2:], " ")
		}
	})
	query(t, db.DB, `SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`, ns, func(r []string) {
		if notGoose(r[0]) {
			out["constraint "+r[0]+"."+r[1]] = r[2]
		}
	})
	query(t, db.DB, `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1`, ns, func(r []string) {
		if notGoose(r[0]) {
			out["index "+r[0]+"."+r[1]] = r[2]
		}
	})
	query(t, db.DB, `SELECT c.relname, g.tgname, pg_get_triggerdef(g.oid) FROM pg_trigger g
		JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND NOT g.tgisinternal`, ns, func(r []string) {
		out["trigger "+r[0]+"."+r[1]] = r[2]
	})
	query(t, db.DB, `SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(pg_get_functiondef(p.oid)) FROM pg_proc p
		JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1`, ns, func(r []string) {
		out["function "+r[0]+"("+r[1]+")"] = "definition md5 " + r[2]
	})
	query(t, db.DB, `SELECT t.typname, t.typtype::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE n.nspname = $1 AND t.typtype IN ('e', 'd', 'r', 'm')`, ns, func(r []string) {
		out["type "+r[0]] = "kind " + r[1]
	})
	for _, table := range tables {
		out["rows "+table] = count(t, db.DB, `"`+table+`"`)
	}
	return out
}

// query runs q and hands each row, every column as text, to each.
func query(t testing.TB, db *sql.DB, q string, args []any, each func([]string)) {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("storagetest: %s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var all [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := make([]string, len(cols))
		for i, v := range vals {
			r[i] = v.String
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// The rows are read before each runs: each may query again, and a
	// SQLite connection pool of one would wait on this one.
	rows.Close()
	for _, r := range all {
		each(r)
	}
}

// count returns the number of rows of table (quoted) as text.
func count(t testing.TB, db *sql.DB, table string) string {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatalf("storagetest: count %s: %v", table, err)
	}
	return fmt.Sprint(n, " rows")
}
