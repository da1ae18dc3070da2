package store_test

import (
	"testing"

	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/hq/internal/store"
	"github.com/guildhall/guildhall/services/hq/internal/store/storetest"
)

// TestSQLiteStore runs the read model's contract on the SQLite store, each
// group of cases on a database of its own.
func TestSQLiteStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.Store { return store.New(kit.SQLite(t, store.Migrate)) })
}
