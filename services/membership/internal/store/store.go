// Package store is the membership service's SQLite adapter: it implements
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

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/versioned"
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// Migrations holds the membership tables, per dialect.
//
//go:embed migrations
var Migrations embed.FS

// MigrationsTable is the goose version table of the membership migrations.
const MigrationsTable = "goose_membership"

// Migrate applies the membership tables to db, then the tables of the kit's
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
// the transactions (Tx, and In for the meetings consumer's) of
// eventbus.Writer, whose changes' events go to the outbox with them.
type Store struct {
	queries
	eventbus.Writer[service.Queries, service.Change]
}

// New returns the store over db, publishing through outbox (which must use
// the same database).
func New(db *storage.DB, outbox *eventbus.Outbox) *Store {
	at := func(q storage.Querier) service.Queries { return newQueries(q, outbox.District()) }
	return &Store{queries: newQueries(db.Querier(), outbox.District()), Writer: eventbus.NewWriter(outbox, at, events)}
}

var _ service.Repository = (*Store)(nil)

// queries implements service.Queries on a database or a transaction.
type queries struct {
	storage.Querier
	audit.Store
	idempotency.Keys
	districtID string
}

func newQueries(q storage.Querier, district string) queries {
	return queries{Querier: q, Store: audit.NewStore(q), Keys: idempotency.NewKeys(q), districtID: district}
}

// --- companies ---

const companyCols = `id, name, credit_code, licence_number, kind, level, status, contact_name, contact_phone,
	address, party_org, party_org_since, trade_union, workers_home, convention_version, registered_at, updated_at, version`

func (q queries) scanCompany(r storage.Scanner) (service.Company, error) {
	var c service.Company
	var reg, upd string
	err := r.Scan(&c.ID, &c.Name, &c.CreditCode, &c.LicenceNumber, &c.Kind, &c.Level, &c.Status, &c.ContactName, &c.ContactPhone,
		&c.Address, &c.PartyOrg, &c.PartyOrgSince, &c.TradeUnion, &c.WorkersHome, &c.ConventionVersion, &reg, &upd, &c.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return c, service.ErrCompanyNotFound
	}
	if err != nil {
		return c, fmt.Errorf("store: scan company: %w", err)
	}
	c.RegisteredAt, c.UpdatedAt = storage.ParseTime(reg), storage.ParseTime(upd)
	return c, nil
}

// GetCompany implements service.Queries.
func (q queries) GetCompany(ctx context.Context, id string) (service.Company, error) {
	c, err := q.scanCompany(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+companyCols+` FROM companies WHERE id = ?`), id))
	return q.withDistrict(c), err
}

func (q queries) withDistrict(c service.Company) service.Company {
	if c.ID != "" {
		c.District = q.district()
	}
	return c
}

// district is kept out of the rows: a database belongs to one district.
func (q queries) district() string { return q.districtID }

// CreditCodeTaken implements service.Queries.
func (q queries) CreditCodeTaken(ctx context.Context, code string) (bool, error) {
	var n int
	if err := q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT count(*) FROM companies WHERE credit_code = ?`), code).Scan(&n); err != nil {
		return false, fmt.Errorf("store: credit code: %w", err)
	}
	return n > 0, nil
}

// ListCompanies implements service.Queries.
func (q queries) ListCompanies(ctx context.Context, f service.CompanyFilter, p kitx.Page) ([]service.Company, string, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"status", f.Status}, {"kind", f.Kind}, {"level", f.Level}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if f.Query != "" {
		// A substring, case folded: LIKE with the query's own % _ and \
		// escaped (instr is SQLite's alone).
		where = append(where, `lower(name) LIKE '%' || lower(?) || '%' ESCAPE '\'`)
		args = append(args, likeEscaper.Replace(f.Query))
	}
	clause, args := storage.Page(where, args, p)
	items, next, err := storage.ListRows(ctx, q.Querier, `SELECT `+companyCols+` FROM companies`+clause, args, p, q.scanCompany, func(c service.Company) string { return c.ID })
	for i := range items {
		items[i] = q.withDistrict(items[i])
	}
	return items, next, err
}

// InsertCompany implements service.Queries.
func (q queries) InsertCompany(ctx context.Context, c service.Company) error {
	// In a savepoint on PostgreSQL: the caller may go on after the
	// conflict (storage.Querier.Try).
	err := q.Try(ctx, func() error {
		_, err := q.Exec(ctx, `INSERT INTO companies (`+companyCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			c.ID, c.Name, c.CreditCode, c.LicenceNumber, c.Kind, c.Level, c.Status, c.ContactName, c.ContactPhone,
			c.Address, c.PartyOrg, c.PartyOrgSince, c.TradeUnion, c.WorkersHome, c.ConventionVersion, storage.FormatTime(c.RegisteredAt), storage.FormatTime(c.UpdatedAt), c.Version)
		return err
	})
	if storage.IsUniqueViolation(err) {
		return service.ErrCompanyCreditCodeTaken
	}
	if err != nil {
		return fmt.Errorf("store: insert company: %w", err)
	}
	return nil
}

// WriteCompany implements service.Queries. It writes only if the stored
// version is the one before c's, so a concurrent update cannot be lost.
func (q queries) WriteCompany(ctx context.Context, c service.Company) error {
	res, err := q.Exec(ctx, `UPDATE companies SET name=?, licence_number=?, level=?, status=?, contact_name=?, contact_phone=?,
		address=?, party_org=?, party_org_since=?, trade_union=?, workers_home=?, convention_version=?, updated_at=?, version=?
		WHERE id=? AND version=?`,
		c.Name, c.LicenceNumber, c.Level, c.Status, c.ContactName, c.ContactPhone,
		c.Address, c.PartyOrg, c.PartyOrgSince, c.TradeUnion, c.WorkersHome, c.ConventionVersion, storage.FormatTime(c.UpdatedAt), c.Version,
		c.ID, c.Version-1)
	return versioned.Written(res, err, "company")
}

// --- guards ---

const guardCols = `id, company_id, name, id_number_sealed, id_hash, certificate_number, certificate_issued_on,
	background_check_status, background_check_on, pre_job_trained, training_hours, badge_service, volunteer_police,
	party_member, employment_status, hired_on, left_on, created_at, updated_at, version, certificate_valid_until, certificate_authority`

func (q queries) scanGuard(r storage.Scanner) (service.Guard, error) {
	var g service.Guard
	var created, upd string
	err := r.Scan(&g.ID, &g.CompanyID, &g.Name, &g.IDNumberSealed, &g.IDHash, &g.CertificateNumber, &g.CertificateIssuedOn,
		&g.BackgroundCheckStatus, &g.BackgroundCheckOn, &g.PreJobTrained, &g.TrainingHours, &g.BadgeService, &g.VolunteerPolice,
		&g.PartyMember, &g.EmploymentStatus, &g.HiredOn, &g.LeftOn, &created, &upd, &g.Version, &g.CertificateValidUntil, &g.CertificateAuthority)
	if errors.Is(err, sql.ErrNoRows) {
		return g, service.ErrGuardNotFound
	}
	if err != nil {
		return g, fmt.Errorf("store: scan guard: %w", err)
	}
	g.CreatedAt, g.UpdatedAt = storage.ParseTime(created), storage.ParseTime(upd)
	g.District = q.district()
	return g, nil
}

// GetGuard implements service.Queries.
func (q queries) GetGuard(ctx context.Context, id string) (service.Guard, error) {
	return q.scanGuard(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+guardCols+` FROM guards WHERE id = ?`), id))
}

// GuardCompany implements service.Queries: one indexed column, so the
// authorization check that needs a guard's owner stays cheap.
func (q queries) GuardCompany(ctx context.Context, id string) (string, error) {
	var c string
	err := q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT company_id FROM guards WHERE id = ?`), id).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", service.ErrGuardNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: guard company: %w", err)
	}
	return c, nil
}

// ActiveGuardByHash implements service.Queries.
func (q queries) ActiveGuardByHash(ctx context.Context, idHash string) (bool, error) {
	var n int
	err := q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT count(*) FROM guards WHERE id_hash = ? AND employment_status = 'active'`), idHash).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: active guard: %w", err)
	}
	return n > 0, nil
}

// likeEscaper escapes a LIKE pattern's wildcards (ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// CertificateHeldByActive implements service.Queries.
func (q queries) CertificateHeldByActive(ctx context.Context, number, exceptGuardID string) (bool, error) {
	var n int
	err := q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT count(*) FROM guards
		WHERE certificate_number = ? AND certificate_number <> '' AND employment_status = 'active' AND id <> ?`), number, exceptGuardID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: certificate holder: %w", err)
	}
	return n > 0, nil
}

// UnannouncedExpiring implements service.Queries.
func (q queries) UnannouncedExpiring(ctx context.Context, from, to string, limit int) ([]service.Guard, error) {
	rows, err := q.X.QueryContext(ctx, q.DB.Rebind(`SELECT `+guardCols+` FROM guards g
		WHERE employment_status = 'active' AND certificate_number <> '' AND certificate_valid_until <> ''
		AND certificate_valid_until >= ? AND certificate_valid_until <= ?
		AND NOT EXISTS (SELECT 1 FROM certificate_expiry_notices n
			WHERE n.guard_id = g.id AND n.certificate_number = g.certificate_number AND n.valid_until = g.certificate_valid_until)
		ORDER BY id LIMIT ?`), from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("store: expiring certificates: %w", err)
	}
	defer rows.Close()
	var out []service.Guard
	for rows.Next() {
		g, err := q.scanGuard(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: expiring certificates: %w", err)
	}
	return out, nil
}

// RecordExpiryNotice implements service.Queries: the primary key makes a
// second notice of one certificate a no-op.
func (q queries) RecordExpiryNotice(ctx context.Context, guardID, number, validUntil, windowDate string) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO certificate_expiry_notices (guard_id, certificate_number, valid_until, window_date)
		VALUES (?,?,?,?) ON CONFLICT DO NOTHING`, guardID, number, validUntil, windowDate)
	if err != nil {
		return false, fmt.Errorf("store: expiry notice: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: expiry notice: %w", err)
	}
	return n == 1, nil
}

// ListGuards implements service.Queries.
func (q queries) ListGuards(ctx context.Context, f service.GuardFilter, p kitx.Page) ([]service.Guard, string, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"company_id", f.CompanyID}, {"employment_status", f.EmploymentStatus}, {"background_check_status", f.BackgroundCheckStatus}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	// "has" is certified on duty on f.Day (Guard.CertifiedOn): a
	// certificate whose last valid day is not before it.
	const certified = "(certificate_number <> '' AND (certificate_valid_until = '' OR certificate_valid_until >= ?))"
	switch f.Certificate {
	case "has":
		where, args = append(where, certified), append(args, f.Day)
	case "none":
		where, args = append(where, "NOT "+certified), append(args, f.Day)
	}
	for _, c := range []struct{ col, v string }{{"certificate_number", f.CertificateNumber}, {"id_hash", f.IDHash}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if f.Name != "" {
		// A substring: LIKE with the pattern's own % _ and \ escaped,
		// both sides lower-cased: SQLite's LIKE ignores ASCII case,
		// PostgreSQL's does not.
		where = append(where, `lower(name) LIKE lower(?) ESCAPE '\'`)
		args = append(args, "%"+likeEscaper.Replace(f.Name)+"%")
	}
	if f.VolunteerPolice != nil {
		where = append(where, "volunteer_police = ?")
		args = append(args, *f.VolunteerPolice)
	}
	if f.MissingBackgroundCheck {
		where = append(where, "background_check_status <> 'passed'")
	}
	if f.MissingTraining {
		where = append(where, "NOT pre_job_trained")
	}
	if f.MissingBadge {
		where = append(where, "NOT badge_service")
	}
	if f.ValidUntilFrom != "" || f.ValidUntilTo != "" {
		where = append(where, "certificate_number <> '' AND certificate_valid_until <> '' AND certificate_valid_until >= ? AND certificate_valid_until <= ?")
		args = append(args, f.ValidUntilFrom, f.ValidUntilTo)
	}
	clause, args := storage.Page(where, args, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+guardCols+` FROM guards`+clause, args, p, q.scanGuard, func(g service.Guard) string { return g.ID })
}

// InsertGuard implements service.Queries. Only the sealed ID number is
// stored; a guard without one is refused, so a clear number can never be
// the only copy (or a missing one go unnoticed).
func (q queries) InsertGuard(ctx context.Context, g service.Guard) error {
	if g.IDNumberSealed == "" {
		return fmt.Errorf("store: guard %s has no sealed id number", g.ID)
	}
	// In a savepoint on PostgreSQL: the caller may go on after the
	// conflict (storage.Querier.Try).
	err := q.Try(ctx, func() error {
		_, err := q.Exec(ctx, `INSERT INTO guards (`+guardCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			g.ID, g.CompanyID, g.Name, g.IDNumberSealed, g.IDHash, g.CertificateNumber, g.CertificateIssuedOn,
			g.BackgroundCheckStatus, g.BackgroundCheckOn, g.PreJobTrained, g.TrainingHours, g.BadgeService, g.VolunteerPolice,
			g.PartyMember, g.EmploymentStatus, g.HiredOn, g.LeftOn, storage.FormatTime(g.CreatedAt), storage.FormatTime(g.UpdatedAt), g.Version,
			g.CertificateValidUntil, g.CertificateAuthority)
		return err
	})
	if storage.IsUniqueViolation(err) {
		// The partial unique index on active guards' id_hash backs up the
		// service's check against a concurrent hire.
		return service.ErrGuardAlreadyActive
	}
	if err != nil {
		return fmt.Errorf("store: insert guard: %w", err)
	}
	return nil
}

// WriteGuard implements service.Queries, with the same version check as
// WriteCompany.
func (q queries) WriteGuard(ctx context.Context, g service.Guard) error {
	res, err := q.Exec(ctx, `UPDATE guards SET name=?, certificate_number=?, certificate_issued_on=?, background_check_status=?,
		background_check_on=?, pre_job_trained=?, training_hours=?, badge_service=?, volunteer_police=?, party_member=?,
		employment_status=?, left_on=?, updated_at=?, version=?, certificate_valid_until=?, certificate_authority=? WHERE id=? AND version=?`,
		g.Name, g.CertificateNumber, g.CertificateIssuedOn, g.BackgroundCheckStatus,
		g.BackgroundCheckOn, g.PreJobTrained, g.TrainingHours, g.BadgeService, g.VolunteerPolice, g.PartyMember,
		g.EmploymentStatus, g.LeftOn, storage.FormatTime(g.UpdatedAt), g.Version, g.CertificateValidUntil, g.CertificateAuthority, g.ID, g.Version-1)
	return versioned.Written(res, err, "guard")
}

// InsertTraining implements service.Queries.
func (q queries) InsertTraining(ctx context.Context, t service.Training) error {
	_, err := q.Exec(ctx, `INSERT INTO guard_trainings (id, guard_id, training_type, hours, trained_on, topic, recorded_at) VALUES (?,?,?,?,?,?,?)`,
		t.ID, t.GuardID, t.Type, t.Hours, t.TrainedOn, t.Topic, storage.FormatTime(t.RecordedAt))
	if err != nil {
		return fmt.Errorf("store: insert training: %w", err)
	}
	return nil
}

// ListTrainings implements service.Queries.
func (q queries) ListTrainings(ctx context.Context, guardID string) ([]service.Training, error) {
	rows, err := q.X.QueryContext(ctx, q.DB.Rebind(`SELECT id, guard_id, training_type, hours, trained_on, topic, recorded_at
		FROM guard_trainings WHERE guard_id = ? ORDER BY id`), guardID)
	if err != nil {
		return nil, fmt.Errorf("store: list trainings: %w", err)
	}
	defer rows.Close()
	out := []service.Training{}
	for rows.Next() {
		var t service.Training
		var rec string
		if err := rows.Scan(&t.ID, &t.GuardID, &t.Type, &t.Hours, &t.TrainedOn, &t.Topic, &rec); err != nil {
			return nil, fmt.Errorf("store: scan training: %w", err)
		}
		t.RecordedAt = storage.ParseTime(rec)
		out = append(out, t)
	}
	return out, rows.Err()
}

// --- council ---

const councilCols = `id, term, position, person_name, company_id, district_in_charge, active, created_at, updated_at, version`

func (q queries) scanCouncil(r storage.Scanner) (service.CouncilMember, error) {
	var m service.CouncilMember
	var created, upd string
	err := r.Scan(&m.ID, &m.Term, &m.Position, &m.PersonName, &m.CompanyID, &m.DistrictInCharge, &m.Active, &created, &upd, &m.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return m, service.ErrCouncilNotFound
	}
	if err != nil {
		return m, fmt.Errorf("store: scan council member: %w", err)
	}
	m.CreatedAt, m.UpdatedAt = storage.ParseTime(created), storage.ParseTime(upd)
	m.District = q.district()
	return m, nil
}

// GetCouncilMember implements service.Queries.
func (q queries) GetCouncilMember(ctx context.Context, id string) (service.CouncilMember, error) {
	return q.scanCouncil(q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT `+councilCols+` FROM council_members WHERE id = ?`), id))
}

// ListCouncilMembers implements service.Queries.
func (q queries) ListCouncilMembers(ctx context.Context, f service.CouncilFilter, p kitx.Page) ([]service.CouncilMember, string, error) {
	var where []string
	var args []any
	if f.Term > 0 {
		where, args = append(where, "term = ?"), append(args, f.Term)
	}
	if f.Position != "" {
		where, args = append(where, "position = ?"), append(args, f.Position)
	}
	clause, args := storage.Page(where, args, p)
	return storage.ListRows(ctx, q.Querier, `SELECT `+councilCols+` FROM council_members`+clause, args, p, q.scanCouncil, func(m service.CouncilMember) string { return m.ID })
}

// InsertCouncilMember implements service.Queries.
func (q queries) InsertCouncilMember(ctx context.Context, m service.CouncilMember) error {
	_, err := q.Exec(ctx, `INSERT INTO council_members (`+councilCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		m.ID, m.Term, m.Position, m.PersonName, m.CompanyID, m.DistrictInCharge, m.Active, storage.FormatTime(m.CreatedAt), storage.FormatTime(m.UpdatedAt), m.Version)
	if err != nil {
		return fmt.Errorf("store: insert council member: %w", err)
	}
	return nil
}

// WriteCouncilMember implements service.Queries, with the same version
// check as WriteCompany.
func (q queries) WriteCouncilMember(ctx context.Context, m service.CouncilMember) error {
	res, err := q.Exec(ctx, `UPDATE council_members SET term=?, position=?, person_name=?, company_id=?, district_in_charge=?,
		active=?, updated_at=?, version=? WHERE id=? AND version=?`,
		m.Term, m.Position, m.PersonName, m.CompanyID, m.DistrictInCharge, m.Active, storage.FormatTime(m.UpdatedAt), m.Version, m.ID, m.Version-1)
	return versioned.Written(res, err, "council member")
}

// --- imports ---

// GetImport implements service.Queries.
func (q queries) GetImport(ctx context.Context, id string) (service.ImportJob, error) {
	var j service.ImportJob
	var errsJSON, created, upd string
	a := &j.StartedBy
	err := q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT id, company_id, status, csv_sealed, started_subject, started_role,
		started_scope, started_request_id, started_remote_ip, total_rows, processed_rows, succeeded, failed,
		errors, created_at, updated_at FROM import_jobs WHERE id = ?`), id).Scan(
		&j.ID, &j.CompanyID, &j.Status, &j.CSVSealed, &a.Subject, &a.Role, &a.Scope, &a.RequestID, &a.RemoteIP,
		&j.TotalRows, &j.ProcessedRows, &j.Succeeded, &j.Failed, &errsJSON, &created, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return j, service.ErrImportNotFound
	}
	if err != nil {
		return j, fmt.Errorf("store: get import: %w", err)
	}
	if err := json.Unmarshal([]byte(errsJSON), &j.Errors); err != nil {
		return j, fmt.Errorf("store: import errors: %w", err)
	}
	j.CreatedAt, j.UpdatedAt = storage.ParseTime(created), storage.ParseTime(upd)
	return j, nil
}

// ImportCompany implements service.Queries.
func (q queries) ImportCompany(ctx context.Context, id string) (string, error) {
	var c string
	err := q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT company_id FROM import_jobs WHERE id = ?`), id).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", service.ErrImportNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: import company: %w", err)
	}
	return c, nil
}

// InsertImport implements service.Queries.
func (q queries) InsertImport(ctx context.Context, j service.ImportJob) error {
	if j.CSVSealed == "" {
		return fmt.Errorf("store: import %s has no sealed file", j.ID)
	}
	a := j.StartedBy
	_, err := q.Exec(ctx, `INSERT INTO import_jobs (id, company_id, status, csv_sealed, started_subject, started_role, started_scope,
		started_request_id, started_remote_ip, total_rows, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		j.ID, j.CompanyID, j.Status, j.CSVSealed, a.Subject, a.Role, a.Scope, a.RequestID, a.RemoteIP, j.TotalRows, storage.FormatTime(j.CreatedAt), storage.FormatTime(j.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: insert import: %w", err)
	}
	return nil
}

// UpdateImportProgress implements service.Queries.
func (q queries) UpdateImportProgress(ctx context.Context, j service.ImportJob) error {
	if j.Errors == nil {
		j.Errors = []service.ImportError{}
	}
	b, err := json.Marshal(j.Errors)
	if err != nil {
		return fmt.Errorf("store: import errors: %w", err)
	}
	_, err = q.Exec(ctx, `UPDATE import_jobs SET status=?, processed_rows=?, succeeded=?, failed=?, errors=?, updated_at=? WHERE id=?`,
		j.Status, j.ProcessedRows, j.Succeeded, j.Failed, string(b), storage.FormatTime(j.UpdatedAt), j.ID)
	if err != nil {
		return fmt.Errorf("store: update import: %w", err)
	}
	return nil
}

// PendingImports implements service.Queries.
func (q queries) PendingImports(ctx context.Context) ([]string, error) {
	rows, err := q.X.QueryContext(ctx, q.DB.Rebind(`SELECT id FROM import_jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id`))
	if err != nil {
		return nil, fmt.Errorf("store: pending imports: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// GuardsSealedWithOtherKey implements service.Queries.
func (q queries) GuardsSealedWithOtherKey(ctx context.Context, kid string, limit int) ([]service.Guard, error) {
	// substr, not LIKE: a key id may hold '_', a LIKE wildcard.
	prefix := kid + ":"
	rows, err := q.X.QueryContext(ctx, q.DB.Rebind(`SELECT id, id_number_sealed FROM guards
		WHERE substr(id_number_sealed, 1, ?) <> ? ORDER BY id LIMIT ?`), len(prefix), prefix, limit)
	if err != nil {
		return nil, fmt.Errorf("store: guards to re-seal: %w", err)
	}
	defer rows.Close()
	var out []service.Guard
	for rows.Next() {
		var g service.Guard
		if err := rows.Scan(&g.ID, &g.IDNumberSealed); err != nil {
			return nil, fmt.Errorf("store: guards to re-seal: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// ResealGuard implements service.Queries.
func (q queries) ResealGuard(ctx context.Context, id, old, sealed string) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE guards SET id_number_sealed = ? WHERE id = ? AND id_number_sealed = ?`, sealed, id, old)
	if err != nil {
		return false, fmt.Errorf("store: re-seal guard: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ScrubImportCSV implements service.Queries.
func (q queries) ScrubImportCSV(ctx context.Context, id string) error {
	if _, err := q.Exec(ctx, `UPDATE import_jobs SET csv_sealed = '' WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: scrub import: %w", err)
	}
	return nil
}

// LatestConventionSignature implements service.Queries.
func (q queries) LatestConventionSignature(ctx context.Context, companyID string) (service.ConventionSignature, bool, error) {
	var s service.ConventionSignature
	var at string
	err := q.X.QueryRowContext(ctx, q.DB.Rebind(`SELECT signature_id, company_id, convention_version, signed_at
		FROM convention_signatures WHERE company_id = ?`), companyID).Scan(&s.ID, &s.CompanyID, &s.Version, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("store: convention signature: %w", err)
	}
	s.SignedAt, s.Current = storage.ParseTime(at), true
	return s, true, nil
}

// PutConventionSignature implements service.Queries.
func (q queries) PutConventionSignature(ctx context.Context, s service.ConventionSignature) error {
	_, err := q.Exec(ctx, `INSERT INTO convention_signatures (company_id, signature_id, convention_version, signed_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (company_id) DO UPDATE SET signature_id = excluded.signature_id,
		convention_version = excluded.convention_version, signed_at = excluded.signed_at`,
		s.CompanyID, s.ID, s.Version, storage.FormatTime(s.SignedAt))
	if err != nil {
		return fmt.Errorf("store: put convention signature: %w", err)
	}
	return nil
}
