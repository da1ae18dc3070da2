// Package store is the messaging service's SQLite adapter: it implements
// service.Repository over the service's own database and writes every
// change's event into the eventbus outbox in the change's transaction.
package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/versioned"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
)

// Migrations holds the messaging tables, per dialect.
//
//go:embed migrations
var Migrations embed.FS

// MigrationsTable is the goose version table of the messaging migrations.
const MigrationsTable = "goose_messaging"

// Migrate applies the messaging tables to db, then the tables of the kit's
// packages the store keeps: the audit log and the idempotency keys.
func Migrate(ctx context.Context, db *storage.DB) error {
	if err := db.Migrate(ctx, Migrations, "migrations", MigrationsTable); err != nil {
		return err
	}
	if err := audit.Migrate(ctx, db); err != nil {
		return err
	}
	return idempotency.Migrate(ctx, db)
}

// Store implements service.Repository.
type Store struct {
	queries
	eventbus.Writer[service.Queries, service.Change]
}

// New returns the store over db, publishing through outbox (which must use
// the same database).
func New(db *storage.DB, outbox *eventbus.Outbox) *Store {
	at := func(q storage.Querier) service.Queries { return newQueries(q) }
	return &Store{queries: newQueries(db.Querier()), Writer: eventbus.NewWriter(outbox, at, events)}
}

var _ service.Repository = (*Store)(nil)

type queries struct {
	storage.Querier
	audit.Store
	idempotency.Keys
}

func newQueries(q storage.Querier) queries {
	return queries{Querier: q, Store: audit.NewStore(q), Keys: idempotency.NewKeys(q)}
}

// --- helpers ---

func optTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return storage.FormatTime(*t)
}

func parseOpt(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := storage.ParseTime(s.String)
	return &t
}

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("store: encode: %w", err)
	}
	return string(b), nil
}

func all[T any](ctx context.Context, q queries, query string, args []any, scan func(storage.Scanner) (T, error)) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: query: %w", err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: query: %w", err)
	}
	return out, nil
}

// page cuts a list that asked for p.Size+1 rows to the page and returns
// the next cursor.
func page[T any](items []T, p kitx.Page, key func(T) string) ([]T, string) {
	if p.Size > 0 && len(items) > p.Size {
		items = items[:p.Size]
		return items, key(items[len(items)-1])
	}
	return items, ""
}

// --- notices ---

const noticeCols = `id, origin, directive_id, title, body_markdown, body_html, attachments, priority, ack_required, ack_deadline,
	audience, sent_by, recipients, read_count, ack_count, published_at, updated_at, version, seq`

func scanNotice(r storage.Scanner) (service.Notice, error) {
	var n service.Notice
	var dir, deadline sql.NullString
	var att, aud, pub, up string
	err := r.Scan(&n.ID, &n.Origin, &dir, &n.Title, &n.BodyMarkdown, &n.BodyHTML, &att, &n.Priority, &n.AckRequired, &deadline,
		&aud, &n.SentBy, &n.Recipients, &n.Read, &n.Acknowledged, &pub, &up, &n.Version, &n.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return n, service.ErrNoticeNotFound
	}
	if err != nil {
		return n, fmt.Errorf("store: scan notice: %w", err)
	}
	n.DirectiveID, n.AckDeadline = dir.String, parseOpt(deadline)
	n.PublishedAt, n.UpdatedAt = storage.ParseTime(pub), storage.ParseTime(up)
	if err := json.Unmarshal([]byte(att), &n.Attachments); err != nil {
		return n, fmt.Errorf("store: notice attachments: %w", err)
	}
	if err := json.Unmarshal([]byte(aud), &n.Audience); err != nil {
		return n, fmt.Errorf("store: notice audience: %w", err)
	}
	return n, nil
}

// GetNotice implements service.Queries.
func (q queries) GetNotice(ctx context.Context, id string) (service.Notice, error) {
	return scanNotice(q.QueryRow(ctx, `SELECT `+noticeCols+` FROM notices WHERE id = ?`, id))
}

// NoticeOfDirective implements service.Queries.
func (q queries) NoticeOfDirective(ctx context.Context, directiveID string) (service.Notice, error) {
	return scanNotice(q.QueryRow(ctx, `SELECT `+noticeCols+` FROM notices WHERE directive_id = ?`, directiveID))
}

// ListNotices implements service.Queries.
func (q queries) ListNotices(ctx context.Context, f service.NoticeFilter, p kitx.Page) ([]service.Notice, string, error) {
	var where []string
	var args []any
	if f.Origin != "" {
		where, args = append(where, "origin = ?"), append(args, f.Origin)
	}
	clause, args := storage.Page(where, args, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+noticeCols+` FROM notices`+clause, args, p, scanNotice, func(n service.Notice) string { return n.ID })
}

// InsertNotice implements service.Queries.
func (q queries) InsertNotice(ctx context.Context, n service.Notice) error {
	att, err := jsonOf(n.Attachments)
	if err != nil {
		return err
	}
	aud, err := jsonOf(n.Audience)
	if err != nil {
		return err
	}
	var dir any
	if n.DirectiveID != "" {
		dir = n.DirectiveID
	}
	_, err = q.Exec(ctx, `INSERT INTO notices (`+noticeCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		n.ID, n.Origin, dir, n.Title, n.BodyMarkdown, n.BodyHTML, att, n.Priority, n.AckRequired, optTime(n.AckDeadline),
		aud, n.SentBy, n.Recipients, n.Read, n.Acknowledged, storage.FormatTime(n.PublishedAt), storage.FormatTime(n.UpdatedAt), n.Version, n.Seq)
	if err != nil {
		return fmt.Errorf("store: insert notice: %w", err)
	}
	return nil
}

// WriteNotice implements service.Queries.
func (q queries) WriteNotice(ctx context.Context, n service.Notice) error {
	att, err := jsonOf(n.Attachments)
	if err != nil {
		return err
	}
	res, err := q.Exec(ctx, `UPDATE notices SET title=?, body_markdown=?, body_html=?, attachments=?, priority=?, ack_deadline=?,
		read_count=?, ack_count=?, updated_at=?, version=?, seq=? WHERE id=? AND version=?`,
		n.Title, n.BodyMarkdown, n.BodyHTML, att, n.Priority, optTime(n.AckDeadline), n.Read, n.Acknowledged,
		storage.FormatTime(n.UpdatedAt), n.Version, n.Seq, n.ID, n.Version-1)
	return versioned.Written(res, err, "notice")
}

// WriteNoticeState implements service.Queries.
func (q queries) WriteNoticeState(ctx context.Context, n service.Notice) error {
	_, err := q.Exec(ctx, `UPDATE notices SET recipients=?, read_count=?, ack_count=?, updated_at=?, seq=? WHERE id=?`,
		n.Recipients, n.Read, n.Acknowledged, storage.FormatTime(n.UpdatedAt), n.Seq, n.ID)
	if err != nil {
		return fmt.Errorf("store: write notice state: %w", err)
	}
	return nil
}

// --- receipts ---

const receiptCols = `notice_id, company_id, company_name, status, revision, delivered_at, read_at, read_by, acknowledged_at,
	acknowledged_by, comment, last_reminded_at, reminders`

func scanReceipt(r storage.Scanner) (service.Receipt, error) {
	var x service.Receipt
	var del string
	var read, ack, rem sql.NullString
	err := r.Scan(&x.NoticeID, &x.CompanyID, &x.CompanyName, &x.Status, &x.Revision, &del, &read, &x.ReadBy, &ack,
		&x.AcknowledgedBy, &x.Comment, &rem, &x.Reminders)
	if errors.Is(err, sql.ErrNoRows) {
		return x, service.ErrReceiptNotFound
	}
	if err != nil {
		return x, fmt.Errorf("store: scan receipt: %w", err)
	}
	x.DeliveredAt, x.ReadAt, x.AcknowledgedAt, x.LastRemindedAt = storage.ParseTime(del), parseOpt(read), parseOpt(ack), parseOpt(rem)
	return x, nil
}

// InsertReceipt implements service.Queries.
func (q queries) InsertReceipt(ctx context.Context, r service.Receipt) error {
	_, err := q.Exec(ctx, `INSERT INTO receipts (`+receiptCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.NoticeID, r.CompanyID, r.CompanyName, r.Status, r.Revision, storage.FormatTime(r.DeliveredAt), optTime(r.ReadAt), r.ReadBy,
		optTime(r.AcknowledgedAt), r.AcknowledgedBy, r.Comment, optTime(r.LastRemindedAt), r.Reminders)
	if err != nil {
		return fmt.Errorf("store: insert receipt: %w", err)
	}
	return nil
}

// GetReceipt implements service.Queries.
func (q queries) GetReceipt(ctx context.Context, noticeID, companyID string) (service.Receipt, error) {
	return scanReceipt(q.QueryRow(ctx, `SELECT `+receiptCols+` FROM receipts WHERE notice_id = ? AND company_id = ?`, noticeID, companyID))
}

// ListReceipts implements service.Queries.
func (q queries) ListReceipts(ctx context.Context, noticeID string, p kitx.Page) ([]service.Receipt, string, error) {
	rs, err := all(ctx, q, `SELECT `+receiptCols+` FROM receipts WHERE notice_id = ? AND company_id > ? ORDER BY company_id LIMIT ?`,
		[]any{noticeID, p.Cursor, p.Size + 1}, scanReceipt)
	if err != nil {
		return nil, "", err
	}
	items, next := page(rs, p, func(r service.Receipt) string { return r.CompanyID })
	return items, next, nil
}

// AllReceipts implements service.Queries.
func (q queries) AllReceipts(ctx context.Context, noticeID string) ([]service.Receipt, error) {
	return all(ctx, q, `SELECT `+receiptCols+` FROM receipts WHERE notice_id = ? ORDER BY company_id`, []any{noticeID}, scanReceipt)
}

// UpdateReceipt implements service.Queries.
func (q queries) UpdateReceipt(ctx context.Context, r service.Receipt) error {
	_, err := q.Exec(ctx, `UPDATE receipts SET status=?, revision=?, read_at=?, read_by=?, acknowledged_at=?, acknowledged_by=?, comment=?,
		last_reminded_at=?, reminders=? WHERE notice_id=? AND company_id=?`,
		r.Status, r.Revision, optTime(r.ReadAt), r.ReadBy, optTime(r.AcknowledgedAt), r.AcknowledgedBy, r.Comment,
		optTime(r.LastRemindedAt), r.Reminders, r.NoticeID, r.CompanyID)
	if err != nil {
		return fmt.Errorf("store: update receipt: %w", err)
	}
	return nil
}

// ResetReceipts implements service.Queries. The reminder clock starts
// over too: the new revision is news.
func (q queries) ResetReceipts(ctx context.Context, noticeID string, revision int64, at time.Time) (int, error) {
	res, err := q.Exec(ctx, `UPDATE receipts SET status='delivered', revision=?, delivered_at=?, read_at=NULL, read_by='',
		acknowledged_at=NULL, acknowledged_by='', comment='', last_reminded_at=NULL WHERE notice_id=?`,
		revision, storage.FormatTime(at), noticeID)
	if err != nil {
		return 0, fmt.Errorf("store: reset receipts: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// CompanyNotices implements service.Queries.
func (q queries) CompanyNotices(ctx context.Context, companyID string, ackOnly bool, p kitx.Page) ([]service.CompanyNotice, string, error) {
	query := `SELECT n.id, n.origin, n.directive_id, n.title, n.body_markdown, n.body_html, n.attachments, n.priority, n.ack_required,
		n.ack_deadline, n.audience, n.sent_by, n.recipients, n.read_count, n.ack_count, n.published_at, n.updated_at, n.version, n.seq,
		r.notice_id, r.company_id, r.company_name, r.status, r.revision, r.delivered_at, r.read_at, r.read_by, r.acknowledged_at,
		r.acknowledged_by, r.comment, r.last_reminded_at, r.reminders
		FROM receipts r JOIN notices n ON n.id = r.notice_id WHERE r.company_id = ?`
	args := []any{companyID}
	if ackOnly {
		query += ` AND n.ack_required ORDER BY n.id`
	} else {
		query += ` AND n.id > ? ORDER BY n.id LIMIT ?`
		args = append(args, p.Cursor, p.Size+1)
	}
	cs, err := all(ctx, q, query, args, func(s storage.Scanner) (service.CompanyNotice, error) {
		var c service.CompanyNotice
		var dir, deadline, read, ack, rem sql.NullString
		var att, aud, pub, up, del string
		n, r := &c.Notice, &c.Receipt
		err := s.Scan(&n.ID, &n.Origin, &dir, &n.Title, &n.BodyMarkdown, &n.BodyHTML, &att, &n.Priority, &n.AckRequired, &deadline,
			&aud, &n.SentBy, &n.Recipients, &n.Read, &n.Acknowledged, &pub, &up, &n.Version, &n.Seq,
			&r.NoticeID, &r.CompanyID, &r.CompanyName, &r.Status, &r.Revision, &del, &read, &r.ReadBy, &ack,
			&r.AcknowledgedBy, &r.Comment, &rem, &r.Reminders)
		if err != nil {
			return c, fmt.Errorf("store: scan company notice: %w", err)
		}
		n.DirectiveID, n.AckDeadline = dir.String, parseOpt(deadline)
		n.PublishedAt, n.UpdatedAt = storage.ParseTime(pub), storage.ParseTime(up)
		if err := json.Unmarshal([]byte(att), &n.Attachments); err != nil {
			return c, fmt.Errorf("store: notice attachments: %w", err)
		}
		if err := json.Unmarshal([]byte(aud), &n.Audience); err != nil {
			return c, fmt.Errorf("store: notice audience: %w", err)
		}
		r.DeliveredAt, r.ReadAt, r.AcknowledgedAt, r.LastRemindedAt = storage.ParseTime(del), parseOpt(read), parseOpt(ack), parseOpt(rem)
		return c, nil
	})
	if err != nil {
		return nil, "", err
	}
	if ackOnly {
		return cs, "", nil
	}
	items, next := page(cs, p, func(c service.CompanyNotice) string { return c.Notice.ID })
	return items, next, nil
}

// remindersDue is the reminder sweep's query: its notices through the
// partial index notices_deadline, whose WHERE (the bare ack_required) the
// query repeats term for term, as SQLite needs to use it.
const remindersDue = `SELECT r.notice_id, r.company_id, r.company_name, r.status, r.revision, r.delivered_at, r.read_at, r.read_by,
		r.acknowledged_at, r.acknowledged_by, r.comment, r.last_reminded_at, r.reminders
		FROM receipts r JOIN notices n ON n.id = r.notice_id
		WHERE n.ack_required AND n.ack_deadline > ? AND n.ack_deadline <= ? AND r.status <> 'acknowledged'
		AND (r.last_reminded_at IS NULL OR r.last_reminded_at <= ?)
		ORDER BY n.ack_deadline, r.notice_id, r.company_id LIMIT ?`

// RemindersDue implements service.Queries. Timestamps are stored in one
// fixed-width UTC layout, so comparing them as text compares the times.
func (q queries) RemindersDue(ctx context.Context, now time.Time, before, interval time.Duration, limit int) ([]service.Receipt, error) {
	return all(ctx, q, remindersDue,
		[]any{storage.FormatTime(now), storage.FormatTime(now.Add(before)), storage.FormatTime(now.Add(-interval)), limit}, scanReceipt)
}

// --- companies ---

// GetCompany implements service.Queries.
func (q queries) GetCompany(ctx context.Context, id string) (service.Company, error) {
	var c service.Company
	err := q.QueryRow(ctx, `SELECT id, name, status, level, version FROM companies WHERE id = ?`, id).Scan(&c.ID, &c.Name, &c.Status, &c.Level, &c.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return c, service.ErrCompanyNotFound
	}
	if err != nil {
		return c, fmt.Errorf("store: get company: %w", err)
	}
	return c, nil
}

// PutCompany implements service.Queries.
func (q queries) PutCompany(ctx context.Context, c service.Company) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO companies (id, name, status, level, version) VALUES (?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, level = excluded.level, version = excluded.version
		WHERE excluded.version > companies.version`, c.ID, c.Name, c.Status, c.Level, c.Version)
	if err != nil {
		return false, fmt.Errorf("store: put company: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: put company: %w", err)
	}
	return n > 0, nil
}

// ActiveCompanies implements service.Queries.
func (q queries) ActiveCompanies(ctx context.Context, level string) ([]service.Company, error) {
	query, args := `SELECT id, name, status, level, version FROM companies WHERE status = 'active'`, []any{}
	if level != "" {
		query, args = query+` AND level = ?`, append(args, level)
	}
	return all(ctx, q, query+` ORDER BY id`, args, func(s storage.Scanner) (service.Company, error) {
		var c service.Company
		if err := s.Scan(&c.ID, &c.Name, &c.Status, &c.Level, &c.Version); err != nil {
			return c, fmt.Errorf("store: scan company: %w", err)
		}
		return c, nil
	})
}

// --- directives (HQ role) ---

const directiveCols = `id, title, body_markdown, body_html, attachments, priority, ack_required, ack_deadline, districts, issued_at, issued_by,
	version, updated_at`

func scanDirective(r storage.Scanner) (service.Directive, error) {
	var d service.Directive
	var deadline sql.NullString
	var att, ds, at, up string
	err := r.Scan(&d.ID, &d.Title, &d.BodyMarkdown, &d.BodyHTML, &att, &d.Priority, &d.AckRequired, &deadline, &ds, &at, &d.IssuedBy, &d.Version, &up)
	if errors.Is(err, sql.ErrNoRows) {
		return d, service.ErrDirectiveNotFound
	}
	if err != nil {
		return d, fmt.Errorf("store: scan directive: %w", err)
	}
	d.AckDeadline, d.IssuedAt, d.UpdatedAt = parseOpt(deadline), storage.ParseTime(at), storage.ParseTime(up)
	if err := json.Unmarshal([]byte(att), &d.Attachments); err != nil {
		return d, fmt.Errorf("store: directive attachments: %w", err)
	}
	if err := json.Unmarshal([]byte(ds), &d.Districts); err != nil {
		return d, fmt.Errorf("store: directive districts: %w", err)
	}
	return d, nil
}

// InsertDirective implements service.Queries.
func (q queries) InsertDirective(ctx context.Context, d service.Directive) error {
	att, err := jsonOf(d.Attachments)
	if err != nil {
		return err
	}
	ds, err := jsonOf(d.Districts)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO directives (`+directiveCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		d.ID, d.Title, d.BodyMarkdown, d.BodyHTML, att, d.Priority, d.AckRequired, optTime(d.AckDeadline), ds, storage.FormatTime(d.IssuedAt), d.IssuedBy,
		d.Version, storage.FormatTime(d.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: insert directive: %w", err)
	}
	return nil
}

// GetDirective implements service.Queries.
func (q queries) GetDirective(ctx context.Context, id string) (service.Directive, error) {
	return scanDirective(q.QueryRow(ctx, `SELECT `+directiveCols+` FROM directives WHERE id = ?`, id))
}

// WriteDirective implements service.Queries.
func (q queries) WriteDirective(ctx context.Context, d service.Directive) error {
	att, err := jsonOf(d.Attachments)
	if err != nil {
		return err
	}
	res, err := q.Exec(ctx, `UPDATE directives SET title=?, body_markdown=?, body_html=?, attachments=?, priority=?, ack_deadline=?,
		version=?, updated_at=? WHERE id=? AND version=?`, d.Title, d.BodyMarkdown, d.BodyHTML, att, d.Priority, optTime(d.AckDeadline),
		d.Version, storage.FormatTime(d.UpdatedAt), d.ID, d.Version-1)
	return versioned.Written(res, err, "directive")
}

// ListDirectives implements service.Queries.
func (q queries) ListDirectives(ctx context.Context, p kitx.Page) ([]service.Directive, string, error) {
	clause, args := storage.Page(nil, nil, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+directiveCols+` FROM directives`+clause, args, p, scanDirective, func(d service.Directive) string { return d.ID })
}

// Deliveries implements service.Queries.
func (q queries) Deliveries(ctx context.Context, directiveID string) ([]service.Delivery, error) {
	return all(ctx, q, `SELECT directive_id, district, notice_id, recipients, read_count, ack_count, delivered_at, last_receipt_at, seq
		FROM deliveries WHERE directive_id = ? ORDER BY district`, []any{directiveID}, func(s storage.Scanner) (service.Delivery, error) {
		var d service.Delivery
		var at string
		var last sql.NullString
		if err := s.Scan(&d.DirectiveID, &d.District, &d.NoticeID, &d.Recipients, &d.Read, &d.Acknowledged, &at, &last, &d.Seq); err != nil {
			return d, fmt.Errorf("store: scan delivery: %w", err)
		}
		d.DeliveredAt, d.LastReceiptAt = storage.ParseTime(at), parseOpt(last)
		return d, nil
	})
}

// PutDelivery implements service.Queries. The last receipt time only moves
// forward and survives an event that carries none (a reminder).
func (q queries) PutDelivery(ctx context.Context, d service.Delivery) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO deliveries (directive_id, district, notice_id, recipients, read_count, ack_count, delivered_at, last_receipt_at, seq)
		VALUES (?,?,?,?,?,?,?,?,?)
		ON CONFLICT (directive_id, district) DO UPDATE SET notice_id = excluded.notice_id, recipients = excluded.recipients,
			read_count = excluded.read_count, ack_count = excluded.ack_count, delivered_at = excluded.delivered_at,
			last_receipt_at = CASE WHEN excluded.last_receipt_at IS NULL THEN deliveries.last_receipt_at
				WHEN deliveries.last_receipt_at IS NULL OR excluded.last_receipt_at > deliveries.last_receipt_at THEN excluded.last_receipt_at
				ELSE deliveries.last_receipt_at END,
			seq = excluded.seq
		WHERE excluded.seq > deliveries.seq`,
		d.DirectiveID, d.District, d.NoticeID, d.Recipients, d.Read, d.Acknowledged, storage.FormatTime(d.DeliveredAt), optTime(d.LastReceiptAt), d.Seq)
	if err != nil {
		return false, fmt.Errorf("store: put delivery: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: put delivery: %w", err)
	}
	return n > 0, nil
}

// PutDistrictNotice implements service.Queries.
func (q queries) PutDistrictNotice(ctx context.Context, n service.Notice) error {
	_, err := q.Exec(ctx, `INSERT INTO district_notices (district, notice_id, origin, ack_required, recipients, ack_count, seq) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT (district, notice_id) DO UPDATE SET recipients = excluded.recipients, ack_count = excluded.ack_count, seq = excluded.seq
		WHERE excluded.seq > district_notices.seq`, n.District, n.ID, n.Origin, n.AckRequired, n.Recipients, n.Acknowledged, n.Seq)
	if err != nil {
		return fmt.Errorf("store: put district notice: %w", err)
	}
	return nil
}

// NoticeRates implements service.Queries.
func (q queries) NoticeRates(ctx context.Context) ([]service.DistrictNoticeRate, error) {
	return all(ctx, q, `SELECT district, count(*), coalesce(sum(recipients), 0), coalesce(sum(ack_count), 0) FROM district_notices
		WHERE ack_required GROUP BY district ORDER BY district`, nil, func(s storage.Scanner) (service.DistrictNoticeRate, error) {
		var r service.DistrictNoticeRate
		if err := s.Scan(&r.District, &r.Notices, &r.Recipients, &r.Acknowledged); err != nil {
			return r, fmt.Errorf("store: scan notice rate: %w", err)
		}
		return r, nil
	})
}
