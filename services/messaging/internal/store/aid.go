package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
)

const aidCols = `id, district, kind, title, headcount, qualification, starts_at, ends_at, place, contact_role, description, visible_to,
	requested_by, requester_role, requester_company_id, status, offered, accepted, created_at, first_offer_at, closed_at, close_reason, seq`

func scanAid(s storage.Scanner) (service.AidRequest, error) {
	var r service.AidRequest
	var st, en, vis, cr string
	var first, closed sql.NullString
	err := s.Scan(&r.ID, &r.District, &r.Kind, &r.Title, &r.Headcount, &r.Qualification, &st, &en, &r.Place, &r.ContactRole, &r.Description, &vis,
		&r.RequestedBy, &r.RequesterRole, &r.RequesterCompanyID, &r.Status, &r.Offered, &r.Accepted, &cr, &first, &closed, &r.CloseReason, &r.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return r, service.ErrAidNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store: scan aid request: %w", err)
	}
	r.StartsAt, r.EndsAt, r.CreatedAt = storage.ParseTime(st), storage.ParseTime(en), storage.ParseTime(cr)
	r.FirstOfferAt, r.ClosedAt = parseOpt(first), parseOpt(closed)
	if err := json.Unmarshal([]byte(vis), &r.VisibleTo); err != nil {
		return r, fmt.Errorf("store: aid request visible_to: %w", err)
	}
	return r, nil
}

// GetAidRequest implements service.Queries.
func (q queries) GetAidRequest(ctx context.Context, id string) (service.AidRequest, error) {
	return scanAid(q.QueryRow(ctx, `SELECT `+aidCols+` FROM aid_requests WHERE id = ?`, id))
}

// PutAidRequest implements service.Queries. The first offer's time is the
// earlier of the stored one and r's (HQ notes it from offers too).
func (q queries) PutAidRequest(ctx context.Context, r service.AidRequest) (bool, error) {
	vis := r.VisibleTo
	if vis == nil {
		vis = []string{}
	}
	v, err := jsonOf(vis)
	if err != nil {
		return false, err
	}
	res, err := q.Exec(ctx, `INSERT INTO aid_requests (`+aidCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, offered = excluded.offered, accepted = excluded.accepted,
			first_offer_at = CASE WHEN aid_requests.first_offer_at IS NULL THEN excluded.first_offer_at
				WHEN excluded.first_offer_at IS NULL OR aid_requests.first_offer_at <= excluded.first_offer_at THEN aid_requests.first_offer_at
				ELSE excluded.first_offer_at END,
			closed_at = excluded.closed_at, close_reason = excluded.close_reason, seq = excluded.seq
		WHERE excluded.seq > aid_requests.seq`,
		r.ID, r.District, r.Kind, r.Title, r.Headcount, r.Qualification, storage.FormatTime(r.StartsAt), storage.FormatTime(r.EndsAt), r.Place,
		r.ContactRole, r.Description, v, r.RequestedBy, r.RequesterRole, r.RequesterCompanyID, r.Status, r.Offered, r.Accepted,
		storage.FormatTime(r.CreatedAt), optTime(r.FirstOfferAt), optTime(r.ClosedAt), r.CloseReason, r.Seq)
	if err != nil {
		return false, fmt.Errorf("store: put aid request: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// NoteFirstOffer implements service.Queries.
func (q queries) NoteFirstOffer(ctx context.Context, requestID string, at time.Time) error {
	t := storage.FormatTime(at)
	_, err := q.Exec(ctx, `UPDATE aid_requests SET first_offer_at = ? WHERE id = ? AND (first_offer_at IS NULL OR first_offer_at > ?)`, t, requestID, t)
	if err != nil {
		return fmt.Errorf("store: first offer: %w", err)
	}
	return nil
}

// ListAidRequests implements service.Queries.
func (q queries) ListAidRequests(ctx context.Context, f service.AidFilter, district string, p kitx.Page) ([]service.AidRequest, string, error) {
	query, args := `SELECT `+aidCols+` FROM aid_requests WHERE id > ?`, []any{p.Cursor}
	if f.Status != "" {
		query, args = query+` AND status = ?`, append(args, f.Status)
	}
	if district != "" {
		query, args = query+` AND district = ?`, append(args, district)
	}
	rs, err := all(ctx, q, query+` ORDER BY id LIMIT ?`, append(args, p.Size+1), scanAid)
	if err != nil {
		return nil, "", err
	}
	items, next := page(rs, p, func(r service.AidRequest) string { return r.ID })
	return items, next, nil
}

// AllAidRequests implements service.Queries.
func (q queries) AllAidRequests(ctx context.Context, district string) ([]service.AidRequest, error) {
	if district == "" {
		return all(ctx, q, `SELECT `+aidCols+` FROM aid_requests ORDER BY id`, nil, scanAid)
	}
	return all(ctx, q, `SELECT `+aidCols+` FROM aid_requests WHERE district = ? ORDER BY id`, []any{district}, scanAid)
}

// OpenAidRequestsEnded implements service.Queries.
func (q queries) OpenAidRequestsEnded(ctx context.Context, district string, now time.Time) ([]service.AidRequest, error) {
	return all(ctx, q, `SELECT `+aidCols+` FROM aid_requests WHERE district = ? AND status = 'open' AND ends_at <= ? ORDER BY id`,
		[]any{district, storage.FormatTime(now)}, scanAid)
}

const offerCols = `id, request_id, request_district, district, company_id, company_name, headcount, status, accepted_headcount,
	offered_by, offered_at, accepted_at, note`

func scanOffer(s storage.Scanner) (service.AidOffer, error) {
	var o service.AidOffer
	var at string
	var acc sql.NullString
	err := s.Scan(&o.ID, &o.RequestID, &o.RequestDistrict, &o.District, &o.CompanyID, &o.CompanyName, &o.Headcount, &o.Status,
		&o.AcceptedHeadcount, &o.OfferedBy, &at, &acc, &o.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return o, service.ErrOfferNotFound
	}
	if err != nil {
		return o, fmt.Errorf("store: scan offer: %w", err)
	}
	o.OfferedAt, o.AcceptedAt = storage.ParseTime(at), parseOpt(acc)
	return o, nil
}

// GetOffer implements service.Queries.
func (q queries) GetOffer(ctx context.Context, id string) (service.AidOffer, error) {
	return scanOffer(q.QueryRow(ctx, `SELECT `+offerCols+` FROM aid_offers WHERE id = ?`, id))
}

// HasOffer implements service.Queries.
func (q queries) HasOffer(ctx context.Context, id string) (bool, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM aid_offers WHERE id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("store: has offer: %w", err)
	}
	return n > 0, nil
}

// PutOffer implements service.Queries.
func (q queries) PutOffer(ctx context.Context, o service.AidOffer) error {
	_, err := q.Exec(ctx, `INSERT INTO aid_offers (`+offerCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, accepted_headcount = excluded.accepted_headcount, accepted_at = excluded.accepted_at`,
		o.ID, o.RequestID, o.RequestDistrict, o.District, o.CompanyID, o.CompanyName, o.Headcount, o.Status, o.AcceptedHeadcount,
		o.OfferedBy, storage.FormatTime(o.OfferedAt), optTime(o.AcceptedAt), o.Note)
	if err != nil {
		return fmt.Errorf("store: put offer: %w", err)
	}
	return nil
}

// ListOffers implements service.Queries (companyID "" every company's).
func (q queries) ListOffers(ctx context.Context, requestID, companyID string, p kitx.Page) ([]service.AidOffer, string, error) {
	query, args := `SELECT `+offerCols+` FROM aid_offers WHERE request_id = ? AND id > ?`, []any{requestID, p.Cursor}
	if companyID != "" {
		query, args = query+` AND company_id = ?`, append(args, companyID)
	}
	os, err := all(ctx, q, query+` ORDER BY id LIMIT ?`, append(args, p.Size+1), scanOffer)
	if err != nil {
		return nil, "", err
	}
	items, next := page(os, p, func(o service.AidOffer) string { return o.ID })
	return items, next, nil
}

// CommittedGuards implements service.Queries.
func (q queries) CommittedGuards(ctx context.Context, companyID string, from, to time.Time, except string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT coalesce(sum(CASE WHEN o.status = 'accepted' THEN o.accepted_headcount ELSE o.headcount END), 0)
		FROM aid_offers o JOIN aid_requests r ON r.id = o.request_id
		WHERE o.company_id = ? AND o.id <> ? AND r.starts_at < ? AND r.ends_at > ?
			AND (o.status = 'accepted' OR r.status = 'open')`,
		companyID, except, storage.FormatTime(to), storage.FormatTime(from)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: committed guards: %w", err)
	}
	return n, nil
}

// QualifiedGuards implements service.Queries.
func (q queries) QualifiedGuards(ctx context.Context, companyID string, certified bool, day string) (int, error) {
	query := `SELECT count(*) FROM guards WHERE company_id = ? AND active`
	args := []any{companyID}
	if certified {
		query, args = query+` AND certified AND (valid_until = '' OR valid_until >= ?)`, append(args, day)
	}
	var n int
	if err := q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: qualified guards: %w", err)
	}
	return n, nil
}

// PutGuard implements service.Queries.
func (q queries) PutGuard(ctx context.Context, g service.Guard) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO guards (id, company_id, active, certified, valid_until, version) VALUES (?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET company_id = excluded.company_id, active = excluded.active, certified = excluded.certified,
			valid_until = excluded.valid_until, version = excluded.version
		WHERE excluded.version > guards.version`, g.ID, g.CompanyID, g.Active, g.Certified, g.ValidUntil, g.Version)
	if err != nil {
		return false, fmt.Errorf("store: put guard: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
