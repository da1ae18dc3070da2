package store_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/storage/storagetest"
	"github.com/guildhall/guildhall/services/patrols/internal/store"
)

// TestPatrolsMigrationsGoDownAndUpAgain runs every down of the service's
// migrations and the audit log and idempotency keys it keeps beside them on
// SQLite and PostgreSQL, one version at a time, checking each undoes exactly
// its up, then migrates up again.
func TestPatrolsMigrationsGoDownAndUpAgain(t *testing.T) {
	storagetest.CheckDowns(t, store.Migrate,
		storagetest.Owner{Name: "patrols", FS: store.Migrations, Dir: "migrations", Table: store.MigrationsTable}, storagetest.Audit, storagetest.Idempotency)
}
