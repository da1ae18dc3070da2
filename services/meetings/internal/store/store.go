// Package store is the meetings service's SQLite adapter: it implements
// service.Repository over the service's own database and writes every
// change's event into the eventbus outbox in the change's transaction.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/versioned"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
)

// Migrations holds the meetings tables, per dialect.
//
//go:embed migrations
var Migrations embed.FS

// MigrationsTable is the goose version table of the meetings migrations.
const MigrationsTable = "goose_meetings"

// Migrate applies the meetings tables to db, then the tables of the kit's
// packages the store keeps: the audit log and the idempotency keys. The
// outbox's tables are the node's (node.OpenDistrict migrates them after
// these; node.MigrateDistrict(Migrate) is the whole migration).
func Migrate(ctx context.Context, db *storage.DB) error {
	if err := db.Migrate(ctx, Migrations, "migrations", MigrationsTable); err != nil {
		return err
	}
	if err := audit.Migrate(ctx, db); err != nil {
		return err
	}
	return idempotency.Migrate(ctx, db)
}

// Store implements service.Repository: the queries on the database, and
// the transactions of eventbus.Writer, whose changes' events go to the
// outbox with them.
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

// queries implements service.Queries on a database or a transaction.
type queries struct {
	storage.Querier
	audit.Store
	idempotency.Keys
}

func newQueries(q storage.Querier) queries {
	return queries{Querier: q, Store: audit.NewStore(q), Keys: idempotency.NewKeys(q)}
}

// --- meetings ---

const meetingCols = `id, type, title, starts_at, ends_at, venue, host, status, minutes_version, created_at, updated_at, version`

func scanMeeting(r storage.Scanner) (service.Meeting, error) {
	var m service.Meeting
	var st, en, cr, up string
	err := r.Scan(&m.ID, &m.Type, &m.Title, &st, &en, &m.Venue, &m.Host, &m.Status, &m.MinutesVersion, &cr, &up, &m.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return m, service.ErrMeetingNotFound
	}
	if err != nil {
		return m, fmt.Errorf("store: scan meeting: %w", err)
	}
	m.StartsAt, m.EndsAt, m.CreatedAt, m.UpdatedAt = storage.ParseTime(st), storage.ParseTime(en), storage.ParseTime(cr), storage.ParseTime(up)
	return m, nil
}

// GetMeeting implements service.Queries.
func (q queries) GetMeeting(ctx context.Context, id string) (service.Meeting, error) {
	return scanMeeting(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+meetingCols+` FROM meetings WHERE id = ?`), id))
}

// ListMeetings implements service.Queries.
func (q queries) ListMeetings(ctx context.Context, f service.MeetingFilter, p kitx.Page) ([]service.Meeting, string, error) {
	where, args := eq(nil, nil, "type", f.Type, "status", f.Status)
	clause, args := storage.Page(where, args, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+meetingCols+` FROM meetings`+clause, args, p, scanMeeting, func(m service.Meeting) string { return m.ID })
}

// eq appends "col = ?" conditions for the non-empty values of col/value pairs.
func eq(where []string, args []any, pairs ...string) ([]string, []any) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			where = append(where, pairs[i]+" = ?")
			args = append(args, pairs[i+1])
		}
	}
	return where, args
}

// InsertMeeting implements service.Queries.
func (q queries) InsertMeeting(ctx context.Context, m service.Meeting) error {
	_, err := q.Exec(ctx, `INSERT INTO meetings (`+meetingCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		m.ID, m.Type, m.Title, storage.FormatTime(m.StartsAt), storage.FormatTime(m.EndsAt), m.Venue, m.Host, m.Status, m.MinutesVersion, storage.FormatTime(m.CreatedAt), storage.FormatTime(m.UpdatedAt), m.Version)
	if err != nil {
		return fmt.Errorf("store: insert meeting: %w", err)
	}
	return nil
}

// WriteMeeting implements service.Queries.
func (q queries) WriteMeeting(ctx context.Context, m service.Meeting) error {
	res, err := q.Exec(ctx, `UPDATE meetings SET title=?, starts_at=?, ends_at=?, venue=?, host=?, status=?, minutes_version=?, updated_at=?, version=?
		WHERE id=? AND version=?`, m.Title, storage.FormatTime(m.StartsAt), storage.FormatTime(m.EndsAt), m.Venue, m.Host, m.Status, m.MinutesVersion, storage.FormatTime(m.UpdatedAt), m.Version, m.ID, m.Version-1)
	return versioned.Written(res, err, "meeting")
}

// FillCounts implements service.Queries.
func (q queries) FillCounts(ctx context.Context, m *service.Meeting) error {
	// count(CASE …), not sum(a comparison): PostgreSQL does not add up
	// booleans.
	err := q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT
		count(CASE WHEN kind = 'company' THEN 1 END), count(CASE WHEN kind = 'company' AND status IN ('present','late') THEN 1 END),
		count(CASE WHEN kind = 'person' THEN 1 END), count(CASE WHEN kind = 'person' AND status IN ('present','late') THEN 1 END)
		FROM invitations WHERE meeting_id = ?`), m.ID).Scan(&m.InvitedCompanies, &m.AttendedCompanies, &m.InvitedPeople, &m.AttendedPeople)
	if err != nil {
		return fmt.Errorf("store: meeting counts: %w", err)
	}
	return nil
}

// RoundtableStarts implements service.Queries.
func (q queries) RoundtableStarts(ctx context.Context, from, to time.Time) ([]time.Time, error) {
	rows, err := q.X.QueryContext(ctx, q.DB.Rebind(`SELECT starts_at FROM meetings WHERE type = 'district_roundtable'
		AND status IN ('in_progress','closed') AND starts_at >= ? AND starts_at < ? ORDER BY starts_at`), storage.FormatTime(from), storage.FormatTime(to))
	if err != nil {
		return nil, fmt.Errorf("store: roundtables: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("store: roundtables: %w", err)
		}
		out = append(out, storage.ParseTime(s))
	}
	return out, rows.Err()
}

// --- agenda ---

const agendaCols = `id, meeting_id, position, kind, title, presenter, duration_min, resolution_id, signing, created_at`

func scanAgenda(r storage.Scanner) (service.AgendaItem, error) {
	var a service.AgendaItem
	var cr string
	if err := r.Scan(&a.ID, &a.MeetingID, &a.Position, &a.Kind, &a.Title, &a.Presenter, &a.DurationMin, &a.ResolutionID, &a.Signing, &cr); err != nil {
		return a, fmt.Errorf("store: scan agenda item: %w", err)
	}
	a.CreatedAt = storage.ParseTime(cr)
	return a, nil
}

// ListAgenda implements service.Queries.
func (q queries) ListAgenda(ctx context.Context, meetingID string) ([]service.AgendaItem, error) {
	return all(ctx, q, `SELECT `+agendaCols+` FROM agenda_items WHERE meeting_id = ? ORDER BY position, id`, []any{meetingID}, scanAgenda)
}

// all runs a query and scans every row.
func all[T any](ctx context.Context, q queries, query string, args []any, scan func(storage.Scanner) (T, error)) ([]T, error) {
	rows, err := q.X.QueryContext(ctx, q.DB.Rebind(query), args...)
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

// InsertAgendaItem implements service.Queries.
func (q queries) InsertAgendaItem(ctx context.Context, a service.AgendaItem) error {
	_, err := q.Exec(ctx, `INSERT INTO agenda_items (`+agendaCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		a.ID, a.MeetingID, a.Position, a.Kind, a.Title, a.Presenter, a.DurationMin, a.ResolutionID, a.Signing, storage.FormatTime(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert agenda item: %w", err)
	}
	return nil
}

// UpdateAgendaItem implements service.Queries.
func (q queries) UpdateAgendaItem(ctx context.Context, a service.AgendaItem) error {
	res, err := q.Exec(ctx, `UPDATE agenda_items SET position=?, resolution_id=? WHERE id=?`, a.Position, a.ResolutionID, a.ID)
	if err != nil {
		return fmt.Errorf("store: update agenda item: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("store: update agenda item %s: not found", a.ID)
	}
	return nil
}

// --- invitations ---

const invitationCols = `id, meeting_id, kind, company_id, company_name, person_name, person_role, organization, code_hash, status,
	checked_in_at, checked_in_by, created_at, updated_at`

func scanInvitation(r storage.Scanner) (service.Invitation, error) {
	var v service.Invitation
	var at, cr, up string
	err := r.Scan(&v.ID, &v.MeetingID, &v.Kind, &v.CompanyID, &v.CompanyName, &v.PersonName, &v.PersonRole, &v.Organization, &v.CodeHash, &v.Status,
		&at, &v.CheckedInBy, &cr, &up)
	if errors.Is(err, sql.ErrNoRows) {
		return v, service.ErrInvitationNotFound
	}
	if err != nil {
		return v, fmt.Errorf("store: scan invitation: %w", err)
	}
	if at != "" {
		t := storage.ParseTime(at)
		v.CheckedInAt = &t
	}
	v.CreatedAt, v.UpdatedAt = storage.ParseTime(cr), storage.ParseTime(up)
	return v, nil
}

func optTS(t *time.Time) string {
	if t == nil {
		return ""
	}
	return storage.FormatTime(*t)
}

// InsertInvitation implements service.Queries.
func (q queries) InsertInvitation(ctx context.Context, v service.Invitation) error {
	// In a savepoint on PostgreSQL: the caller may go on after the
	// conflict (storage.Querier.Try).
	err := q.Try(ctx, func() error {
		_, err := q.Exec(ctx, `INSERT INTO invitations (`+invitationCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			v.ID, v.MeetingID, v.Kind, v.CompanyID, v.CompanyName, v.PersonName, v.PersonRole, v.Organization, v.CodeHash, v.Status,
			optTS(v.CheckedInAt), v.CheckedInBy, storage.FormatTime(v.CreatedAt), storage.FormatTime(v.UpdatedAt))
		return err
	})
	if storage.IsUniqueViolation(err) {
		return service.ErrInviteCompanyDuplicate
	}
	if err != nil {
		return fmt.Errorf("store: insert invitation: %w", err)
	}
	return nil
}

// GetInvitation implements service.Queries.
func (q queries) GetInvitation(ctx context.Context, meetingID, id string) (service.Invitation, error) {
	return scanInvitation(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+invitationCols+` FROM invitations WHERE meeting_id = ? AND id = ?`), meetingID, id))
}

// InvitationByCode implements service.Queries.
func (q queries) InvitationByCode(ctx context.Context, meetingID, codeHash string) (service.Invitation, error) {
	return scanInvitation(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+invitationCols+` FROM invitations WHERE meeting_id = ? AND code_hash = ?`), meetingID, codeHash))
}

// ListInvitations implements service.Queries.
func (q queries) ListInvitations(ctx context.Context, meetingID string, p kitx.Page) ([]service.Invitation, string, error) {
	clause, args := storage.Page([]string{"meeting_id = ?"}, []any{meetingID}, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+invitationCols+` FROM invitations`+clause, args, p, scanInvitation, func(v service.Invitation) string { return v.ID })
}

// UpdateInvitation implements service.Queries.
func (q queries) UpdateInvitation(ctx context.Context, v service.Invitation) error {
	_, err := q.Exec(ctx, `UPDATE invitations SET status=?, checked_in_at=?, checked_in_by=?, updated_at=? WHERE id=?`,
		v.Status, optTS(v.CheckedInAt), v.CheckedInBy, storage.FormatTime(v.UpdatedAt), v.ID)
	if err != nil {
		return fmt.Errorf("store: update invitation: %w", err)
	}
	return nil
}

// CompanyInvitations implements service.Queries.
func (q queries) CompanyInvitations(ctx context.Context, companyID string, since, until time.Time) ([]service.Invitation, []service.Meeting, error) {
	where, args := []string{"i.company_id = ?"}, []any{companyID}
	if !since.IsZero() {
		where, args = append(where, "m.starts_at >= ?"), append(args, storage.FormatTime(since))
	}
	if !until.IsZero() {
		where, args = append(where, "m.starts_at < ?"), append(args, storage.FormatTime(until))
	}
	rows, err := q.X.QueryContext(ctx, q.DB.Rebind(`SELECT i.status, m.id, m.type, m.title, m.starts_at, m.status
		FROM invitations i JOIN meetings m ON m.id = i.meeting_id WHERE `+strings.Join(where, " AND ")+` ORDER BY m.starts_at, m.id LIMIT 1000`), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: company invitations: %w", err)
	}
	defer rows.Close()
	var invs []service.Invitation
	var ms []service.Meeting
	for rows.Next() {
		var v service.Invitation
		var m service.Meeting
		var st string
		if err := rows.Scan(&v.Status, &m.ID, &m.Type, &m.Title, &st, &m.Status); err != nil {
			return nil, nil, fmt.Errorf("store: company invitations: %w", err)
		}
		m.StartsAt = storage.ParseTime(st)
		v.MeetingID, v.CompanyID = m.ID, companyID
		invs, ms = append(invs, v), append(ms, m)
	}
	return invs, ms, rows.Err()
}

// --- minutes ---

const entryCols = `id, meeting_id, agenda_item_id, position, speaker, speaker_role, company_id, kind, text, supersedes, published_in, created_at, updated_at, version`

func scanEntry(r storage.Scanner) (service.MinuteEntry, error) {
	var e service.MinuteEntry
	var cr, up string
	err := r.Scan(&e.ID, &e.MeetingID, &e.AgendaItemID, &e.Position, &e.Speaker, &e.SpeakerRole, &e.CompanyID, &e.Kind, &e.Text, &e.Supersedes,
		&e.PublishedIn, &cr, &up, &e.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return e, service.ErrMinuteEntryNotFound
	}
	if err != nil {
		return e, fmt.Errorf("store: scan minute entry: %w", err)
	}
	e.CreatedAt, e.UpdatedAt = storage.ParseTime(cr), storage.ParseTime(up)
	return e, nil
}

// GetMinuteEntry implements service.Queries.
func (q queries) GetMinuteEntry(ctx context.Context, meetingID, id string) (service.MinuteEntry, error) {
	return scanEntry(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+entryCols+` FROM minute_entries WHERE meeting_id = ? AND id = ?`), meetingID, id))
}

// ListMinuteEntries implements service.Queries.
func (q queries) ListMinuteEntries(ctx context.Context, meetingID string) ([]service.MinuteEntry, error) {
	return all(ctx, q, `SELECT `+entryCols+` FROM minute_entries WHERE meeting_id = ? ORDER BY position, id`, []any{meetingID}, scanEntry)
}

// InsertMinuteEntry implements service.Queries.
func (q queries) InsertMinuteEntry(ctx context.Context, e service.MinuteEntry) error {
	_, err := q.Exec(ctx, `INSERT INTO minute_entries (`+entryCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		e.ID, e.MeetingID, e.AgendaItemID, e.Position, e.Speaker, e.SpeakerRole, e.CompanyID, e.Kind, e.Text, e.Supersedes,
		e.PublishedIn, storage.FormatTime(e.CreatedAt), storage.FormatTime(e.UpdatedAt), e.Version)
	if err != nil {
		return fmt.Errorf("store: insert minute entry: %w", err)
	}
	return nil
}

// WriteMinuteEntry implements service.Queries. Only a draft row (and the
// version read) is written: a published entry can never change, whatever
// the caller.
func (q queries) WriteMinuteEntry(ctx context.Context, e service.MinuteEntry) error {
	res, err := q.Exec(ctx, `UPDATE minute_entries SET speaker=?, speaker_role=?, text=?, updated_at=?, version=?
		WHERE id=? AND version=? AND published_in = 0`, e.Speaker, e.SpeakerRole, e.Text, storage.FormatTime(e.UpdatedAt), e.Version, e.ID, e.Version-1)
	return versioned.Written(res, err, "minute entry")
}

// DeleteMinuteEntry implements service.Queries (drafts only).
func (q queries) DeleteMinuteEntry(ctx context.Context, meetingID, id string) error {
	res, err := q.Exec(ctx, `DELETE FROM minute_entries WHERE meeting_id = ? AND id = ? AND published_in = 0`, meetingID, id)
	if err != nil {
		return fmt.Errorf("store: delete minute entry: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return service.ErrMinuteEntryPublished
	}
	return nil
}

// PublishDrafts implements service.Queries.
func (q queries) PublishDrafts(ctx context.Context, meetingID string, version int) (int, error) {
	res, err := q.Exec(ctx, `UPDATE minute_entries SET published_in = ? WHERE meeting_id = ? AND published_in = 0`, version, meetingID)
	if err != nil {
		return 0, fmt.Errorf("store: publish minutes: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// InsertMinutesVersion implements service.Queries.
func (q queries) InsertMinutesVersion(ctx context.Context, meetingID string, v service.MinutesVersion) error {
	_, err := q.Exec(ctx, `INSERT INTO minutes_versions (meeting_id, version, entries, published_at, published_by) VALUES (?,?,?,?,?)`,
		meetingID, v.Version, v.Entries, storage.FormatTime(v.PublishedAt), v.PublishedBy)
	if err != nil {
		return fmt.Errorf("store: insert minutes version: %w", err)
	}
	return nil
}

// ListMinutesVersions implements service.Queries.
func (q queries) ListMinutesVersions(ctx context.Context, meetingID string) ([]service.MinutesVersion, error) {
	return all(ctx, q, `SELECT version, entries, published_at, published_by FROM minutes_versions WHERE meeting_id = ? ORDER BY version`, []any{meetingID},
		func(r storage.Scanner) (service.MinutesVersion, error) {
			var v service.MinutesVersion
			var at string
			if err := r.Scan(&v.Version, &v.Entries, &at, &v.PublishedBy); err != nil {
				return v, fmt.Errorf("store: scan minutes version: %w", err)
			}
			v.PublishedAt = storage.ParseTime(at)
			return v, nil
		})
}

// --- resolutions and action items ---

const resolutionCols = `id, meeting_id, agenda_item_id, title, text, adopted_at`

func scanResolution(r storage.Scanner) (service.Resolution, error) {
	var v service.Resolution
	var at string
	err := r.Scan(&v.ID, &v.MeetingID, &v.AgendaItemID, &v.Title, &v.Text, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return v, service.ErrResolutionNotFound
	}
	if err != nil {
		return v, fmt.Errorf("store: scan resolution: %w", err)
	}
	v.AdoptedAt = storage.ParseTime(at)
	return v, nil
}

// GetResolution implements service.Queries.
func (q queries) GetResolution(ctx context.Context, id string) (service.Resolution, error) {
	return scanResolution(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+resolutionCols+` FROM resolutions WHERE id = ?`), id))
}

// ListResolutions implements service.Queries.
func (q queries) ListResolutions(ctx context.Context, meetingID string, p kitx.Page) ([]service.Resolution, string, error) {
	where, args := eq(nil, nil, "meeting_id", meetingID)
	clause, args := storage.Page(where, args, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+resolutionCols+` FROM resolutions`+clause, args, p, scanResolution, func(r service.Resolution) string { return r.ID })
}

// InsertResolution implements service.Queries.
func (q queries) InsertResolution(ctx context.Context, r service.Resolution) error {
	_, err := q.Exec(ctx, `INSERT INTO resolutions (`+resolutionCols+`) VALUES (?,?,?,?,?,?)`, r.ID, r.MeetingID, r.AgendaItemID, r.Title, r.Text, storage.FormatTime(r.AdoptedAt))
	if err != nil {
		return fmt.Errorf("store: insert resolution: %w", err)
	}
	return nil
}

const itemCols = `id, resolution_id, meeting_id, visit_id, title, owner_kind, owner_company_id, owner_name, due_on, status, last_reminded_on, created_at, updated_at, version`

func scanItem(r storage.Scanner) (service.ActionItem, error) {
	var a service.ActionItem
	var cr, up string
	err := r.Scan(&a.ID, &a.ResolutionID, &a.MeetingID, &a.VisitID, &a.Title, &a.OwnerKind, &a.OwnerCompanyID, &a.OwnerName, &a.DueOn, &a.Status, &a.LastRemindedOn, &cr, &up, &a.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return a, service.ErrActionItemNotFound
	}
	if err != nil {
		return a, fmt.Errorf("store: scan action item: %w", err)
	}
	a.CreatedAt, a.UpdatedAt = storage.ParseTime(cr), storage.ParseTime(up)
	return a, nil
}

// GetActionItem implements service.Queries.
func (q queries) GetActionItem(ctx context.Context, id string) (service.ActionItem, error) {
	return scanItem(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+itemCols+` FROM action_items WHERE id = ?`), id))
}

// ListActionItems implements service.Queries.
func (q queries) ListActionItems(ctx context.Context, f service.ActionItemFilter, p kitx.Page) ([]service.ActionItem, string, error) {
	where, args := eq(nil, nil, "status", f.Status, "owner_company_id", f.OwnerCompanyID, "meeting_id", f.MeetingID, "visit_id", f.VisitID)
	if f.Overdue {
		where, args = append(where, "status = 'open' AND due_on < ?"), append(args, f.Today)
	}
	clause, args := storage.Page(where, args, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+itemCols+` FROM action_items`+clause, args, p, scanItem, func(a service.ActionItem) string { return a.ID })
}

// ActionItemsOf implements service.Queries.
func (q queries) ActionItemsOf(ctx context.Context, resolutionID string) ([]service.ActionItem, error) {
	return all(ctx, q, `SELECT `+itemCols+` FROM action_items WHERE resolution_id = ? ORDER BY id`, []any{resolutionID}, scanItem)
}

// InsertActionItem implements service.Queries.
func (q queries) InsertActionItem(ctx context.Context, a service.ActionItem) error {
	_, err := q.Exec(ctx, `INSERT INTO action_items (`+itemCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		a.ID, a.ResolutionID, a.MeetingID, a.VisitID, a.Title, a.OwnerKind, a.OwnerCompanyID, a.OwnerName, a.DueOn, a.Status, a.LastRemindedOn, storage.FormatTime(a.CreatedAt), storage.FormatTime(a.UpdatedAt), a.Version)
	if err != nil {
		return fmt.Errorf("store: insert action item: %w", err)
	}
	return nil
}

// WriteActionItem implements service.Queries.
func (q queries) WriteActionItem(ctx context.Context, a service.ActionItem) error {
	res, err := q.Exec(ctx, `UPDATE action_items SET status=?, updated_at=?, version=? WHERE id=? AND version=?`,
		a.Status, storage.FormatTime(a.UpdatedAt), a.Version, a.ID, a.Version-1)
	return versioned.Written(res, err, "action item")
}

// DueActionItems implements service.Queries.
func (q queries) DueActionItems(ctx context.Context, day, today string, limit int) ([]service.ActionItem, error) {
	return all(ctx, q, `SELECT `+itemCols+` FROM action_items WHERE status = 'open' AND due_on <= ? AND last_reminded_on <> ? ORDER BY due_on, id LIMIT ?`,
		[]any{day, today, limit}, scanItem)
}

// MarkReminded implements service.Queries; the condition makes two nodes
// racing on the same item send one reminder.
func (q queries) MarkReminded(ctx context.Context, id, today string) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE action_items SET last_reminded_on = ? WHERE id = ? AND last_reminded_on <> ?`, today, id, today)
	if err != nil {
		return false, fmt.Errorf("store: mark reminded: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// --- convention signatures ---

const signatureCols = `id, company_id, convention_version, signed_by, signed_at, meeting_id, current, created_at`

func scanSignature(r storage.Scanner) (service.Signature, error) {
	var s service.Signature
	var at, cr string
	if err := r.Scan(&s.ID, &s.CompanyID, &s.ConventionVersion, &s.SignedBy, &at, &s.MeetingID, &s.Current, &cr); err != nil {
		return s, fmt.Errorf("store: scan signature: %w", err)
	}
	s.SignedAt, s.CreatedAt = storage.ParseTime(at), storage.ParseTime(cr)
	return s, nil
}

// InsertSignature implements service.Queries.
func (q queries) InsertSignature(ctx context.Context, s service.Signature) error {
	// In a savepoint on PostgreSQL: the caller may go on after the
	// conflict (storage.Querier.Try).
	err := q.Try(ctx, func() error {
		_, err := q.Exec(ctx, `INSERT INTO convention_signatures (`+signatureCols+`) VALUES (?,?,?,?,?,?,?,?)`,
			s.ID, s.CompanyID, s.ConventionVersion, s.SignedBy, storage.FormatTime(s.SignedAt), s.MeetingID, s.Current, storage.FormatTime(s.CreatedAt))
		return err
	})
	if storage.IsUniqueViolation(err) {
		return service.ErrSignatureDuplicate
	}
	if err != nil {
		return fmt.Errorf("store: insert signature: %w", err)
	}
	return nil
}

// ListSignatures implements service.Queries.
func (q queries) ListSignatures(ctx context.Context, f service.SignatureFilter, p kitx.Page) ([]service.Signature, string, error) {
	where, args := eq(nil, nil, "company_id", f.CompanyID, "convention_version", f.ConventionVersion)
	clause, args := storage.Page(where, args, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+signatureCols+` FROM convention_signatures`+clause, args, p, scanSignature, func(s service.Signature) string { return s.ID })
}

// SignatureCounts implements service.Queries: the active companies of the
// projection with a signature of version made while it was current, and
// the active companies.
func (q queries) SignatureCounts(ctx context.Context, version string) (int, int, error) {
	var signed, companies int
	err := q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT
		(SELECT count(DISTINCT s.company_id) FROM convention_signatures s JOIN companies c ON c.id = s.company_id
			WHERE s.convention_version = ? AND s.current AND c.status = ?),
		(SELECT count(*) FROM companies WHERE status = ?)`),
		version, service.CompanyActive, service.CompanyActive).Scan(&signed, &companies)
	if err != nil {
		return 0, 0, fmt.Errorf("store: signature counts: %w", err)
	}
	return signed, companies, nil
}

// --- companies (membership's, projected) ---

// GetCompany implements service.Queries.
func (q queries) GetCompany(ctx context.Context, id string) (service.Company, error) {
	var c service.Company
	err := q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT id, name, status, version FROM companies WHERE id = ?`), id).
		Scan(&c.ID, &c.Name, &c.Status, &c.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return c, service.ErrCompanyNotFound
	}
	if err != nil {
		return c, fmt.Errorf("store: get company: %w", err)
	}
	return c, nil
}

// PutCompany implements service.Queries. The upsert's WHERE keeps a
// stored version at least as new as c's: versions only move forward.
// active_since keeps the day the company became active while it stays
// active (an update of an active company does not restart its clock), takes
// c's on a move to active, and is cleared when it stops being active.
func (q queries) PutCompany(ctx context.Context, c service.Company) (bool, error) {
	since := ""
	if c.Status == service.CompanyActive && !c.ActiveSince.IsZero() {
		since = storage.FormatTime(c.ActiveSince)
	}
	res, err := q.Exec(ctx, `INSERT INTO companies (id, name, status, version, active_since) VALUES (?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, version = excluded.version,
			active_since = CASE WHEN excluded.status <> 'active' THEN ''
				WHEN companies.status = 'active' THEN companies.active_since
				ELSE excluded.active_since END
		WHERE excluded.version > companies.version`, c.ID, c.Name, c.Status, c.Version, since)
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
func (q queries) ActiveCompanies(ctx context.Context) ([]service.Company, error) {
	return all(ctx, q, `SELECT id, name, status, version, active_since FROM companies WHERE status = ? ORDER BY id`, []any{service.CompanyActive},
		func(r storage.Scanner) (service.Company, error) {
			var c service.Company
			var since string
			if err := r.Scan(&c.ID, &c.Name, &c.Status, &c.Version, &since); err != nil {
				return c, fmt.Errorf("store: scan company: %w", err)
			}
			if since != "" {
				c.ActiveSince = storage.ParseTime(since)
			}
			return c, nil
		})
}
