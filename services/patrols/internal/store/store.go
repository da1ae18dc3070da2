// Package store is the patrols service's database adapter (SQLite or
// PostgreSQL, one SQL text for both): it implements
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
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/versioned"
	"github.com/guildhall/guildhall/services/patrols/internal/service"
)

// Migrations holds the patrols tables, per dialect.
//
//go:embed migrations
var Migrations embed.FS

// MigrationsTable is the goose version table of the patrols migrations.
const MigrationsTable = "goose_patrols"

// Migrate applies the patrols tables to db, then the kit's tables the store
// keeps: the audit log and the idempotency keys (the outbox's are the
// node's: node.MigrateDistrict(Migrate) is the whole migration).
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

type queries struct {
	storage.Querier
	audit.Store
	idempotency.Keys
}

func newQueries(q storage.Querier) queries {
	return queries{Querier: q, Store: audit.NewStore(q), Keys: idempotency.NewKeys(q)}
}

var ft = storage.FormatTime
var pt = storage.ParseTime

// all runs a query and scans every row.
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

func exec(ctx context.Context, q queries, what, query string, args ...any) error {
	if _, err := q.Exec(ctx, query, args...); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// --- guards ---

// GetGuard implements service.Queries.
func (q queries) GetGuard(ctx context.Context, id string) (service.Guard, error) {
	var g service.Guard
	err := q.QueryRow(ctx, `SELECT id, company_id, employment_status, volunteer_police, has_certificate, certificate_valid_until,
		background_check_status, id_hash, version FROM guards WHERE id = ?`, id).
		Scan(&g.ID, &g.CompanyID, &g.EmploymentStatus, &g.VolunteerPolice, &g.HasCertificate, &g.CertificateValidUntil, &g.BackgroundCheckStatus, &g.IDHash, &g.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return g, service.ErrGuardUnknown
	}
	if err != nil {
		return g, fmt.Errorf("store: get guard: %w", err)
	}
	return g, nil
}

// PutGuard implements service.Queries. The upsert's WHERE keeps a stored
// version at least as new as g's: versions only move forward.
func (q queries) PutGuard(ctx context.Context, g service.Guard) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO guards (id, company_id, employment_status, volunteer_police, has_certificate,
		certificate_valid_until, background_check_status, id_hash, version) VALUES (?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET company_id = excluded.company_id, employment_status = excluded.employment_status,
		volunteer_police = excluded.volunteer_police, has_certificate = excluded.has_certificate,
		certificate_valid_until = excluded.certificate_valid_until, background_check_status = excluded.background_check_status,
		id_hash = excluded.id_hash, version = excluded.version WHERE excluded.version > guards.version`,
		g.ID, g.CompanyID, g.EmploymentStatus, g.VolunteerPolice, g.HasCertificate, g.CertificateValidUntil, g.BackgroundCheckStatus,
		g.IDHash, g.Version)
	if err != nil {
		return false, fmt.Errorf("store: put guard: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: put guard: %w", err)
	}
	return n > 0, nil
}

// --- teams ---

const teamCols = `id, name, company_id, leader_guard_id, active_members, suspended_members, created_at, updated_at, version`

func scanTeam(r storage.Scanner) (service.Team, error) {
	var t service.Team
	var cr, up string
	err := r.Scan(&t.ID, &t.Name, &t.CompanyID, &t.LeaderGuardID, &t.ActiveMembers, &t.SuspendedMembers, &cr, &up, &t.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return t, service.ErrTeamNotFound
	}
	if err != nil {
		return t, fmt.Errorf("store: scan team: %w", err)
	}
	t.CreatedAt, t.UpdatedAt = pt(cr), pt(up)
	return t, nil
}

// InsertTeam implements service.Queries.
func (q queries) InsertTeam(ctx context.Context, t service.Team) error {
	return exec(ctx, q, "insert team", `INSERT INTO teams (`+teamCols+`) VALUES (?,?,?,?,?,?,?,?,?)`,
		t.ID, t.Name, t.CompanyID, t.LeaderGuardID, t.ActiveMembers, t.SuspendedMembers, ft(t.CreatedAt), ft(t.UpdatedAt), t.Version)
}

// GetTeam implements service.Queries.
func (q queries) GetTeam(ctx context.Context, id string) (service.Team, error) {
	return scanTeam(q.QueryRow(ctx, `SELECT `+teamCols+` FROM teams WHERE id = ?`, id))
}

// ListTeams implements service.Queries.
func (q queries) ListTeams(ctx context.Context, p kitx.Page) ([]service.Team, string, error) {
	clause, args := storage.Page(nil, nil, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+teamCols+` FROM teams`+clause, args, p, scanTeam, func(t service.Team) string { return t.ID })
}

// TouchTeam implements service.Queries.
func (q queries) TouchTeam(ctx context.Context, t *service.Team) error {
	res, err := q.Exec(ctx, `UPDATE teams SET active_members = ?, suspended_members = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`,
		t.ActiveMembers, t.SuspendedMembers, ft(t.UpdatedAt), t.Version, t.ID, t.Version-1)
	return versioned.Written(res, err, "team")
}

const memberCols = `team_id, guard_id, company_id, status, reasons, joined_at, updated_at`

func scanMember(r storage.Scanner) (service.Member, error) {
	var m service.Member
	var reasons, j, u string
	if err := r.Scan(&m.TeamID, &m.GuardID, &m.CompanyID, &m.Status, &reasons, &j, &u); err != nil {
		return m, fmt.Errorf("store: scan member: %w", err)
	}
	m.Reasons = []string{}
	if reasons != "" {
		m.Reasons = strings.Split(reasons, ",")
	}
	m.JoinedAt, m.UpdatedAt = pt(j), pt(u)
	return m, nil
}

// TeamMembers implements service.Queries.
func (q queries) TeamMembers(ctx context.Context, teamID string) ([]service.Member, error) {
	return all(ctx, q, `SELECT `+memberCols+` FROM team_members WHERE team_id = ? ORDER BY joined_at, guard_id`, []any{teamID}, scanMember)
}

// PutMember implements service.Queries.
func (q queries) PutMember(ctx context.Context, m service.Member) error {
	return exec(ctx, q, "put member", `INSERT INTO team_members (`+memberCols+`) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT (team_id, guard_id) DO UPDATE SET status = excluded.status, reasons = excluded.reasons, updated_at = excluded.updated_at`,
		m.TeamID, m.GuardID, m.CompanyID, m.Status, strings.Join(m.Reasons, ","), ft(m.JoinedAt), ft(m.UpdatedAt))
}

// MembershipsOf implements service.Queries.
func (q queries) MembershipsOf(ctx context.Context, guardID string) ([]service.Member, error) {
	return all(ctx, q, `SELECT `+memberCols+` FROM team_members WHERE guard_id = ? ORDER BY joined_at, team_id`, []any{guardID}, scanMember)
}

// MemberGuards implements service.Queries.
func (q queries) MemberGuards(ctx context.Context) ([]string, error) {
	return all(ctx, q, `SELECT DISTINCT guard_id FROM team_members ORDER BY guard_id`, nil, func(r storage.Scanner) (string, error) {
		var s string
		err := r.Scan(&s)
		return s, err
	})
}

// --- areas and checkpoints ---

const areaCols = `id, name, shape, polygon, center_lat, center_lng, radius_m, created_at`

func scanArea(r storage.Scanner) (service.Area, error) {
	var a service.Area
	var poly, cr string
	var lat, lng sql.NullFloat64
	err := r.Scan(&a.ID, &a.Name, &a.Shape, &poly, &lat, &lng, &a.RadiusM, &cr)
	if errors.Is(err, sql.ErrNoRows) {
		return a, service.ErrAreaNotFound
	}
	if err != nil {
		return a, fmt.Errorf("store: scan area: %w", err)
	}
	if poly != "" {
		if err := json.Unmarshal([]byte(poly), &a.Polygon); err != nil {
			return a, fmt.Errorf("store: area polygon: %w", err)
		}
	}
	if lat.Valid && lng.Valid {
		a.Center = &service.LatLng{Lat: lat.Float64, Lng: lng.Float64}
	}
	a.CreatedAt = pt(cr)
	return a, nil
}

// InsertArea implements service.Queries.
func (q queries) InsertArea(ctx context.Context, a service.Area) error {
	poly := ""
	if len(a.Polygon) > 0 {
		raw, err := json.Marshal(a.Polygon)
		if err != nil {
			return fmt.Errorf("store: area polygon: %w", err)
		}
		poly = string(raw)
	}
	var lat, lng any
	if a.Center != nil {
		lat, lng = a.Center.Lat, a.Center.Lng
	}
	return exec(ctx, q, "insert area", `INSERT INTO areas (`+areaCols+`) VALUES (?,?,?,?,?,?,?,?)`,
		a.ID, a.Name, a.Shape, poly, lat, lng, a.RadiusM, ft(a.CreatedAt))
}

func (q queries) withCheckpoints(ctx context.Context, a *service.Area) error {
	ids, err := all(ctx, q, `SELECT id FROM checkpoints WHERE area_id = ? ORDER BY id`, []any{a.ID}, func(r storage.Scanner) (string, error) {
		var s string
		err := r.Scan(&s)
		return s, err
	})
	a.CheckpointIDs = ids
	return err
}

// GetArea implements service.Queries.
func (q queries) GetArea(ctx context.Context, id string) (service.Area, error) {
	a, err := scanArea(q.QueryRow(ctx, `SELECT `+areaCols+` FROM areas WHERE id = ?`, id))
	if err != nil {
		return a, err
	}
	return a, q.withCheckpoints(ctx, &a)
}

// ListAreas implements service.Queries.
func (q queries) ListAreas(ctx context.Context, p kitx.Page) ([]service.Area, string, error) {
	clause, args := storage.Page(nil, nil, p)
	items, next, err := storage.ListRows(ctx, q.Querier, `SELECT `+areaCols+` FROM areas`+clause, args, p, scanArea, func(a service.Area) string { return a.ID })
	for i := range items {
		if err == nil {
			err = q.withCheckpoints(ctx, &items[i])
		}
	}
	return items, next, err
}

const checkpointCols = `id, area_id, name, tag_kind, tag_value, lat, lng, created_at`

func scanCheckpoint(r storage.Scanner) (service.Checkpoint, error) {
	var c service.Checkpoint
	var cr string
	err := r.Scan(&c.ID, &c.AreaID, &c.Name, &c.TagKind, &c.TagValue, &c.Location.Lat, &c.Location.Lng, &cr)
	if errors.Is(err, sql.ErrNoRows) {
		return c, service.ErrCheckpointNotFound
	}
	if err != nil {
		return c, fmt.Errorf("store: scan checkpoint: %w", err)
	}
	c.CreatedAt = pt(cr)
	return c, nil
}

// InsertCheckpoint implements service.Queries.
func (q queries) InsertCheckpoint(ctx context.Context, c service.Checkpoint) error {
	return exec(ctx, q, "insert checkpoint", `INSERT INTO checkpoints (`+checkpointCols+`) VALUES (?,?,?,?,?,?,?,?)`,
		c.ID, c.AreaID, c.Name, c.TagKind, c.TagValue, c.Location.Lat, c.Location.Lng, ft(c.CreatedAt))
}

// GetCheckpoint implements service.Queries.
func (q queries) GetCheckpoint(ctx context.Context, id string) (service.Checkpoint, error) {
	return scanCheckpoint(q.QueryRow(ctx, `SELECT `+checkpointCols+` FROM checkpoints WHERE id = ?`, id))
}

// CheckpointByTag implements service.Queries.
func (q queries) CheckpointByTag(ctx context.Context, tag string) (service.Checkpoint, error) {
	c, err := scanCheckpoint(q.QueryRow(ctx, `SELECT `+checkpointCols+` FROM checkpoints WHERE tag_value = ?`, tag))
	if errors.Is(err, service.ErrCheckpointNotFound) {
		return c, service.ErrScanTagUnknown
	}
	return c, err
}

// ListCheckpoints implements service.Queries.
func (q queries) ListCheckpoints(ctx context.Context, areaID string) ([]service.Checkpoint, error) {
	return all(ctx, q, `SELECT `+checkpointCols+` FROM checkpoints WHERE area_id = ? ORDER BY id`, []any{areaID}, scanCheckpoint)
}

// --- plans and shifts ---

const planCols = `id, name, area_id, starts_at, ends_at, created_at`

func scanPlan(r storage.Scanner) (service.Plan, error) {
	var p service.Plan
	var st, en, cr string
	err := r.Scan(&p.ID, &p.Name, &p.AreaID, &st, &en, &cr)
	if errors.Is(err, sql.ErrNoRows) {
		return p, service.ErrPlanNotFound
	}
	if err != nil {
		return p, fmt.Errorf("store: scan plan: %w", err)
	}
	p.StartsAt, p.EndsAt, p.CreatedAt = pt(st), pt(en), pt(cr)
	return p, nil
}

// InsertPlan implements service.Queries.
func (q queries) InsertPlan(ctx context.Context, p service.Plan) error {
	return exec(ctx, q, "insert plan", `INSERT INTO plans (`+planCols+`) VALUES (?,?,?,?,?,?)`,
		p.ID, p.Name, p.AreaID, ft(p.StartsAt), ft(p.EndsAt), ft(p.CreatedAt))
}

// GetPlan implements service.Queries.
func (q queries) GetPlan(ctx context.Context, id string) (service.Plan, error) {
	return scanPlan(q.QueryRow(ctx, `SELECT `+planCols+` FROM plans WHERE id = ?`, id))
}

// ListPlans implements service.Queries.
func (q queries) ListPlans(ctx context.Context, p kitx.Page) ([]service.Plan, string, error) {
	clause, args := storage.Page(nil, nil, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+planCols+` FROM plans`+clause, args, p, scanPlan, func(p service.Plan) string { return p.ID })
}

// PlansOverlapping implements service.Queries.
func (q queries) PlansOverlapping(ctx context.Context, areaID string, from, to time.Time) ([]service.Plan, error) {
	where, args := []string{"starts_at < ?", "ends_at > ?"}, []any{ft(to), ft(from)}
	if areaID != "" {
		where, args = append(where, "area_id = ?"), append(args, areaID)
	}
	return all(ctx, q, `SELECT `+planCols+` FROM plans`+storage.Where(where)+` ORDER BY id`, args, scanPlan)
}

const shiftCols = `id, plan_id, area_id, starts_at, ends_at, required, assigned, expected_scans, version`

func scanShift(r storage.Scanner) (service.Shift, error) {
	var s service.Shift
	var st, en string
	err := r.Scan(&s.ID, &s.PlanID, &s.AreaID, &st, &en, &s.Required, &s.Assigned, &s.ExpectedScans, &s.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return s, service.ErrShiftNotFound
	}
	if err != nil {
		return s, fmt.Errorf("store: scan shift: %w", err)
	}
	s.StartsAt, s.EndsAt = pt(st), pt(en)
	return s, nil
}

// fillShift reads a shift's route and guards.
func (q queries) fillShift(ctx context.Context, s *service.Shift) error {
	str := func(r storage.Scanner) (string, error) {
		var v string
		err := r.Scan(&v)
		return v, err
	}
	var err error
	if s.Route, err = all(ctx, q, `SELECT checkpoint_id FROM shift_checkpoints WHERE shift_id = ? ORDER BY position`, []any{s.ID}, str); err != nil {
		return err
	}
	s.GuardIDs, err = all(ctx, q, `SELECT guard_id FROM assignments WHERE shift_id = ? ORDER BY assigned_at, guard_id`, []any{s.ID}, str)
	return err
}

func (q queries) shifts(ctx context.Context, query string, args ...any) ([]service.Shift, error) {
	out, err := all(ctx, q, query, args, scanShift)
	for i := range out {
		if err == nil {
			err = q.fillShift(ctx, &out[i])
		}
	}
	return out, err
}

// InsertShift implements service.Queries.
func (q queries) InsertShift(ctx context.Context, s service.Shift) error {
	if err := exec(ctx, q, "insert shift", `INSERT INTO shifts (`+shiftCols+`) VALUES (?,?,?,?,?,?,?,?,?)`,
		s.ID, s.PlanID, s.AreaID, ft(s.StartsAt), ft(s.EndsAt), s.Required, s.Assigned, s.ExpectedScans, s.Version); err != nil {
		return err
	}
	for i, c := range s.Route {
		if err := exec(ctx, q, "insert route", `INSERT INTO shift_checkpoints (shift_id, checkpoint_id, position) VALUES (?,?,?)`, s.ID, c, i); err != nil {
			return err
		}
	}
	return nil
}

// GetShift implements service.Queries.
func (q queries) GetShift(ctx context.Context, id string) (service.Shift, error) {
	s, err := scanShift(q.QueryRow(ctx, `SELECT `+shiftCols+` FROM shifts WHERE id = ?`, id))
	if err != nil {
		return s, err
	}
	return s, q.fillShift(ctx, &s)
}

// ListShifts implements service.Queries.
func (q queries) ListShifts(ctx context.Context, planID string) ([]service.Shift, error) {
	return q.shifts(ctx, `SELECT `+shiftCols+` FROM shifts WHERE plan_id = ? ORDER BY starts_at, id`, planID)
}

// ShiftsOverlapping implements service.Queries.
func (q queries) ShiftsOverlapping(ctx context.Context, areaID string, from, to time.Time) ([]service.Shift, error) {
	where, args := []string{"starts_at < ?", "ends_at > ?"}, []any{ft(to), ft(from)}
	if areaID != "" {
		where, args = append(where, "area_id = ?"), append(args, areaID)
	}
	return all(ctx, q, `SELECT `+shiftCols+` FROM shifts`+storage.Where(where)+` ORDER BY starts_at, id`, args, scanShift)
}

// TouchShift implements service.Queries.
func (q queries) TouchShift(ctx context.Context, s *service.Shift) error {
	res, err := q.Exec(ctx, `UPDATE shifts SET assigned = ?, version = ? WHERE id = ? AND version = ?`, s.Assigned, s.Version, s.ID, s.Version-1)
	return versioned.Written(res, err, "shift")
}

// --- assignments ---

// InsertAssignment implements service.Queries.
func (q queries) InsertAssignment(ctx context.Context, a service.Assignment) error {
	return exec(ctx, q, "insert assignment", `INSERT INTO assignments (shift_id, guard_id, team_id, assigned_at) VALUES (?,?,?,?)`,
		a.ShiftID, a.GuardID, a.TeamID, ft(a.AssignedAt))
}

// DeleteAssignment implements service.Queries.
func (q queries) DeleteAssignment(ctx context.Context, shiftID, guardID string) error {
	return exec(ctx, q, "delete assignment", `DELETE FROM assignments WHERE shift_id = ? AND guard_id = ?`, shiftID, guardID)
}

// GetAssignment implements service.Queries.
func (q queries) GetAssignment(ctx context.Context, shiftID, guardID string) (service.Assignment, error) {
	a := service.Assignment{ShiftID: shiftID, GuardID: guardID}
	var at string
	err := q.QueryRow(ctx, `SELECT team_id, assigned_at FROM assignments WHERE shift_id = ? AND guard_id = ?`, shiftID, guardID).Scan(&a.TeamID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return a, service.ErrAssignmentNotFound
	}
	if err != nil {
		return a, fmt.Errorf("store: get assignment: %w", err)
	}
	a.AssignedAt = pt(at)
	return a, nil
}

// PersonAssignments implements service.Queries.
func (q queries) PersonAssignments(ctx context.Context, person string, from, to time.Time) ([]service.LocalBooking, error) {
	return all(ctx, q, `SELECT a.shift_id, a.guard_id, a.team_id, a.assigned_at FROM assignments a
		JOIN guards g ON g.id = a.guard_id JOIN shifts s ON s.id = a.shift_id
		WHERE g.id_hash = ? AND g.id_hash <> '' AND s.starts_at < ? AND s.ends_at > ? ORDER BY a.assigned_at, a.shift_id, a.guard_id`,
		[]any{person, ft(to), ft(from)},
		func(r storage.Scanner) (service.LocalBooking, error) {
			var b service.LocalBooking
			var at string
			err := r.Scan(&b.ShiftID, &b.GuardID, &b.TeamID, &at)
			b.AssignedAt = pt(at)
			return b, err
		})
}

// PutForeignBooking implements service.Queries.
func (q queries) PutForeignBooking(ctx context.Context, b service.ForeignBooking) error {
	return exec(ctx, q, "put foreign booking", `INSERT INTO foreign_bookings (district, shift_id, guard_id, person, starts_at, ends_at, assigned_at)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT (district, shift_id, guard_id) DO UPDATE SET person = excluded.person,
		starts_at = excluded.starts_at, ends_at = excluded.ends_at, assigned_at = excluded.assigned_at`,
		b.District, b.ShiftID, b.GuardID, b.Person, ft(b.StartsAt), ft(b.EndsAt), ft(b.AssignedAt))
}

// DeleteForeignBooking implements service.Queries.
func (q queries) DeleteForeignBooking(ctx context.Context, district, shiftID, guardID string) error {
	return exec(ctx, q, "delete foreign booking", `DELETE FROM foreign_bookings WHERE district = ? AND shift_id = ? AND guard_id = ?`,
		district, shiftID, guardID)
}

// PruneForeignBookings implements service.Queries.
func (q queries) PruneForeignBookings(ctx context.Context, t time.Time) (int, error) {
	res, err := q.Exec(ctx, `DELETE FROM foreign_bookings WHERE ends_at < ?`, ft(t))
	if err != nil {
		return 0, fmt.Errorf("store: prune foreign bookings: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ForeignBookingsOf implements service.Queries.
func (q queries) ForeignBookingsOf(ctx context.Context, person string, from, to time.Time) ([]service.ForeignBooking, error) {
	return all(ctx, q, `SELECT district, shift_id, guard_id, person, starts_at, ends_at, assigned_at FROM foreign_bookings
		WHERE person = ? AND starts_at < ? AND ends_at > ? ORDER BY starts_at, district, shift_id`, []any{person, ft(to), ft(from)},
		func(r storage.Scanner) (service.ForeignBooking, error) {
			var b service.ForeignBooking
			var st, en, at string
			err := r.Scan(&b.District, &b.ShiftID, &b.GuardID, &b.Person, &st, &en, &at)
			b.StartsAt, b.EndsAt, b.AssignedAt = pt(st), pt(en), pt(at)
			return b, err
		})
}

// InsertBookingConflict implements service.Queries.
func (q queries) InsertBookingConflict(ctx context.Context, c service.BookingConflict) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO booking_conflicts (id, shift_id, guard_id, other_district, other_shift_id, outcome, found_at)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT (shift_id, guard_id, other_district, other_shift_id) DO NOTHING`,
		c.ID, c.ShiftID, c.GuardID, c.Other.District, c.Other.ShiftID, c.Outcome, ft(c.FoundAt))
	if err != nil {
		return false, fmt.Errorf("store: insert booking conflict: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// GuardShiftsOverlapping implements service.Queries.
func (q queries) GuardShiftsOverlapping(ctx context.Context, guardID string, from, to time.Time) ([]string, error) {
	return all(ctx, q, `SELECT s.id FROM assignments a JOIN shifts s ON s.id = a.shift_id
		WHERE a.guard_id = ? AND s.starts_at < ? AND s.ends_at > ? ORDER BY s.id`, []any{guardID, ft(to), ft(from)},
		func(r storage.Scanner) (string, error) {
			var s string
			err := r.Scan(&s)
			return s, err
		})
}

// GuardShiftsAfter implements service.Queries.
func (q queries) GuardShiftsAfter(ctx context.Context, guardID string, t time.Time) ([]service.Shift, error) {
	return q.shifts(ctx, `SELECT `+prefixed("s.", shiftCols)+` FROM assignments a JOIN shifts s ON s.id = a.shift_id
		WHERE a.guard_id = ? AND s.starts_at > ? ORDER BY s.starts_at, s.id`, guardID, ft(t))
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// ScanShifts implements service.Queries.
func (q queries) ScanShifts(ctx context.Context, checkpointID, guardID string, t time.Time, grace time.Duration) ([]service.ScanShift, error) {
	return all(ctx, q, `SELECT s.id, s.plan_id, s.area_id, s.starts_at, s.ends_at, s.required, s.assigned, s.expected_scans, s.version,
		EXISTS (SELECT 1 FROM assignments a WHERE a.shift_id = s.id AND a.guard_id = ?)
		FROM shift_checkpoints sc JOIN shifts s ON s.id = sc.shift_id
		WHERE sc.checkpoint_id = ? AND s.starts_at <= ? AND s.ends_at >= ? ORDER BY s.starts_at, s.id`,
		[]any{guardID, checkpointID, ft(t.Add(grace)), ft(t.Add(-grace))},
		func(r storage.Scanner) (service.ScanShift, error) {
			var s service.ScanShift
			var st, en string
			err := r.Scan(&s.ID, &s.PlanID, &s.AreaID, &st, &en, &s.Required, &s.Assigned, &s.ExpectedScans, &s.Version, &s.GuardAssigned)
			s.StartsAt, s.EndsAt = pt(st), pt(en)
			return s, err
		})
}

// --- scans ---

const scanCols = `id, shift_id, guard_id, checkpoint_id, scanned_at, device_time, received_at, lat, lng, accuracy_m, distance_m,
	device_id, device_seq, mock_location, offline, clock_skewed, time_corrected, clock_offset_s`

func scanScan(r storage.Scanner) (service.Scan, error) {
	var s service.Scan
	var at, dt, rc string
	err := r.Scan(&s.ID, &s.ShiftID, &s.GuardID, &s.CheckpointID, &at, &dt, &rc, &s.Location.Lat, &s.Location.Lng, &s.AccuracyM, &s.DistanceM,
		&s.DeviceID, &s.DeviceSeq, &s.MockLocation, &s.Offline, &s.ClockSkewed, &s.TimeCorrected, &s.ClockOffsetS)
	if err != nil {
		return s, err
	}
	s.ScannedAt, s.DeviceTime, s.ReceivedAt = pt(at), pt(dt), pt(rc)
	return s, nil
}

// ScanByDevice implements service.Queries.
func (q queries) ScanByDevice(ctx context.Context, deviceID string, seq int64) (service.Scan, bool, error) {
	s, err := scanScan(q.QueryRow(ctx, `SELECT `+scanCols+` FROM scans WHERE device_id = ? AND device_seq = ?`, deviceID, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("store: scan by device: %w", err)
	}
	return s, true, nil
}

// ScanNear implements service.Queries.
func (q queries) ScanNear(ctx context.Context, guardID, checkpointID string, t time.Time, d time.Duration) (bool, error) {
	var near bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM scans WHERE guard_id = ? AND checkpoint_id = ? AND scanned_at > ? AND scanned_at < ?)`,
		guardID, checkpointID, ft(t.Add(-d)), ft(t.Add(d))).Scan(&near)
	if err != nil {
		return false, fmt.Errorf("store: scan near: %w", err)
	}
	return near, nil
}

// InsertScan implements service.Queries.
func (q queries) InsertScan(ctx context.Context, s service.Scan) error {
	return exec(ctx, q, "insert scan", `INSERT INTO scans (`+scanCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		s.ID, s.ShiftID, s.GuardID, s.CheckpointID, ft(s.ScannedAt), ft(s.DeviceTime), ft(s.ReceivedAt), s.Location.Lat, s.Location.Lng,
		s.AccuracyM, s.DistanceM, s.DeviceID, s.DeviceSeq, s.MockLocation, s.Offline, s.ClockSkewed, s.TimeCorrected, s.ClockOffsetS)
}

// ShiftScans implements service.Queries.
func (q queries) ShiftScans(ctx context.Context, shiftID string) ([]service.Scan, error) {
	return all(ctx, q, `SELECT `+scanCols+` FROM scans WHERE shift_id = ? ORDER BY scanned_at, id`, []any{shiftID}, scanScan)
}

// --- tours ---

// TourCandidates implements service.Queries.
func (q queries) TourCandidates(ctx context.Context, startedBy time.Time) ([]service.TourState, error) {
	return all(ctx, q, `SELECT `+prefixed("s.", shiftCols)+`, a.guard_id,
		coalesce((SELECT min(x.scanned_at) FROM scans x WHERE x.shift_id = s.id AND x.guard_id = a.guard_id), ''),
		(SELECT count(*) FROM scans x WHERE x.shift_id = s.id AND x.guard_id = a.guard_id),
		EXISTS (SELECT 1 FROM missed_tours m WHERE m.shift_id = s.id AND m.guard_id = a.guard_id AND m.kind = 'not_started'),
		EXISTS (SELECT 1 FROM missed_tours m WHERE m.shift_id = s.id AND m.guard_id = a.guard_id AND m.kind = 'not_finished')
		FROM assignments a JOIN shifts s ON s.id = a.shift_id
		WHERE s.starts_at <= ? ORDER BY s.starts_at, s.id, a.guard_id`,
		[]any{ft(startedBy)},
		func(r storage.Scanner) (service.TourState, error) {
			var t service.TourState
			var st, en, first string
			err := r.Scan(&t.Shift.ID, &t.Shift.PlanID, &t.Shift.AreaID, &st, &en, &t.Shift.Required, &t.Shift.Assigned, &t.Shift.ExpectedScans,
				&t.Shift.Version, &t.GuardID, &first, &t.Scans, &t.HasNotStarted, &t.HasNotFinish)
			t.Shift.StartsAt, t.Shift.EndsAt = pt(st), pt(en)
			if first != "" {
				t.FirstScan = pt(first)
			}
			return t, err
		})
}

// InsertMissedTour implements service.Queries.
func (q queries) InsertMissedTour(ctx context.Context, m service.MissedTour) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO missed_tours (id, shift_id, plan_id, guard_id, kind, scans, expected_scans, raised_at)
		VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (shift_id, guard_id, kind) DO NOTHING`,
		m.ID, m.ShiftID, m.PlanID, m.GuardID, m.Kind, m.Scans, m.ExpectedScans, ft(m.RaisedAt))
	if err != nil {
		return false, fmt.Errorf("store: insert missed tour: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ListMissedTours implements service.Queries: newest first (ids are
// UUIDv7, so id order is time order).
func (q queries) ListMissedTours(ctx context.Context, kind, shiftID string, p kitx.Page) ([]service.MissedTour, string, error) {
	where := []string{"withdrawn_at = ''"}
	var args []any
	if kind != "" {
		where, args = append(where, "kind = ?"), append(args, kind)
	}
	if shiftID != "" {
		where, args = append(where, "shift_id = ?"), append(args, shiftID)
	}
	if p.Cursor != "" {
		where, args = append(where, "id < ?"), append(args, p.Cursor)
	}
	args = append(args, p.Size+1)
	return storage.ListRows(ctx, q.Querier, `SELECT id, shift_id, plan_id, guard_id, kind, scans, expected_scans, raised_at FROM missed_tours`+
		storage.Where(where)+` ORDER BY id DESC LIMIT ?`, args, p, scanMissed, func(m service.MissedTour) string { return m.ID })
}

// LiveMissedTours implements service.Queries.
func (q queries) LiveMissedTours(ctx context.Context, shiftID, guardID string) ([]service.MissedTour, error) {
	return all(ctx, q, `SELECT id, shift_id, plan_id, guard_id, kind, scans, expected_scans, raised_at FROM missed_tours
		WHERE shift_id = ? AND guard_id = ? AND withdrawn_at = '' ORDER BY kind`, []any{shiftID, guardID}, scanMissed)
}

// WithdrawMissedTour implements service.Queries.
func (q queries) WithdrawMissedTour(ctx context.Context, id string, t time.Time) error {
	return exec(ctx, q, "withdraw missed tour", `UPDATE missed_tours SET withdrawn_at = ? WHERE id = ?`, ft(t), id)
}

// GuardShiftScans implements service.Queries.
func (q queries) GuardShiftScans(ctx context.Context, shiftID, guardID string) (time.Time, int, error) {
	var first string
	var n int
	err := q.QueryRow(ctx, `SELECT coalesce(min(scanned_at), ''), count(*) FROM scans WHERE shift_id = ? AND guard_id = ?`, shiftID, guardID).
		Scan(&first, &n)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("store: guard shift scans: %w", err)
	}
	if first == "" {
		return time.Time{}, 0, nil
	}
	return pt(first), n, nil
}

func scanMissed(r storage.Scanner) (service.MissedTour, error) {
	var m service.MissedTour
	var at string
	err := r.Scan(&m.ID, &m.ShiftID, &m.PlanID, &m.GuardID, &m.Kind, &m.Scans, &m.ExpectedScans, &at)
	m.RaisedAt = pt(at)
	return m, err
}

// WorkedShifts implements service.Queries.
func (q queries) WorkedShifts(ctx context.Context, from, to time.Time) ([]service.WorkedShift, error) {
	return all(ctx, q, `SELECT DISTINCT x.guard_id, s.id, s.starts_at, s.ends_at FROM scans x JOIN shifts s ON s.id = x.shift_id
		WHERE s.starts_at < ? AND s.ends_at > ? ORDER BY x.guard_id, s.starts_at`, []any{ft(to), ft(from)},
		func(r storage.Scanner) (service.WorkedShift, error) {
			var w service.WorkedShift
			var st, en string
			err := r.Scan(&w.GuardID, &w.ShiftID, &st, &en)
			w.StartsAt, w.EndsAt = pt(st), pt(en)
			return w, err
		})
}

// --- dispatch ---

// OnDutyTeams implements service.Queries.
func (q queries) OnDutyTeams(ctx context.Context, t time.Time) ([]service.OnDuty, error) {
	now := ft(t)
	return all(ctx, q, `SELECT DISTINCT a.team_id, tm.leader_guard_id, s.area_id FROM assignments a
		JOIN shifts s ON s.id = a.shift_id
		JOIN team_members m ON m.team_id = a.team_id AND m.guard_id = a.guard_id AND m.status = 'active'
		JOIN teams tm ON tm.id = a.team_id
		WHERE s.starts_at <= ? AND s.ends_at > ? ORDER BY a.team_id, s.area_id`, []any{now, now},
		func(r storage.Scanner) (service.OnDuty, error) {
			var o service.OnDuty
			err := r.Scan(&o.TeamID, &o.LeaderGuardID, &o.AreaID)
			return o, err
		})
}

func scanDispatch(r storage.Scanner) (service.Dispatch, error) {
	var d service.Dispatch
	var body string
	err := r.Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return d, service.ErrDispatchNotFound
	}
	if err != nil {
		return d, fmt.Errorf("store: scan dispatch: %w", err)
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return d, fmt.Errorf("store: dispatch body: %w", err)
	}
	return d, nil
}

// InsertDispatch implements service.Queries.
func (q queries) InsertDispatch(ctx context.Context, d service.Dispatch) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("store: dispatch body: %w", err)
	}
	return exec(ctx, q, "insert dispatch", `INSERT INTO dispatches (id, status, raised_at, body, version) VALUES (?,?,?,?,?)`,
		d.ID, d.Status, ft(d.RaisedAt), string(body), d.Version)
}

// GetDispatch implements service.Queries.
func (q queries) GetDispatch(ctx context.Context, id string) (service.Dispatch, error) {
	return scanDispatch(q.QueryRow(ctx, `SELECT body FROM dispatches WHERE id = ?`, id))
}

// WriteDispatch implements service.Queries.
func (q queries) WriteDispatch(ctx context.Context, d service.Dispatch) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("store: dispatch body: %w", err)
	}
	res, err := q.Exec(ctx, `UPDATE dispatches SET status = ?, body = ?, version = ? WHERE id = ? AND version = ?`,
		d.Status, string(body), d.Version, d.ID, d.Version-1)
	return versioned.Written(res, err, "dispatch")
}

// ListDispatches implements service.Queries: newest first.
func (q queries) ListDispatches(ctx context.Context, status string, p kitx.Page) ([]service.Dispatch, string, error) {
	var where []string
	var args []any
	if status != "" {
		where, args = append(where, "status = ?"), append(args, status)
	}
	if p.Cursor != "" {
		where, args = append(where, "id < ?"), append(args, p.Cursor)
	}
	args = append(args, p.Size+1)
	return storage.ListRows(ctx, q.Querier, `SELECT body FROM dispatches`+storage.Where(where)+` ORDER BY id DESC LIMIT ?`, args, p,
		scanDispatch, func(d service.Dispatch) string { return d.ID })
}

// OpenDispatches implements service.Queries.
func (q queries) OpenDispatches(ctx context.Context) ([]service.Dispatch, error) {
	return all(ctx, q, `SELECT body FROM dispatches WHERE status != 'closed' ORDER BY id`, nil, scanDispatch)
}

// --- incidents ---

func scanIncident(r storage.Scanner) (service.Incident, error) {
	var inc service.Incident
	var body string
	err := r.Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return inc, service.ErrIncidentNotFound
	}
	if err != nil {
		return inc, fmt.Errorf("store: scan incident: %w", err)
	}
	if err := json.Unmarshal([]byte(body), &inc); err != nil {
		return inc, fmt.Errorf("store: incident body: %w", err)
	}
	return inc, nil
}

// InsertIncident implements service.Queries.
func (q queries) InsertIncident(ctx context.Context, inc service.Incident) error {
	body, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("store: incident body: %w", err)
	}
	return exec(ctx, q, "insert incident", `INSERT INTO incidents (id, status, reported_at, body, version) VALUES (?,?,?,?,?)`,
		inc.ID, inc.Status, ft(inc.ReportedAt), string(body), inc.Version)
}

// GetIncident implements service.Queries.
func (q queries) GetIncident(ctx context.Context, id string) (service.Incident, error) {
	return scanIncident(q.QueryRow(ctx, `SELECT body FROM incidents WHERE id = ?`, id))
}

// WriteIncident implements service.Queries.
func (q queries) WriteIncident(ctx context.Context, inc service.Incident) error {
	body, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("store: incident body: %w", err)
	}
	res, err := q.Exec(ctx, `UPDATE incidents SET status = ?, body = ?, version = ? WHERE id = ? AND version = ?`,
		inc.Status, string(body), inc.Version, inc.ID, inc.Version-1)
	return versioned.Written(res, err, "incident")
}

// ListIncidents implements service.Queries: newest first.
func (q queries) ListIncidents(ctx context.Context, p kitx.Page) ([]service.Incident, string, error) {
	var where []string
	var args []any
	if p.Cursor != "" {
		where, args = append(where, "id < ?"), append(args, p.Cursor)
	}
	args = append(args, p.Size+1)
	return storage.ListRows(ctx, q.Querier, `SELECT body FROM incidents`+storage.Where(where)+` ORDER BY id DESC LIMIT ?`, args, p,
		scanIncident, func(inc service.Incident) string { return inc.ID })
}
