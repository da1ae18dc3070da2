package store_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/node"
	kit "github.com/guildhall/guildhall/pkg/storetest"
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
