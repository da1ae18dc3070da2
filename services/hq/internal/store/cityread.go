package store

// The city view's reads: service.CityRepository.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// reader reads the city view in one transaction, so one answer's figures
// are of one moment: a section's "reported" and its counts come from the
// same applied events (an event commits both together).
type reader struct {
	s  *Store
	tx *sql.Tx
}

// read calls fn with a reader over one read transaction.
func (s *Store) read(ctx context.Context, fn func(r reader) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // it only read
	return fn(reader{s: s, tx: tx})
}

// query runs q and calls scan for every row.
func (r reader) query(ctx context.Context, what, q string, scan func(*sql.Rows) error, args ...any) error {
	rows, err := r.tx.QueryContext(ctx, r.s.db.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// districtFilter is the WHERE clause of an optional district ("" all).
func districtFilter(col, district string) (string, []any) {
	if district == "" {
		return "1 = 1", nil
	}
	return col + " = ?", []any{district}
}

// City implements service.CityRepository.
func (s *Store) City(ctx context.Context, district, today, month string, now time.Time, periods []string) (out map[string]service.CityData, err error) {
	err = s.read(ctx, func(r reader) error {
		out, err = r.city(ctx, district, today, month, now, periods)
		return err
	})
	return out, err
}

// city reads the raw figures of district ("" every district).
func (r reader) city(ctx context.Context, district, today, month string, now time.Time, periods []string) (map[string]service.CityData, error) {
	out := map[string]service.CityData{}
	get := func(d string) *service.CityData {
		p := out[d]
		return &p
	}
	put := func(d string, cd *service.CityData) { out[d] = *cd }
	where, args := districtFilter("district", district)

	// Which services HQ heard from: a section is reported from then on.
	err := r.query(ctx, "service freshness", `SELECT district, service, last_event_at FROM hq_service_freshness
		WHERE `+where+` AND service IN ('compliance', 'patrols', 'messaging')`, func(r *sql.Rows) error {
		var d, svc string
		var at int64
		if err := r.Scan(&d, &svc, &at); err != nil {
			return err
		}
		cd := get(d)
		last := timePtrOf(at)
		switch svc {
		case "compliance":
			cd.Compliance.Reported, cd.Compliance.LastEventAt = true, last
		case "patrols":
			cd.Patrols.Reported, cd.Patrols.LastEventAt = true, last
		case "messaging":
			cd.Messaging.Reported, cd.Messaging.LastEventAt = true, last
		}
		put(d, cd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}

	// --- compliance ---
	err = r.query(ctx, "four hundred", `SELECT district, count(*), max(day), sum(active), sum(background_checked), sum(trained),
		sum(certified), sum(badge_service) FROM hq_compliance_scores WHERE `+where+` GROUP BY district`, func(r *sql.Rows) error {
		var d string
		var n int64
		var f service.FourHundred
		if err := r.Scan(&d, &n, &f.Day, &f.Active, &f.BackgroundChecked, &f.Trained, &f.Certified, &f.BadgeService); err != nil {
			return err
		}
		cd := get(d)
		f.Reported, f.CompaniesReported = true, n
		cd.Compliance.FourHundred = f
		put(d, cd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	hazards, err := r.hazards(ctx, district, today, false)
	if err != nil {
		return nil, err
	}
	for k, h := range hazards {
		cd := get(k.district)
		cd.Compliance.Hazards.Add(h)
		put(k.district, cd)
	}
	disputes, err := r.disputes(ctx, district, false)
	if err != nil {
		return nil, err
	}
	for k, dd := range disputes {
		cd := get(k.district)
		cd.Compliance.Disputes.Add(dd)
		put(k.district, cd)
	}
	err = r.query(ctx, "four-one", `SELECT district, count(*), sum(checked), sum(active) FROM hq_four_one
		WHERE `+where+` AND period = ? GROUP BY district`, func(r *sql.Rows) error {
		var d string
		var f service.FourOne
		if err := r.Scan(&d, &f.CompaniesReported, &f.Checked, &f.Active); err != nil {
			return err
		}
		cd := get(d)
		cd.Compliance.FourOne = f
		put(d, cd)
		return nil
	}, append(args, month)...)
	if err != nil {
		return nil, err
	}
	// Each district's newest period rated, and its companies' newest
	// versions of it.
	err = r.query(ctx, "ratings", `SELECT e.district, e.period, e.grade, count(*), coalesce(sum(e.score_reported), 0),
		coalesce(sum(CASE WHEN e.score_reported = 1 THEN e.score ELSE 0 END), 0)
		FROM hq_evaluations e
		JOIN (SELECT district, max(period) AS period FROM hq_evaluations GROUP BY district) l
		  ON l.district = e.district AND l.period = e.period
		WHERE `+qualified("e", where)+` GROUP BY e.district, e.period, e.grade`, func(r *sql.Rows) error {
		var d, period, grade string
		var n, scored int64
		var sum float64
		if err := r.Scan(&d, &period, &grade, &n, &scored, &sum); err != nil {
			return err
		}
		cd := get(d)
		rt := &cd.Compliance.Ratings
		rt.Period = period
		rt.CompaniesRated += n
		rt.Scored += scored
		rt.ScoreSum += sum
		rt.ByGrade = addOne(rt.ByGrade, grade, n)
		put(d, cd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	timeliness, err := r.timeliness(ctx, district, periods, false)
	if err != nil {
		return nil, err
	}
	for k, t := range timeliness {
		cd := get(k.district)
		cd.Compliance.Timeliness.Add(t)
		put(k.district, cd)
	}

	// --- patrols ---
	err = r.query(ctx, "teams", `SELECT district, count(*) FROM hq_teams WHERE `+where+` GROUP BY district`, func(r *sql.Rows) error {
		var d string
		var n int64
		if err := r.Scan(&d, &n); err != nil {
			return err
		}
		cd := get(d)
		cd.Patrols.Teams = n
		put(d, cd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	// A guard is a volunteer once however many teams hold them, and
	// suspended only if no team holds them active.
	err = r.query(ctx, "volunteers", `SELECT district, coalesce(sum(a), 0), coalesce(sum(1 - a), 0) FROM
		(SELECT district, guard_id, max(active) AS a FROM hq_team_members WHERE `+where+` GROUP BY district, guard_id) v
		GROUP BY district`, func(r *sql.Rows) error {
		var d string
		var a, sus int64
		if err := r.Scan(&d, &a, &sus); err != nil {
			return err
		}
		cd := get(d)
		cd.Patrols.VolunteersActive, cd.Patrols.VolunteersSuspended = a, sus
		put(d, cd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	err = r.query(ctx, "shifts", `SELECT district, count(*), coalesce(sum(CASE WHEN required > 0 THEN required ELSE 0 END), 0),
		coalesce(sum(CASE WHEN assigned <= 0 OR required <= 0 THEN 0 WHEN assigned < required THEN assigned ELSE required END), 0) FROM hq_shifts WHERE `+where+` GROUP BY district`, func(r *sql.Rows) error {
		var d string
		var n, req, filled int64
		if err := r.Scan(&d, &n, &req, &filled); err != nil {
			return err
		}
		cd := get(d)
		cd.Patrols.Shifts, cd.Patrols.SeatsRequired, cd.Patrols.SeatsFilled = n, req, filled
		put(d, cd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	err = r.query(ctx, "scans", `SELECT district, count(*), coalesce(sum(mock_location), 0), coalesce(sum(offline), 0)
		FROM hq_scans WHERE `+where+` GROUP BY district`, func(r *sql.Rows) error {
		var d string
		var n, mock, off int64
		if err := r.Scan(&d, &n, &mock, &off); err != nil {
			return err
		}
		cd := get(d)
		cd.Patrols.Scans, cd.Patrols.ScansMockLocation, cd.Patrols.ScansOffline = n, mock, off
		put(d, cd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	// Patrol hours: each (shift, guard) with an accepted scan counts the
	// shift's length once (a shift HQ has no snapshot of counts nothing).
	err = r.query(ctx, "patrol hours", `SELECT p.district, coalesce(sum(CASE WHEN s.ends_at > s.starts_at THEN s.ends_at - s.starts_at ELSE 0 END), 0) FROM
		(SELECT DISTINCT district, shift_id, guard_id FROM hq_scans WHERE `+where+`) p
		JOIN hq_shifts s ON s.id = p.shift_id AND s.district = p.district GROUP BY p.district`, func(r *sql.Rows) error {
		var d string
		var ns int64
		if err := r.Scan(&d, &ns); err != nil {
			return err
		}
		cd := get(d)
		cd.Patrols.PatrolHours = time.Duration(ns).Hours()
		put(d, cd)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	err = r.query(ctx, "missed tours", `SELECT district, kind, count(*) FROM hq_missed_tours WHERE withdrawn = 0 AND `+where+` GROUP BY district, kind`,
		func(r *sql.Rows) error {
			var d, kind string
			var n int64
			if err := r.Scan(&d, &kind, &n); err != nil {
				return err
			}
			cd := get(d)
			cd.Patrols.MissedTours += n
			cd.Patrols.MissedToursByKind = addOne(cd.Patrols.MissedToursByKind, kind, n)
			put(d, cd)
			return nil
		}, args...)
	if err != nil {
		return nil, err
	}
	err = r.query(ctx, "incidents", `SELECT district, status, count(*) FROM hq_incidents WHERE `+where+` GROUP BY district, status`,
		func(r *sql.Rows) error {
			var d, st string
			var n int64
			if err := r.Scan(&d, &st, &n); err != nil {
				return err
			}
			cd := get(d)
			cd.Patrols.Incidents += n
			cd.Patrols.IncidentsByStatus = addOne(cd.Patrols.IncidentsByStatus, st, n)
			put(d, cd)
			return nil
		}, args...)
	if err != nil {
		return nil, err
	}
	samples := map[string][3][]float64{}
	err = r.query(ctx, "dispatches", `SELECT district, escalated, raised_at, accepted_at, arrived_at, feedback_at FROM hq_dispatches
		WHERE `+where, func(r *sql.Rows) error {
		var d string
		var esc, raised, acc, arr, fb int64
		if err := r.Scan(&d, &esc, &raised, &acc, &arr, &fb); err != nil {
			return err
		}
		cd := get(d)
		cd.Patrols.Dispatches++
		cd.Patrols.DispatchesEscalated += esc
		put(d, cd)
		sm := samples[d]
		for i, at := range []int64{acc, arr, fb} {
			if raised > 0 && at >= raised {
				sm[i] = append(sm[i], time.Duration(at-raised).Seconds())
			}
		}
		samples[d] = sm
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	for d, sm := range samples {
		cd := get(d)
		cd.Patrols.SetSamples(sm[0], sm[1], sm[2])
		put(d, cd)
	}

	// --- messaging ---
	err = r.query(ctx, "notices", `SELECT district, count(*), coalesce(sum(ack_required), 0),
		coalesce(sum(CASE WHEN ack_required = 1 THEN recipients ELSE 0 END), 0),
		coalesce(sum(CASE WHEN ack_required = 1 THEN CASE WHEN read > acknowledged THEN read ELSE acknowledged END ELSE 0 END), 0),
		coalesce(sum(CASE WHEN ack_required = 1 THEN acknowledged ELSE 0 END), 0),
		coalesce(sum(CASE WHEN ack_required = 1 AND ack_deadline > 0 AND ack_deadline < ? AND acknowledged < recipients THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN directive_id <> '' THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN directive_id <> '' AND ack_required = 1 THEN recipients ELSE 0 END), 0),
		coalesce(sum(CASE WHEN directive_id <> '' AND ack_required = 1 THEN acknowledged ELSE 0 END), 0),
		coalesce(max(CASE WHEN directive_id <> '' THEN published_at ELSE 0 END), 0),
		coalesce(max(CASE WHEN directive_id <> '' THEN last_receipt_at ELSE 0 END), 0),
		coalesce(min(CASE WHEN ack_required = 1 AND ack_deadline >= ? AND acknowledged < recipients THEN ack_deadline END), 0)
		FROM hq_notices WHERE `+where+` GROUP BY district`, func(r *sql.Rows) error {
		var d string
		var n service.NoticeStats
		var lastDelivered, lastReceipt, next int64
		if err := r.Scan(&d, &n.Notices, &n.AckRequired, &n.Recipients, &n.Read, &n.Acknowledged, &n.Overdue,
			&n.Directives.Materialised, &n.Directives.Recipients, &n.Directives.Acknowledged, &lastDelivered, &lastReceipt, &next); err != nil {
			return err
		}
		n.Directives.LastDeliveredAt, n.Directives.LastReceiptAt = timePtrOf(lastDelivered), timePtrOf(lastReceipt)
		n.NextDeadline = timePtrOf(next)
		cd := get(d)
		n.Reported, n.LastEventAt = cd.Messaging.Reported, cd.Messaging.LastEventAt
		cd.Messaging = n
		put(d, cd)
		return nil
	}, append([]any{now.UnixNano(), now.UnixNano()}, args...)...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// qualified prefixes the district column of a districtFilter clause.
func qualified(alias, where string) string {
	if where == "1 = 1" {
		return where
	}
	return alias + "." + where
}

func addOne(m map[string]int64, k string, n int64) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[k] += n
	return m
}

func timePtrOf(n int64) *time.Time {
	if n == 0 {
		return nil
	}
	t := fromNanos(n)
	return &t
}

// key is a district and company ("" for the district's total).
type key struct{ district, company string }

// hazards returns the inspections and findings per district (byCompany:
// per district and company).
func (r reader) hazards(ctx context.Context, district, today string, byCompany bool) (map[key]service.Hazards, error) {
	out := map[key]service.Hazards{}
	where, args := districtFilter("district", district)
	k := func(d, c string) key {
		if !byCompany {
			c = ""
		}
		return key{d, c}
	}
	err := r.query(ctx, "inspections", `SELECT district, company_id, count(*), coalesce(sum(score_reported), 0),
		coalesce(sum(CASE WHEN score_reported = 1 THEN score ELSE 0 END), 0),
		coalesce(sum(CASE WHEN result = 'passed' THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN result = 'failed' THEN 1 ELSE 0 END), 0), coalesce(sum(findings), 0)
		FROM hq_inspections WHERE `+where+` GROUP BY district, company_id`, func(r *sql.Rows) error {
		var d, c string
		var h service.Hazards
		if err := r.Scan(&d, &c, &h.Inspections, &h.InspectionsScored, &h.ScoreSum, &h.Passed, &h.Failed, &h.FindingsRecorded); err != nil {
			return err
		}
		h.FindingsOpen = h.FindingsRecorded
		cur := out[k(d, c)]
		cur.Add(h)
		out[k(d, c)] = cur
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	err = r.query(ctx, "findings", `SELECT district, company_id, coalesce(sum(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN status <> 'closed' AND (escalated <> '' OR (remediation_due <> '' AND remediation_due < ?)) THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN status <> 'closed' AND escalated = 'hq' THEN 1 ELSE 0 END), 0)
		FROM hq_findings WHERE `+where+` GROUP BY district, company_id`, func(r *sql.Rows) error {
		var d, c string
		var closed, overdue, hq int64
		if err := r.Scan(&d, &c, &closed, &overdue, &hq); err != nil {
			return err
		}
		cur := out[k(d, c)]
		cur.FindingsOpen = max(0, cur.FindingsOpen-closed)
		cur.FindingsOverdue += overdue
		cur.FindingsEscalatedHQ += hq
		out[k(d, c)] = cur
		return nil
	}, append([]any{today}, args...)...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// disputes returns the disputes per district (byCompany: and company).
func (r reader) disputes(ctx context.Context, district string, byCompany bool) (map[key]service.Disputes, error) {
	out := map[key]service.Disputes{}
	where, args := districtFilter("district", district)
	err := r.query(ctx, "disputes", `SELECT district, company_id, status, count(*),
		coalesce(sum(CASE WHEN response_overdue = 1 AND status IN ('reported', 'mediating') THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN escalation_due = 1 AND status IN ('reported', 'mediating') THEN 1 ELSE 0 END), 0)
		FROM hq_disputes WHERE `+where+` GROUP BY district, company_id, status`, func(r *sql.Rows) error {
		var d, c, st string
		var n, ro, ed int64
		if err := r.Scan(&d, &c, &st, &n, &ro, &ed); err != nil {
			return err
		}
		if !byCompany {
			c = ""
		}
		cur := out[key{d, c}]
		cur.Total += n
		cur.ByStatus = addOne(cur.ByStatus, st, n)
		cur.ResponseOverdue += ro
		cur.EscalationDue += ed
		out[key{d, c}] = cur
		return nil
	}, args...)
	return out, err
}

// trend reads district's daily closing counts since day.
func (r reader) trend(ctx context.Context, district, since string) ([]service.TrendPoint, error) {
	out := []service.TrendPoint{}
	err := r.query(ctx, "trend", `SELECT day, active, background_checked, trained, certified, badge_service
		FROM hq_compliance_snapshots WHERE district = ? AND company_id = '' AND day > ? ORDER BY day`, func(r *sql.Rows) error {
		var p service.TrendPoint
		if err := r.Scan(&p.Day, &p.Active, &p.BackgroundChecked, &p.Trained, &p.Certified, &p.BadgeService); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	}, district, since)
	return out, err
}

// complianceCompanies reads a row for every
// company of district in membership's snapshots or in any compliance
// figure.
func (r reader) complianceCompanies(ctx context.Context, district, today, month string, periods []string) ([]service.ComplianceCompanyRow, error) {
	rows := map[string]*service.ComplianceCompanyRow{}
	row := func(id string) *service.ComplianceCompanyRow {
		r, ok := rows[id]
		if !ok {
			r = &service.ComplianceCompanyRow{CompanyID: id}
			rows[id] = r
		}
		return r
	}
	err := r.query(ctx, "companies", `SELECT id, name FROM hq_companies WHERE district = ?`, func(r *sql.Rows) error {
		var id, name string
		if err := r.Scan(&id, &name); err != nil {
			return err
		}
		row(id).Name = name
		return nil
	}, district)
	if err != nil {
		return nil, err
	}
	err = r.query(ctx, "scores", `SELECT company_id, day, active, background_checked, trained, certified, badge_service
		FROM hq_compliance_scores WHERE district = ?`, func(r *sql.Rows) error {
		var id string
		var f service.FourHundredCounts
		var day string
		if err := r.Scan(&id, &day, &f.Active, &f.BackgroundChecked, &f.Trained, &f.Certified, &f.BadgeService); err != nil {
			return err
		}
		x := row(id)
		x.FourHundred.Reported, x.FourHundred.Day, x.FourHundred.FourHundredCounts = true, day, f
		return nil
	}, district)
	if err != nil {
		return nil, err
	}
	hz, err := r.hazards(ctx, district, today, true)
	if err != nil {
		return nil, err
	}
	for k, h := range hz {
		row(k.company).Hazards = h
	}
	ds, err := r.disputes(ctx, district, true)
	if err != nil {
		return nil, err
	}
	for k, d := range ds {
		row(k.company).Disputes = d
	}
	err = r.query(ctx, "four-one", `SELECT company_id, checked, active FROM hq_four_one WHERE district = ? AND period = ?`,
		func(r *sql.Rows) error {
			var id string
			var c, a int64
			if err := r.Scan(&id, &c, &a); err != nil {
				return err
			}
			x := row(id)
			x.FourOne.Reported, x.FourOne.Checked, x.FourOne.Active = true, c, a
			return nil
		}, district, month)
	if err != nil {
		return nil, err
	}
	// Each company's newest period (and its newest version of it).
	err = r.query(ctx, "ratings", `SELECT company_id, period, version, score_reported, score, grade, policy_version, published_at
		FROM hq_evaluations WHERE district = ? ORDER BY company_id, period`, func(r *sql.Rows) error {
		var id string
		var rt service.CompanyRating
		var score float64
		var sr int
		var pub int64
		if err := r.Scan(&id, &rt.Period, &rt.Version, &sr, &score, &rt.Grade, &rt.PolicyVersion, &pub); err != nil {
			return err
		}
		rt.ScoreReported = sr != 0
		if rt.ScoreReported {
			rt.Score = &score
		}
		rt.PublishedAt = timePtrOf(pub)
		row(id).Rating = &rt // the newest period comes last
		return nil
	}, district)
	if err != nil {
		return nil, err
	}
	tl, err := r.timeliness(ctx, district, periods, true)
	if err != nil {
		return nil, err
	}
	for k, t := range tl {
		row(k.company).Timeliness = t
	}
	out := make([]service.ComplianceCompanyRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sortRows(out, func(r service.ComplianceCompanyRow) string { return r.CompanyID })
	return out, nil
}

// patrolCompanies reads each company's volunteers.
func (r reader) patrolCompanies(ctx context.Context, district string) ([]service.PatrolCompanyRow, error) {
	rows := map[string]*service.PatrolCompanyRow{}
	row := func(id string) *service.PatrolCompanyRow {
		r, ok := rows[id]
		if !ok {
			r = &service.PatrolCompanyRow{CompanyID: id}
			rows[id] = r
		}
		return r
	}
	err := r.query(ctx, "company guards", `SELECT c.id, c.name, sum(t.active) FROM hq_companies c
		JOIN hq_guard_tallies t ON t.company_id = c.id
		WHERE c.district = ? GROUP BY c.id HAVING sum(t.active) > 0`, func(r *sql.Rows) error {
		var id, name string
		var n int64
		if err := r.Scan(&id, &name, &n); err != nil {
			return err
		}
		x := row(id)
		x.Name, x.GuardsActive = name, n
		return nil
	}, district)
	if err != nil {
		return nil, err
	}
	// A volunteer's company is the one the team event named, else the
	// guard's in membership's snapshot (a district team's leader).
	err = r.query(ctx, "company volunteers", `SELECT c, count(DISTINCT guard_id) FROM
		(SELECT m.guard_id, coalesce(nullif(m.company_id, ''), g.company_id, '') AS c
		 FROM hq_team_members m LEFT JOIN hq_guards g ON g.id = m.guard_id
		 WHERE m.district = ? AND m.active = 1) v
		WHERE c <> '' GROUP BY c`, func(r *sql.Rows) error {
		var id string
		var n int64
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		row(id).VolunteersActive = n
		return nil
	}, district)
	if err != nil {
		return nil, err
	}
	out := make([]service.PatrolCompanyRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sortRows(out, func(r service.PatrolCompanyRow) string { return r.CompanyID })
	return out, nil
}

// notices reads a page of notices.
func (r reader) notices(ctx context.Context, district, after string, limit int) ([]service.NoticeRow, error) {
	var out []service.NoticeRow
	err := r.query(ctx, "notices", `SELECT id, origin, directive_id, title, priority, ack_required, ack_deadline, revision,
		recipients, read, acknowledged, published_at, last_receipt_at FROM hq_notices
		WHERE district = ? AND id > ? ORDER BY id LIMIT ?`, func(r *sql.Rows) error {
		var n service.NoticeRow
		var ack int
		var deadline, pub, last int64
		if err := r.Scan(&n.ID, &n.Origin, &n.DirectiveID, &n.Title, &n.Priority, &ack, &deadline, &n.Revision,
			&n.Recipients, &n.Read, &n.Acknowledged, &pub, &last); err != nil {
			return err
		}
		n.AckRequired = ack != 0
		n.AckDeadline, n.PublishedAt, n.LastReceiptAt = timePtrOf(deadline), timePtrOf(pub), timePtrOf(last)
		out = append(out, n)
		return nil
	}, district, after, limit)
	return out, err
}

func sortRows[T any](rows []T, id func(T) string) {
	slices.SortFunc(rows, func(a, b T) int { return strings.Compare(id(a), id(b)) })
}

// Trend implements service.CityRepository.
func (s *Store) Trend(ctx context.Context, district, since string) (out []service.TrendPoint, err error) {
	err = s.read(ctx, func(r reader) error {
		out, err = r.trend(ctx, district, since)
		return err
	})
	return out, err
}

// ComplianceCompanies implements service.CityRepository.
func (s *Store) ComplianceCompanies(ctx context.Context, district, today, month string, periods []string) (out []service.ComplianceCompanyRow, err error) {
	err = s.read(ctx, func(r reader) error {
		out, err = r.complianceCompanies(ctx, district, today, month, periods)
		return err
	})
	return out, err
}

// PatrolCompanies implements service.CityRepository.
func (s *Store) PatrolCompanies(ctx context.Context, district string) (out []service.PatrolCompanyRow, err error) {
	err = s.read(ctx, func(r reader) error {
		out, err = r.patrolCompanies(ctx, district)
		return err
	})
	return out, err
}

// Notices implements service.CityRepository.
func (s *Store) Notices(ctx context.Context, district, after string, limit int) (out []service.NoticeRow, err error) {
	err = s.read(ctx, func(r reader) error {
		out, err = r.notices(ctx, district, after, limit)
		return err
	})
	return out, err
}

var _ service.CityRepository = (*Store)(nil)
