package store_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/storage/storagetest"
	"github.com/guildhall/guildhall/services/accounts/internal/store"
)

// TestAccountsMigrationsGoDownAndUpAgain runs every down of the service's
// migrations and the audit log it keeps beside them on SQLite and
// PostgreSQL, one version at a time, checking each undoes exactly its up,
// then migrates up again.
func TestAccountsMigrationsGoDownAndUpAgain(t *testing.T) {
	storagetest.CheckDowns(t, store.Migrate,
		storagetest.Owner{Name: "accounts", FS: store.Migrations, Dir: "migrations", Table: store.MigrationsTable}, storagetest.Audit)
}
