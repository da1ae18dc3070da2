package storagetest_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/storage/storagetest"
)

// The kit's own tables: each owner's downs, on both engines.

func TestAuditMigrationsGoDownAndUpAgain(t *testing.T) {
	storagetest.CheckDowns(t, audit.Migrate, storagetest.Audit)
}

func TestIdempotencyMigrationsGoDownAndUpAgain(t *testing.T) {
	storagetest.CheckDowns(t, idempotency.Migrate, storagetest.Idempotency)
}

func TestEventBusMigrationsGoDownAndUpAgain(t *testing.T) {
	storagetest.CheckDowns(t, eventbus.Migrate, storagetest.EventBus)
}
