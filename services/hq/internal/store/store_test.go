package store_test

import (
	"testing"

	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
	"github.com/guildhall/guildhall/services/hq/internal/store"
	"github.com/guildhall/guildhall/services/hq/internal/store/storetest"
)

// TestSQLiteStore runs the read model's contract on the SQLite store, each
// group of cases on a database of its own.
func TestSQLiteStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.Store { return store.New(kit.SQLite(t, store.Migrate)) })
}

// TestPostgresStore runs the same contract, unchanged, on the same store
// over PostgreSQL (a fresh schema per group, GUILDHALL_TEST_PG_DSN; it
// skips without one, and fails under CI).
func TestPostgresStore(t *testing.T) {
	pgtest.ServerDSN(t)
	storetest.Run(t, func(t *testing.T) *store.Store { return store.New(pgtest.Open(t, store.Migrate)) })
}

// TestEveryMigrationHasItsPostgreSQLTwin: the same versions on both
// engines, so neither falls behind the other.
func TestEveryMigrationHasItsPostgreSQLTwin(t *testing.T) {
	pgtest.CheckTwins(t, store.Migrations, "migrations")
}
