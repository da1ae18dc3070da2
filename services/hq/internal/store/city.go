package store

// The city view's writes (issues 10, 11, 12): the snapshots the projector
// folds in from the districts' compliance, patrols and messaging topics.
// Every write reports whether it changed a row, and a snapshot only ever
// replaces an older version of itself, so a redelivered or reordered event
// never rolls a row back.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// upsert inserts the row (cols, vals) of table, or replaces the row with
// the same key when the guard condition holds for it (e.g.
// "excluded.version > t.version"; "" replaces always). It reports whether
// a row was written.
func (s *Store) upsert(ctx context.Context, tx *sql.Tx, table string, key []string, cols []string, guard string, vals ...any) (bool, error) {
	var set []string
	for _, c := range cols {
		if !contains(key, c) {
			set = append(set, c+" = excluded."+c)
		}
	}
	q := `INSERT INTO ` + table + ` AS t (` + strings.Join(cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(cols)-1) +
		`) ON CONFLICT (` + strings.Join(key, ", ") + `) DO UPDATE SET ` + strings.Join(set, ", ")
	if guard != "" {
		q += ` WHERE ` + guard
	}
	res, err := s.db.ExecTx(ctx, tx, q, vals...)
	return inserted(res, err, table)
}

// insertOnce inserts a fact row of table; a row with the same key already
// there is kept (the fact was applied before).
func (s *Store) insertOnce(ctx context.Context, tx *sql.Tx, table string, cols []string, vals ...any) (bool, error) {
	q := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(cols)-1) +
		`) ON CONFLICT DO NOTHING`
	res, err := s.db.ExecTx(ctx, tx, q, vals...)
	return inserted(res, err, table)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

const newerVersion = "excluded.version > t.version"

// FourHundred is a company's (or a district's, CompanyID empty) four-100%
// counts on Day.
type FourHundred struct {
	District, CompanyID, Day                                    string
	Active, BackgroundChecked, Trained, Certified, BadgeService int64
	// Version is the company's scoreboard version (live counts only).
	Version int64
}

// PutScore stores a company's live four-100% counts if newer.
func (s *Store) PutScore(ctx context.Context, tx *sql.Tx, f FourHundred) (bool, error) {
	return s.upsert(ctx, tx, "hq_compliance_scores", []string{"company_id"},
		[]string{"company_id", "district", "day", "active", "background_checked", "trained", "certified", "badge_service", "version"},
		newerVersion, f.CompanyID, f.District, f.Day, f.Active, f.BackgroundChecked, f.Trained, f.Certified, f.BadgeService, f.Version)
}

// PutSnapshot stores a day's closing counts (the trend); a day written
// again with other counts is replaced (it reports a change only then).
func (s *Store) PutSnapshot(ctx context.Context, tx *sql.Tx, f FourHundred) (bool, error) {
	return s.upsert(ctx, tx, "hq_compliance_snapshots", []string{"district", "company_id", "day"},
		[]string{"district", "company_id", "day", "active", "background_checked", "trained", "certified", "badge_service"},
		"t.active <> excluded.active OR t.background_checked <> excluded.background_checked OR t.trained <> excluded.trained OR "+
			"t.certified <> excluded.certified OR t.badge_service <> excluded.badge_service", f.District, f.CompanyID, f.Day, f.Active, f.BackgroundChecked, f.Trained, f.Certified, f.BadgeService)
}

// Inspection is an inspection as HQ keeps it.
type Inspection struct {
	ID, District, CompanyID, InspectedOn, ForPeriod string
	ScoreReported                                   bool
	Score                                           float64
	Result                                          string
	Findings                                        int64
	RecordedAt                                      time.Time
}

// PutInspection records an inspection once.
func (s *Store) PutInspection(ctx context.Context, tx *sql.Tx, in Inspection) (bool, error) {
	return s.insertOnce(ctx, tx, "hq_inspections",
		[]string{"id", "district", "company_id", "inspected_on", "for_period", "score_reported", "score", "result", "findings", "recorded_at"},
		in.ID, in.District, in.CompanyID, in.InspectedOn, in.ForPeriod, b2i(in.ScoreReported), in.Score, in.Result, in.Findings, nanos(in.RecordedAt))
}

// Finding is a hazard finding snapshot.
type Finding struct {
	ID, District, InspectionID, CompanyID, Severity, RemediationDue, Status, Escalated string
	Version                                                                            int64
}

// PutFinding stores a finding snapshot if newer.
func (s *Store) PutFinding(ctx context.Context, tx *sql.Tx, f Finding) (bool, error) {
	return s.upsert(ctx, tx, "hq_findings", []string{"id"},
		[]string{"id", "district", "inspection_id", "company_id", "severity", "remediation_due", "status", "escalated", "version"},
		newerVersion, f.ID, f.District, f.InspectionID, f.CompanyID, f.Severity, f.RemediationDue, f.Status, f.Escalated, f.Version)
}

// Dispute is a dispute snapshot as HQ keeps it (no party's name).
type Dispute struct {
	ID, District, CompanyID, Kind, Status string
	ResponseOverdue, EscalationDue        bool
	Version                               int64
}

// PutDispute stores a dispute snapshot if newer.
func (s *Store) PutDispute(ctx context.Context, tx *sql.Tx, d Dispute) (bool, error) {
	return s.upsert(ctx, tx, "hq_disputes", []string{"id"},
		[]string{"id", "district", "company_id", "kind", "status", "response_overdue", "escalation_due", "version"},
		newerVersion, d.ID, d.District, d.CompanyID, d.Kind, d.Status, b2i(d.ResponseOverdue), b2i(d.EscalationDue), d.Version)
}

// FourOne is a company's two-four-one coverage of a month.
type FourOne struct {
	District, CompanyID, Period string
	Checked, Active             int64
}

// PutFourOne stores a company's coverage of a month if it counts more
// guards checked than the stored one (its version is the checked count).
func (s *Store) PutFourOne(ctx context.Context, tx *sql.Tx, f FourOne) (bool, error) {
	return s.upsert(ctx, tx, "hq_four_one", []string{"district", "company_id", "period"},
		[]string{"district", "company_id", "period", "checked", "active"},
		"excluded.checked > t.checked", f.District, f.CompanyID, f.Period, f.Checked, f.Active)
}

// Evaluation is a published rating as HQ keeps it.
type Evaluation struct {
	District, CompanyID, Period, ID string
	Version                         int64
	ScoreReported                   bool
	Score                           float64
	Grade                           string
	PolicyVersion                   int64
	PublishedAt                     time.Time
}

// PutEvaluation stores a company's rating of a period if it is a newer
// version (a correction supersedes the version before).
func (s *Store) PutEvaluation(ctx context.Context, tx *sql.Tx, e Evaluation) (bool, error) {
	return s.upsert(ctx, tx, "hq_evaluations", []string{"district", "company_id", "period"},
		[]string{"district", "company_id", "period", "id", "version", "score_reported", "score", "grade", "policy_version", "published_at"},
		newerVersion, e.District, e.CompanyID, e.Period, e.ID, e.Version, b2i(e.ScoreReported), e.Score, e.Grade, e.PolicyVersion,
		nanos(e.PublishedAt))
}

// Team is a volunteer team snapshot.
type Team struct {
	ID, District, CompanyID         string
	ActiveMembers, SuspendedMembers int64
	Version                         int64
}

// PutTeam stores a team snapshot if newer.
func (s *Store) PutTeam(ctx context.Context, tx *sql.Tx, t Team) (bool, error) {
	return s.upsert(ctx, tx, "hq_teams", []string{"id"},
		[]string{"id", "district", "company_id", "active_members", "suspended_members", "version"},
		newerVersion, t.ID, t.District, t.CompanyID, t.ActiveMembers, t.SuspendedMembers, t.Version)
}

// TeamMember is a guard's standing in a team at a team version.
type TeamMember struct {
	TeamID, GuardID, District, CompanyID string
	Active                               bool
	Version                              int64
}

// PutTeamMember stores a member's standing if the team version is newer
// than the one that last changed it. A suspension or reinstatement names
// no company: the one the join named is kept.
func (s *Store) PutTeamMember(ctx context.Context, tx *sql.Tx, m TeamMember) (bool, error) {
	res, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_team_members AS t (team_id, guard_id, district, company_id, active, version)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (team_id, guard_id) DO UPDATE SET district = excluded.district,
		company_id = CASE WHEN excluded.company_id <> '' THEN excluded.company_id ELSE t.company_id END,
		active = excluded.active, version = excluded.version
		WHERE excluded.version > t.version`,
		m.TeamID, m.GuardID, m.District, m.CompanyID, b2i(m.Active), m.Version)
	return inserted(res, err, "team member")
}

// Shift is a patrol shift snapshot.
type Shift struct {
	ID, District, PlanID              string
	StartsAt, EndsAt                  time.Time
	Required, Assigned, ExpectedScans int64
	Version                           int64
}

// PutShift stores a shift snapshot if newer.
func (s *Store) PutShift(ctx context.Context, tx *sql.Tx, sh Shift) (bool, error) {
	return s.upsert(ctx, tx, "hq_shifts", []string{"id"},
		[]string{"id", "district", "plan_id", "starts_at", "ends_at", "required", "assigned", "expected_scans", "version"},
		newerVersion, sh.ID, sh.District, sh.PlanID, nanos(sh.StartsAt), nanos(sh.EndsAt), sh.Required, sh.Assigned, sh.ExpectedScans, sh.Version)
}

// Scan is an accepted checkpoint scan.
type Scan struct {
	ID, District, ShiftID, GuardID string
	ScannedAt                      time.Time
	MockLocation, Offline          bool
}

// PutScan records an accepted scan once.
func (s *Store) PutScan(ctx context.Context, tx *sql.Tx, sc Scan) (bool, error) {
	return s.insertOnce(ctx, tx, "hq_scans", []string{"id", "district", "shift_id", "guard_id", "scanned_at", "mock_location", "offline"},
		sc.ID, sc.District, sc.ShiftID, sc.GuardID, nanos(sc.ScannedAt), b2i(sc.MockLocation), b2i(sc.Offline))
}

// MissedTour is a missed-tour anomaly.
type MissedTour struct{ ID, District, ShiftID, GuardID, Kind string }

// PutMissedTour records a missed tour once.
func (s *Store) PutMissedTour(ctx context.Context, tx *sql.Tx, m MissedTour) (bool, error) {
	return s.insertOnce(ctx, tx, "hq_missed_tours", []string{"id", "district", "shift_id", "guard_id", "kind"},
		m.ID, m.District, m.ShiftID, m.GuardID, m.Kind)
}

// WithdrawMissedTour marks a missed tour withdrawn (a late offline batch
// covered it), recording it withdrawn if its MissedTour was never seen, so
// that one arriving later does not count. It reports whether that changed
// anything.
func (s *Store) WithdrawMissedTour(ctx context.Context, tx *sql.Tx, m MissedTour) (bool, error) {
	res, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_missed_tours (id, district, shift_id, guard_id, kind, withdrawn)
		VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (id) DO UPDATE SET withdrawn = 1 WHERE hq_missed_tours.withdrawn = 0`,
		m.ID, m.District, m.ShiftID, m.GuardID, m.Kind)
	return inserted(res, err, "hq_missed_tours")
}

// Incident is an incident snapshot.
type Incident struct {
	ID, District, Kind, Severity, Status string
	Version                              int64
}

// PutIncident stores an incident snapshot if newer.
func (s *Store) PutIncident(ctx context.Context, tx *sql.Tx, in Incident) (bool, error) {
	return s.upsert(ctx, tx, "hq_incidents", []string{"id"}, []string{"id", "district", "kind", "severity", "status", "version"},
		newerVersion, in.ID, in.District, in.Kind, in.Severity, in.Status, in.Version)
}

// Dispatch is a dispatch snapshot with its response times.
type Dispatch struct {
	ID, District, Urgency, Status                         string
	RaisedAt, AcceptedAt, ArrivedAt, FeedbackAt, ClosedAt time.Time
	Escalated                                             bool
	Version                                               int64
}

// PutDispatch stores a dispatch snapshot if newer.
func (s *Store) PutDispatch(ctx context.Context, tx *sql.Tx, d Dispatch) (bool, error) {
	return s.upsert(ctx, tx, "hq_dispatches", []string{"id"},
		[]string{"id", "district", "urgency", "status", "raised_at", "accepted_at", "arrived_at", "feedback_at", "closed_at", "escalated", "version"},
		newerVersion, d.ID, d.District, d.Urgency, d.Status, nanos(d.RaisedAt), nanos(d.AcceptedAt), nanos(d.ArrivedAt),
		nanos(d.FeedbackAt), nanos(d.ClosedAt), b2i(d.Escalated), d.Version)
}

// Notice is a district notice with its receipt counts.
type Notice struct {
	ID, District, Origin, DirectiveID, Title, Priority string
	AckRequired                                        bool
	AckDeadline                                        time.Time
	Revision, Recipients, Read, Acknowledged           int64
	PublishedAt                                        time.Time
	// LastReceiptAt is the read or acknowledgement time of the receipt the
	// event carried (zero for a notice event without one).
	LastReceiptAt time.Time
	// Seq is the notice's event sequence (the envelope's).
	Seq int64
}

// PutNotice stores a notice's counts if its event sequence is newer. The
// last receipt only moves forward: a revision resets the counts, not when
// the district last heard from a company.
func (s *Store) PutNotice(ctx context.Context, tx *sql.Tx, n Notice) (bool, error) {
	res, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_notices AS t
		(id, district, origin, directive_id, title, priority, ack_required, ack_deadline, revision, recipients, read, acknowledged,
		 published_at, last_receipt_at, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET district = excluded.district, origin = excluded.origin,
		directive_id = excluded.directive_id, title = excluded.title, priority = excluded.priority,
		ack_required = excluded.ack_required, ack_deadline = excluded.ack_deadline, revision = excluded.revision,
		recipients = excluded.recipients, read = excluded.read, acknowledged = excluded.acknowledged,
		published_at = excluded.published_at, last_receipt_at = CASE WHEN t.last_receipt_at > excluded.last_receipt_at THEN t.last_receipt_at ELSE excluded.last_receipt_at END,
		seq = excluded.seq
		WHERE excluded.seq > t.seq`,
		n.ID, n.District, n.Origin, n.DirectiveID, n.Title, n.Priority, b2i(n.AckRequired), nanos(n.AckDeadline), n.Revision,
		n.Recipients, n.Read, n.Acknowledged, nanos(n.PublishedAt), nanos(n.LastReceiptAt), n.Seq)
	if err != nil {
		return false, fmt.Errorf("store: put notice: %w", err)
	}
	return inserted(res, nil, "notice")
}

// TouchService records that an event of district's service, which occurred
// at occurredAt, was applied; last_event_at only moves forward.
func (s *Store) TouchService(ctx context.Context, tx *sql.Tx, district, service string, occurredAt time.Time) error {
	return s.TouchServiceN(ctx, tx, district, service, occurredAt, 1)
}

// TouchServiceN is TouchService for n events, the newest of which occurred
// at occurredAt (one write for a transaction's events).
func (s *Store) TouchServiceN(ctx context.Context, tx *sql.Tx, district, service string, occurredAt time.Time, n int64) error {
	_, err := s.db.ExecTx(ctx, tx, `INSERT INTO hq_service_freshness (district, service, last_event_at, events_applied)
		VALUES (?, ?, ?, ?) ON CONFLICT (district, service) DO UPDATE SET
		last_event_at = CASE WHEN hq_service_freshness.last_event_at > excluded.last_event_at THEN hq_service_freshness.last_event_at ELSE excluded.last_event_at END,
		events_applied = hq_service_freshness.events_applied + excluded.events_applied`, district, service, nanos(occurredAt), n)
	if err != nil {
		return fmt.Errorf("store: touch service: %w", err)
	}
	return nil
}
