package store_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/storage/storagetest"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// TestHQMigrationsGoDownAndUpAgain runs every down of the service's
// migrations (HQ's read model: no audit log or idempotency keys of its own)
// on SQLite and PostgreSQL, one version at a time, checking each undoes
// exactly its up, then migrates up again.
func TestHQMigrationsGoDownAndUpAgain(t *testing.T) {
	storagetest.CheckDowns(t, store.Migrate,
		storagetest.Owner{Name: "hq", FS: store.Migrations, Dir: "migrations", Table: store.MigrationsTable})
}
