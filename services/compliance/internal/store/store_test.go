package store_test

import (
	"context"
	"testing"

	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/storage"
	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
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

// TestAPublishedEvaluationIsImmutableOnSQLiteAndPostgres: whatever the code
// does, the database itself refuses to update or delete a published
// evaluation (SQLite's triggers, PostgreSQL's plpgsql one), and only a
// published one: a draft's row still changes.
func TestAPublishedEvaluationIsImmutableOnSQLiteAndPostgres(t *testing.T) {
	engines := map[string]func(t *testing.T) *storage.DB{
		"SQLite": func(t *testing.T) *storage.DB { return kit.SQLite(t, node.MigrateDistrict(store.Migrate)) },
		"Postgres": func(t *testing.T) *storage.DB {
			pgtest.ServerDSN(t)
			return pgtest.Open(t, node.MigrateDistrict(store.Migrate))
		},
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			s := store.New(db, kit.NewOutbox(t, db, storetest.District, "compliance"))
			for _, e := range []service.Evaluation{{ID: "c1.2026", CompanyID: "c1", Period: "2026", Version: 1, Status: "published"},
				{ID: "c1.2026", CompanyID: "c1", Period: "2026", Version: 2, Status: "draft"}} {
				kit.Must(t, s.PutEvaluation(ctx, e))
			}
			exec := func(query string, version int) error {
				_, err := db.ExecContext(ctx, db.Rebind(query), version)
				return err
			}
			if err := exec(`UPDATE evaluations SET body = '{}' WHERE id = 'c1.2026' AND version = ?`, 1); err == nil {
				t.Error("a published version was updated")
			}
			if err := exec(`DELETE FROM evaluations WHERE id = 'c1.2026' AND version = ?`, 1); err == nil {
				t.Error("a published version was deleted")
			}
			if err := exec(`UPDATE evaluations SET body = '{}' WHERE id = 'c1.2026' AND version = ?`, 2); err != nil {
				t.Errorf("a draft's row refused: %v", err)
			}
			if err := exec(`DELETE FROM evaluations WHERE id = 'c1.2026' AND version = ?`, 2); err != nil {
				t.Errorf("a draft's row refused: %v", err)
			}
		})
	}
}
