package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// PutTemplate implements service.InspectionQueries.
func (s Queries) PutTemplate(ctx context.Context, t service.Template) error {
	body, err := json.Marshal(t.Sections)
	if err != nil {
		return err
	}
	_, err = s.q.Exec(ctx, `INSERT INTO inspection_templates (id, version, name, pass_mark, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.Version, t.Name, t.PassMark, string(body), storage.FormatTime(t.CreatedAt))
	return wrap("put template", err)
}

// Template implements service.InspectionQueries (version 0: the latest).
func (s Queries) Template(ctx context.Context, id string, version int) (service.Template, bool, error) {
	var t service.Template
	var body, created string
	err := s.q.QueryRow(ctx, `SELECT id, version, name, pass_mark, body, created_at FROM inspection_templates
		WHERE id = ? AND (version = ? OR ? = 0) ORDER BY version DESC LIMIT 1`, id, version, version).
		Scan(&t.ID, &t.Version, &t.Name, &t.PassMark, &body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, wrap("template", err)
	}
	t.CreatedAt = storage.ParseTime(created)
	return t, true, json.Unmarshal([]byte(body), &t.Sections)
}

// PutInspection implements service.InspectionQueries.
func (s Queries) PutInspection(ctx context.Context, in service.Inspection) error {
	answers, err := json.Marshal(in.Answers)
	if err != nil {
		return err
	}
	score, err := json.Marshal(in.Score)
	if err != nil {
		return err
	}
	_, err = s.q.Exec(ctx, `INSERT INTO inspections (id, company_id, site, template_id, template_version, inspector, inspected_on, for_period,
		answers, score, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.ID, in.CompanyID, in.Site, in.TemplateID, in.TemplateVersion,
		in.Inspector, in.InspectedOn, in.ForPeriod, string(answers), string(score), storage.FormatTime(in.RecordedAt))
	return wrap("put inspection", err)
}

const inspectionCols = `id, company_id, site, template_id, template_version, inspector, inspected_on, for_period, answers, score, recorded_at`

func scanInspection(r storage.Scanner) (service.Inspection, error) {
	var in service.Inspection
	var answers, score, rec string
	if err := r.Scan(&in.ID, &in.CompanyID, &in.Site, &in.TemplateID, &in.TemplateVersion, &in.Inspector, &in.InspectedOn, &in.ForPeriod,
		&answers, &score, &rec); err != nil {
		return in, err
	}
	in.RecordedAt = storage.ParseTime(rec)
	if err := json.Unmarshal([]byte(answers), &in.Answers); err != nil {
		return in, err
	}
	return in, json.Unmarshal([]byte(score), &in.Score)
}

// Inspection implements service.InspectionQueries: with its findings.
func (s Queries) Inspection(ctx context.Context, id string) (service.Inspection, bool, error) {
	in, err := scanInspection(s.q.QueryRow(ctx, `SELECT `+inspectionCols+` FROM inspections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return in, false, nil
	}
	if err != nil {
		return in, false, wrap("inspection", err)
	}
	rows, err := s.q.Query(ctx, `SELECT `+findingCols+` FROM findings WHERE inspection_id = ? ORDER BY id`, id)
	if err != nil {
		return in, false, wrap("findings", err)
	}
	defer rows.Close()
	in.Findings = []service.Finding{}
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return in, false, wrap("finding", err)
		}
		in.Findings = append(in.Findings, f)
	}
	return in, true, wrap("findings", rows.Err())
}

// ListInspections implements service.InspectionQueries (without answers'
// findings: read one for them).
func (s Queries) ListInspections(ctx context.Context, company, after string, limit int) ([]service.Inspection, error) {
	where, args := []string{"id > ?"}, []any{after}
	if company != "" {
		where, args = append(where, "company_id = ?"), append(args, company)
	}
	return s.inspections(ctx, `SELECT `+inspectionCols+` FROM inspections`+storage.Where(where)+` ORDER BY id LIMIT ?`, append(args, limit)...)
}

// CompanyInspections implements service.InspectionQueries.
func (s Queries) CompanyInspections(ctx context.Context, company, since string) ([]service.Inspection, error) {
	return s.inspections(ctx, `SELECT `+inspectionCols+` FROM inspections WHERE company_id = ? AND (inspected_on >= ? OR for_period != '')
		ORDER BY inspected_on, id`, company, since)
}

func (s Queries) inspections(ctx context.Context, query string, args ...any) ([]service.Inspection, error) {
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap("inspections", err)
	}
	defer rows.Close()
	out := []service.Inspection{}
	for rows.Next() {
		in, err := scanInspection(rows)
		if err != nil {
			return nil, wrap("inspection", err)
		}
		in.Findings = []service.Finding{}
		out = append(out, in)
	}
	return out, wrap("inspections", rows.Err())
}

const findingCols = `id, inspection_id, company_id, item_id, text, severity, photo_refs, remediation_owner, remediation_due, status,
	verified_by, escalated, version, updated_at`

func scanFinding(r storage.Scanner) (service.Finding, error) {
	var f service.Finding
	var photos, up string
	if err := r.Scan(&f.ID, &f.InspectionID, &f.CompanyID, &f.ItemID, &f.Text, &f.Severity, &photos, &f.RemediationOwner, &f.RemediationDue,
		&f.Status, &f.VerifiedBy, &f.Escalated, &f.Version, &up); err != nil {
		return f, err
	}
	f.UpdatedAt = storage.ParseTime(up)
	return f, json.Unmarshal([]byte(photos), &f.PhotoRefs)
}

// PutFinding implements service.InspectionQueries.
func (s Queries) PutFinding(ctx context.Context, f service.Finding) error {
	photos, err := json.Marshal(f.PhotoRefs)
	if err != nil {
		return err
	}
	_, err = s.q.Exec(ctx, `INSERT INTO findings (`+findingCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, verified_by = excluded.verified_by, escalated = excluded.escalated,
		version = excluded.version, updated_at = excluded.updated_at`,
		f.ID, f.InspectionID, f.CompanyID, f.ItemID, f.Text, f.Severity, string(photos), f.RemediationOwner, f.RemediationDue, f.Status,
		f.VerifiedBy, f.Escalated, f.Version, storage.FormatTime(f.UpdatedAt))
	return wrap("put finding", err)
}

// Finding implements service.InspectionQueries.
func (s Queries) Finding(ctx context.Context, id string) (service.Finding, bool, error) {
	f, err := scanFinding(s.q.QueryRow(ctx, `SELECT `+findingCols+` FROM findings WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	}
	if err != nil {
		return f, false, fmt.Errorf("store: finding: %w", err)
	}
	return f, true, nil
}

// UnclosedFindingsDue implements service.InspectionQueries.
func (s Queries) UnclosedFindingsDue(ctx context.Context, day string) ([]service.Finding, error) {
	rows, err := s.q.Query(ctx, `SELECT `+findingCols+` FROM findings WHERE status != 'closed' AND remediation_due < ? ORDER BY id`, day)
	if err != nil {
		return nil, wrap("overdue findings", err)
	}
	defer rows.Close()
	var out []service.Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, wrap("overdue finding", err)
		}
		out = append(out, f)
	}
	return out, wrap("overdue findings", rows.Err())
}

// PutSchedule implements service.InspectionQueries.
func (s Queries) PutSchedule(ctx context.Context, sc service.Schedule) error {
	_, err := s.q.Exec(ctx, `INSERT INTO inspection_schedules (company_id, period, count, starts_on, created_at) VALUES (?, ?, ?, ?, ?)`,
		sc.CompanyID, string(sc.Period), sc.Count, sc.StartsOn, storage.FormatTime(sc.CreatedAt))
	return wrap("put schedule", err)
}

// Schedule implements service.InspectionQueries.
func (s Queries) Schedule(ctx context.Context, company string) (service.Schedule, bool, error) {
	var sc service.Schedule
	var period, created string
	err := s.q.QueryRow(ctx, `SELECT company_id, period, count, starts_on, created_at FROM inspection_schedules WHERE company_id = ?`, company).
		Scan(&sc.CompanyID, &period, &sc.Count, &sc.StartsOn, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return sc, false, nil
	}
	sc.Period, sc.CreatedAt = policy.Period(period), storage.ParseTime(created)
	return sc, err == nil, wrap("schedule", err)
}

// Schedules implements service.InspectionQueries: every schedule, by company.
func (s Queries) Schedules(ctx context.Context) ([]service.Schedule, error) {
	rows, err := s.q.Query(ctx, `SELECT company_id, period, count, starts_on, created_at FROM inspection_schedules ORDER BY company_id`)
	if err != nil {
		return nil, wrap("schedules", err)
	}
	defer rows.Close()
	var out []service.Schedule
	for rows.Next() {
		var sc service.Schedule
		var period, created string
		if err := rows.Scan(&sc.CompanyID, &period, &sc.Count, &sc.StartsOn, &created); err != nil {
			return nil, wrap("schedule", err)
		}
		sc.Period, sc.CreatedAt = policy.Period(period), storage.ParseTime(created)
		out = append(out, sc)
	}
	return out, wrap("schedules", rows.Err())
}
