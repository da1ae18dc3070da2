package compliance_test

import (
	"context"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance"
)

// meetingsEnvelope wraps a meetings event as meetings' outbox would.
func meetingsEnvelope(typ, aggregate, eventID string, at time.Time, m proto.Message) *eventsv1.Envelope {
	e := testutil.Envelope("jingkai", "meetings", typ, "meeting", aggregate, m)
	e.EventId, e.OccurredAt = eventID, timestamppb.New(at)
	return e
}

func meeting(id, typ, status string, version int64, starts time.Time) *eventsv1.Meeting {
	return &eventsv1.Meeting{Id: id, District: "jingkai", Type: typ, Title: "会议" + id, Status: status, Version: version,
		StartsAt: timestamppb.New(starts), EndsAt: timestamppb.New(starts.Add(2 * time.Hour))}
}

// attendance is company's attendance of m recorded at at, as event id.
func attendance(m *eventsv1.Meeting, company, status, eventID string, at time.Time) *eventsv1.Envelope {
	return meetingsEnvelope(eventsv1.TypeAttendanceRecorded, m.GetId(), eventID, at, &eventsv1.AttendanceRecorded{Meeting: m,
		Attendance: &eventsv1.Attendance{MeetingId: m.GetId(), InviteeId: "inv-" + company, Kind: "company", CompanyId: company, Status: status}})
}

func signature(id, company string, current bool, eventID string, at time.Time) *eventsv1.Envelope {
	return meetingsEnvelope(eventsv1.TypeConventionSigned, id, eventID, at, &eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{
		Id: id, District: "jingkai", CompanyId: company, ConventionVersion: "2026.1", SignedBy: "法人", SignedAt: timestamppb.New(at), Current: current}})
}

func (e *env) applyMeetings(envs ...*eventsv1.Envelope) {
	e.t.Helper()
	for _, ev := range envs {
		if err := e.node.ApplyMeetings(context.Background(), ev); err != nil {
			e.t.Fatalf("apply %s: %v", ev.GetType(), err)
		}
	}
}

type evidence struct {
	Kind           string   `json:"kind"`
	Ref            string   `json:"ref"`
	Value          *float64 `json:"value"`
	Note           string   `json:"note"`
	SourceEventIDs []string `json:"source_event_ids"`
}

type criterion struct {
	Criterion string     `json:"criterion"`
	Weight    float64    `json:"weight"`
	Points    float64    `json:"points"`
	Reported  bool       `json:"reported"`
	Rate      *float64   `json:"rate"`
	Evidence  []evidence `json:"evidence"`
}

type evaluation struct {
	ID               string      `json:"id"`
	CompanyID        string      `json:"company_id"`
	Period           string      `json:"period"`
	Version          int64       `json:"version"`
	Status           string      `json:"status"`
	Score            *float64    `json:"score"`
	Grade            string      `json:"grade"`
	PolicyVersion    int64       `json:"policy_version"`
	Criteria         []criterion `json:"criteria"`
	CorrectionReason string      `json:"correction_reason"`
	Adjustments      []struct {
		Points float64 `json:"points"`
		Reason string  `json:"reason"`
		ByRole string  `json:"by_role"`
	} `json:"adjustments"`
}

func (v evaluation) line(c string) (criterion, bool) {
	for _, l := range v.Criteria {
		if l.Criterion == c {
			return l, true
		}
	}
	return criterion{}, false
}

func (e *env) evaluate(company string, hdr ...string) evaluation {
	e.t.Helper()
	var v evaluation
	e.Must(200, "POST", "/compliance/evaluations", map[string]any{"company_id": company}, &v, hdr...)
	return v
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.006 }

// ratedCompany sets up c1 in 2026-Q2 with evidence for every criterion but
// disputes: two guards (one without a badge), two inspections (one
// perfect, one failing a critical item), two findings due 12 June (one
// closed in time, one left open), a current convention signature, a
// roundtable attended and a council missed (a meeting still to come is not
// evidence), and one guard of two checked in June. The clock ends on 20
// June.
func ratedCompany(t *testing.T) *env {
	e := newEnv(t)
	e.apply(companyAt("c1", "active", 1, time.Date(2026, 3, 15, 9, 0, 0, 0, cst)))
	e.hireTrained(okGuard("g1", "c1"))
	g2 := okGuard("g2", "c1")
	g2.BadgeService = false
	e.hireTrained(g2)
	tpl := e.template()
	good := e.inspect(inspectionBody(tpl, "2026-06-10", "yes"))
	e.inspect(inspectionBody(tpl, "2026-06-05", "no"))
	fid := good.Findings[0].ID
	e.Must(200, "POST", "/compliance/findings/"+fid+"/status", map[string]string{"status": "remediating"}, nil)
	e.Must(200, "POST", "/compliance/findings/"+fid+"/status", map[string]string{"status": "closed"}, nil)
	e.Must(201, "POST", "/compliance/four-one-checks", fourOneBody("g2"), nil)
	m1 := meeting("m1", "district_roundtable", "closed", 3, time.Date(2026, 5, 10, 14, 0, 0, 0, cst))
	m2 := meeting("m2", "council", "closed", 3, time.Date(2026, 6, 1, 9, 0, 0, 0, cst))
	m3 := meeting("m3", "district_roundtable", "scheduled", 1, time.Date(2026, 6, 15, 9, 0, 0, 0, cst))
	e.applyMeetings(
		signature("sig-1", "c1", true, "ev-sig-1", time.Date(2026, 5, 1, 10, 0, 0, 0, cst)),
		attendance(m1, "c1", "present", "ev-att-1", m1.GetStartsAt().AsTime()),
		attendance(m2, "c1", "absent", "ev-att-2", m2.GetStartsAt().AsTime()),
		attendance(m3, "c1", "invited", "ev-att-3", time.Date(2026, 6, 2, 9, 0, 0, 0, cst)),
	)
	e.clock.set(time.Date(2026, 6, 20, 9, 0, 0, 0, cst))
	return e
}

// TestEvaluationScoresEveryCriterionFromItsEvidence: every criterion of the
// default policy is scored from its evidence, each line names the evidence
// and the consumed events it came from, and a criterion without evidence
// (disputes) is left out of the total, not counted as 0; a member company
// with no evidence at all has only the convention line (0) reported.
func TestEvaluationScoresEveryCriterionFromItsEvidence(t *testing.T) {
	e := ratedCompany(t)
	v := e.evaluate("c1")
	if v.ID != "c1.2026-Q2" || v.Period != "2026-Q2" || v.Version != 1 || v.Status != "draft" || v.PolicyVersion != 0 {
		t.Fatalf("evaluation %+v", v)
	}
	for _, tc := range []struct {
		criterion string
		weight    float64
		reported  bool
		rate      float64
		evidence  int
	}{
		{"background_check", 10, true, 1, 1},
		{"training", 10, true, 1, 1},
		{"certificate", 10, true, 1, 1},
		{"badge", 10, true, 0.5, 1},
		{"inspection_score", 15, true, 0.5, 2},     // 1.0 and a critical failure's 0
		{"overdue_remediations", 10, true, 0.5, 2}, // one closed in time, one overdue
		{"disputes", 10, false, 0, 0},              // none: not reported
		{"convention", 5, true, 1, 1},
		{"meeting_attendance", 10, true, 0.5, 2},    // the roundtable attended, the council missed; m3 not yet
		{"four_one_coverage", 10, true, 1.0 / 6, 3}, // April 0, May 0, June 1 of 2
	} {
		l, ok := v.line(tc.criterion)
		if !ok {
			t.Errorf("%s: no line", tc.criterion)
			continue
		}
		if l.Weight != tc.weight || l.Reported != tc.reported || len(l.Evidence) != tc.evidence {
			t.Errorf("%s: %+v", tc.criterion, l)
			continue
		}
		if !tc.reported {
			if l.Rate != nil || l.Points != 0 {
				t.Errorf("%s: not reported but %+v", tc.criterion, l)
			}
			continue
		}
		if l.Rate == nil || !near(*l.Rate, tc.rate) || !near(l.Points, tc.weight*tc.rate) {
			t.Errorf("%s: rate %v points %v, want %v", tc.criterion, l.Rate, l.Points, tc.rate)
		}
	}
	// The total is over the reported weights (90), not 100.
	want := (10 + 10 + 10 + 5 + 7.5 + 5 + 5 + 5 + 10.0/6) / 90 * 100
	if v.Score == nil || !near(*v.Score, math.Round(want*100)/100) || v.Grade != "C" {
		t.Fatalf("score %v grade %s, want %.2f C", v.Score, v.Grade, want)
	}
	// The evidence names its source events.
	conv, _ := v.line("convention")
	if conv.Evidence[0].Ref != "sig-1" || len(conv.Evidence[0].SourceEventIDs) != 1 || conv.Evidence[0].SourceEventIDs[0] != "ev-sig-1" {
		t.Fatalf("convention evidence %+v", conv.Evidence)
	}
	att, _ := v.line("meeting_attendance")
	byRef := map[string]evidence{}
	for _, ev := range att.Evidence {
		byRef[ev.Ref] = ev
	}
	if m1 := byRef["m1"]; *m1.Value != 1 || len(m1.SourceEventIDs) != 1 || m1.SourceEventIDs[0] != "ev-att-1" {
		t.Fatalf("attendance evidence %+v", att.Evidence)
	}
	if _, ok := byRef["m3"]; ok {
		t.Fatalf("an invitation to a meeting still to come is evidence: %+v", att.Evidence)
	}

	// A member with no evidence: only the convention (a member that has not
	// signed) is reported, with the membership event as its source.
	e.apply(companyAt("c2", "active", 1, time.Date(2026, 4, 2, 9, 0, 0, 0, cst)))
	v2 := e.evaluate("c2")
	for _, l := range v2.Criteria {
		if l.Reported != (l.Criterion == "convention") {
			t.Errorf("c2 %s reported %v", l.Criterion, l.Reported)
		}
	}
	if l, _ := v2.line("convention"); l.Points != 0 || l.Evidence[0].Kind != "company_window" || l.Evidence[0].SourceEventIDs[0] != "ev-c2-1" {
		t.Fatalf("c2 convention %+v", l)
	}
	if v2.Score == nil || *v2.Score != 0 || v2.Grade != "D" {
		t.Fatalf("c2 score %v %s", v2.Score, v2.Grade)
	}
	// A company with nothing reported at all has no score (not 0).
	e.apply(companyAt("c3", "applied", 1, time.Date(2026, 4, 2, 9, 0, 0, 0, cst)))
	if v3 := e.evaluate("c3"); v3.Score != nil || v3.Grade != "" {
		t.Fatalf("c3 (never a member, no evidence) %+v", v3)
	}
}

// TestEvaluationWeightsComeFromEtcdByVersion: the weights, grades and
// period are read from /guildhall/policy/evaluation; a rating records the
// policy version it used; a new version recomputes the draft with its
// weights; a value without a version is refused and the last good stays.
func TestEvaluationWeightsComeFromEtcdByVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded etcd; skipped in -short")
	}
	infra := testutil.NewEnv(t)
	infra.Put(policy.EvaluationKey, `{"version": 7, "weights": {"inspection_score": 50, "convention": 50}}`)
	reg := prometheus.NewPedanticRegistry()
	e := newEnvWith(t, compliance.Config{RefreshInterval: 10 * time.Millisecond}, compliance.Deps{Etcd: infra.Etcd().Client, Registerer: reg})
	e.apply(companyAt("c1", "active", 1, time.Date(2026, 3, 15, 9, 0, 0, 0, cst)))
	tpl := e.template()
	e.inspect(inspectionBody(tpl, "2026-06-10", "yes"))
	infra.Background("compliance node", e.node.Run)
	var v evaluation
	testutil.Eventually(t, "policy version 7", func() bool { v = e.evaluate("c1"); return v.PolicyVersion == 7 })
	if len(v.Criteria) != 2 || v.Criteria[0].Criterion != "inspection_score" || v.Criteria[0].Weight != 50 || v.Criteria[1].Weight != 50 {
		t.Fatalf("criteria under version 7: %+v", v.Criteria)
	}
	// inspection 1.0 (50 points), convention 0 (a member that has not signed).
	if v.Score == nil || *v.Score != 50 {
		t.Fatalf("score under version 7: %v", v.Score)
	}
	infra.Put(policy.EvaluationKey, `{"version": 8, "weights": {"inspection_score": 30, "convention": 10}, "grades": [{"grade": "优", "min": 70}, {"grade": "差", "min": 0}]}`)
	testutil.Eventually(t, "policy version 8", func() bool { v = e.evaluate("c1"); return v.PolicyVersion == 8 })
	if v.Version != 1 || *v.Score != 75 || v.Grade != "优" {
		t.Fatalf("draft under version 8: %+v", v)
	}
	seq := e.lastSeq()
	var pub evaluation
	e.Must(200, "POST", "/compliance/evaluations/"+v.ID+"/publish", map[string]any{}, &pub)
	evs := e.events(seq)
	if len(evs) != 1 || evs[0].Type != eventsv1.TypeEvaluationPublished {
		t.Fatalf("events %v", typesOf(evs))
	}
	var m eventsv1.EvaluationPublished
	if err := proto.Unmarshal(evs[0].Envelope.GetPayload(), &m); err != nil {
		t.Fatal(err)
	}
	if m.GetEvaluation().GetPolicyVersion() != 8 || len(m.GetEvaluation().GetCriteria()) != 2 || m.GetEvaluation().GetCriteria()[0].GetWeight() != 30 {
		t.Fatalf("event %v", m.GetEvaluation())
	}
	// A value without its version is refused; version 8 stays.
	infra.Put(policy.EvaluationKey, `{"weights": {"badge": 100}}`)
	testutil.Eventually(t, "the unversioned value refused", func() bool { return invalid(t, reg) == 1 })
	if v := e.evaluate("c1"); v.PolicyVersion != 8 {
		t.Fatalf("an unversioned policy was applied: %+v", v)
	}
}

// TestPublishedEvaluationIsImmutable: publishing announces the version
// once (aggregate the company+period id, sequence the version); a
// published version never changes, not by a recompute (a new draft, the
// next version), not by a direct write to the table (the triggers); a
// correction and an adjustment of a published rating are each the next
// version, published with its reason, one event each.
func TestPublishedEvaluationIsImmutable(t *testing.T) {
	e := ratedCompany(t)
	seq := e.lastSeq()
	v := e.evaluate("c1")
	var pub evaluation
	e.Must(200, "POST", "/compliance/evaluations/"+v.ID+"/publish", map[string]any{}, &pub)
	if pub.Status != "published" || pub.Version != 1 {
		t.Fatalf("published %+v", pub)
	}
	if r := e.Do("POST", "/compliance/evaluations/"+v.ID+"/publish", map[string]any{}); r.Status != 409 || r.ErrorID() != "evaluation.no_draft" {
		t.Fatalf("publish twice: %d %s", r.Status, r.Body)
	}
	v1 := e.Must(200, "GET", "/compliance/evaluations/"+v.ID+"?version=1", nil, nil).Body
	// New evidence: a dispute; the recompute is a draft of version 2.
	e.report("wages")
	if d := e.evaluate("c1"); d.Version != 2 || d.Status != "draft" {
		t.Fatalf("recompute after publishing: %+v", d)
	}
	if after := e.Must(200, "GET", "/compliance/evaluations/"+v.ID+"?version=1", nil, nil).Body; string(after) != string(v1) {
		t.Fatalf("version 1 changed:\n%s\n%s", v1, after)
	}
	db := e.node.DB().DB
	if _, err := db.Exec(`UPDATE evaluations SET body = '{}' WHERE id = ? AND version = 1`, v.ID); err == nil {
		t.Fatal("a published version was updated")
	}
	if _, err := db.Exec(`DELETE FROM evaluations WHERE id = ? AND version = 1`, v.ID); err == nil {
		t.Fatal("a published version was deleted")
	}
	// A correction from today's evidence (the dispute): version 2, published.
	var c evaluation
	e.Must(200, "POST", "/compliance/evaluations/"+v.ID+"/corrections", map[string]string{"reason": "迟报的纠纷"}, &c)
	if c.Version != 2 || c.Status != "published" || c.CorrectionReason != "迟报的纠纷" {
		t.Fatalf("correction %+v", c)
	}
	if l, _ := c.line("disputes"); !l.Reported || len(l.Evidence) != 1 {
		t.Fatalf("the correction's disputes %+v", l)
	}
	// An adjustment by the police of the published rating: version 3.
	police := testutil.PrincipalHeaders(auth.Principal{Role: auth.RolePolice, Districts: []string{"jingkai"}}, "police-1")
	var a evaluation
	e.Must(200, "POST", "/compliance/evaluations/"+v.ID+"/adjustments", map[string]any{"points": -5, "reason": "辖区通报一起违规"}, &a, police...)
	if a.Version != 3 || a.Status != "published" || len(a.Adjustments) != 1 || a.Adjustments[0].ByRole != "police" ||
		!near(*a.Score, *c.Score-5) || a.CorrectionReason != "adjustment: 辖区通报一起违规" {
		t.Fatalf("adjusted %+v (corrected score %v)", a, *c.Score)
	}
	if l, _ := a.line("adjustment"); l.Points != -5 {
		t.Fatalf("adjustment line %+v", a.Criteria)
	}
	var versions []int64
	for _, ev := range e.events(seq) {
		if ev.Type != eventsv1.TypeEvaluationPublished {
			continue
		}
		if ev.Envelope.GetAggregateId() != v.ID || ev.Envelope.GetSequence() != int64(len(versions)+1) {
			t.Fatalf("event aggregate %s sequence %d", ev.Envelope.GetAggregateId(), ev.Envelope.GetSequence())
		}
		var m eventsv1.EvaluationPublished
		if err := proto.Unmarshal(ev.Envelope.GetPayload(), &m); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, m.GetEvaluation().GetVersion())
	}
	if len(versions) != 3 || versions[0] != 1 || versions[1] != 2 || versions[2] != 3 {
		t.Fatalf("published versions %v, want one event each of 1, 2, 3", versions)
	}
	// Each earlier version is still as published.
	var got evaluation
	e.Must(200, "GET", "/compliance/evaluations/"+v.ID+"?version=2", nil, &got)
	if got.Version != 2 || !near(*got.Score, *c.Score) || len(got.Adjustments) != 0 {
		t.Fatalf("version 2 now %+v", got)
	}
}

// TestEvaluationAdjustmentIsThePolicesAndHQsWithAReason: only the police
// and hq-admin adjust; a reason is required and the points bounded; a
// refused adjustment changes nothing.
func TestEvaluationAdjustmentIsThePolicesAndHQsWithAReason(t *testing.T) {
	e := ratedCompany(t)
	v := e.evaluate("c1")
	path := "/compliance/evaluations/" + v.ID + "/adjustments"
	body := map[string]any{"points": 3, "reason": "获评市级先进单位"}
	before := e.Must(200, "GET", "/compliance/evaluations/"+v.ID, nil, nil).Body
	for _, tc := range []struct {
		label string
		p     auth.Principal
	}{
		{"district-admin", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}}},
		{"company-admin", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1"}},
		{"police-other", auth.Principal{Role: auth.RolePolice, Districts: []string{"caidian"}}},
		{"guard", auth.Principal{Role: auth.RoleGuard, Districts: []string{"jingkai"}, Company: "c1", Guard: "g1"}},
	} {
		if r := e.Do("POST", path, body, testutil.PrincipalHeaders(tc.p, tc.label)...); r.Status != 403 || r.ErrorID() != "auth.forbidden" {
			t.Errorf("%s: %d %s", tc.label, r.Status, r.Body)
		}
	}
	police := testutil.PrincipalHeaders(auth.Principal{Role: auth.RolePolice, Districts: []string{"jingkai"}}, "police-1")
	for _, tc := range []struct {
		name  string
		body  map[string]any
		id    string
		field string
	}{
		{"No reason.", map[string]any{"points": 3}, "evaluation.reason_required", "reason"},
		{"A blank reason.", map[string]any{"points": 3, "reason": "   "}, "evaluation.reason_required", "reason"},
		{"Zero points.", map[string]any{"points": 0, "reason": "无"}, "evaluation.adjustment_points_invalid", "points"},
		{"Over 100 points.", map[string]any{"points": 101, "reason": "无"}, "evaluation.adjustment_points_invalid", "points"},
	} {
		r := e.Do("POST", path, tc.body, police...)
		if r.Status != 400 || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
			t.Errorf("%s %d %s", tc.name, r.Status, r.Body)
		}
	}
	if after := e.Must(200, "GET", "/compliance/evaluations/"+v.ID, nil, nil).Body; string(after) != string(before) {
		t.Fatalf("a refused adjustment changed the draft")
	}
	var a evaluation
	e.Must(200, "POST", path, body, &a, police...)
	hq := testutil.PrincipalHeaders(auth.Principal{Role: auth.RoleHQAdmin}, "hq-1")
	e.Must(200, "POST", path, map[string]any{"points": -1, "reason": "复核扣分"}, &a, hq...)
	if a.Status != "draft" || a.Version != 1 || len(a.Adjustments) != 2 || a.Adjustments[0].ByRole != "police" || a.Adjustments[1].ByRole != "hq-admin" ||
		!near(*a.Score, *v.Score+2) {
		t.Fatalf("adjusted draft %+v (was %v)", a, *v.Score)
	}
	// A recompute keeps the reviewed adjustments.
	if r := e.evaluate("c1"); len(r.Adjustments) != 2 || !near(*r.Score, *v.Score+2) {
		t.Fatalf("recomputed %+v", r)
	}
}

// TestEvaluationBadInput: each malformed request gets its id and field and
// changes nothing.
func TestEvaluationBadInput(t *testing.T) {
	e := ratedCompany(t)
	v := e.evaluate("c1")
	before := testutil.Counts(t, e.node.DB().DB, "evaluations", "eventbus_outbox")
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		id, field          string
	}{
		{"No company.", "POST", "/compliance/evaluations", map[string]any{}, 400, "compliance.company_id_required", "company_id"},
		{"A month under a quarterly policy.", "POST", "/compliance/evaluations", map[string]any{"company_id": "c1", "period": "2026-06"}, 400, "evaluation.period_invalid", "period"},
		{"A fifth quarter.", "POST", "/compliance/evaluations", map[string]any{"company_id": "c1", "period": "2026-Q5"}, 400, "evaluation.period_invalid", "period"},
		{"A year under a quarterly policy.", "POST", "/compliance/evaluations", map[string]any{"company_id": "c1", "period": "2026"}, 400, "evaluation.period_invalid", "period"},
		{"A period to come.", "POST", "/compliance/evaluations", map[string]any{"company_id": "c1", "period": "2026-Q3"}, 400, "evaluation.period_invalid", "period"},
		{"A company never heard of.", "POST", "/compliance/evaluations", map[string]any{"company_id": "nope"}, 404, "company.not_found", ""},
		{"No such evaluation.", "GET", "/compliance/evaluations/nope.2026-Q2", nil, 404, "evaluation.not_found", ""},
		{"Version 0.", "GET", "/compliance/evaluations/" + v.ID + "?version=0", nil, 400, "evaluation.version_invalid", "version"},
		{"A version that is not.", "GET", "/compliance/evaluations/" + v.ID + "?version=9", nil, 404, "evaluation.not_found", ""},
		{"Publish nothing.", "POST", "/compliance/evaluations/nope.2026-Q2/publish", map[string]any{}, 404, "evaluation.not_found", ""},
		{"Correct a draft.", "POST", "/compliance/evaluations/" + v.ID + "/corrections", map[string]any{"reason": "迟报"}, 409, "evaluation.not_published", ""},
		{"Correct without a reason.", "POST", "/compliance/evaluations/" + v.ID + "/corrections", map[string]any{}, 400, "evaluation.reason_required", "reason"},
		{"A list of a long company id.", "GET", "/compliance/evaluations?company_id=" + strings.Repeat("x", 65), nil, 400, "compliance.company_id_invalid", "company_id"},
		{"An unknown obligation.", "GET", "/compliance/timeliness?obligation=patrol", nil, 400, "compliance.obligation_invalid", "obligation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(tc.method, tc.path, tc.body)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	if after := testutil.Counts(t, e.node.DB().DB, "evaluations", "eventbus_outbox"); !maps.Equal(before, after) {
		t.Fatalf("bad input changed rows: %v → %v", before, after)
	}
}

// TestMeetingsEventsThatCannotApplyAreRefused: a meetings event another
// district's, without its ids, or with an attendance status meetings does
// not have is an error (the consumer dead-letters it) and changes
// nothing; a type compliance does not read is settled without a change;
// an older meeting snapshot never replaces a newer one.
func TestMeetingsEventsThatCannotApplyAreRefused(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, cst)
	m := meeting("m1", "district_roundtable", "closed", 2, at)
	other := proto.Clone(m).(*eventsv1.Meeting)
	other.District = "caidian"
	noID := proto.Clone(m).(*eventsv1.Meeting)
	noID.Id = ""
	bogus := attendance(m, "c1", "asleep", "ev-bogus", at)
	foreignSig := signature("s1", "c1", true, "ev-s1", at)
	var sm eventsv1.ConventionSigned
	_ = proto.Unmarshal(foreignSig.GetPayload(), &sm)
	sm.Signature.District = "caidian"
	foreignSig.Payload, _ = proto.Marshal(&sm)
	before := testutil.Counts(t, e.node.DB().DB, "meetings", "meeting_attendance", "convention_signatures")
	for name, env := range map[string]*eventsv1.Envelope{
		"another district's meeting":   attendance(other, "c1", "present", "ev-o", at),
		"a meeting without an id":      attendance(noID, "c1", "present", "ev-n", at),
		"an unknown attendance status": bogus,
		"another district's signature": foreignSig,
	} {
		if err := e.node.ApplyMeetings(context.Background(), env); err == nil {
			t.Errorf("%s applied", name)
		}
	}
	if err := e.node.ApplyMeetings(context.Background(), meetingsEnvelope(eventsv1.TypeMinutesPublished, "m1", "ev-min", at,
		&eventsv1.MinutesPublished{Meeting: m, MinutesVersion: 1})); err != nil {
		t.Fatalf("a type compliance does not read: %v", err)
	}
	if after := testutil.Counts(t, e.node.DB().DB, "meetings", "meeting_attendance", "convention_signatures"); !maps.Equal(before, after) {
		t.Fatalf("refused events changed rows: %v → %v", before, after)
	}
	e.applyMeetings(attendance(m, "c1", "present", "ev-a", at))
	older := proto.Clone(m).(*eventsv1.Meeting)
	older.Version, older.Status = 1, "scheduled"
	e.applyMeetings(meetingsEnvelope(eventsv1.TypeMeetingStatusChanged, "m1", "ev-old", at, &eventsv1.MeetingStatusChanged{Meeting: older}))
	var status string
	if err := e.node.DB().DB.QueryRow(`SELECT status FROM meetings WHERE id = 'm1'`).Scan(&status); err != nil || status != "closed" {
		t.Fatalf("meeting status %q, %v: an older snapshot replaced a newer", status, err)
	}
}
