package store_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/node"
	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
	"github.com/guildhall/guildhall/services/compliance/internal/store"
	"github.com/guildhall/guildhall/services/compliance/internal/store/storetest"
)

// TestSQLiteStore runs the store contract on the SQLite store, each group
// of cases on a database of its own.
func TestSQLiteStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.Store {
		db := kit.SQLite(t, node.MigrateDistrict(store.Migrate))
		return store.New(db, kit.NewOutbox(t, db, storetest.District, "compliance"))
	})
}

// TestPostgresStore runs the same contract, unchanged, on the same store
// over PostgreSQL (a fresh schema per group, GUILDHALL_TEST_PG_DSN; it
// skips without one, and fails under CI).
func TestPostgresStore(t *testing.T) {
	pgtest.ServerDSN(t)
	storetest.Run(t, func(t *testing.T) *store.Store {
		db := pgtest.Open(t, node.MigrateDistrict(store.Migrate))
		return store.New(db, kit.NewOutbox(t, db, storetest.District, "compliance"))
	})
}

// TestEveryMigrationHasItsPostgreSQLTwin: the same versions on both
// engines, so neither falls behind the other.
func TestEveryMigrationHasItsPostgreSQLTwin(t *testing.T) {
	pgtest.CheckTwins(t, store.Migrations, "migrations")
}
