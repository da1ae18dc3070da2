package idempotency

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/storage"
)

func openEmpty(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "s.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestMigrateCreatesTheTableOnce(t *testing.T) {
	ctx := context.Background()
	db := openEmpty(t)
	for range 2 {
		if err := Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := Put(ctx, db.Querier(), Table, Record{Scope: "s", Key: "k", RequestHash: "h", Body: []byte(`{}`), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if n, err := Expire(ctx, db.Querier(), Table, now.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
}

// A record a service stored before this package owned the table still
// replays after the migration, and its key is still taken.
func TestMigrateKeepsTheRecordsOfATableAServiceCreatedBefore(t *testing.T) {
	ctx := context.Background()
	db := openEmpty(t)
	// The table as the service's own first migration made it (the same
	// shape), recorded under the service's goose table; the services' real
	// old databases are their tests' fixtures (migrationtest.CheckUpgrade).
	if err := db.Migrate(ctx, Migrations, "migrations", "goose_membership"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	old := Record{Scope: "register_company", Key: "demo-1", RequestHash: "h1", Body: []byte(`{"id":"c-1"}`), CreatedAt: now}
	if err := Put(ctx, db.Querier(), Table, old); err != nil {
		t.Fatal(err)
	}

	if err := Migrate(ctx, db); err != nil {
		t.Fatalf("migrating a database with the services' old idempotency_keys: %v", err)
	}
	got, ok, err := Get(ctx, db.Querier(), Table, old.Scope, old.Key)
	if err != nil || !ok || got.RequestHash != old.RequestHash || string(got.Body) != string(old.Body) || !got.CreatedAt.Equal(now) {
		t.Fatalf("the old record after the migration: %+v %v %v", got, ok, err)
	}
	if err := Put(ctx, db.Querier(), Table, Record{Scope: old.Scope, Key: old.Key, RequestHash: "h2", Body: []byte{}, CreatedAt: now.Add(time.Minute)}); err == nil {
		t.Fatal("the old record's key was given to another request")
	}
}
