package pgtest

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
)

func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u:p@h:5/postgres?sslmode=disable", "postgres://u:p@h:5/x?sslmode=disable"},
		{"postgresql://u@h/other?dbname=y&sslmode=require", "postgresql://u@h/x?sslmode=require"},
		{"host=h user=u dbname=postgres", "host=h user=u dbname=postgres dbname=x"},
	} {
		got, err := withDatabase(c.in, "x")
		if err != nil || got != c.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil || cfg.Database != "x" {
			t.Errorf("%q parses to database %v (%v), want x", got, cfg, err)
		}
	}
}

// TestDSN needs the server: a fresh database answers, and is another one
// each call.
func TestDSN(t *testing.T) {
	a, b := DSN(t), DSN(t)
	if a == b {
		t.Fatalf("two calls gave the same database %s", a)
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("fresh database has %d tables (%v)", n, err)
	}
}

// fakeTB records how ServerDSN ended a test.
type fakeTB struct {
	testing.TB
	ended  string
	errors int
}

type stop struct{}

func (f *fakeTB) Helper()                 {}
func (f *fakeTB) Fatalf(string, ...any)   { f.ended = "fail"; panic(stop{}) }
func (f *fakeTB) Skipf(string, ...any)    { f.ended = "skip"; panic(stop{}) }
func (f *fakeTB) Errorf(string, ...any)   { f.errors++ }
func (f *fakeTB) run(fn func(testing.TB)) { defer func() { _ = recover() }(); fn(f) }

// TestWithoutAServerCIFailsAndElsewhereSkips: no DSN skips a developer's
// run but fails CI's, where the suite must run.
func TestWithoutAServerCIFailsAndElsewhereSkips(t *testing.T) {
	t.Setenv(EnvDSN, "")
	for ci, want := range map[string]string{"": "skip", "false": "skip", "true": "fail", "1": "fail"} {
		t.Setenv("CI", ci)
		f := &fakeTB{TB: t}
		f.run(func(tb testing.TB) { ServerDSN(tb) })
		if f.ended != want {
			t.Errorf("CI=%q: the test ended with %q, want %q", ci, f.ended, want)
		}
	}
}

func TestCheckTwinsFindsAMigrationWithoutItsTwin(t *testing.T) {
	f := &fakeTB{TB: t}
	fsys := fstest.MapFS{
		"m/sqlite/00001_a.sql":   {},
		"m/sqlite/00002_b.sql":   {},
		"m/postgres/00001_a.sql": {},
	}
	f.run(func(tb testing.TB) { CheckTwins(tb, fsys, "m") })
	if f.errors != 1 {
		t.Fatalf("%d errors, want 1 (00002_b.sql)", f.errors)
	}
	fsys["m/postgres/00002_b.sql"] = &fstest.MapFile{}
	f = &fakeTB{TB: t}
	f.run(func(tb testing.TB) { CheckTwins(tb, fsys, "m") })
	if f.errors != 0 {
		t.Fatalf("%d errors with every twin there", f.errors)
	}
}

// TestOpenGivesEachTestItsOwnSchemaAndDropsIt: two stores opened side by
// side see nothing of each other, and the schemas are gone after.
func TestOpenGivesEachTestItsOwnSchemaAndDropsIt(t *testing.T) {
	dsn := ServerDSN(t)
	var schemas []string
	t.Run("open", func(t *testing.T) {
		a, b := Open(t, nil), Open(t, nil)
		if _, err := a.Exec(`CREATE TABLE x (n BIGINT)`); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Exec(`CREATE TABLE x (n BIGINT)`); err != nil {
			t.Fatalf("b sees a's table: %v", err)
		}
		if a.Schema == b.Schema {
			t.Fatalf("one schema %s for both", a.Schema)
		}
		schemas = []string{a.Schema, b.Schema}
	})
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = ANY($1)`, schemas).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d of the schemas %v left after the test (%v)", n, schemas, err)
	}
}
