package store_test

import (
	"context"
	"database/sql"
	"testing"

	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// TestPoolKeepsItsConnections: the connections concurrent readers opened
// stay open for the next reads (database/sql's default keeps 2 and closes
// the rest, so 50 readers reopened SQLite connections for nearly every
// read), and no more than MaxConns are opened.
func TestPoolKeepsItsConnections(t *testing.T) {
	ctx := context.Background()
	db := kit.SQLite(t, store.Migrate)
	store.New(db)
	if got := db.Stats().MaxOpenConnections; got != store.MaxConns {
		t.Fatalf("MaxOpenConnections %d, want %d", got, store.MaxConns)
	}
	const n = 10
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if st := db.Stats(); st.Idle < n || st.MaxIdleClosed != 0 {
		t.Fatalf("after %d readers: %d connections idle, %d closed as surplus; want all %d kept", n, st.Idle, st.MaxIdleClosed, n)
	}
}
