package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// PutMeeting implements service.EvaluationQueries: a newer version only.
func (s Queries) PutMeeting(ctx context.Context, m service.Meeting) error {
	_, err := s.q.Exec(ctx, `INSERT INTO meetings (id, type, status, starts_at, version, event_id) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET type = excluded.type, status = excluded.status, starts_at = excluded.starts_at,
		version = excluded.version, event_id = excluded.event_id WHERE excluded.version > meetings.version`,
		m.ID, m.Type, m.Status, storage.FormatTime(m.StartsAt), m.Version, m.EventID)
	return wrap("put meeting", err)
}

// PutAttendance implements service.EvaluationQueries.
func (s Queries) PutAttendance(ctx context.Context, a service.Attendance) error {
	_, err := s.q.Exec(ctx, `INSERT INTO meeting_attendance (meeting_id, company_id, status, recorded_at, event_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (meeting_id, company_id) DO UPDATE SET status = excluded.status, recorded_at = excluded.recorded_at, event_id = excluded.event_id`,
		a.MeetingID, a.CompanyID, a.Status, storage.FormatTime(a.RecordedAt), a.EventID)
	return wrap("put attendance", err)
}

// PutSignature implements service.EvaluationQueries: once per signature.
func (s Queries) PutSignature(ctx context.Context, sg service.Signature) error {
	_, err := s.q.Exec(ctx, `INSERT INTO convention_signatures (id, company_id, convention_version, current, signed_at, event_id)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		sg.ID, sg.CompanyID, sg.ConventionVersion, sg.Current, storage.FormatTime(sg.SignedAt), sg.EventID)
	return wrap("put signature", err)
}

// AttendanceOf implements service.EvaluationQueries.
func (s Queries) AttendanceOf(ctx context.Context, company string, from, to time.Time, roundtables bool) ([]service.CompanyAttendance, error) {
	query := `SELECT a.meeting_id, a.company_id, a.status, a.recorded_at, a.event_id, m.type, m.status, m.starts_at, m.version, m.event_id
		FROM meeting_attendance a JOIN meetings m ON m.id = a.meeting_id
		WHERE a.company_id = ? AND m.starts_at >= ? AND m.starts_at < ?`
	if roundtables {
		query += ` AND m.type = '` + service.RoundtableType + `'`
	}
	rows, err := s.q.Query(ctx, query+` ORDER BY m.starts_at, a.meeting_id`, company, storage.FormatTime(from), storage.FormatTime(to))
	if err != nil {
		return nil, wrap("attendance", err)
	}
	defer rows.Close()
	out := []service.CompanyAttendance{}
	for rows.Next() {
		var a service.CompanyAttendance
		var rec, starts string
		if err := rows.Scan(&a.MeetingID, &a.CompanyID, &a.Status, &rec, &a.EventID, &a.Meeting.Type, &a.Meeting.Status, &starts,
			&a.Meeting.Version, &a.Meeting.EventID); err != nil {
			return nil, wrap("attendance", err)
		}
		a.Meeting.ID, a.RecordedAt, a.Meeting.StartsAt = a.MeetingID, storage.ParseTime(rec), storage.ParseTime(starts)
		out = append(out, a)
	}
	return out, wrap("attendance", rows.Err())
}

// Signatures implements service.EvaluationQueries.
func (s Queries) Signatures(ctx context.Context, company string) ([]service.Signature, error) {
	rows, err := s.q.Query(ctx, `SELECT id, company_id, convention_version, current, signed_at, event_id FROM convention_signatures
		WHERE company_id = ? ORDER BY signed_at, id`, company)
	if err != nil {
		return nil, wrap("signatures", err)
	}
	defer rows.Close()
	out := []service.Signature{}
	for rows.Next() {
		var sg service.Signature
		var at string
		if err := rows.Scan(&sg.ID, &sg.CompanyID, &sg.ConventionVersion, &sg.Current, &at, &sg.EventID); err != nil {
			return nil, wrap("signature", err)
		}
		sg.SignedAt = storage.ParseTime(at)
		out = append(out, sg)
	}
	return out, wrap("signatures", rows.Err())
}

// Register implements service.EvaluationQueries.
func (s Queries) Register(ctx context.Context) ([]service.RegisteredCompany, error) {
	rows, err := s.q.Query(ctx, `SELECT id, status, active_since, lapsed_on, window_event_id FROM companies ORDER BY id`)
	if err != nil {
		return nil, wrap("register", err)
	}
	defer rows.Close()
	out := []service.RegisteredCompany{}
	for rows.Next() {
		var c service.RegisteredCompany
		if err := rows.Scan(&c.ID, &c.Status, &c.ActiveSince, &c.LapsedOn, &c.WindowEventID); err != nil {
			return nil, wrap("register", err)
		}
		out = append(out, c)
	}
	return out, wrap("register", rows.Err())
}

// FindingsDue implements service.EvaluationQueries.
func (s Queries) FindingsDue(ctx context.Context, company, from, to string) ([]service.Finding, error) {
	rows, err := s.q.Query(ctx, `SELECT `+findingCols+` FROM findings WHERE company_id = ? AND remediation_due >= ? AND remediation_due < ?
		ORDER BY remediation_due, id`, company, from, to)
	if err != nil {
		return nil, wrap("findings", err)
	}
	defer rows.Close()
	out := []service.Finding{}
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, wrap("finding", err)
		}
		out = append(out, f)
	}
	return out, wrap("findings", rows.Err())
}

// CompanyDisputes implements service.EvaluationQueries.
func (s Queries) CompanyDisputes(ctx context.Context, company string) ([]service.Dispute, error) {
	return s.disputes(ctx, `SELECT body FROM disputes WHERE company_id = ? ORDER BY id`, company)
}

// FourOneMonth implements service.EvaluationQueries.
func (s Queries) FourOneMonth(ctx context.Context, company, month string) (int64, []time.Time, error) {
	rows, err := s.q.Query(ctx, `SELECT guard_id, created_at FROM four_one_checks WHERE company_id = ? AND period = ?`, company, month)
	if err != nil {
		return 0, nil, wrap("two-four-one month", err)
	}
	defer rows.Close()
	guards := map[string]bool{}
	var at []time.Time
	for rows.Next() {
		var g, c string
		if err := rows.Scan(&g, &c); err != nil {
			return 0, nil, wrap("two-four-one month", err)
		}
		guards[g] = true
		at = append(at, storage.ParseTime(c))
	}
	return int64(len(guards)), at, wrap("two-four-one month", rows.Err())
}

// SnapshotOn implements service.EvaluationQueries.
func (s Queries) SnapshotOn(ctx context.Context, company, day string) (service.Snapshot, bool, error) {
	sn := service.Snapshot{CompanyID: company, Day: day}
	c := &sn.Counts
	err := s.q.QueryRow(ctx, `SELECT active, background_checked, trained, certified, badge_service FROM snapshots WHERE company_id = ? AND day = ?`,
		company, day).Scan(&c.Active, &c.BackgroundChecked, &c.Trained, &c.Certified, &c.BadgeService)
	if errors.Is(err, sql.ErrNoRows) {
		return sn, false, nil
	}
	return sn, err == nil, wrap("snapshot", err)
}

// PutEvaluation implements service.EvaluationQueries. A published version
// is never overwritten: the upsert only replaces a draft, and the table's
// triggers refuse any change to a published row.
func (s Queries) PutEvaluation(ctx context.Context, e service.Evaluation) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	res, err := s.q.Exec(ctx, `INSERT INTO evaluations (id, version, company_id, period, status, body) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id, version) DO UPDATE SET status = excluded.status, body = excluded.body WHERE evaluations.status = 'draft'`,
		e.ID, e.Version, e.CompanyID, e.Period, e.Status, string(body))
	if err != nil {
		return wrap("put evaluation", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(err, errors.New("store: put evaluation: a published version is immutable"))
	}
	return nil
}

func (s Queries) evaluation(ctx context.Context, query string, args ...any) (service.Evaluation, bool, error) {
	var body string
	err := s.q.QueryRow(ctx, query, args...).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return service.Evaluation{}, false, nil
	}
	if err != nil {
		return service.Evaluation{}, false, wrap("evaluation", err)
	}
	var e service.Evaluation
	return e, true, json.Unmarshal([]byte(body), &e)
}

// EvaluationVersion implements service.EvaluationQueries.
func (s Queries) EvaluationVersion(ctx context.Context, id string, v int64) (service.Evaluation, bool, error) {
	if v == 0 {
		return s.evaluation(ctx, `SELECT body FROM evaluations WHERE id = ? ORDER BY version DESC LIMIT 1`, id)
	}
	return s.evaluation(ctx, `SELECT body FROM evaluations WHERE id = ? AND version = ?`, id, v)
}

// LatestPublished implements service.EvaluationQueries.
func (s Queries) LatestPublished(ctx context.Context, id string) (service.Evaluation, bool, error) {
	return s.evaluation(ctx, `SELECT body FROM evaluations WHERE id = ? AND status = 'published' ORDER BY version DESC LIMIT 1`, id)
}

// ListEvaluations implements service.EvaluationQueries: the newest version
// of each evaluation, by id.
func (s Queries) ListEvaluations(ctx context.Context, f service.EvaluationFilter, after string, limit int) ([]service.Evaluation, error) {
	where, args := []string{"e.id > ?", "e.version = (SELECT MAX(version) FROM evaluations x WHERE x.id = e.id)"}, []any{after}
	if f.CompanyID != "" {
		where, args = append(where, "e.company_id = ?"), append(args, f.CompanyID)
	}
	if f.Period != "" {
		where, args = append(where, "e.period = ?"), append(args, f.Period)
	}
	rows, err := s.q.Query(ctx, `SELECT e.body FROM evaluations e`+storage.Where(where)+` ORDER BY e.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap("evaluations", err)
	}
	defer rows.Close()
	out := []service.Evaluation{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, wrap("evaluation", err)
		}
		var e service.Evaluation
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, wrap("evaluation", err)
		}
		out = append(out, e)
	}
	return out, wrap("evaluations", rows.Err())
}

// MarkObligation implements service.EvaluationQueries.
func (s Queries) MarkObligation(ctx context.Context, company, obligation, period, kind string) (bool, error) {
	res, err := s.q.Exec(ctx, `INSERT INTO obligation_marks (company_id, obligation, period, kind) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, company, obligation, period, kind)
	if err != nil {
		return false, wrap("mark obligation", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
