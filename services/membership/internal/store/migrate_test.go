package store

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/testutil/migrationtest"
)

// testdata/v1.db is a membership database as the service made it before the
// audit log and the idempotency keys moved to pkg/audit and pkg/idempotency
// (its own first migration created both tables then): made by Migrate at
// commit 49a5b9a, holding the audit entry of a company's registration and the idempotency
// record of its create, then VACUUMed with 512-byte pages to keep it
// small. A data dir of `make run` from then holds such a file; it must open
// with every row and end with the schema of a new database.
func TestMigrateUpgradesADatabaseOfBeforeTheKitOwnedItsTables(t *testing.T) {
	migrationtest.CheckUpgrade(t, "testdata/v1.db", node.MigrateDistrict(Migrate))
}
