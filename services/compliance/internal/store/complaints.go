package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

var _ service.ComplaintQueries = Queries{}

// PutComplaint implements service.ComplaintQueries.
func (s Queries) PutComplaint(ctx context.Context, c service.Complaint) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.q.Exec(ctx, `INSERT INTO complaints (id, complainant_id, accused_id, kind, status, body, version) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body, version = excluded.version`,
		c.ID, c.ComplainantID, c.AccusedID, c.Kind, c.Status, string(body), c.Version)
	return wrap("put complaint", err)
}

// Complaint implements service.ComplaintQueries.
func (s Queries) Complaint(ctx context.Context, id string) (service.Complaint, bool, error) {
	var body string
	err := s.q.QueryRow(ctx, `SELECT body FROM complaints WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return service.Complaint{}, false, nil
	}
	if err != nil {
		return service.Complaint{}, false, wrap("complaint", err)
	}
	var c service.Complaint
	return c, true, json.Unmarshal([]byte(body), &c)
}

// ListComplaints implements service.ComplaintQueries: company_id matches
// either side unless f.Side names one.
func (s Queries) ListComplaints(ctx context.Context, f service.ComplaintFilter, after string, limit int) ([]service.Complaint, error) {
	where, args := []string{"id > ?"}, []any{after}
	if f.CompanyID != "" {
		switch f.Side {
		case "filed":
			where, args = append(where, "complainant_id = ?"), append(args, f.CompanyID)
		case "received":
			where, args = append(where, "accused_id = ?"), append(args, f.CompanyID)
		default:
			where, args = append(where, "(complainant_id = ? OR accused_id = ?)"), append(args, f.CompanyID, f.CompanyID)
		}
	}
	for _, c := range []struct{ col, v string }{{"status", f.Status}, {"kind", f.Kind}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	return s.complaints(ctx, `SELECT body FROM complaints`+storage.Where(where)+` ORDER BY id LIMIT ?`, append(args, limit)...)
}

// OpenComplaints implements service.ComplaintQueries.
func (s Queries) OpenComplaints(ctx context.Context) ([]service.Complaint, error) {
	return s.complaints(ctx, `SELECT body FROM complaints WHERE status IN ('filed', 'answered', 'mediating') ORDER BY id`)
}

// CompanyComplaints implements service.ComplaintQueries.
func (s Queries) CompanyComplaints(ctx context.Context, company string) ([]service.Complaint, error) {
	return s.complaints(ctx, `SELECT body FROM complaints WHERE complainant_id = ? OR accused_id = ? ORDER BY id`, company, company)
}

// AllComplaints implements service.ComplaintQueries.
func (s Queries) AllComplaints(ctx context.Context) ([]service.Complaint, error) {
	return s.complaints(ctx, `SELECT body FROM complaints ORDER BY id`)
}

func (s Queries) complaints(ctx context.Context, query string, args ...any) ([]service.Complaint, error) {
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap("complaints", err)
	}
	defer rows.Close()
	out := []service.Complaint{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, wrap("complaint", err)
		}
		var c service.Complaint
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return nil, wrap("complaint", err)
		}
		out = append(out, c)
	}
	return out, wrap("complaints", rows.Err())
}
