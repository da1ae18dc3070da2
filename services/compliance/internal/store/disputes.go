package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// PutDispute implements service.DisputeQueries.
func (s Queries) PutDispute(ctx context.Context, d service.Dispute) error {
	body, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = s.q.Exec(ctx, `INSERT INTO disputes (id, company_id, kind, status, body, version) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body, version = excluded.version`,
		d.ID, d.CompanyID, d.Kind, d.Status, string(body), d.Version)
	return wrap("put dispute", err)
}

// Dispute implements service.DisputeQueries.
func (s Queries) Dispute(ctx context.Context, id string) (service.Dispute, bool, error) {
	var body string
	err := s.q.QueryRow(ctx, `SELECT body FROM disputes WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return service.Dispute{}, false, nil
	}
	if err != nil {
		return service.Dispute{}, false, wrap("dispute", err)
	}
	var d service.Dispute
	return d, true, json.Unmarshal([]byte(body), &d)
}

// ListDisputes implements service.DisputeQueries.
func (s Queries) ListDisputes(ctx context.Context, f service.DisputeFilter, after string, limit int) ([]service.Dispute, error) {
	where, args := []string{"id > ?"}, []any{after}
	for col, v := range map[string]string{"status": f.Status, "kind": f.Kind, "company_id": f.CompanyID} {
		if v != "" {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	return s.disputes(ctx, `SELECT body FROM disputes`+storage.Where(where)+` ORDER BY id LIMIT ?`, append(args, limit)...)
}

// OpenDisputes implements service.DisputeQueries.
func (s Queries) OpenDisputes(ctx context.Context) ([]service.Dispute, error) {
	return s.disputes(ctx, `SELECT body FROM disputes WHERE status IN ('reported', 'mediating') ORDER BY id`)
}

// AllDisputes implements service.DisputeQueries.
func (s Queries) AllDisputes(ctx context.Context) ([]service.Dispute, error) {
	return s.disputes(ctx, `SELECT body FROM disputes ORDER BY id`)
}

func (s Queries) disputes(ctx context.Context, query string, args ...any) ([]service.Dispute, error) {
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap("disputes", err)
	}
	defer rows.Close()
	out := []service.Dispute{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, wrap("dispute", err)
		}
		var d service.Dispute
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			return nil, wrap("dispute", err)
		}
		out = append(out, d)
	}
	return out, wrap("disputes", rows.Err())
}
