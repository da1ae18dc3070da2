// Package store is the compliance service's database adapter (SQLite or
// PostgreSQL, one SQL text for both): the scoreboard's tables, read by the
// API and written by the membership consumer and the refresh loop, whose
// changes' events go into the outbox in the same transaction.
package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// Migrations holds the compliance tables, per dialect.
//
//go:embed migrations
var Migrations embed.FS

// MigrationsTable is the goose version table of the compliance migrations.
const MigrationsTable = "goose_compliance"

// Migrate applies the compliance tables to db (the outbox's are the
// node's: node.OpenDistrict migrates them after these).
func Migrate(ctx context.Context, db *storage.DB) error {
	if err := db.Migrate(ctx, Migrations, "migrations", MigrationsTable); err != nil {
		return err
	}
	if err := audit.Migrate(ctx, db); err != nil {
		return err
	}
	return idempotency.Migrate(ctx, db)
}

// Store reads the scoreboard (Queries on the database) and runs its
// transactions (eventbus.Writer: Tx, In).
type Store struct {
	Queries
	eventbus.Writer[service.Queries, service.Change]
}

// New returns the store over db, publishing through outbox (which must use
// the same database).
func New(db *storage.DB, outbox *eventbus.Outbox) *Store {
	at := func(q storage.Querier) service.Queries { return newQueries(q) }
	return &Store{Queries: newQueries(db.Querier()), Writer: eventbus.NewWriter(outbox, at, events)}
}

var (
	_ service.Queries = Queries{}
	_ service.Reader  = Queries{}
)

// Queries implements service.Queries and service.Reader on the database
// or a transaction.
type Queries struct {
	q storage.Querier
	idempotency.Keys
	audit.Store
}

func newQueries(q storage.Querier) Queries {
	return Queries{q: q, Keys: idempotency.NewKeys(q), Store: audit.NewStore(q)}
}

// State implements service.Queries.
func (s Queries) State(ctx context.Context) (service.State, bool, error) {
	var st service.State
	var raw string
	err := s.q.QueryRow(ctx, `SELECT day, policy FROM scoreboard_state WHERE id = 1`).Scan(&st.Day, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("store: state: %w", err)
	}
	p, err := decodePolicy(raw)
	if err != nil {
		return st, false, fmt.Errorf("store: state policy: %w", err)
	}
	st.Policy = p
	return st, true, nil
}

// lastPolicy memoises the decoding of the state row's policy: the row is
// read before every membership event and changes about never.
var lastPolicy atomic.Pointer[struct {
	raw string
	p   policy.Compliance
}]

func decodePolicy(raw string) (policy.Compliance, error) {
	if m := lastPolicy.Load(); m != nil && m.raw == raw {
		return m.p, nil
	}
	var p policy.Compliance
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return p, err
	}
	lastPolicy.Store(&struct {
		raw string
		p   policy.Compliance
	}{raw, p})
	return p, nil
}

// PutState implements service.Queries.
func (s Queries) PutState(ctx context.Context, st service.State) error {
	raw, err := json.Marshal(st.Policy)
	if err != nil {
		return err
	}
	_, err = s.q.Exec(ctx, `INSERT INTO scoreboard_state (id, day, policy) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET day = excluded.day, policy = excluded.policy`, st.Day, string(raw))
	return wrap("put state", err)
}

const guardCols = `id, company_id, employment_status, background_check_status, has_certificate, certificate_valid_until,
	badge_service, pre_job_trained, version, pre_job_hours, year, year_pre_job_hours, year_in_service_hours`

func scanGuard(r storage.Scanner) (service.Guard, error) {
	// The flags are bound and scanned as Go bools: BOOLEAN on PostgreSQL,
	// 0/1 on SQLite, and both scan into a bool.
	var g service.Guard
	err := r.Scan(&g.ID, &g.CompanyID, &g.EmploymentStatus, &g.BackgroundCheckStatus, &g.HasCertificate, &g.CertificateValidUntil,
		&g.BadgeService, &g.PreJobTrained, &g.Version, &g.PreJobHours, &g.Year, &g.YearPreJobHours, &g.YearInServiceHours)
	return g, err
}

// Guard implements service.Queries.
func (s Queries) Guard(ctx context.Context, id string) (service.Guard, bool, error) {
	g, err := scanGuard(s.q.QueryRow(ctx, `SELECT `+guardCols+` FROM guards WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return service.Guard{}, false, nil
	}
	if err != nil {
		return service.Guard{}, false, fmt.Errorf("store: guard: %w", err)
	}
	return g, true, nil
}

// Guards implements service.Queries: one query per 500 ids.
func (s Queries) Guards(ctx context.Context, ids []string) (map[string]service.Guard, error) {
	out := make(map[string]service.Guard, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		rows, err := s.q.Query(ctx, `SELECT `+guardCols+` FROM guards WHERE id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, wrap("guards", err)
		}
		for rows.Next() {
			g, err := scanGuard(rows)
			if err != nil {
				rows.Close()
				return nil, wrap("guards", err)
			}
			out[g.ID] = g
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, wrap("guards", err)
		}
		ids = ids[n:]
	}
	return out, nil
}

// guardUpsert inserts a guard (guardOnConflict: or replaces every column
// of its row).
const guardUpsert = `INSERT INTO guards (` + guardCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const guardOnConflict = `
		ON CONFLICT (id) DO UPDATE SET company_id = excluded.company_id, employment_status = excluded.employment_status,
		background_check_status = excluded.background_check_status, has_certificate = excluded.has_certificate,
		certificate_valid_until = excluded.certificate_valid_until, badge_service = excluded.badge_service,
		pre_job_trained = excluded.pre_job_trained, version = excluded.version, pre_job_hours = excluded.pre_job_hours,
		year = excluded.year, year_pre_job_hours = excluded.year_pre_job_hours, year_in_service_hours = excluded.year_in_service_hours`

// guardUpdateInPlace rewrites the row of a guard who stays in his
// company without naming company_id: SQLite deletes and reinserts an
// index's entry whenever one of its columns is in an UPDATE's SET list,
// even to the same value, so the upsert also wrote guards_by_company's
// page, a second random page per membership event (the upsert of a random
// guard row of 100,000: 111 µs with company_id in the SET list, 61 µs
// without, in the same run).
const guardUpdateInPlace = `UPDATE guards SET employment_status = ?, background_check_status = ?, has_certificate = ?,
		certificate_valid_until = ?, badge_service = ?, pre_job_trained = ?, version = ?, pre_job_hours = ?,
		year = ?, year_pre_job_hours = ?, year_in_service_hours = ? WHERE id = ? AND company_id = ?`

// updateInPlace rewrites g's row if it is on record in g's company; false
// when it is not (a new guard, or one who moved company).
func (s Queries) updateInPlace(ctx context.Context, g service.Guard) (bool, error) {
	res, err := s.q.Exec(ctx, guardUpdateInPlace, g.EmploymentStatus, g.BackgroundCheckStatus, g.HasCertificate,
		g.CertificateValidUntil, g.BadgeService, g.PreJobTrained, g.Version, g.PreJobHours, g.Year,
		g.YearPreJobHours, g.YearInServiceHours, g.ID, g.CompanyID)
	if err != nil {
		return false, wrap("put guard", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("put guard", err)
}

// PutGuards implements service.Queries: the guards who stay in their
// company are rewritten in place (guardUpdateInPlace), the others upserted
// in one statement per 500 guards.
func (s Queries) PutGuards(ctx context.Context, gs []service.Guard) error {
	var rest []service.Guard
	for _, g := range gs {
		ok, err := s.updateInPlace(ctx, g)
		if err != nil {
			return err
		}
		if !ok {
			rest = append(rest, g)
		}
	}
	for len(rest) > 0 {
		n := min(len(rest), 500)
		args := make([]any, 0, 13*n)
		for _, g := range rest[:n] {
			args = append(args, g.ID, g.CompanyID, g.EmploymentStatus, g.BackgroundCheckStatus, g.HasCertificate, g.CertificateValidUntil,
				g.BadgeService, g.PreJobTrained, g.Version, g.PreJobHours, g.Year, g.YearPreJobHours, g.YearInServiceHours)
		}
		_, err := s.q.Exec(ctx, guardUpsert+strings.Repeat(`, (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, n-1)+guardOnConflict, args...)
		if err != nil {
			return wrap("put guards", err)
		}
		rest = rest[n:]
	}
	return nil
}

// PutGuard implements service.Queries: in place when the guard stays in
// his company (guardUpdateInPlace), else an upsert.
func (s Queries) PutGuard(ctx context.Context, g service.Guard) error {
	if ok, err := s.updateInPlace(ctx, g); ok || err != nil {
		return err
	}
	_, err := s.q.Exec(ctx, guardUpsert+guardOnConflict,
		g.ID, g.CompanyID, g.EmploymentStatus, g.BackgroundCheckStatus, g.HasCertificate, g.CertificateValidUntil,
		g.BadgeService, g.PreJobTrained, g.Version, g.PreJobHours, g.Year, g.YearPreJobHours, g.YearInServiceHours)
	return wrap("put guard", err)
}

// AddTraining implements service.Queries.
func (s Queries) AddTraining(ctx context.Context, t service.Training) (bool, error) {
	res, err := s.q.Exec(ctx, `INSERT INTO trainings (guard_id, guard_version, type, hours, trained_on) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (guard_id, guard_version) DO NOTHING`, t.GuardID, t.GuardVersion, t.Type, t.Hours, t.TrainedOn)
	if err != nil {
		return false, wrap("add training", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ResetYearHours implements service.Queries.
func (s Queries) ResetYearHours(ctx context.Context, year string) error {
	_, err := s.q.Exec(ctx, `UPDATE guards SET year = ?,
		pre_job_hours = COALESCE((SELECT SUM(hours) FROM trainings t WHERE t.guard_id = guards.id AND t.type = 'pre_job'), 0),
		year_pre_job_hours = COALESCE((SELECT SUM(hours) FROM trainings t WHERE t.guard_id = guards.id AND t.type = 'pre_job'
			AND substr(t.trained_on, 1, 4) = ?), 0),
		year_in_service_hours = COALESCE((SELECT SUM(hours) FROM trainings t WHERE t.guard_id = guards.id AND t.type = 'in_service'
			AND substr(t.trained_on, 1, 4) = ?), 0)`, year, year, year)
	return wrap("reset year hours", err)
}

// EachGuard implements service.Queries.
func (s Queries) EachGuard(ctx context.Context, fn func(service.Guard) error) error {
	rows, err := s.q.Query(ctx, `SELECT `+guardCols+` FROM guards`)
	if err != nil {
		return wrap("scan guards", err)
	}
	defer rows.Close()
	for rows.Next() {
		g, err := scanGuard(rows)
		if err != nil {
			return wrap("scan guard", err)
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return wrap("scan guards", rows.Err())
}

// ActiveGuards implements service.Reader.
func (s Queries) ActiveGuards(ctx context.Context, company, after string, limit int) ([]service.Guard, error) {
	where, args := []string{"employment_status = 'active'", "id > ?"}, []any{after}
	if company != "" {
		where, args = append(where, "company_id = ?"), append(args, company)
	}
	rows, err := s.q.Query(ctx, `SELECT `+guardCols+` FROM guards`+storage.Where(where)+` ORDER BY id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap("active guards", err)
	}
	defer rows.Close()
	var out []service.Guard
	for rows.Next() {
		g, err := scanGuard(rows)
		if err != nil {
			return nil, wrap("active guard", err)
		}
		out = append(out, g)
	}
	return out, wrap("active guards", rows.Err())
}

// PutCompany implements service.Queries: versions only move forward. An
// activation (of a new company, or after a lapse) starts its active window
// on the event's day; a lapse ends it; a suspension leaves it.
func (s Queries) PutCompany(ctx context.Context, c service.Company) error {
	day := ""
	if !c.At.IsZero() {
		day = service.Day(c.At)
	}
	_, err := s.q.Exec(ctx, `INSERT INTO companies (id, name, status, version, active_since, lapsed_on, window_event_id)
		VALUES (?, ?, ?, ?, CASE WHEN ? = 'active' THEN ? ELSE '' END, CASE WHEN ? = 'lapsed' THEN ? ELSE '' END, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, version = excluded.version,
		window_event_id = CASE WHEN (excluded.status = 'active' AND (companies.active_since = '' OR companies.lapsed_on != ''))
			OR (excluded.status = 'lapsed' AND companies.lapsed_on = '') THEN excluded.window_event_id ELSE companies.window_event_id END,
		active_since = CASE WHEN excluded.status = 'active' AND (companies.active_since = '' OR companies.lapsed_on != '')
			THEN excluded.active_since ELSE companies.active_since END,
		lapsed_on = CASE WHEN excluded.status = 'lapsed' AND companies.lapsed_on = '' THEN ?
			WHEN excluded.status = 'active' THEN '' ELSE companies.lapsed_on END
		WHERE excluded.version > companies.version`, c.ID, c.Name, c.Status, c.Version, c.Status, day, c.Status, day, c.EventID, day)
	return wrap("put company", err)
}

// CompanyWindow implements service.Queries: the company's active window
// ("" for a day not known).
func (s Queries) CompanyWindow(ctx context.Context, id string) (activeSince, lapsedOn string, err error) {
	err = s.q.QueryRow(ctx, `SELECT active_since, lapsed_on FROM companies WHERE id = ?`, id).Scan(&activeSince, &lapsedOn)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	return activeSince, lapsedOn, wrap("company window", err)
}

// CompanyKnown implements service.Queries.
func (s Queries) CompanyKnown(ctx context.Context, id string) (bool, error) {
	var n int
	err := s.q.QueryRow(ctx, `SELECT count(*) FROM companies WHERE id = ?`, id).Scan(&n)
	return n > 0, wrap("company known", err)
}

const scoreCols = `s.company_id, COALESCE(c.name, ''), COALESCE(c.status, ''), s.active, s.background_checked, s.trained,
	s.certified, s.badge_service, s.full_mask, s.version`

func scanScore(r storage.Scanner) (service.CompanyScore, error) {
	var s service.CompanyScore
	var full int
	err := r.Scan(&s.CompanyID, &s.Name, &s.Status, &s.Counts.Active, &s.Counts.BackgroundChecked, &s.Counts.Trained,
		&s.Counts.Certified, &s.Counts.BadgeService, &full, &s.Version)
	s.Full = service.Mask(full)
	return s, err
}

// CompanyScore implements service.Queries and service.Reader: the
// company's counts (its name and status from the register, if known).
func (s Queries) CompanyScore(ctx context.Context, id string) (service.CompanyScore, bool, error) {
	r, err := scanScore(s.q.QueryRow(ctx, `SELECT `+scoreCols+` FROM company_scores s LEFT JOIN companies c ON c.id = s.company_id
		WHERE s.company_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return service.CompanyScore{}, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("store: company score: %w", err)
	}
	return r, true, nil
}

// CompanyScores implements service.Queries.
func (s Queries) CompanyScores(ctx context.Context) ([]service.CompanyScore, error) {
	return s.ListCompanyScores(ctx, "", -1)
}

// ListCompanyScores implements service.Reader (limit < 0: all, with no
// LIMIT at all: SQLite reads a negative one as none, PostgreSQL refuses it).
func (s Queries) ListCompanyScores(ctx context.Context, after string, limit int) ([]service.CompanyScore, error) {
	query, args := `SELECT `+scoreCols+` FROM company_scores s LEFT JOIN companies c ON c.id = s.company_id
		WHERE s.company_id > ? ORDER BY s.company_id`, []any{after}
	if limit >= 0 {
		query, args = query+` LIMIT ?`, append(args, limit)
	}
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap("company scores", err)
	}
	defer rows.Close()
	var out []service.CompanyScore
	for rows.Next() {
		r, err := scanScore(rows)
		if err != nil {
			return nil, wrap("company score", err)
		}
		out = append(out, r)
	}
	return out, wrap("company scores", rows.Err())
}

// PutCompanyScore implements service.Queries.
func (s Queries) PutCompanyScore(ctx context.Context, r service.CompanyScore) error {
	c := r.Counts
	// A write that changes the counts marks them to announce; one that
	// only moves the version on (the announcement itself) clears that.
	// The stored row's columns are named with the table's name: a bare
	// one is ambiguous with excluded's on PostgreSQL.
	_, err := s.q.Exec(ctx, `INSERT INTO company_scores (company_id, active, background_checked, trained, certified, badge_service, full_mask, version, dirty)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, TRUE) ON CONFLICT (company_id) DO UPDATE SET
		dirty = CASE WHEN company_scores.active != excluded.active OR company_scores.background_checked != excluded.background_checked
			OR company_scores.trained != excluded.trained OR company_scores.certified != excluded.certified
			OR company_scores.badge_service != excluded.badge_service THEN TRUE ELSE company_scores.dirty END,
		active = excluded.active, background_checked = excluded.background_checked, trained = excluded.trained, certified = excluded.certified,
		badge_service = excluded.badge_service, full_mask = excluded.full_mask, version = excluded.version`,
		r.CompanyID, c.Active, c.BackgroundChecked, c.Trained, c.Certified, c.BadgeService, int(r.Full), r.Version)
	return wrap("put company score", err)
}

// addCountsOnConflict adds a delta to a company's stored counts (the
// stored row's columns named with the table's name: a bare one is
// ambiguous with excluded's on PostgreSQL).
const addCountsOnConflict = `
		ON CONFLICT (company_id) DO UPDATE SET dirty = TRUE, active = company_scores.active + excluded.active,
		background_checked = company_scores.background_checked + excluded.background_checked,
		trained = company_scores.trained + excluded.trained, certified = company_scores.certified + excluded.certified,
		badge_service = company_scores.badge_service + excluded.badge_service`

// AddCountsMany implements service.Queries: AddCounts of many companies
// in one statement per 500, returning the rows as they are now.
func (s Queries) AddCountsMany(ctx context.Context, deltas map[string]service.Counts, order []string) ([]service.CompanyScore, error) {
	var out []service.CompanyScore
	for len(order) > 0 {
		n := min(len(order), 500)
		args := make([]any, 0, 6*n)
		for _, id := range order[:n] {
			d := deltas[id]
			args = append(args, id, d.Active, d.BackgroundChecked, d.Trained, d.Certified, d.BadgeService)
		}
		rows, err := s.q.Query(ctx, `INSERT INTO company_scores (company_id, active, background_checked, trained, certified, badge_service, full_mask, version, dirty)
		VALUES (?, ?, ?, ?, ?, ?, 0, 1, TRUE)`+strings.Repeat(`, (?, ?, ?, ?, ?, ?, 0, 1, TRUE)`, n-1)+addCountsOnConflict+`
		RETURNING company_id, active, background_checked, trained, certified, badge_service, full_mask, version`, args...)
		if err != nil {
			return nil, wrap("add counts", err)
		}
		for rows.Next() {
			var r service.CompanyScore
			var full int
			if err := rows.Scan(&r.CompanyID, &r.Counts.Active, &r.Counts.BackgroundChecked, &r.Counts.Trained, &r.Counts.Certified,
				&r.Counts.BadgeService, &full, &r.Version); err != nil {
				rows.Close()
				return nil, wrap("add counts", err)
			}
			r.Full = service.Mask(full)
			out = append(out, r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, wrap("add counts", err)
		}
		order = order[n:]
	}
	return out, nil
}

// AddCounts implements service.Queries: one upsert adding the delta.
func (s Queries) AddCounts(ctx context.Context, company string, d service.Counts) (service.CompanyScore, error) {
	r := service.CompanyScore{CompanyID: company}
	var full int
	err := s.q.QueryRow(ctx, `INSERT INTO company_scores (company_id, active, background_checked, trained, certified, badge_service, full_mask, version, dirty)
		VALUES (?, ?, ?, ?, ?, ?, 0, 1, TRUE)`+addCountsOnConflict+`
		RETURNING active, background_checked, trained, certified, badge_service, full_mask, version`,
		company, d.Active, d.BackgroundChecked, d.Trained, d.Certified, d.BadgeService).
		Scan(&r.Counts.Active, &r.Counts.BackgroundChecked, &r.Counts.Trained, &r.Counts.Certified, &r.Counts.BadgeService, &full, &r.Version)
	r.Full = service.Mask(full)
	return r, wrap("add counts", err)
}

// dirtyScores reads the companies to announce through the partial index
// company_scores_dirty: its term is the bare flag, which SQLite's planner
// matches only when the query repeats it (migration 00011).
const dirtyScores = `SELECT ` + scoreCols + ` FROM company_scores s LEFT JOIN companies c ON c.id = s.company_id
		WHERE s.dirty ORDER BY s.company_id`

// DirtyScores implements service.Queries: the companies whose counts
// changed since they were announced.
func (s Queries) DirtyScores(ctx context.Context) ([]service.CompanyScore, error) {
	rows, err := s.q.Query(ctx, dirtyScores)
	if err != nil {
		return nil, wrap("dirty scores", err)
	}
	defer rows.Close()
	var out []service.CompanyScore
	for rows.Next() {
		r, err := scanScore(rows)
		if err != nil {
			return nil, wrap("dirty score", err)
		}
		out = append(out, r)
	}
	return out, wrap("dirty scores", rows.Err())
}

// Announced implements service.Queries: company's counts were announced
// at version.
func (s Queries) Announced(ctx context.Context, company string, version int64) error {
	_, err := s.q.Exec(ctx, `UPDATE company_scores SET dirty = FALSE, version = ? WHERE company_id = ?`, version, company)
	return wrap("announced", err)
}

// DistrictCounts implements service.Reader: the sum of the companies'
// counts and how many companies there are.
func (s Queries) DistrictCounts(ctx context.Context) (service.Counts, int64, error) {
	var c service.Counts
	var n int64
	err := s.q.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(active), 0), COALESCE(SUM(background_checked), 0), COALESCE(SUM(trained), 0),
		COALESCE(SUM(certified), 0), COALESCE(SUM(badge_service), 0) FROM company_scores`).
		Scan(&n, &c.Active, &c.BackgroundChecked, &c.Trained, &c.Certified, &c.BadgeService)
	return c, n, wrap("district counts", err)
}

// MarkWarned implements service.Queries.
func (s Queries) MarkWarned(ctx context.Context, guardID, criterion, key, day string) (bool, error) {
	res, err := s.q.Exec(ctx, `INSERT INTO lapse_warnings (guard_id, criterion, lapse_key, warned_on) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, guardID, criterion, key, day)
	if err != nil {
		return false, wrap("mark warned", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PutSnapshot implements service.Queries.
func (s Queries) PutSnapshot(ctx context.Context, sn service.Snapshot) error {
	c := sn.Counts
	_, err := s.q.Exec(ctx, `INSERT INTO snapshots (company_id, day, active, background_checked, trained, certified, badge_service)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (company_id, day) DO UPDATE SET active = excluded.active,
		background_checked = excluded.background_checked, trained = excluded.trained, certified = excluded.certified,
		badge_service = excluded.badge_service`, sn.CompanyID, sn.Day, c.Active, c.BackgroundChecked, c.Trained, c.Certified, c.BadgeService)
	return wrap("put snapshot", err)
}

// PruneSnapshots implements service.Queries.
func (s Queries) PruneSnapshots(ctx context.Context, before string) error {
	_, err := s.q.Exec(ctx, `DELETE FROM snapshots WHERE day < ?`, before)
	return wrap("prune snapshots", err)
}

// Snapshots implements service.Reader: company's (the district's: "")
// snapshots from since on, oldest first.
func (s Queries) Snapshots(ctx context.Context, company, since string) ([]service.Snapshot, error) {
	rows, err := s.q.Query(ctx, `SELECT company_id, day, active, background_checked, trained, certified, badge_service
		FROM snapshots WHERE company_id = ? AND day >= ? ORDER BY day`, company, since)
	if err != nil {
		return nil, wrap("snapshots", err)
	}
	defer rows.Close()
	var out []service.Snapshot
	for rows.Next() {
		var sn service.Snapshot
		c := &sn.Counts
		if err := rows.Scan(&sn.CompanyID, &sn.Day, &c.Active, &c.BackgroundChecked, &c.Trained, &c.Certified, &c.BadgeService); err != nil {
			return nil, wrap("snapshot", err)
		}
		out = append(out, sn)
	}
	return out, wrap("snapshots", rows.Err())
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// PolicyJSON renders p as the state row stores it (tests compare).
func PolicyJSON(p policy.Compliance) string {
	raw, _ := json.Marshal(p)
	return string(raw)
}
