package store

import (
	"context"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/node"
	kit "github.com/guildhall/guildhall/pkg/storetest"
)

// TestDirtyScoresUseTheirPartialIndex: the refresh finds the companies to
// announce through company_scores_dirty, not a scan of every company's
// row. Checked on SQLite's plan over 5,000 companies, 10 of them dirty,
// analysed: a partial index applies only to a query repeating its WHERE
// term, and migration 00011 made it the bare flag the store's one SQL text
// for both engines writes.
func TestDirtyScoresUseTheirPartialIndex(t *testing.T) {
	ctx := context.Background()
	db := kit.SQLite(t, node.MigrateDistrict(Migrate))
	_, err := db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
		INSERT INTO company_scores (company_id, active, background_checked, trained, certified, badge_service, full_mask, version, dirty)
		SELECT printf('c%05d', i), 1, 1, 1, 1, 1, 0, 1, i % 500 = 0 FROM n`)
	kit.Must(t, err)
	_, err = db.ExecContext(ctx, `ANALYZE`)
	kit.Must(t, err)
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+dirtyScores)
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
	if joined := strings.Join(plan, "; "); !strings.Contains(joined, "USING INDEX company_scores_dirty") {
		t.Errorf("the dirty scores' plan %q does not use company_scores_dirty", joined)
	}
}
