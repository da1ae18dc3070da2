package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// Meeting is a meeting snapshot as the projector writes it.
type Meeting struct {
	ID, District, Type, Title, Status                                  string
	StartsAt, EndsAt                                                   time.Time
	InvitedCompanies, AttendedCompanies, InvitedPeople, AttendedPeople int64
	Version                                                            int64
	UpdatedAt                                                          time.Time
}

// ActionItem is an action item snapshot as the projector writes it.
type ActionItem struct {
	ID, District, ResolutionID, MeetingID, Title string
	OwnerKind, OwnerCompanyID, OwnerName         string
	DueOn, Status                                string
	Version                                      int64
	UpdatedAt                                    time.Time
}

// Resolution is an adopted resolution.
type Resolution struct {
	ID, District, MeetingID, Title string
	ActionItems                    int64
}

// Signature is a company's signature of a convention version.
type Signature struct {
	ID, District, CompanyID, ConventionVersion string
	Current                                    bool
	SignedAt                                   time.Time
	MeetingID                                  string
}

// SnapshotState is the stored version and update time of a snapshot.
type SnapshotState struct {
	Version   int64
	UpdatedAt time.Time
}

// Newer reports whether a snapshot of (version, updated) replaces st: a
// higher version does; so does the same version updated later, because a
// meeting's attendance tallies may change without a new version of the
// meeting itself (the snapshot then only moves forward in time).
func (st SnapshotState) Newer(version int64, updated time.Time) bool {
	if version != st.Version {
		return version > st.Version
	}
	return updated.After(st.UpdatedAt)
}

func (s *Store) state(ctx context.Context, tx *sql.Tx, table, id string) (SnapshotState, bool, error) {
	var st SnapshotState
	var upd int64
	err := s.db.QueryRowTx(ctx, tx, `SELECT version, updated_at FROM `+table+` WHERE id = ?`, id).Scan(&st.Version, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return SnapshotState{}, false, nil
	}
	if err != nil {
		return SnapshotState{}, false, fmt.Errorf("store: %s state: %w", table, err)
	}
	st.UpdatedAt = fromNanos(upd)
	return st, true, nil
}

// MeetingState returns the stored version and update time of meeting id.
func (s *Store) MeetingState(ctx context.Context, tx *sql.Tx, id string) (SnapshotState, bool, error) {
	return s.state(ctx, tx, "hq_meetings", id)
}

// ActionItemState returns the stored version and update time of action item id.
func (s *Store) ActionItemState(ctx context.Context, tx *sql.Tx, id string) (SnapshotState, bool, error) {
	return s.state(ctx, tx, "hq_action_items", id)
}

// PutMeeting inserts or replaces meeting m.
func (s *Store) PutMeeting(ctx context.Context, tx *sql.Tx, m Meeting) error {
	_, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_meetings
		(id, district, type, title, status, starts_at, ends_at, invited_companies, attended_companies,
		 invited_people, attended_people, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET district = excluded.district, type = excluded.type, title = excluded.title,
		status = excluded.status, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
		invited_companies = excluded.invited_companies, attended_companies = excluded.attended_companies,
		invited_people = excluded.invited_people, attended_people = excluded.attended_people,
		version = excluded.version, updated_at = excluded.updated_at`,
		m.ID, m.District, m.Type, m.Title, m.Status, nanos(m.StartsAt), nanos(m.EndsAt), m.InvitedCompanies,
		m.AttendedCompanies, m.InvitedPeople, m.AttendedPeople, m.Version, nanos(m.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: put meeting: %w", err)
	}
	return nil
}

// PutActionItem inserts or replaces action item a.
func (s *Store) PutActionItem(ctx context.Context, tx *sql.Tx, a ActionItem) error {
	_, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_action_items
		(id, district, resolution_id, meeting_id, title, owner_kind, owner_company_id, owner_name, due_on, status, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET district = excluded.district, resolution_id = excluded.resolution_id,
		meeting_id = excluded.meeting_id, title = excluded.title, owner_kind = excluded.owner_kind,
		owner_company_id = excluded.owner_company_id, owner_name = excluded.owner_name, due_on = excluded.due_on,
		status = excluded.status, version = excluded.version, updated_at = excluded.updated_at`,
		a.ID, a.District, a.ResolutionID, a.MeetingID, a.Title, a.OwnerKind, a.OwnerCompanyID, a.OwnerName,
		a.DueOn, a.Status, a.Version, nanos(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: put action item: %w", err)
	}
	return nil
}

// PutResolution records resolution r once; it reports whether it was new.
func (s *Store) PutResolution(ctx context.Context, tx *sql.Tx, r Resolution) (bool, error) {
	res, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_resolutions (id, district, meeting_id, title, action_items)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, r.ID, r.District, r.MeetingID, r.Title, r.ActionItems)
	return inserted(res, err, "resolution")
}

// PutSignature records signature g once (signatures never change); it
// reports whether it was new.
func (s *Store) PutSignature(ctx context.Context, tx *sql.Tx, g Signature) (bool, error) {
	res, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_convention_signatures
		(id, district, company_id, convention_version, current, signed_at, meeting_id)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		g.ID, g.District, g.CompanyID, g.ConventionVersion, b2i(g.Current), nanos(g.SignedAt), g.MeetingID)
	return inserted(res, err, "signature")
}

func inserted(res sql.Result, err error, what string) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("store: put %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: put %s: %w", what, err)
	}
	return n > 0, nil
}

func (s *Store) meetingCounts(m map[string]service.MeetingCounts, d string) service.MeetingCounts {
	mc, ok := m[d]
	if !ok {
		mc.Held = map[string]int64{}
	}
	return mc
}

// Meetings implements service.MeetingsRepository.
func (s *Store) Meetings(ctx context.Context, today string) (map[string]service.MeetingCounts, error) {
	out := map[string]service.MeetingCounts{}
	// Attendance sums the meetings held, in progress as well as closed, so
	// HQ's figures move as check-ins happen (each AttendanceRecorded
	// carries the meeting's tallies); only closed meetings count as held.
	rows, err := s.db.Querier().Query(ctx, `SELECT district, type, coalesce(sum(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), 0),
		coalesce(sum(invited_companies), 0), coalesce(sum(attended_companies), 0),
		coalesce(sum(invited_people), 0), coalesce(sum(attended_people), 0)
		FROM hq_meetings WHERE status IN ('in_progress', 'closed') GROUP BY district, type`)
	if err != nil {
		return nil, fmt.Errorf("store: meeting counts: %w", err)
	}
	for rows.Next() {
		var d, typ string
		var n, ic, ac, ip, ap int64
		if err := rows.Scan(&d, &typ, &n, &ic, &ac, &ip, &ap); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: meeting counts: %w", err)
		}
		mc := s.meetingCounts(out, d)
		mc.Held[typ] += n
		mc.InvitedCompanies += ic
		mc.AttendedCompanies += ac
		mc.InvitedPeople += ip
		mc.AttendedPeople += ap
		out[d] = mc
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: meeting counts: %w", err)
	}

	rows, err = s.db.QueryContext(ctx, s.db.Rebind(`SELECT district, status, count(*),
		coalesce(sum(CASE WHEN status = 'open' AND due_on <> '' AND due_on < ? THEN 1 ELSE 0 END), 0)
		FROM hq_action_items GROUP BY district, status`), today)
	if err != nil {
		return nil, fmt.Errorf("store: action item counts: %w", err)
	}
	for rows.Next() {
		var d, status string
		var n, overdue int64
		if err := rows.Scan(&d, &status, &n, &overdue); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: action item counts: %w", err)
		}
		mc := s.meetingCounts(out, d)
		switch status {
		case service.ActionItemOpen:
			mc.ActionItemsOpen += n
			mc.ActionItemsOverdue += overdue
		case service.ActionItemDone:
			mc.ActionItemsDone += n
		case service.ActionItemAccepted:
			mc.ActionItemsAccepted += n
		}
		out[d] = mc
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: action item counts: %w", err)
	}

	rows, err = s.db.Querier().Query(ctx, `SELECT district, count(*) FROM hq_resolutions GROUP BY district`)
	if err != nil {
		return nil, fmt.Errorf("store: resolution counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var n int64
		if err := rows.Scan(&d, &n); err != nil {
			return nil, fmt.Errorf("store: resolution counts: %w", err)
		}
		mc := s.meetingCounts(out, d)
		mc.Resolutions += n
		out[d] = mc
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: resolution counts: %w", err)
	}
	return out, nil
}

// ConventionSigners implements service.MeetingsRepository. A company counts
// once however often it signed; its signature must name version and have
// been made while version was current, and the company must be active in
// membership's snapshot.
func (s *Store) ConventionSigners(ctx context.Context, version string) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT c.district, count(DISTINCT c.id)
		FROM hq_companies c
		JOIN hq_convention_signatures g ON g.company_id = c.id AND g.district = c.district
		WHERE c.status = 'active' AND g.current = 1 AND g.convention_version = ?
		GROUP BY c.district`), version)
	if err != nil {
		return nil, fmt.Errorf("store: convention signers: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var d string
		var n int64
		if err := rows.Scan(&d, &n); err != nil {
			return nil, fmt.Errorf("store: convention signers: %w", err)
		}
		out[d] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: convention signers: %w", err)
	}
	return out, nil
}

// RoundtablesHeld implements service.MeetingsRepository.
func (s *Store) RoundtablesHeld(ctx context.Context, district string, from, to time.Time) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT count(*) FROM hq_meetings
		WHERE district = ? AND type = ? AND status = 'closed' AND starts_at >= ? AND starts_at < ?`),
		district, service.MeetingDistrictRoundtable, from.UnixNano(), to.UnixNano()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: roundtables held: %w", err)
	}
	return n, nil
}

// ActionItems implements service.MeetingsRepository.
func (s *Store) ActionItems(ctx context.Context, district, overdueBefore, after string, limit int) ([]service.ActionItemRow, error) {
	q := `SELECT id, district, resolution_id, meeting_id, title, owner_kind, owner_company_id, owner_name,
		due_on, status, version, updated_at FROM hq_action_items WHERE district = ? AND id > ?`
	args := []any{district, after}
	if overdueBefore != "" {
		q += ` AND status = 'open' AND due_on <> '' AND due_on < ?`
		args = append(args, overdueBefore)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: action items: %w", err)
	}
	defer rows.Close()
	var out []service.ActionItemRow
	for rows.Next() {
		var r service.ActionItemRow
		var upd int64
		if err := rows.Scan(&r.ID, &r.District, &r.ResolutionID, &r.MeetingID, &r.Title, &r.OwnerKind,
			&r.OwnerCompanyID, &r.OwnerName, &r.DueOn, &r.Status, &r.Version, &upd); err != nil {
			return nil, fmt.Errorf("store: action items: %w", err)
		}
		r.UpdatedAt = fromNanos(upd)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: action items: %w", err)
	}
	return out, nil
}

var _ service.Repository = (*Store)(nil)
