package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// PutFourOne implements service.FourOneQueries.
func (s Queries) PutFourOne(ctx context.Context, c service.StoredFourOne) error {
	_, err := s.q.Exec(ctx, `INSERT INTO four_one_checks (id, guard_id, company_id, checked_on, period, checked_by, contents, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.GuardID, c.CompanyID, c.CheckedOn, c.Period, c.CheckedBy, c.Sealed, storage.FormatTime(c.CreatedAt))
	return wrap("put two-four-one check", err)
}

const fourOneCols = `id, guard_id, company_id, checked_on, period, checked_by, created_at`

// FourOne implements service.FourOneQueries.
func (s Queries) FourOne(ctx context.Context, id string) (service.StoredFourOne, bool, error) {
	var c service.StoredFourOne
	var created string
	err := s.q.QueryRow(ctx, `SELECT `+fourOneCols+`, contents FROM four_one_checks WHERE id = ?`, id).
		Scan(&c.ID, &c.GuardID, &c.CompanyID, &c.CheckedOn, &c.Period, &c.CheckedBy, &created, &c.Sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	c.CreatedAt = storage.ParseTime(created)
	return c, err == nil, wrap("two-four-one check", err)
}

// ListFourOne implements service.FourOneQueries: never the contents.
func (s Queries) ListFourOne(ctx context.Context, company, after string, limit int) ([]service.FourOneCheck, error) {
	rows, err := s.q.Query(ctx, `SELECT `+fourOneCols+` FROM four_one_checks WHERE company_id = ? AND id > ? ORDER BY id LIMIT ?`, company, after, limit)
	if err != nil {
		return nil, wrap("two-four-one checks", err)
	}
	defer rows.Close()
	out := []service.FourOneCheck{}
	for rows.Next() {
		var c service.FourOneCheck
		var created string
		if err := rows.Scan(&c.ID, &c.GuardID, &c.CompanyID, &c.CheckedOn, &c.Period, &c.CheckedBy, &created); err != nil {
			return nil, wrap("two-four-one check", err)
		}
		c.CreatedAt = storage.ParseTime(created)
		out = append(out, c)
	}
	return out, wrap("two-four-one checks", rows.Err())
}

// FourOneCoverage implements service.FourOneQueries: the distinct active
// guards of company checked in period, over its active guards.
func (s Queries) FourOneCoverage(ctx context.Context, company, period string) (int64, int64, error) {
	var checked, active int64
	err := s.q.QueryRow(ctx, `SELECT
		(SELECT COUNT(DISTINCT f.guard_id) FROM four_one_checks f JOIN guards g ON g.id = f.guard_id
			WHERE f.company_id = ? AND f.period = ? AND g.employment_status = 'active' AND g.company_id = f.company_id),
		(SELECT COUNT(*) FROM guards WHERE company_id = ? AND employment_status = 'active')`, company, period, company).Scan(&checked, &active)
	return checked, active, wrap("two-four-one coverage", err)
}
