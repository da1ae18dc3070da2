// Package pgtest gives a test a database of its own on a real PostgreSQL
// server: the one GUILDHALL_TEST_PG_DSN names (scripts/pg-start.sh starts a
// throwaway one and prints its DSN; make test-pg does both). DSN creates a
// uniquely named database, Open a uniquely named schema, and each drops it
// when the test ends, so tests run in parallel and leave nothing behind.
//
// Without the variable the PostgreSQL tests skip, except under CI (CI set
// to anything but "" or "false"), where a missing server is a failure: the
// suite must run there, never pass by skipping.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guildhall/guildhall/pkg/storage"
)

// EnvDSN names the variable holding the server's DSN (any database on it
// that the user can connect to; the user must be allowed CREATE DATABASE).
const EnvDSN = "GUILDHALL_TEST_PG_DSN"

// InCI reports whether the tests run in CI, where PostgreSQL must be there.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "false" && v != "0"
}

// ServerDSN returns the server's DSN from the environment, skipping t when
// there is none (failing it under CI).
func ServerDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if InCI() {
			t.Fatalf("%s is not set, and CI is: the PostgreSQL tests must run in CI (.ci/run starts a server with scripts/pg-start.sh)", EnvDSN)
		}
		t.Skipf("%s is not set: no PostgreSQL server to test against (make test-pg starts one)", EnvDSN)
	}
	return dsn
}

// DSN creates a fresh, empty database on the server and returns its DSN;
// the database is dropped (its connections closed) when t ends.
func DSN(t testing.TB) string {
	t.Helper()
	server := ServerDSN(t)
	cfg, err := pgx.ParseConfig(server)
	if err != nil {
		t.Fatalf("%s: %v", EnvDSN, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "gh_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvDSN, err)
	}
	defer func() { _ = admin.Close(context.Background()) }()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer func() { _ = c.Close(context.Background()) }()
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(server, name)
	if err != nil {
		t.Fatalf("%s: %v", EnvDSN, err)
	}
	return dsn
}

// withDatabase returns dsn naming database name instead of its own,
// everything else (host, user, TLS, options) kept.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		q := u.Query()
		q.Del("dbname")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	// key=value pairs: a later key overrides an earlier one.
	return dsn + " dbname=" + name, nil
}

// Open returns a database in a fresh schema of its own (uniquely named,
// dropped with everything in it when t ends) of the server's database,
// migrated with migrate (nil: none) and closed when t ends: the PostgreSQL
// twin of storetest.SQLite. A schema rather than a database, because it
// is made in a millisecond where a database takes a few hundred: a store
// suite opens one per group. (Notifications are per database: a test of
// LISTEN/NOTIFY that must hear no other test's takes DSN instead.)
func Open(t testing.TB, migrate func(ctx context.Context, db *storage.DB) error) *storage.DB {
	t.Helper()
	dsn := ServerDSN(t)
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "gh_test_" + hex.EncodeToString(b[:])
	db, err := storage.OpenPostgres(ctx, dsn, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer func() { _ = c.Close(context.Background()) }()
		if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	if migrate != nil {
		if err := migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// CheckTwins fails t unless the migrations under dir in fsys have a
// PostgreSQL twin for every SQLite migration and the other way round (the
// same file names: the same versions, so a database's goose table means
// the same schema on either engine).
func CheckTwins(t testing.TB, fsys fs.FS, dir string) {
	t.Helper()
	names := func(dialect string) map[string]bool {
		entries, err := fs.ReadDir(fsys, path.Join(dir, dialect))
		if err != nil {
			t.Fatalf("%s/%s: %v", dir, dialect, err)
		}
		out := map[string]bool{}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".sql") {
				out[e.Name()] = true
			}
		}
		return out
	}
	lite, pg := names(storage.SQLite.Name()), names(storage.Postgres.Name())
	for n := range lite {
		if !pg[n] {
			t.Errorf("%s/sqlite/%s has no twin in %s/postgres", dir, n, dir)
		}
	}
	for n := range pg {
		if !lite[n] {
			t.Errorf("%s/postgres/%s has no twin in %s/sqlite", dir, n, dir)
		}
	}
}
