package service

// Evaluations (行业评价): a company's periodic rating computed from the
// evidence the service holds, with a breakdown that explains every point:
// each criterion's weight (the evaluation policy in etcd, versioned), the
// points earned, and the evidence with the ids of the events or records it
// came from. A criterion with no evidence in the period is left out of the
// total (not reported), never counted as 0. A draft may be recomputed; a
// published version never changes (the store refuses it too), and a
// correction, an adjustment by the police or HQ or late evidence, is the
// next version, published with its reason.

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/rates"
)

// EventEvaluationPublished is the evaluations' one event: a version
// published (1) or corrected (2, 3, …).
const EventEvaluationPublished = "EvaluationPublished"

// The statuses of an evaluation version.
const (
	EvaluationDraft     = "draft"
	EvaluationPublished = "published"
)

// CriterionAdjustment is the breakdown line of the reviewed adjustments.
const CriterionAdjustment = "adjustment"

// Evidence is one piece of what a criterion's points rest on.
type Evidence struct {
	// Kind: counts (the four rates), inspection, finding, dispute,
	// signature, company_window, attendance, four_one_month,
	// wage_declaration, complaint.
	Kind string `json:"kind"`
	// Ref is the record: an inspection, finding, dispute or meeting id, a
	// month, a day.
	Ref   string   `json:"ref"`
	Value *float64 `json:"value,omitempty" doc:"the figure it contributes (a rate, a score 0–1, 1 met / 0 not)"`
	Note  string   `json:"note,omitempty"`
	// SourceEventIDs are the consumed events it came from (meetings' and
	// membership's event ids). Compliance's own records (inspections,
	// findings, disputes, checks) are their own source: their events on
	// gh.<district>.compliance.v1 carry Ref as the aggregate id.
	SourceEventIDs []string `json:"source_event_ids"`
}

// CriterionScore is one line of a breakdown.
type CriterionScore struct {
	Criterion string  `json:"criterion"`
	Weight    float64 `json:"weight"`
	Points    float64 `json:"points" doc:"0..weight (the adjustment line: the signed sum of the adjustments)"`
	// Reported is false when the period holds no evidence: the criterion
	// is then out of the total, not 0.
	Reported    bool       `json:"reported"`
	Rate        *float64   `json:"rate" doc:"the fraction of the weight earned; null when not reported"`
	Explanation string     `json:"explanation"`
	Evidence    []Evidence `json:"evidence"`
}

// Adjustment is a reviewed adjustment of a rating by the police or HQ.
type Adjustment struct {
	Points    float64   `json:"points"`
	Reason    string    `json:"reason"`
	ByRole    string    `json:"by_role"`
	BySubject string    `json:"by_subject"`
	At        time.Time `json:"at"`
}

// Evaluation is one version of a company's rating of a period.
type Evaluation struct {
	ID        string `json:"id" doc:"company_id.period"`
	District  string `json:"district"`
	CompanyID string `json:"company_id"`
	Period    string `json:"period" doc:"2026-Q3 or 2026"`
	Version   int64  `json:"version"`
	Status    string `json:"status" enum:"draft,published"`
	// Score is the points over the reported criteria's weights, 0..100,
	// plus the adjustments (kept within 0..100); null when no criterion
	// had evidence.
	Score            *float64                `json:"score"`
	Grade            string                  `json:"grade,omitempty"`
	PolicyVersion    int64                   `json:"policy_version"`
	Policy           policy.EvaluationPolicy `json:"policy" doc:"the weights, grades and period the rating used"`
	Criteria         []CriterionScore        `json:"criteria"`
	Adjustments      []Adjustment            `json:"adjustments"`
	CorrectionReason string                  `json:"correction_reason,omitempty"`
	ComputedAt       time.Time               `json:"computed_at"`
	PublishedAt      *time.Time              `json:"published_at,omitempty"`
	PublishedByRole  string                  `json:"published_by_role,omitempty"`
}

// EvaluationInput computes (or recomputes) a company's draft.
type EvaluationInput struct {
	CompanyID string `json:"company_id" required:"true"`
	Period    string `json:"period,omitempty" doc:"2026-Q3 (quarterly policy) or 2026 (yearly); default the current period"`
}

// AdjustmentInput is a reviewed adjustment.
type AdjustmentInput struct {
	Points float64 `json:"points" required:"true" doc:"-100..100, not 0"`
	Reason string  `json:"reason" required:"true" doc:"1–500 characters"`
}

// CorrectionInput recomputes a published rating from today's evidence as
// its next version.
type CorrectionInput struct {
	Reason string `json:"reason" required:"true" doc:"1–500 characters"`
}

// EvaluationFilter selects evaluations.
type EvaluationFilter struct {
	CompanyID string
	Period    string
}

// Errors of the evaluations.
var (
	ErrEvaluationNotFound   = errs.E(errs.NotFound, "evaluation.not_found", "no such evaluation (or version)")
	ErrEvaluationCompany    = ErrCompanyIDRequired
	ErrEvaluationPeriod     = errs.InvalidField("evaluation.period_invalid", "period", "period is the policy's: YYYY-Qn for a quarterly policy, YYYY for a yearly one, not in the future")
	ErrEvaluationNoDraft    = errs.E(errs.Conflict, "evaluation.no_draft", "no draft to publish: compute one first (POST /compliance/evaluations)")
	ErrEvaluationPublished  = errs.E(errs.Conflict, "evaluation.not_published", "no published version to correct: publish the draft first")
	ErrAdjustmentPoints     = errs.InvalidField("evaluation.adjustment_points_invalid", "points", "points are -100 to 100 and not 0")
	ErrAdjustmentReason     = errs.InvalidField("evaluation.reason_required", "reason", "a reason of 1 to 500 characters is required")
	ErrEvaluationVersionBad = errs.InvalidField("evaluation.version_invalid", "version", "version is 1 or more")
)

// EvaluationQueries are the store's reads and writes of the evaluations
// and of the meetings projection.
type EvaluationQueries interface {
	PutMeeting(ctx context.Context, m Meeting) error
	PutAttendance(ctx context.Context, a Attendance) error
	PutSignature(ctx context.Context, s Signature) error
	// AttendanceOf returns company's attendances of meetings starting in
	// [from, to) (roundtables only if roundtables).
	AttendanceOf(ctx context.Context, company string, from, to time.Time, roundtables bool) ([]CompanyAttendance, error)
	Signatures(ctx context.Context, company string) ([]Signature, error)
	// Register returns every company on record with its active window.
	Register(ctx context.Context) ([]RegisteredCompany, error)
	// FindingsDue returns company's findings due in [from, to) (dates).
	FindingsDue(ctx context.Context, company, from, to string) ([]Finding, error)
	CompanyDisputes(ctx context.Context, company string) ([]Dispute, error)
	// FourOneMonth returns the distinct guards of company checked in the
	// month (YYYY-MM) and when each check of it was recorded.
	FourOneMonth(ctx context.Context, company, month string) (checked int64, recorded []time.Time, err error)
	SnapshotOn(ctx context.Context, company, day string) (Snapshot, bool, error)
	// PutEvaluation writes a version (a draft in place; a published
	// version is never overwritten: an error).
	PutEvaluation(ctx context.Context, e Evaluation) error
	// EvaluationVersion returns version v of id (0: the newest).
	EvaluationVersion(ctx context.Context, id string, v int64) (Evaluation, bool, error)
	// LatestPublished returns the newest published version of id.
	LatestPublished(ctx context.Context, id string) (Evaluation, bool, error)
	ListEvaluations(ctx context.Context, f EvaluationFilter, after string, limit int) ([]Evaluation, error)
	// MarkObligation records an obligation event once: false if it was.
	MarkObligation(ctx context.Context, company, obligation, period, kind string) (bool, error)
}

// RegisteredCompany is a company of the register and its active window.
type RegisteredCompany struct {
	ID, Status, ActiveSince, LapsedOn, WindowEventID string
}

// EvaluationStore is what the evaluations need of the store.
type EvaluationStore interface {
	Tx(ctx context.Context, fn func(q Queries) ([]Change, error)) error
	EvaluationQueries
	CompanyScore(ctx context.Context, id string) (CompanyScore, bool, error)
	FourOneCoverage(ctx context.Context, company, period string) (checked, active int64, err error)
	CompanyInspections(ctx context.Context, company, since string) ([]Inspection, error)
}

// Evaluations is the evaluations API of the service.
type Evaluations struct {
	District string
	Store    EvaluationStore
	Now      func() time.Time
	// Policy is the evaluation policy in force (etcd EvaluationKey).
	Policy func() policy.EvaluationPolicy
	// Compliance is the compliance policy (timeliness_days).
	Compliance func() policy.Compliance
}

// EvaluationID is the id of company's rating of period.
func EvaluationID(company, period string) string { return company + "." + period }

var (
	quarterLabel = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)
	yearLabel    = regexp.MustCompile(`^\d{4}$`)
)

// periodBounds parses a period label of p and returns its bounds.
func periodBounds(p policy.Period, label string) (start, end time.Time, ok bool) {
	switch p {
	case policy.Quarter:
		m := quarterLabel.FindStringSubmatch(label)
		if m == nil {
			return start, end, false
		}
		var y, q int
		_, _ = fmt.Sscanf(m[1]+" "+m[2], "%d %d", &y, &q)
		start = time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, policy.Zone)
	case policy.Year:
		if !yearLabel.MatchString(label) {
			return start, end, false
		}
		var y int
		_, _ = fmt.Sscanf(label, "%d", &y)
		start = time.Date(y, 1, 1, 0, 0, 0, 0, policy.Zone)
	default:
		return start, end, false
	}
	if start.Year() < 2000 {
		return start, end, false
	}
	return start, p.Shift(start, 1), true
}

// Compute computes company's draft of period from today's evidence under
// the policy in force, replacing an earlier draft (keeping its
// adjustments). Its version is the next after the newest published one.
func (s *Evaluations) Compute(ctx context.Context, in EvaluationInput) (Evaluation, error) {
	in.CompanyID = strings.TrimSpace(in.CompanyID)
	if !textOK(in.CompanyID, 64) {
		return Evaluation{}, ErrEvaluationCompany
	}
	pol, now := s.Policy(), s.Now()
	if in.Period == "" {
		in.Period = pol.Period.Label(pol.Period.Start(now))
	}
	start, end, ok := periodBounds(pol.Period, in.Period)
	if !ok || start.After(now) {
		return Evaluation{}, ErrEvaluationPeriod
	}
	var out Evaluation
	err := s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		reg, err := q.Register(ctx)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(reg, func(c RegisteredCompany) bool { return c.ID == in.CompanyID })
		if i < 0 {
			return nil, ErrCompanyNotFound
		}
		id := EvaluationID(in.CompanyID, in.Period)
		e := Evaluation{ID: id, District: s.District, CompanyID: in.CompanyID, Period: in.Period, Version: 1, Status: EvaluationDraft,
			Adjustments: []Adjustment{}}
		if pub, ok, err := q.LatestPublished(ctx, id); err != nil {
			return nil, err
		} else if ok {
			e.Version, e.Adjustments = pub.Version+1, pub.Adjustments
		}
		if d, ok, err := q.EvaluationVersion(ctx, id, 0); err != nil {
			return nil, err
		} else if ok && d.Status == EvaluationDraft {
			e.Adjustments = d.Adjustments
		}
		if err := s.score(ctx, q, &e, reg[i], pol, start, end, now); err != nil {
			return nil, err
		}
		if err := q.PutEvaluation(ctx, e); err != nil {
			return nil, err
		}
		out = e
		return nil, auditWrite(ctx, q, now, "evaluation.compute", "evaluation", id, nil)
	})
	return out, err
}

// score fills e's criteria, score and grade from the evidence of
// [start, end) as of now.
func (s *Evaluations) score(ctx context.Context, q Queries, e *Evaluation, co RegisteredCompany, pol policy.EvaluationPolicy, start, end, now time.Time) error {
	e.Policy, e.PolicyVersion, e.ComputedAt = pol, pol.Version, now.UTC()
	asOf := end
	if now.Before(end) {
		asOf = now
	}
	lines, err := Evidences(ctx, q, co, start, end, asOf)
	if err != nil {
		return err
	}
	e.Criteria = []CriterionScore{}
	for _, c := range policy.EvaluationCriteria() {
		w := pol.Weights[c]
		if w <= 0 {
			continue // weight 0: not part of this policy
		}
		l := lines[c]
		l.Criterion, l.Weight = c, w
		if l.Reported {
			l.Points = round2(w * *l.Rate)
		}
		if l.Evidence == nil {
			l.Evidence = []Evidence{}
		}
		e.Criteria = append(e.Criteria, l)
	}
	rescore(e)
	return nil
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func ratio(num, den float64) *float64 {
	if den <= 0 {
		return nil
	}
	r := num / den
	return &r
}

func f64(f float64) *float64 { return &f }

// Evidences gathers every criterion's evidence of co for [start, end) as of
// asOf (the period's end, or now in a current period): each line's Rate is
// the fraction of its weight earned, nil and Reported false without
// evidence.
func Evidences(ctx context.Context, q Queries, co RegisteredCompany, start, end, asOf time.Time) (map[string]CriterionScore, error) {
	out := map[string]CriterionScore{}
	set := func(c string, rate *float64, expl string, ev []Evidence) {
		out[c] = CriterionScore{Reported: rate != nil, Rate: rate, Explanation: expl, Evidence: ev}
	}
	// The four rates: the closing snapshot of the period's last day if
	// the period ended and there is one, else the counts now.
	lastDay := Day(end.Add(-time.Nanosecond))
	counts, ref, note := Counts{}, "", ""
	if sn, ok, err := q.SnapshotOn(ctx, co.ID, lastDay); err != nil {
		return nil, err
	} else if ok && !asOf.Before(end) {
		counts, ref, note = sn.Counts, "snapshot/"+lastDay, "the closing counts of the period's last day"
	} else if sc, ok, err := q.CompanyScore(ctx, co.ID); err != nil {
		return nil, err
	} else if ok {
		counts, ref, note = sc.Counts, fmt.Sprintf("company_score/v%d", sc.Version), "the counts at computation (no closing snapshot of the period's last day)"
	}
	for _, r := range []struct {
		c   string
		met int64
	}{{CriterionBackground, counts.BackgroundChecked}, {CriterionTraining, counts.Trained}, {CriterionCertificate, counts.Certified}, {CriterionBadge, counts.BadgeService}} {
		rate := rates.Of(r.met, counts.Active)
		ev := []Evidence{}
		if counts.Active > 0 {
			ev = append(ev, Evidence{Kind: "counts", Ref: ref, Value: rate, Note: fmt.Sprintf("%d of %d active guards; %s", r.met, counts.Active, note), SourceEventIDs: []string{}})
		}
		set(r.c, rate, "the share of active guards who meet it (the four 100%)", ev)
	}
	// Hazard inspections done in the period: the mean score, a failed
	// critical item scoring 0.
	ins, err := q.CompanyInspections(ctx, co.ID, Day(start))
	if err != nil {
		return nil, err
	}
	var sum, n float64
	ev := []Evidence{}
	for _, in := range ins {
		if in.InspectedOn < Day(start) || in.InspectedOn >= Day(end) || in.Score.Score == nil {
			continue
		}
		v, note := *in.Score.Score, "score"
		if len(in.Score.CriticalFailed) > 0 {
			v, note = 0, "a critical item failed: 0"
		}
		sum, n = sum+v, n+1
		ev = append(ev, Evidence{Kind: "inspection", Ref: in.ID, Value: f64(v), Note: note + " (inspected " + in.InspectedOn + ")", SourceEventIDs: []string{}})
	}
	set("inspection_score", ratio(sum, n), "the mean score of the hazard inspections done in the period (a failed critical item scores 0)", ev)
	// Remediations due in the period: the share done by their due date.
	fs, err := q.FindingsDue(ctx, co.ID, Day(start), Day(end))
	if err != nil {
		return nil, err
	}
	var onTime, due float64
	ev = []Evidence{}
	today := Day(asOf)
	for _, f := range fs {
		closedOn := ""
		if f.Status == "closed" {
			closedOn = Day(f.UpdatedAt)
		}
		late := (closedOn == "" && f.RemediationDue < today) || (closedOn != "" && closedOn > f.RemediationDue)
		if closedOn == "" && !late {
			continue // not due yet: no evidence either way
		}
		due++
		v := 1.0
		note := "closed by " + f.RemediationDue
		if late {
			v, note = 0, "overdue (due "+f.RemediationDue+")"
		} else {
			onTime++
		}
		ev = append(ev, Evidence{Kind: "finding", Ref: f.ID, Value: f64(v), Note: note, SourceEventIDs: []string{}})
	}
	set("overdue_remediations", ratio(onTime, due), "the share of the hazard remediations due in the period closed by their due date", ev)
	// Disputes reported in the period: the share handled in time (a first
	// response within the policy's working days, mediation not left past
	// 15 days).
	ds, err := q.CompanyDisputes(ctx, co.ID)
	if err != nil {
		return nil, err
	}
	var good, all float64
	ev = []Evidence{}
	for _, d := range ds {
		if d.ReportedAt.Before(start) || !d.ReportedAt.Before(end) {
			continue
		}
		all++
		v, note := 1.0, "handled in time ("+d.Status+")"
		if d.ResponseLate || d.EscalationDue {
			v, note = 0, "response overdue or mediation past 15 days ("+d.Status+")"
		} else {
			good++
		}
		ev = append(ev, Evidence{Kind: "dispute", Ref: d.ID, Value: f64(v), Note: note, SourceEventIDs: []string{}})
	}
	set("disputes", ratio(good, all), "the share of the period's disputes handled in time", ev)
	// The convention: a signature, by the period's end, of the version
	// current when signed. Evidence is a signature or the company's
	// membership in the period (a member that has not signed: 0).
	sigs, err := q.Signatures(ctx, co.ID)
	if err != nil {
		return nil, err
	}
	ev = []Evidence{}
	signed := false
	for _, sg := range sigs {
		if !sg.SignedAt.Before(end) {
			continue
		}
		v := 0.0
		note := "signed version " + sg.ConventionVersion + " (not the current one)"
		if sg.Current {
			v, signed, note = 1, true, "signed version "+sg.ConventionVersion+", current when signed"
		}
		ev = append(ev, Evidence{Kind: "signature", Ref: sg.ID, Value: f64(v), Note: note, SourceEventIDs: []string{sg.EventID}})
	}
	var conv *float64
	switch {
	case signed:
		conv = f64(1)
	case len(ev) > 0 || overlaps(start, end, co.ActiveSince, co.LapsedOn):
		conv = f64(0)
		if len(ev) == 0 {
			ev = append(ev, Evidence{Kind: "company_window", Ref: co.ID, Value: f64(0), Note: "a member (active since " + co.ActiveSince +
				") with no signature on record", SourceEventIDs: idsOf(co.WindowEventID)})
		}
	}
	set("convention", conv, "the self-discipline convention (《行业自律公约》) signed: all or nothing", ev)
	// Meeting attendance: of the meetings in the period the company was
	// invited to and whose attendance is settled (recorded, or the meeting
	// closed), the share it attended (present or late).
	att, err := q.AttendanceOf(ctx, co.ID, start, end, false)
	if err != nil {
		return nil, err
	}
	var there, settled float64
	ev = []Evidence{}
	for _, a := range att {
		if a.Status == "invited" && a.Meeting.Status != "closed" {
			continue
		}
		settled++
		v := 0.0
		if a.Attended() {
			v, there = 1, there+1
		}
		ev = append(ev, Evidence{Kind: "attendance", Ref: a.MeetingID, Value: f64(v), Note: a.Meeting.Type + ": " + a.Status,
			SourceEventIDs: idsOf(a.EventID, a.Meeting.EventID)})
	}
	set("meeting_attendance", ratio(there, settled), "the share of the period's meetings it was invited to that it attended", ev)
	// Two-four-one coverage: the mean, over the period's months to date, of
	// the guards checked over the active guards.
	ev = []Evidence{}
	var cov, months float64
	for m := start; m.Before(end) && !m.After(asOf); m = m.AddDate(0, 1, 0) {
		month := m.Format("2006-01")
		checked, active, err := q.FourOneCoverage(ctx, co.ID, month)
		if err != nil {
			return nil, err
		}
		r := rates.Of(min(checked, active), active)
		if r == nil {
			continue
		}
		cov, months = cov+*r, months+1
		ev = append(ev, Evidence{Kind: "four_one_month", Ref: month, Value: r, Note: fmt.Sprintf("%d of %d active guards checked", checked, active), SourceEventIDs: []string{}})
	}
	set("four_one_coverage", ratio(cov, months), "the mean monthly two-four-one coverage (guards checked over active guards)", ev)
	if err := wageEvidence(ctx, q, co, start, end, asOf, set); err != nil {
		return nil, err
	}
	if err := complaintEvidence(ctx, q, co, start, end, set); err != nil {
		return nil, err
	}
	return out, nil
}

// wageEvidence is the wage guarantee's line (issue 17 part 2): each month
// of the period whose declaration is on record (declared, reviewed, or
// missed by the deadline) scores the mean of its three figures: declared
// on time, paid in full (no arrears, not disputed by the union contact),
// a guarantee in place. A month not yet due and not declared is no
// evidence either way.
func wageEvidence(ctx context.Context, q Queries, co RegisteredCompany, start, end, asOf time.Time,
	set func(string, *float64, string, []Evidence)) error {
	ws, err := q.ListWageDeclarations(ctx, WageFilter{CompanyID: co.ID}, "", 1000)
	if err != nil {
		return err
	}
	first, last := start.Format(monthLayout), end.Add(-time.Nanosecond).Format(monthLayout)
	var sum, n float64
	ev := []Evidence{}
	for _, w := range ws {
		if w.Month < first || w.Month > last {
			continue
		}
		onTime := w.Status != WageMissed && w.OnTime
		paid := w.Status != WageMissed && w.PaidInFull && w.Status != WageDisputed
		guarantee := w.Status != WageMissed && w.Guarantee != "" && w.Guarantee != "none"
		v := (b2f(onTime) + b2f(paid) + b2f(guarantee)) / 3
		sum, n = sum+v, n+1
		var note string
		switch {
		case w.Status == WageMissed:
			note = "not declared by the deadline"
		default:
			note = map[bool]string{true: "declared on time", false: "declared late"}[onTime]
			if paid {
				note += "; paid in full"
			} else if w.Status == WageDisputed {
				note += "; disputed by the union contact"
			} else {
				note += fmt.Sprintf("; in arrears (%d guards, %.2f yuan)", w.GuardsAffected, w.ArrearsAmount)
			}
			note += "; guarantee: " + w.Guarantee
		}
		ev = append(ev, Evidence{Kind: "wage_declaration", Ref: w.ID, Value: f64(v), Note: note + " (" + w.Status + ")", SourceEventIDs: []string{}})
	}
	set("wage_guarantee", ratio(sum, n), "the mean over the period's declared (or missed) months of: declared on time, paid in full, a wage guarantee in place", ev)
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// complaintEvidence is the fair-competition line (issue 17 part 4): the
// complaints resolved in the period against the company (upheld: 0;
// dismissed or settled: 1, it was cleared) and those it filed that were
// dismissed as malicious and count against it (0). A company with none is
// not reported. A complainant is not rewarded for complaining: its upheld
// complaints are no evidence of its own conduct. The note gives the
// outcome and the mediator's finding, never the other party's id.
func complaintEvidence(ctx context.Context, q Queries, co RegisteredCompany, start, end time.Time,
	set func(string, *float64, string, []Evidence)) error {
	cs, err := complaintQueries(q).CompanyComplaints(ctx, co.ID)
	if err != nil {
		return err
	}
	var good, all float64
	ev := []Evidence{}
	for _, c := range cs {
		if c.Status != ComplaintResolved || c.ResolvedAt == nil || c.ResolvedAt.Before(start) || !c.ResolvedAt.Before(end) {
			continue
		}
		var v float64
		var note string
		switch {
		case c.AccusedID == co.ID && c.CountsAgainst == AgainstAccused:
			v, note = 0, "complaint ("+c.Kind+") upheld against it: "+c.Finding
		case c.AccusedID == co.ID:
			v, note = 1, "complaint ("+c.Kind+") "+c.Outcome+", not counted against it: "+c.Finding
		case c.ComplainantID == co.ID && c.CountsAgainst == AgainstComplainant:
			v, note = 0, "its complaint ("+c.Kind+") dismissed as malicious: "+c.Finding
		default:
			continue
		}
		all++
		good += v
		ev = append(ev, Evidence{Kind: "complaint", Ref: c.ID, Value: f64(v), Note: note, SourceEventIDs: []string{}})
	}
	set("fair_competition", ratio(good, all), "the share of the period's resolved complaints about its conduct not found against it (upheld against it, or its own found malicious: 0)", ev)
	return nil
}

func idsOf(ids ...string) []string {
	out := []string{}
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// role is the caller's role for a publication ("system" without one).
func role(ctx context.Context) string {
	if r := audit.ActorFromContext(ctx).Role; r != "" {
		return r
	}
	return audit.SystemSubject
}

// publish marks e published now by the caller and returns its event.
func (s *Evaluations) publish(ctx context.Context, q Queries, e *Evaluation, action string) ([]Change, error) {
	now := s.Now().UTC()
	e.Status, e.PublishedAt, e.PublishedByRole = EvaluationPublished, &now, role(ctx)
	if err := q.PutEvaluation(ctx, *e); err != nil {
		return nil, err
	}
	if err := auditWrite(ctx, q, now, action, "evaluation", e.ID, nil); err != nil {
		return nil, err
	}
	pub := *e
	return []Change{{Type: EventEvaluationPublished, Evaluation: &pub}}, nil
}

// Publish publishes id's draft as it was reviewed (not recomputed).
func (s *Evaluations) Publish(ctx context.Context, id string) (Evaluation, error) {
	var out Evaluation
	err := s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		e, ok, err := q.EvaluationVersion(ctx, id, 0)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrEvaluationNotFound
		}
		if e.Status != EvaluationDraft {
			return nil, ErrEvaluationNoDraft
		}
		ch, err := s.publish(ctx, q, &e, "evaluation.publish")
		out = e
		return ch, err
	})
	return out, err
}

// Adjust adds a reviewed adjustment by the caller (the police or HQ: the
// route's policy): to the draft if there is one, else as a correction, the
// next version of the published rating, published at once with the
// reason.
func (s *Evaluations) Adjust(ctx context.Context, id string, in AdjustmentInput) (Evaluation, error) {
	if math.IsNaN(in.Points) || in.Points == 0 || in.Points < -100 || in.Points > 100 {
		return Evaluation{}, ErrAdjustmentPoints
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if !textOK(in.Reason, 500) {
		return Evaluation{}, ErrAdjustmentReason
	}
	actor := audit.ActorFromContext(ctx)
	if actor.Role != string(auth.RolePolice) && actor.Role != string(auth.RoleHQAdmin) {
		// The policy table admits only them; a caller without a role (a
		// test, a misrouted call) gets the same answer.
		return Evaluation{}, auth.ErrForbidden
	}
	var out Evaluation
	err := s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		e, ok, err := q.EvaluationVersion(ctx, id, 0)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrEvaluationNotFound
		}
		now := s.Now()
		adj := Adjustment{Points: in.Points, Reason: in.Reason, ByRole: actor.Role, BySubject: actor.Subject, At: now.UTC()}
		e.Adjustments = append(slices.Clone(e.Adjustments), adj)
		e.Criteria = slices.DeleteFunc(slices.Clone(e.Criteria), func(c CriterionScore) bool { return c.Criterion == CriterionAdjustment })
		if e.Status == EvaluationPublished {
			e.Version++
			e.CorrectionReason = "adjustment: " + in.Reason
			e.PublishedAt, e.PublishedByRole = nil, ""
		}
		rescore(&e)
		if e.Status == EvaluationDraft {
			out = e
			if err := q.PutEvaluation(ctx, e); err != nil {
				return nil, err
			}
			return nil, auditWrite(ctx, q, now, "evaluation.adjust", "evaluation", id, nil)
		}
		ch, err := s.publish(ctx, q, &e, "evaluation.adjust")
		out = e
		return ch, err
	})
	return out, err
}

// rescore recomputes e's total from its criteria (as they are) and its
// adjustments: an adjustment changes the total, not the evidence.
func rescore(e *Evaluation) {
	var earned, weights, adj float64
	for _, c := range e.Criteria {
		if c.Reported && c.Criterion != CriterionAdjustment {
			earned, weights = earned+c.Points, weights+c.Weight
		}
	}
	ev := []Evidence{}
	for _, a := range e.Adjustments {
		adj += a.Points
		v := a.Points
		ev = append(ev, Evidence{Kind: "adjustment", Ref: a.ByRole, Value: &v, Note: a.Reason, SourceEventIDs: []string{}})
	}
	if len(e.Adjustments) > 0 {
		e.Criteria = append(e.Criteria, CriterionScore{Criterion: CriterionAdjustment, Points: round2(adj), Reported: true,
			Explanation: "reviewed adjustments by the police or HQ, added to the score", Evidence: ev})
	}
	e.Score, e.Grade = nil, ""
	if weights > 0 {
		sc := round2(math.Max(0, math.Min(100, earned/weights*100+adj)))
		e.Score, e.Grade = &sc, e.Policy.GradeOf(sc)
	}
}

// Correct recomputes a published rating from today's evidence under the
// policy in force as its next version, published at once with the reason
// (late evidence; the adjustments carry over).
func (s *Evaluations) Correct(ctx context.Context, id string, in CorrectionInput) (Evaluation, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if !textOK(in.Reason, 500) {
		return Evaluation{}, ErrAdjustmentReason
	}
	var out Evaluation
	err := s.Store.Tx(ctx, func(q Queries) ([]Change, error) {
		pub, ok, err := q.LatestPublished(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			if _, found, err := q.EvaluationVersion(ctx, id, 0); err != nil {
				return nil, err
			} else if !found {
				return nil, ErrEvaluationNotFound
			}
			return nil, ErrEvaluationPublished
		}
		pol := s.Policy()
		start, end, ok := periodBounds(pub.Policy.Period, pub.Period)
		if !ok {
			return nil, ErrEvaluationPeriod
		}
		reg, err := q.Register(ctx)
		if err != nil {
			return nil, err
		}
		co := RegisteredCompany{ID: pub.CompanyID}
		if i := slices.IndexFunc(reg, func(c RegisteredCompany) bool { return c.ID == pub.CompanyID }); i >= 0 {
			co = reg[i]
		}
		if pol.Period != pub.Policy.Period {
			pol = pub.Policy // a policy of another period cannot rate this one
		}
		e := Evaluation{ID: id, District: s.District, CompanyID: pub.CompanyID, Period: pub.Period, Version: pub.Version + 1,
			Status: EvaluationDraft, Adjustments: pub.Adjustments, CorrectionReason: in.Reason}
		if err := s.score(ctx, q, &e, co, pol, start, end, s.Now()); err != nil {
			return nil, err
		}
		ch, err := s.publish(ctx, q, &e, "evaluation.correct")
		out = e
		return ch, err
	})
	return out, err
}

// Get returns version v of id (0: the newest, draft or published).
func (s *Evaluations) Get(ctx context.Context, id string, v int64) (Evaluation, error) {
	if v < 0 {
		return Evaluation{}, ErrEvaluationVersionBad
	}
	e, ok, err := s.Store.EvaluationVersion(ctx, id, v)
	if err == nil && !ok {
		err = ErrEvaluationNotFound
	}
	return e, err
}

// Company returns the company of evaluation id ("" if none).
func (s *Evaluations) Company(ctx context.Context, id string) string {
	e, ok, err := s.Store.EvaluationVersion(ctx, id, 0)
	if err != nil || !ok {
		return ""
	}
	return e.CompanyID
}

// List returns a page of the newest version of each evaluation, by id.
func (s *Evaluations) List(ctx context.Context, f EvaluationFilter, p kitx.Page) ([]Evaluation, string, error) {
	if len(f.CompanyID) > 64 {
		return nil, "", ErrCompanyIDInvalid
	}
	if len(f.Period) > 16 {
		return nil, "", ErrEvaluationPeriod
	}
	rows, err := s.Store.ListEvaluations(ctx, f, p.Cursor, p.Size+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > p.Size {
		rows = rows[:p.Size]
		next = rows[len(rows)-1].ID
	}
	return rows, next, nil
}
