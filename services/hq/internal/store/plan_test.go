package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/storage"
	kit "github.com/guildhall/guildhall/pkg/storetest"
)

// TestConflictLookupsUseTheirIndex: the per-apply conflict lookups
// (conflictKeys' one queries, run for every company and guard applied) must
// search an index, never scan their table, or HQ's replay costs O(guards)
// per guard (the city benchmark's replay that did not finish). Checked on
// SQLite's plan, since that is where a partial index can silently not
// apply.
func TestConflictLookupsUseTheirIndex(t *testing.T) {
	db := kit.SQLite(t, Migrate)
	for kind, q := range conflictKeys {
		plans := [][]any{{q.one, "key"}, {q.state, "key", kind, "key"}}
		for _, pq := range plans {
			planSearches(t, db, kind, pq[0].(string), pq[1:]...)
		}
	}
	// The bulk path's (ApplyGuards) lookups of many keys at once.
	for kind, q := range keyHolders {
		planSearches(t, db, kind, fmt.Sprintf(q, "?, ?"), "k1", "k2")
	}
}

// planSearches fails t unless query's plan searches indexes only.
func planSearches(t *testing.T, db *storage.DB, kind, query string, args ...any) {
	t.Helper()
	{
		rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
		kit.Must(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			kit.Must(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		kit.Must(t, rows.Err())
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, "SEARCH") || strings.Contains(joined, "SCAN hq_") {
			t.Errorf("%s lookup's plan %q does not search an index", kind, joined)
		}
	}
}
