package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// PutWageDeclaration implements service.WageQueries.
func (s Queries) PutWageDeclaration(ctx context.Context, w service.WageDeclaration) error {
	body, err := json.Marshal(w)
	if err != nil {
		return err
	}
	_, err = s.q.Exec(ctx, `INSERT INTO wage_declarations (id, company_id, month, status, body, version) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body, version = excluded.version`,
		w.ID, w.CompanyID, w.Month, w.Status, string(body), w.Version)
	return wrap("put wage declaration", err)
}

// WageDeclaration implements service.WageQueries.
func (s Queries) WageDeclaration(ctx context.Context, id string) (service.WageDeclaration, bool, error) {
	var body string
	err := s.q.QueryRow(ctx, `SELECT body FROM wage_declarations WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return service.WageDeclaration{}, false, nil
	}
	if err != nil {
		return service.WageDeclaration{}, false, wrap("wage declaration", err)
	}
	var w service.WageDeclaration
	return w, true, json.Unmarshal([]byte(body), &w)
}

// ListWageDeclarations implements service.WageQueries.
func (s Queries) ListWageDeclarations(ctx context.Context, f service.WageFilter, after string, limit int) ([]service.WageDeclaration, error) {
	where, args := []string{"id > ?"}, []any{after}
	for _, c := range []struct{ col, v string }{{"company_id", f.CompanyID}, {"month", f.Month}, {"status", f.Status}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	rows, err := s.q.Query(ctx, `SELECT body FROM wage_declarations`+storage.Where(where)+` ORDER BY id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap("wage declarations", err)
	}
	defer rows.Close()
	out := []service.WageDeclaration{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, wrap("wage declaration", err)
		}
		var w service.WageDeclaration
		if err := json.Unmarshal([]byte(body), &w); err != nil {
			return nil, wrap("wage declaration", err)
		}
		out = append(out, w)
	}
	return out, wrap("wage declarations", rows.Err())
}

// FirstWageMonth implements service.WageQueries.
func (s Queries) FirstWageMonth(ctx context.Context) (string, error) {
	var m sql.NullString
	err := s.q.QueryRow(ctx, `SELECT MIN(month) FROM wage_declarations WHERE status <> 'missed'`).Scan(&m)
	return m.String, wrap("first wage month", err)
}
