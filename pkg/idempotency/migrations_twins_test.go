package idempotency

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
)

// TestEveryMigrationHasItsPostgreSQLTwin: the same versions on both
// engines, so neither falls behind the other.
func TestEveryMigrationHasItsPostgreSQLTwin(t *testing.T) {
	pgtest.CheckTwins(t, Migrations, "migrations")
}
