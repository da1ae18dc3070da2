package store

import (
	"context"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/node"
	kit "github.com/guildhall/guildhall/pkg/storetest"
)

// TestReminderSweepUsesItsPartialIndex: the reminder sweep finds its
// notices through notices_deadline, never a scan of every notice. Checked on
// SQLite's plan, where a partial index applies only to a query repeating
// its WHERE term (migration 00007 made it the bare flag, the term the
// store's one SQL text for both engines writes).
func TestReminderSweepUsesItsPartialIndex(t *testing.T) {
	db := kit.SQLite(t, node.MigrateDistrict(Migrate))
	rows, err := db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+remindersDue, "a", "b", "c", 10)
	kit.Must(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		kit.Must(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	kit.Must(t, rows.Err())
	if joined := strings.Join(plan, "; "); !strings.Contains(joined, "USING INDEX notices_deadline") {
		t.Errorf("the reminder sweep's plan %q does not use notices_deadline", joined)
	}
}
