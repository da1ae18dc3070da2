package store

// Field visits and the practical-services plan (issue 17).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/versioned"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
)

// --- field visits ---

const visitCols = `id, company_id, company_name, visited_on, visited_by, findings, points, created_by, created_at, version`

func scanVisit(r storage.Scanner) (service.FieldVisit, error) {
	var v service.FieldVisit
	var by, points, cr string
	err := r.Scan(&v.ID, &v.CompanyID, &v.CompanyName, &v.VisitedOn, &by, &v.Findings, &points, &v.CreatedBy, &cr, &v.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return v, service.ErrVisitNotFound
	}
	if err != nil {
		return v, fmt.Errorf("store: scan field visit: %w", err)
	}
	if err := json.Unmarshal([]byte(by), &v.VisitedBy); err != nil {
		return v, fmt.Errorf("store: field visit %s visited_by: %w", v.ID, err)
	}
	if err := json.Unmarshal([]byte(points), &v.Points); err != nil {
		return v, fmt.Errorf("store: field visit %s points: %w", v.ID, err)
	}
	v.CreatedAt = storage.ParseTime(cr)
	return v, nil
}

// InsertFieldVisit implements service.Queries.
func (q queries) InsertFieldVisit(ctx context.Context, v service.FieldVisit) error {
	by, err := json.Marshal(v.VisitedBy)
	if err != nil {
		return fmt.Errorf("store: field visit visited_by: %w", err)
	}
	points, err := json.Marshal(v.Points)
	if err != nil {
		return fmt.Errorf("store: field visit points: %w", err)
	}
	_, err = q.Exec(ctx, `INSERT INTO field_visits (`+visitCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		v.ID, v.CompanyID, v.CompanyName, v.VisitedOn, string(by), v.Findings, string(points), v.CreatedBy, storage.FormatTime(v.CreatedAt), v.Version)
	if err != nil {
		return fmt.Errorf("store: insert field visit: %w", err)
	}
	return nil
}

// GetFieldVisit implements service.Queries.
func (q queries) GetFieldVisit(ctx context.Context, id string) (service.FieldVisit, error) {
	return scanVisit(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+visitCols+` FROM field_visits WHERE id = ?`), id))
}

// ListFieldVisits implements service.Queries.
func (q queries) ListFieldVisits(ctx context.Context, f service.FieldVisitFilter, p kitx.Page) ([]service.FieldVisit, string, error) {
	where, args := eq(nil, nil, "company_id", f.CompanyID)
	clause, args := storage.Page(where, args, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+visitCols+` FROM field_visits`+clause, args, p, scanVisit, func(v service.FieldVisit) string { return v.ID })
}

// VisitsBetween implements service.Queries.
func (q queries) VisitsBetween(ctx context.Context, from, to string) ([]service.FieldVisit, error) {
	return all(ctx, q, `SELECT id, company_id, visited_on FROM field_visits WHERE visited_on >= ? AND visited_on < ? ORDER BY visited_on, id`,
		[]any{from, to}, func(r storage.Scanner) (service.FieldVisit, error) {
			var v service.FieldVisit
			if err := r.Scan(&v.ID, &v.CompanyID, &v.VisitedOn); err != nil {
				return v, fmt.Errorf("store: scan field visit: %w", err)
			}
			return v, nil
		})
}

// LastVisits implements service.Queries.
func (q queries) LastVisits(ctx context.Context) (map[string]string, error) {
	type last struct{ company, day string }
	rows, err := all(ctx, q, `SELECT company_id, max(visited_on) FROM field_visits GROUP BY company_id`, nil,
		func(r storage.Scanner) (last, error) {
			var l last
			if err := r.Scan(&l.company, &l.day); err != nil {
				return l, fmt.Errorf("store: scan last visit: %w", err)
			}
			return l, nil
		})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, l := range rows {
		out[l.company] = l.day
	}
	return out, nil
}

// ActionItemsOfVisit implements service.Queries.
func (q queries) ActionItemsOfVisit(ctx context.Context, visitID string) ([]service.ActionItem, error) {
	return all(ctx, q, `SELECT `+itemCols+` FROM action_items WHERE visit_id = ? ORDER BY id`, []any{visitID}, scanItem)
}

// --- the practical-services plan ---

const serviceItemCols = `id, term, kind, title, description, owner, target_unit, target_count, milestones, created_at, updated_at, version`

func scanServiceItem(r storage.Scanner) (service.ServiceItem, error) {
	var it service.ServiceItem
	var ms, cr, up string
	err := r.Scan(&it.ID, &it.Term, &it.Kind, &it.Title, &it.Description, &it.Owner, &it.TargetUnit, &it.TargetCount, &ms, &cr, &up, &it.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return it, service.ErrServiceItemNotFound
	}
	if err != nil {
		return it, fmt.Errorf("store: scan service item: %w", err)
	}
	if err := json.Unmarshal([]byte(ms), &it.Milestones); err != nil {
		return it, fmt.Errorf("store: service item %s milestones: %w", it.ID, err)
	}
	it.CreatedAt, it.UpdatedAt = storage.ParseTime(cr), storage.ParseTime(up)
	return it, nil
}

func milestonesJSON(ms []service.Milestone) (string, error) {
	if ms == nil {
		ms = []service.Milestone{}
	}
	b, err := json.Marshal(ms)
	if err != nil {
		return "", fmt.Errorf("store: service item milestones: %w", err)
	}
	return string(b), nil
}

// InsertServiceItem implements service.Queries.
func (q queries) InsertServiceItem(ctx context.Context, it service.ServiceItem) error {
	ms, err := milestonesJSON(it.Milestones)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO service_items (`+serviceItemCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		it.ID, it.Term, it.Kind, it.Title, it.Description, it.Owner, it.TargetUnit, it.TargetCount, ms,
		storage.FormatTime(it.CreatedAt), storage.FormatTime(it.UpdatedAt), it.Version)
	if err != nil {
		return fmt.Errorf("store: insert service item: %w", err)
	}
	return nil
}

// GetServiceItem implements service.Queries.
func (q queries) GetServiceItem(ctx context.Context, id string) (service.ServiceItem, error) {
	return scanServiceItem(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+serviceItemCols+` FROM service_items WHERE id = ?`), id))
}

// ListServiceItems implements service.Queries.
func (q queries) ListServiceItems(ctx context.Context, f service.ServiceItemFilter, p kitx.Page) ([]service.ServiceItem, string, error) {
	where, args := eq(nil, nil, "term", f.Term)
	clause, args := storage.Page(where, args, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+serviceItemCols+` FROM service_items`+clause, args, p, scanServiceItem, func(it service.ServiceItem) string { return it.ID })
}

// WriteServiceItem implements service.Queries.
func (q queries) WriteServiceItem(ctx context.Context, it service.ServiceItem) error {
	ms, err := milestonesJSON(it.Milestones)
	if err != nil {
		return err
	}
	res, err := q.Exec(ctx, `UPDATE service_items SET milestones=?, updated_at=?, version=? WHERE id=? AND version=?`,
		ms, storage.FormatTime(it.UpdatedAt), it.Version, it.ID, it.Version-1)
	return versioned.Written(res, err, "service item")
}

const beneficiaryCols = `item_id, b.company_id, coalesce(c.name, ''), served_on, note, rating, comment, feedback_by, feedback_at, created_at, b.version`

const beneficiaryFrom = ` FROM service_beneficiaries b LEFT JOIN companies c ON c.id = b.company_id`

func scanBeneficiary(r storage.Scanner) (service.Beneficiary, error) {
	var b service.Beneficiary
	var at, cr string
	err := r.Scan(&b.ItemID, &b.CompanyID, &b.CompanyName, &b.ServedOn, &b.Note, &b.Rating, &b.Comment, &b.FeedbackBy, &at, &cr, &b.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return b, service.ErrFeedbackNotBeneficiary
	}
	if err != nil {
		return b, fmt.Errorf("store: scan beneficiary: %w", err)
	}
	if at != "" {
		t := storage.ParseTime(at)
		b.FeedbackAt = &t
	}
	b.CreatedAt = storage.ParseTime(cr)
	return b, nil
}

// InsertBeneficiary implements service.Queries.
func (q queries) InsertBeneficiary(ctx context.Context, b service.Beneficiary) error {
	// In a savepoint on PostgreSQL: the caller may go on after the
	// conflict (storage.Querier.Try).
	err := q.Try(ctx, func() error {
		_, err := q.Exec(ctx, `INSERT INTO service_beneficiaries (item_id, company_id, served_on, note, created_at, version) VALUES (?,?,?,?,?,?)`,
			b.ItemID, b.CompanyID, b.ServedOn, b.Note, storage.FormatTime(b.CreatedAt), b.Version)
		return err
	})
	if storage.IsUniqueViolation(err) {
		return service.ErrBeneficiaryDuplicate
	}
	if err != nil {
		return fmt.Errorf("store: insert beneficiary: %w", err)
	}
	return nil
}

// GetBeneficiary implements service.Queries.
func (q queries) GetBeneficiary(ctx context.Context, itemID, companyID string) (service.Beneficiary, error) {
	return scanBeneficiary(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+beneficiaryCols+beneficiaryFrom+` WHERE b.item_id = ? AND b.company_id = ?`), itemID, companyID))
}

// ListBeneficiaries implements service.Queries.
func (q queries) ListBeneficiaries(ctx context.Context, itemID string, f service.BeneficiaryFilter) ([]service.Beneficiary, error) {
	query, args := `SELECT `+beneficiaryCols+beneficiaryFrom+` WHERE b.item_id = ?`, []any{itemID}
	if f.CompanyID != "" {
		query, args = query+` AND b.company_id = ?`, append(args, f.CompanyID)
	}
	return all(ctx, q, query+` ORDER BY b.company_id`, args, scanBeneficiary)
}

// WriteBeneficiary implements service.Queries.
func (q queries) WriteBeneficiary(ctx context.Context, b service.Beneficiary) error {
	at := ""
	if b.FeedbackAt != nil {
		at = storage.FormatTime(*b.FeedbackAt)
	}
	res, err := q.Exec(ctx, `UPDATE service_beneficiaries SET rating=?, comment=?, feedback_by=?, feedback_at=?, version=? WHERE item_id=? AND company_id=? AND version=?`,
		b.Rating, b.Comment, b.FeedbackBy, at, b.Version, b.ItemID, b.CompanyID, b.Version-1)
	return versioned.Written(res, err, "beneficiary")
}
