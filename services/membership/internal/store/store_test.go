package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/membership/internal/store"
	"github.com/guildhall/guildhall/services/membership/internal/store/storetest"
)

// TestSQLiteStore runs the store contract on the SQLite store, each group
// of cases on a database of its own.
func TestSQLiteStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.Store {
		ctx := context.Background()
		db, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "membership.db"), storage.Config{Synchronous: "normal"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if err := store.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		ob, err := eventbus.NewOutbox(db, storetest.District, "membership")
		if err != nil {
			t.Fatal(err)
		}
		return store.New(db, ob)
	})
}
