// Package store is HQ's SQL read model: company, guard and council-member
// snapshots per district, each district's freshness, and the conflicts
// across districts with when HQ first saw each.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/storage"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// Migrations holds HQ's read-model tables, per dialect.
//
//go:embed migrations
var Migrations embed.FS

// MigrationsTable is the goose version table of HQ's migrations.
const MigrationsTable = "goose_hq"

// Migrate applies HQ's migrations to db.
func Migrate(ctx context.Context, db *storage.DB) error {
	return db.Migrate(ctx, Migrations, "migrations", MigrationsTable)
}

// Store reads and writes the read model in db.
type Store struct {
	db *storage.DB
}

// MaxConns bounds the connections HQ keeps to its database, idle ones
// included. database/sql keeps 2 idle by default: 50 concurrent readers
// opened and closed a SQLite connection for nearly every read (193 in 5 s
// in BenchmarkSummaryRead), each parsing the schema and preparing its
// statements again. Keeping them bounds memory too: every connection has
// its own page cache (SQLite's default, up to 2 MB).
const MaxConns = 16

// New returns the Store over db (migrated with Migrate), with db's pool
// set to MaxConns.
func New(db *storage.DB) *Store {
	db.SetMaxOpenConns(MaxConns)
	db.SetMaxIdleConns(MaxConns)
	return &Store{db: db}
}

// DB is the database of the read model. The projector writes it in the
// transactions of HQ's event consumers, which are on this database.
func (s *Store) DB() *storage.DB { return s.db }

// Company is a company snapshot as the projector writes it.
type Company struct {
	ID, District, Name, CreditCode, Kind, Level, Status string
	PartyOrg, TradeUnion, WorkersHome                   bool
	ConventionVersion                                   string
	Version                                             int64
	UpdatedAt                                           time.Time
}

// Guard is a guard snapshot as the projector writes it.
type Guard struct {
	ID, District, CompanyID, IDHash, EmploymentStatus, HiredOn string
	HasCertificate                                             bool
	// CertificateNumber, CertificateValidUntil (YYYY-MM-DD, the last day it
	// is valid in Asia/Shanghai; empty: no end date) and
	// CertificateAuthority describe the certificate.
	CertificateNumber, CertificateValidUntil, CertificateAuthority string
	BackgroundCheckStatus                                          string
	PreJobTrained, BadgeService, VolunteerPolice, PartyMember      bool
	Version                                                        int64
	// ActiveSince is when the guard became active; zero when not active.
	ActiveSince time.Time
	UpdatedAt   time.Time
}

// CouncilMember is a council seat snapshot as the projector writes it.
type CouncilMember struct {
	ID, District                    string
	Term                            int32
	Position, PersonName, CompanyID string
	DistrictInCharge                string
	Active                          bool
	Version                         int64
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CompanyVersion returns the stored version of company id.
func (s *Store) CompanyVersion(ctx context.Context, tx *sql.Tx, id string) (version int64, found bool, err error) {
	err = s.db.QueryRowTx(ctx, tx, `SELECT version FROM hq_companies WHERE id = ?`, id).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: company version: %w", err)
	}
	return version, true, nil
}

// PutCompany inserts or replaces company c and brings the credit-code
// conflicts of its old and new code up to date, a new one first seen at.
func (s *Store) PutCompany(ctx context.Context, tx *sql.Tx, c Company, at time.Time) error {
	var old string
	err := s.db.QueryRowTx(ctx, tx, `SELECT credit_code FROM hq_companies WHERE id = ?`, c.ID).Scan(&old)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: put company: %w", err)
	}
	_, err = s.db.ExecTx(ctx, tx, `INSERT INTO hq_companies
		(id, district, name, credit_code, kind, level, status, party_org, trade_union, workers_home, convention_version, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET district = excluded.district, name = excluded.name,
		credit_code = excluded.credit_code, kind = excluded.kind, level = excluded.level,
		status = excluded.status, party_org = excluded.party_org, trade_union = excluded.trade_union,
		workers_home = excluded.workers_home, convention_version = excluded.convention_version,
		version = excluded.version, updated_at = excluded.updated_at`,
		c.ID, c.District, c.Name, c.CreditCode, c.Kind, c.Level, c.Status, b2i(c.PartyOrg), b2i(c.TradeUnion),
		b2i(c.WorkersHome), c.ConventionVersion, c.Version, nanos(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: put company: %w", err)
	}
	return s.syncConflicts(ctx, tx, service.ConflictCreditCode, at, old, c.CreditCode)
}

// GuardState is what the projector needs to know about a stored guard.
type GuardState struct {
	Version          int64
	EmploymentStatus string
	ActiveSince      time.Time
	// IDHash and CertificateNumber are the record's conflict keys, which a
	// write must bring up to date along with the new ones.
	IDHash, CertificateNumber string
	// What the record counts in the guard tallies, which a write takes
	// out before adding the new record's (tallies.go).
	District, CompanyID, BackgroundCheckStatus, CertificateValidUntil string
	PreJobTrained, HasCertificate, BadgeService, VolunteerPolice      bool
	PartyMember                                                       bool
}

func (st GuardState) counted() counted {
	return counted{district: st.District, company: st.CompanyID, status: st.EmploymentStatus,
		backgroundCheck: st.BackgroundCheckStatus, trained: st.PreJobTrained, hasCertificate: st.HasCertificate,
		badge: st.BadgeService, volunteer: st.VolunteerPolice, party: st.PartyMember, validUntil: st.CertificateValidUntil}
}

func (g Guard) counted() counted {
	return counted{district: g.District, company: g.CompanyID, status: g.EmploymentStatus,
		backgroundCheck: g.BackgroundCheckStatus, trained: g.PreJobTrained, hasCertificate: g.HasCertificate,
		badge: g.BadgeService, volunteer: g.VolunteerPolice, party: g.PartyMember, validUntil: g.CertificateValidUntil}
}

// GuardState returns the stored state of guard id.
func (s *Store) GuardState(ctx context.Context, tx *sql.Tx, id string) (st GuardState, found bool, err error) {
	var since int64
	var trained, hasCert, badge, volunteer, party int
	err = s.db.QueryRowTx(ctx, tx, `SELECT version, employment_status, active_since, id_hash, certificate_number,
		district, company_id, background_check_status, certificate_valid_until, pre_job_trained, has_certificate,
		badge_service, volunteer_police, party_member
		FROM hq_guards WHERE id = ?`, id).Scan(&st.Version, &st.EmploymentStatus, &since, &st.IDHash, &st.CertificateNumber,
		&st.District, &st.CompanyID, &st.BackgroundCheckStatus, &st.CertificateValidUntil, &trained, &hasCert,
		&badge, &volunteer, &party)
	if errors.Is(err, sql.ErrNoRows) {
		return GuardState{}, false, nil
	}
	if err != nil {
		return GuardState{}, false, fmt.Errorf("store: guard state: %w", err)
	}
	st.ActiveSince = fromNanos(since)
	st.PreJobTrained, st.HasCertificate, st.BadgeService = trained != 0, hasCert != 0, badge != 0
	st.VolunteerPolice, st.PartyMember = volunteer != 0, party != 0
	return st, true, nil
}

// PutGuard inserts or replaces guard g and brings the person and
// certificate-number conflicts of its old and new id_hash and certificate
// number up to date, a new one first seen at.
func (s *Store) PutGuard(ctx context.Context, tx *sql.Tx, g Guard, at time.Time) error {
	st, _, err := s.GuardState(ctx, tx, g.ID)
	if err != nil {
		return fmt.Errorf("store: put guard: %w", err)
	}
	return s.PutGuardOver(ctx, tx, g, at, st, nil)
}

// PutGuardOver is PutGuard over the record's state before the write, as
// GuardState just returned it in tx (zero for a new guard): the projector
// reads that state anyway to compare versions, and reading the old keys
// again was one statement more per guard applied. The write's change to
// the guard tallies goes into tallies, for the caller to flush in tx
// (FlushGuardTallies) before it commits; with nil tallies it is written at
// once.
func (s *Store) PutGuardOver(ctx context.Context, tx *sql.Tx, g Guard, at time.Time, before GuardState, tallies *GuardTallies) error {
	oldHash, oldCert := before.IDHash, before.CertificateNumber
	_, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_guards
		(id, district, company_id, id_hash, employment_status, hired_on, has_certificate, background_check_status,
		 pre_job_trained, badge_service, volunteer_police, party_member, version, active_since, updated_at,
		 certificate_number, certificate_valid_until, certificate_authority)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET district = excluded.district, company_id = excluded.company_id,
		id_hash = excluded.id_hash, employment_status = excluded.employment_status, hired_on = excluded.hired_on,
		has_certificate = excluded.has_certificate, background_check_status = excluded.background_check_status,
		pre_job_trained = excluded.pre_job_trained, badge_service = excluded.badge_service,
		volunteer_police = excluded.volunteer_police, party_member = excluded.party_member,
		version = excluded.version, active_since = excluded.active_since, updated_at = excluded.updated_at,
		certificate_number = excluded.certificate_number, certificate_valid_until = excluded.certificate_valid_until,
		certificate_authority = excluded.certificate_authority`,
		g.ID, g.District, g.CompanyID, g.IDHash, g.EmploymentStatus, g.HiredOn, b2i(g.HasCertificate),
		g.BackgroundCheckStatus, b2i(g.PreJobTrained), b2i(g.BadgeService), b2i(g.VolunteerPolice),
		b2i(g.PartyMember), g.Version, nanos(g.ActiveSince), nanos(g.UpdatedAt),
		g.CertificateNumber, g.CertificateValidUntil, g.CertificateAuthority)
	if err != nil {
		return fmt.Errorf("store: put guard: %w", err)
	}
	// A key's conflict depends only on the active records holding it, by
	// district (and, for a certificate number, by person): a write that
	// changes none of those for this record cannot change whether its keys
	// are conflicts, and is not checked (a training recorded, a badge).
	active, wasActive := g.EmploymentStatus == service.StatusActive, before.EmploymentStatus == service.StatusActive
	same := active == wasActive && g.District == before.District
	var keys []conflictKey
	if !same || oldHash != g.IDHash {
		keys = append(keys, conflictKey{service.ConflictPerson, oldHash}, conflictKey{service.ConflictPerson, g.IDHash})
	}
	if !same || oldHash != g.IDHash || oldCert != g.CertificateNumber {
		keys = append(keys, conflictKey{service.ConflictCertificateNumber, oldCert},
			conflictKey{service.ConflictCertificateNumber, g.CertificateNumber})
	}
	if err := s.syncConflictKeys(ctx, tx, at, keys); err != nil {
		return err
	}
	t := tallies
	if t == nil {
		t = NewGuardTallies()
	}
	t.add(before.counted(), -1)
	t.add(g.counted(), +1)
	t.at(at)
	if tallies == nil {
		return s.FlushGuardTallies(ctx, tx, t)
	}
	return nil
}

// PutCouncilMember inserts or replaces council member m if m.Version is
// newer than the stored one; it reports whether it wrote.
func (s *Store) PutCouncilMember(ctx context.Context, tx *sql.Tx, m CouncilMember) (bool, error) {
	res, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_council_members
		(id, district, term, position, person_name, company_id, district_in_charge, active, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET district = excluded.district, term = excluded.term,
		position = excluded.position, person_name = excluded.person_name, company_id = excluded.company_id,
		district_in_charge = excluded.district_in_charge, active = excluded.active, version = excluded.version
		WHERE excluded.version > hq_council_members.version`,
		m.ID, m.District, m.Term, m.Position, m.PersonName, m.CompanyID, m.DistrictInCharge, b2i(m.Active), m.Version)
	if err != nil {
		return false, fmt.Errorf("store: put council member: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: put council member: %w", err)
	}
	return n > 0, nil
}

// TouchDistrict records that an event of district, which occurred at
// occurredAt, was applied at appliedAt. last_event_at only moves forward.
func (s *Store) TouchDistrict(ctx context.Context, tx *sql.Tx, district string, occurredAt, appliedAt time.Time) error {
	return s.TouchDistrictN(ctx, tx, district, occurredAt, appliedAt, 1)
}

// TouchDistrictN is TouchDistrict for n events of district, the newest of
// which occurred at occurredAt, the last applied at appliedAt: the
// projector coalesces a transaction's events into one write.
func (s *Store) TouchDistrictN(ctx context.Context, tx *sql.Tx, district string, occurredAt, appliedAt time.Time, n int64) error {
	_, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_district_freshness
		(district, last_event_at, last_applied_at, events_applied) VALUES (?, ?, ?, ?)
		ON CONFLICT (district) DO UPDATE SET
		last_event_at = CASE WHEN hq_district_freshness.last_event_at > excluded.last_event_at THEN hq_district_freshness.last_event_at ELSE excluded.last_event_at END,
		last_applied_at = excluded.last_applied_at,
		events_applied = hq_district_freshness.events_applied + excluded.events_applied`,
		district, nanos(occurredAt), nanos(appliedAt), n)
	if err != nil {
		return fmt.Errorf("store: touch district: %w", err)
	}
	return nil
}

// Ping checks the database is reachable.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *Store) district(m map[string]service.DistrictData, d string) service.DistrictData {
	dd, ok := m[d]
	if !ok {
		dd.Counts.CompaniesByStatus = map[string]int64{}
	}
	return dd
}

// certifiedOnDuty is the SQL condition of a guard (of the table alias g,
// "" for none) "certified on duty" (持证上岗) on the day of its one
// parameter (YYYY-MM-DD, Asia/Shanghai): it holds a certificate whose last
// valid day is not before that day, or that has no end date. It is
// evaluated at read time, so a certificate stops counting on the day after
// it lapses without any event.
func certifiedOnDuty(g string) string {
	if g != "" {
		g += "."
	}
	return `(` + g + `has_certificate <> 0 AND (` + g + `certificate_valid_until = '' OR ` + g + `certificate_valid_until >= ?))`
}

// Districts returns the counts and freshness of every district in the read
// model (their heartbeats are Heartbeats'); guards are counted as certified on today (YYYY-MM-DD in
// Asia/Shanghai, see certifiedOnDuty).
func (s *Store) Districts(ctx context.Context, today string) (map[string]service.DistrictData, error) {
	out := map[string]service.DistrictData{}
	rows, err := s.db.Querier().Query(ctx, `SELECT district, status, count(*),
		coalesce(sum(party_org), 0), coalesce(sum(trade_union), 0), coalesce(sum(workers_home), 0),
		coalesce(sum(CASE WHEN convention_version <> '' THEN 1 ELSE 0 END), 0)
		FROM hq_companies GROUP BY district, status`)
	if err != nil {
		return nil, fmt.Errorf("store: company counts: %w", err)
	}
	for rows.Next() {
		var d, status string
		var n, party, union, home, conv int64
		if err := rows.Scan(&d, &status, &n, &party, &union, &home, &conv); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: company counts: %w", err)
		}
		dd := s.district(out, d)
		dd.Counts.Companies += n
		dd.Counts.CompaniesByStatus[status] += n
		if status == service.StatusActive {
			dd.Counts.CompaniesActive += n
			dd.Counts.PartyOrgCompanies += party
			dd.Counts.UnionCompanies += union
			dd.Counts.WorkersHomeCompanies += home
			dd.Counts.ConventionSigned += conv
		}
		out[d] = dd
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: company counts: %w", err)
	}

	// The guard tallies, not a count of hq_guards (tallies.go).
	guards, err := s.guardCounts(ctx, today)
	if err != nil {
		return nil, err
	}
	for d, c := range guards {
		dd := s.district(out, d)
		dd.Counts.Add(c)
		out[d] = dd
	}

	rows, err = s.db.Querier().Query(ctx, `SELECT district, last_event_at, last_applied_at, events_applied FROM hq_district_freshness`)
	if err != nil {
		return nil, fmt.Errorf("store: freshness: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var ev, ap, n int64
		if err := rows.Scan(&d, &ev, &ap, &n); err != nil {
			return nil, fmt.Errorf("store: freshness: %w", err)
		}
		dd := s.district(out, d)
		dd.Freshness = service.Freshness{LastEventAt: fromNanos(ev), LastAppliedAt: fromNanos(ap), EventsApplied: n}
		out[d] = dd
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: freshness: %w", err)
	}
	return out, nil
}

// Companies returns up to limit companies of district after the id after,
// with their active guards' tallies (certified on today, as for Districts),
// read from the guard tallies (tallies.go).
func (s *Store) Companies(ctx context.Context, district, today, after string, limit int) ([]service.CompanyRow, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT c.id, c.district, c.name, c.credit_code, c.kind, c.level,
		c.status, c.party_org, c.trade_union, c.workers_home, c.convention_version, c.version, c.updated_at,
		coalesce(sum(t.active), 0),
		coalesce(sum(t.background_checked), 0), coalesce(sum(t.trained), 0),
		coalesce(sum(t.certified_open), 0) + coalesce((SELECT sum(e.active) FROM hq_guard_certificate_ends e
			WHERE e.company_id = c.id AND e.valid_until >= ?), 0),
		coalesce(sum(t.badge_service), 0), coalesce(sum(t.volunteer_police), 0), coalesce(sum(t.party_members), 0)
		FROM hq_companies c
		LEFT JOIN hq_guard_tallies t ON t.company_id = c.id
		WHERE c.district = ? AND c.id > ?
		GROUP BY c.id ORDER BY c.id LIMIT ?`), today, district, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: companies: %w", err)
	}
	defer rows.Close()
	var out []service.CompanyRow
	for rows.Next() {
		var r service.CompanyRow
		var party, union, home int
		var updated int64
		if err := rows.Scan(&r.ID, &r.District, &r.Name, &r.CreditCode, &r.Kind, &r.Level, &r.Status,
			&party, &union, &home, &r.ConventionVersion, &r.Version, &updated,
			&r.GuardsActive, &r.GuardsBackgroundChecked, &r.GuardsTrained, &r.GuardsCertified,
			&r.GuardsBadgeService, &r.GuardsVolunteerPolice, &r.GuardsPartyMembers); err != nil {
			return nil, fmt.Errorf("store: companies: %w", err)
		}
		r.PartyOrg, r.TradeUnion, r.WorkersHome = party != 0, union != 0, home != 0
		r.UpdatedAt = fromNanos(updated)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: companies: %w", err)
	}
	return out, nil
}
