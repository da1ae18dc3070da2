package compliance_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

type complaint struct {
	ID                  string `json:"id"`
	ComplainantID       string `json:"complainant_id"`
	FiledBy             string `json:"filed_by"`
	ComplainantRedacted bool   `json:"complainant_redacted"`
	AccusedID           string `json:"accused_id"`
	Status              string `json:"status"`
	Outcome             string `json:"outcome"`
	CountsAgainst       string `json:"counts_against"`
	AnswerOverdue       bool   `json:"answer_overdue"`
	MediationOverdue    bool   `json:"mediation_overdue"`
	AnswerDue           string `json:"answer_due"`
	Version             int64  `json:"version"`
}

// complaintBody is a complaint of complainant against accused: below-cost
// bidding, with a tender number as its evidence.
func complaintBody(complainant, accused string, disclose bool) map[string]any {
	return map[string]any{"complainant_id": complainant, "accused_id": accused, "kind": "below_cost_bidding",
		"description": "投标报价低于成本价", "evidence": []map[string]string{{"kind": "text", "ref": "招标编号 WH-2026-118"}},
		"disclose_complainant": disclose}
}

// Company-admins of the three companies of the complaint tests. The ids
// hold letters that are not hex, so no random record id contains them.
var (
	alpha = auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "co-alpha", Subject: "alpha-filer"}
	beta  = auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "co-beta", Subject: "beta-admin"}
	gamma = auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "co-gamma", Subject: "gamma-admin"}
	lead  = auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}, Subject: "district-lead"}
	cop   = auth.Principal{Role: auth.RolePolice, Districts: []string{"jingkai"}, Subject: "officer"}
)

func as(p auth.Principal) []string { return testutil.PrincipalHeaders(p, p.Subject) }

// complaintEnv is a node with the three companies active since March.
func complaintEnv(t *testing.T) *env {
	e := newEnv(t)
	for _, c := range []string{"co-alpha", "co-beta", "co-gamma"} {
		e.apply(companyAt(c, "active", 1, time.Date(2026, 3, 1, 9, 0, 0, 0, cst)))
	}
	return e
}

func (e *env) file(by auth.Principal, complainant, accused string, disclose bool) complaint {
	e.t.Helper()
	var c complaint
	e.Must(201, "POST", "/compliance/complaints", complaintBody(complainant, accused, disclose), &c, as(by)...)
	return c
}

func (e *env) mediateAndResolve(id, outcome, against, finding string) complaint {
	e.t.Helper()
	e.Must(200, "POST", "/compliance/complaints/"+id+"/status", map[string]string{"status": "mediating", "mediator": "片区负责人"}, nil, as(lead)...)
	var c complaint
	body := map[string]string{"status": "resolved", "outcome": outcome, "finding": finding}
	if against != "" {
		body["counts_against"] = against
	}
	e.Must(200, "POST", "/compliance/complaints/"+id+"/status", body, &c, as(lead)...)
	return c
}

// TestComplaintFlowCountsInBothEvaluations: filed → answered → mediating
// → resolved; an upheld complaint counts against the accused in its
// evaluation (evidence: the complaint id, the finding as the reason) and
// not for the complainant; a complaint dismissed as malicious counts
// against its complainant; the events follow every step.
func TestComplaintFlowCountsInBothEvaluations(t *testing.T) {
	e := complaintEnv(t)
	if l, ok := e.evaluate("co-beta").line("fair_competition"); !ok || l.Reported || l.Rate != nil {
		t.Fatalf("before any complaint: %+v (want not reported, not 0)", l)
	}
	seq := e.lastSeq()
	c := e.file(alpha, "co-alpha", "co-beta", false)
	if c.Status != "filed" || c.ComplainantID != "co-alpha" || c.FiledBy != "alpha-filer" || c.Version != 1 {
		t.Fatalf("filed %+v", c)
	}
	var ans complaint
	e.Must(200, "POST", "/compliance/complaints/"+c.ID+"/answer", map[string]any{"text": "报价含自有设备折旧，不低于成本",
		"evidence": []map[string]string{{"kind": "file", "ref": "doc-7781"}}}, &ans, as(beta)...)
	if ans.Status != "answered" {
		t.Fatalf("answered %+v", ans)
	}
	r := e.mediateAndResolve(c.ID, "upheld", "", "报价低于人工成本，违反行业自律公约第五条")
	if r.Status != "resolved" || r.Outcome != "upheld" || r.CountsAgainst != "accused" || r.Version != 4 {
		t.Fatalf("resolved %+v", r)
	}
	want := []string{eventsv1.TypeComplaintFiled, eventsv1.TypeComplaintAnswered, eventsv1.TypeComplaintStatusChanged, eventsv1.TypeComplaintStatusChanged}
	evs := e.events(seq)
	if got := typesOf(evs); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	var last eventsv1.ComplaintStatusChanged
	if err := proto.Unmarshal(evs[3].Envelope.GetPayload(), &last); err != nil {
		t.Fatal(err)
	}
	if m := last.GetComplaint(); m.GetComplainantId() != "co-alpha" || m.GetAccusedId() != "co-beta" || m.GetOutcome() != "upheld" ||
		m.GetCountsAgainst() != "accused" || last.GetToStatus() != "resolved" || m.GetClosedAt() == nil || m.GetEvidenceCount() != 1 {
		t.Fatalf("event %v", &last)
	}
	if strings.Contains(string(evs[0].Raw), "投标报价") {
		t.Fatal("the description went into an event")
	}

	b := e.evaluate("co-beta")
	l, ok := b.line("fair_competition")
	if !ok || !l.Reported || l.Rate == nil || *l.Rate != 0 || l.Weight != 10 || len(l.Evidence) != 1 {
		t.Fatalf("accused's line %+v", l)
	}
	if ev := l.Evidence[0]; ev.Kind != "complaint" || ev.Ref != c.ID || !strings.Contains(ev.Note, "upheld against it") ||
		!strings.Contains(ev.Note, "违反行业自律公约第五条") {
		t.Fatalf("accused's evidence %+v", ev)
	}
	if l, _ := e.evaluate("co-alpha").line("fair_competition"); l.Reported {
		t.Fatalf("the complainant is rewarded for complaining: %+v", l)
	}

	// co-gamma complains about co-alpha; dismissed, found malicious.
	m := e.file(gamma, "co-gamma", "co-alpha", true)
	e.Must(200, "POST", "/compliance/complaints/"+m.ID+"/answer", map[string]any{"text": "并无此事"}, nil, as(alpha)...)
	e.mediateAndResolve(m.ID, "dismissed", "complainant", "投诉无事实依据，系恶意投诉")
	g, _ := e.evaluate("co-gamma").line("fair_competition")
	if !g.Reported || *g.Rate != 0 || len(g.Evidence) != 1 || g.Evidence[0].Ref != m.ID || !strings.Contains(g.Evidence[0].Note, "malicious") {
		t.Fatalf("malicious complainant's line %+v", g)
	}
	a, _ := e.evaluate("co-alpha").line("fair_competition")
	if !a.Reported || *a.Rate != 1 || len(a.Evidence) != 1 || a.Evidence[0].Ref != m.ID {
		t.Fatalf("cleared accused's line %+v", a)
	}
	var st struct {
		Filed, Open, Overdue, Resolved, Withdrawn int
	}
	e.Must(200, "GET", "/compliance/complaints/stats", nil, &st, as(cop)...)
	if st.Filed != 2 || st.Open != 0 || st.Resolved != 2 || st.Overdue != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestTheAccusedNeverSeesAnUndisclosedComplainant: every response the
// accused company reads (the answer, get, list with and without side, the
// evaluation's evidence, the 409 of a second answer) holds neither the
// complainant's id nor its filer; the complainant, the district lead, HQ
// and the police see both; a disclosed complaint shows the complainant to
// the accused.
func TestTheAccusedNeverSeesAnUndisclosedComplainant(t *testing.T) {
	e := complaintEnv(t)
	c := e.file(alpha, "co-alpha", "co-beta", false)
	secret := func(what string, r testutil.Response) {
		t.Helper()
		if strings.Contains(string(r.Body), "co-alpha") || strings.Contains(string(r.Body), "alpha-filer") {
			t.Errorf("%s shows the complainant to the accused: %s", what, r.Body)
		}
	}
	path := "/compliance/complaints/" + c.ID
	var got complaint
	r := e.Must(200, "POST", path+"/answer", map[string]string{"text": "不属实"}, &got, as(beta)...)
	secret("the answer", r)
	if !got.ComplainantRedacted || got.ComplainantID != "" || got.AccusedID != "co-beta" {
		t.Fatalf("answer %+v", got)
	}
	secret("get", e.Must(200, "GET", path, nil, nil, as(beta)...))
	for _, q := range []string{"?company_id=co-beta", "?company_id=co-beta&side=received", "?company_id=co-beta&status=answered"} {
		var page struct{ Items []complaint }
		r := e.Must(200, "GET", "/compliance/complaints"+q, nil, &page, as(beta)...)
		secret("list "+q, r)
		if len(page.Items) != 1 || !page.Items[0].ComplainantRedacted {
			t.Fatalf("list %s: %+v", q, page.Items)
		}
	}
	// The accused cannot list what another company filed, nor probe by it.
	if r := e.Do("GET", "/compliance/complaints?company_id=co-alpha", nil, as(beta)...); r.Status != 403 {
		t.Fatalf("accused lists the complainant's: %d %s", r.Status, r.Body)
	}
	var mine struct{ Items []complaint }
	e.Must(200, "GET", "/compliance/complaints?company_id=co-beta&side=filed", nil, &mine, as(beta)...)
	if len(mine.Items) != 0 {
		t.Fatalf("side=filed for the accused: %+v", mine.Items)
	}
	r = e.Do("POST", path+"/answer", map[string]string{"text": "再答"}, as(beta)...)
	if r.Status != 409 || r.ErrorID() != "complaint.already_answered" {
		t.Fatalf("second answer %d %s", r.Status, r.Body)
	}
	secret("the second answer's 409", r)
	e.mediateAndResolve(c.ID, "upheld", "", "属实")
	secret("get after resolution", e.Must(200, "GET", path, nil, nil, as(beta)...))
	var ev evaluation
	secret("the accused's evaluation", e.Must(200, "POST", "/compliance/evaluations", map[string]any{"company_id": "co-beta"}, &ev, as(lead)...))
	secret("the accused reads its evaluation", e.Must(200, "GET", "/compliance/evaluations/"+ev.ID, nil, nil, as(beta)...))

	for _, p := range []auth.Principal{alpha, lead, cop, {Role: auth.RoleHQAdmin, Subject: "hq"}} {
		var full complaint
		e.Must(200, "GET", path, nil, &full, as(p)...)
		if full.ComplainantID != "co-alpha" || full.FiledBy != "alpha-filer" || full.ComplainantRedacted {
			t.Errorf("%s reads %+v", p.Subject, full)
		}
	}
	d := e.file(alpha, "co-alpha", "co-beta", true)
	var shown complaint
	e.Must(200, "GET", "/compliance/complaints/"+d.ID, nil, &shown, as(beta)...)
	if shown.ComplainantID != "co-alpha" || shown.ComplainantRedacted {
		t.Fatalf("disclosed complaint to the accused: %+v", shown)
	}
}

// TestComplaintSides: a third company gets the 403 of an id that does not
// exist; the complainant cannot answer, the accused cannot withdraw; the
// police read and do not mediate; a company files only as itself.
func TestComplaintSides(t *testing.T) {
	e := complaintEnv(t)
	c := e.file(alpha, "co-alpha", "co-beta", false)
	path := "/compliance/complaints/" + c.ID
	for _, tc := range []struct {
		name, method, path string
		body               any
		p                  auth.Principal
		status             int
		id                 string
	}{
		{"a third company reads it", "GET", path, nil, gamma, 403, "auth.forbidden"},
		{"a third company reads a missing one", "GET", "/compliance/complaints/nonesuch", nil, gamma, 403, "auth.forbidden"},
		{"the complainant answers", "POST", path + "/answer", map[string]string{"text": "x"}, alpha, 403, "complaint.not_party"},
		{"the accused withdraws", "POST", path + "/withdraw", map[string]string{"reason": "x"}, beta, 403, "complaint.not_party"},
		{"the district lead answers", "POST", path + "/answer", map[string]string{"text": "x"}, lead, 403, "auth.forbidden"},
		{"the police mediate", "POST", path + "/status", map[string]string{"status": "mediating", "mediator": "x"}, cop, 403, "auth.forbidden"},
		{"a company mediates", "POST", path + "/status", map[string]string{"status": "mediating", "mediator": "x"}, beta, 403, "auth.forbidden"},
		{"a company files as another", "POST", "/compliance/complaints", complaintBody("co-gamma", "co-beta", false), alpha, 403, "auth.forbidden"},
		{"mediating before the answer is due", "POST", path + "/status", map[string]string{"status": "mediating", "mediator": "x"}, lead, 409, "complaint.status_illegal"},
		{"resolving before mediating", "POST", path + "/status", map[string]string{"status": "resolved", "outcome": "upheld", "finding": "x"}, lead, 409, "complaint.status_illegal"},
	} {
		r := e.Do(tc.method, tc.path, tc.body, as(tc.p)...)
		if r.Status != tc.status || r.ErrorID() != tc.id {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.Status, r.Body, tc.status, tc.id)
		}
	}
	var got complaint
	e.Must(200, "GET", path, nil, &got, as(lead)...)
	if got.Status != "filed" || got.Version != 1 {
		t.Fatalf("refused calls changed it: %+v", got)
	}
	var w complaint
	e.Must(200, "POST", path+"/withdraw", map[string]string{"reason": "已协商"}, &w, as(alpha)...)
	if w.Status != "withdrawn" {
		t.Fatalf("withdrawn %+v", w)
	}
	if r := e.Do("POST", path+"/answer", map[string]string{"text": "x"}, as(beta)...); r.Status != 409 || r.ErrorID() != "complaint.closed" {
		t.Fatalf("answering a withdrawn one: %d %s", r.Status, r.Body)
	}
}

// TestComplaintBadInput: each bad request gets its stable id and field,
// and changes nothing (no complaint, no event, the complaint as it was).
func TestComplaintBadInput(t *testing.T) {
	e := complaintEnv(t)
	c := e.file(alpha, "co-alpha", "co-beta", false)
	with := func(k string, v any) map[string]any {
		b := complaintBody("co-alpha", "co-beta", false)
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	long := strings.Repeat("字", 5001)
	path := "/compliance/complaints/" + c.ID
	seq := e.lastSeq()
	for _, tc := range []struct {
		name, method, path string
		body               any
		p                  auth.Principal
		id, field          string
	}{
		{"no complainant", "POST", "/compliance/complaints", with("complainant_id", nil), lead, "complaint.complainant_invalid", "complainant_id"},
		{"no accused", "POST", "/compliance/complaints", with("accused_id", ""), alpha, "complaint.accused_invalid", "accused_id"},
		{"against itself", "POST", "/compliance/complaints", with("accused_id", "co-alpha"), alpha, "complaint.accused_invalid", "accused_id"},
		{"against a company the register does not hold", "POST", "/compliance/complaints", with("accused_id", "co-nobody"), alpha, "company.not_found", "accused_id"},
		{"by a company the register does not hold", "POST", "/compliance/complaints", with("complainant_id", "co-nobody"), lead, "company.not_found", "complainant_id"},
		{"unknown kind", "POST", "/compliance/complaints", with("kind", "price_fixing"), alpha, "complaint.kind_invalid", "kind"},
		{"other without text", "POST", "/compliance/complaints", with("kind", "other"), alpha, "complaint.kind_other_invalid", "kind_other"},
		{"kind_other for a known kind", "POST", "/compliance/complaints", with("kind_other", "x"), alpha, "complaint.kind_other_invalid", "kind_other"},
		{"no description", "POST", "/compliance/complaints", with("description", "  "), alpha, "dispute.description_required", "description"},
		{"description too long", "POST", "/compliance/complaints", with("description", long), alpha, "dispute.description_required", "description"},
		{"no evidence", "POST", "/compliance/complaints", with("evidence", []any{}), alpha, "complaint.evidence_invalid", "evidence"},
		{"evidence of no kind", "POST", "/compliance/complaints", with("evidence", []map[string]string{{"kind": "upload", "ref": "x"}}), alpha, "complaint.evidence_invalid", "evidence"},
		{"evidence without ref", "POST", "/compliance/complaints", with("evidence", []map[string]string{{"kind": "url", "ref": ""}}), alpha, "complaint.evidence_invalid", "evidence"},
		{"empty answer", "POST", path + "/answer", map[string]string{"text": ""}, beta, "complaint.answer_required", "text"},
		{"answer evidence bad", "POST", path + "/answer", map[string]any{"text": "x", "evidence": []map[string]string{{"kind": "file"}}}, beta, "complaint.evidence_invalid", "evidence"},
		{"unknown status", "POST", path + "/status", map[string]string{"status": "closed"}, lead, "complaint.status_invalid", "status"},
		{"mediating without mediator", "POST", path + "/status", map[string]string{"status": "mediating"}, lead, "dispute.mediator_invalid", "mediator"},
		{"resolving without outcome", "POST", path + "/status", map[string]string{"status": "resolved", "finding": "x"}, lead, "complaint.outcome_invalid", "outcome"},
		{"resolving without finding", "POST", path + "/status", map[string]string{"status": "resolved", "outcome": "settled"}, lead, "complaint.finding_required", "finding"},
		{"upheld against the complainant", "POST", path + "/status", map[string]string{"status": "resolved", "outcome": "upheld", "finding": "x", "counts_against": "complainant"}, lead, "complaint.counts_against_invalid", "counts_against"},
		{"settled against the accused", "POST", path + "/status", map[string]string{"status": "resolved", "outcome": "settled", "finding": "x", "counts_against": "accused"}, lead, "complaint.counts_against_invalid", "counts_against"},
		{"withdraw without reason", "POST", path + "/withdraw", map[string]string{"reason": ""}, alpha, "complaint.reason_required", "reason"},
		{"status filter", "GET", "/compliance/complaints?status=open", nil, lead, "complaint.status_filter_invalid", "status"},
		{"kind filter", "GET", "/compliance/complaints?kind=x", nil, lead, "complaint.kind_invalid", "kind"},
		{"side without company", "GET", "/compliance/complaints?side=filed", nil, lead, "complaint.side_filter_invalid", "side"},
		{"unknown side", "GET", "/compliance/complaints?company_id=co-beta&side=both", nil, lead, "complaint.side_filter_invalid", "side"},
	} {
		r := e.Do(tc.method, tc.path, tc.body, as(tc.p)...)
		want := 400
		if tc.id == "company.not_found" {
			want = 404
		}
		if r.Status != want || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
			t.Errorf("%s: %d %s, want %d %s on %s", tc.name, r.Status, r.Body, want, tc.id, tc.field)
		}
	}
	if got := e.typesSince(seq); len(got) != 0 {
		t.Fatalf("bad input emitted %v", got)
	}
	var page struct{ Items []complaint }
	e.Must(200, "GET", "/compliance/complaints", nil, &page, as(lead)...)
	if len(page.Items) != 1 || page.Items[0].Version != 1 || page.Items[0].Status != "filed" {
		t.Fatalf("bad input changed the complaints: %+v", page.Items)
	}
}

// TestComplaintTimersFireOnceUnderAFakeClock: the answer is overdue at the
// end of the policy's ten days (not a second before), announced once; an
// overdue unanswered complaint may go to mediation, whose thirty days run
// out once too; the stats count it overdue meanwhile.
func TestComplaintTimersFireOnceUnderAFakeClock(t *testing.T) {
	e := complaintEnv(t)
	c := e.file(alpha, "co-alpha", "co-beta", false)
	due, err := time.Parse(time.RFC3339, c.AnswerDue)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 6, 21, 0, 0, 0, 0, cst); !due.Equal(want) {
		t.Fatalf("answer due %s, want %s", due, want)
	}
	seq := e.lastSeq()
	fire := func(at time.Time, want int) {
		t.Helper()
		e.clock.set(at)
		if n, err := e.node.ComplaintTimers(t.Context()); err != nil || n != want {
			t.Fatalf("timers at %s: %d %v, want %d", at, n, err, want)
		}
	}
	fire(due.Add(-time.Second), 0)
	fire(due, 1)
	fire(due.Add(time.Hour), 0)
	var st struct{ Open, Overdue int }
	e.Must(200, "GET", "/compliance/complaints/stats", nil, &st, as(lead)...)
	if st.Open != 1 || st.Overdue != 1 {
		t.Fatalf("stats %+v", st)
	}
	var m complaint
	e.Must(200, "POST", "/compliance/complaints/"+c.ID+"/status", map[string]string{"status": "mediating", "mediator": "片区负责人"}, &m, as(lead)...)
	if m.Status != "mediating" || !m.AnswerOverdue {
		t.Fatalf("mediating %+v", m)
	}
	mdue := time.Date(2026, 7, 22, 0, 0, 0, 0, cst) // 30 days after 21 June
	fire(mdue.Add(-time.Minute), 0)
	fire(mdue, 1)
	fire(mdue.AddDate(0, 0, 3), 0)
	want := []string{eventsv1.TypeComplaintAnswerOverdue, eventsv1.TypeComplaintStatusChanged, eventsv1.TypeComplaintMediationOverdue}
	if got := e.typesSince(seq); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	var got complaint
	e.Must(200, "GET", "/compliance/complaints/"+c.ID, nil, &got, as(lead)...)
	if !got.MediationOverdue {
		t.Fatalf("complaint %+v", got)
	}
}

// TestWageFiguresAreEvaluationEvidence (issue 17 part 2): each declared
// month is a line of the wage_guarantee criterion scoring the mean of
// declared on time, paid in full and a guarantee in place.
func TestWageFiguresAreEvaluationEvidence(t *testing.T) {
	e := complaintEnv(t)
	// Declared on 10 June: April is late (due 10 May), paid, a deposit;
	// May is on time, in arrears, no guarantee.
	e.Must(201, "POST", "/compliance/wages", wageBody("co-alpha", "2026-04", true), nil)
	e.Must(201, "POST", "/compliance/wages", wageBody("co-alpha", "2026-05", false), nil)
	l, ok := e.evaluate("co-alpha").line("wage_guarantee")
	if !ok || !l.Reported || l.Rate == nil || !near(*l.Rate, 0.5) || len(l.Evidence) != 2 {
		t.Fatalf("wage line %+v", l)
	}
	apr, may := l.Evidence[0], l.Evidence[1]
	if apr.Ref != "co-alpha.2026-04" || apr.Value == nil || !near(*apr.Value, 2.0/3) || !strings.Contains(apr.Note, "declared late") ||
		!strings.Contains(apr.Note, "guarantee: deposit") {
		t.Fatalf("April %+v", apr)
	}
	if may.Ref != "co-alpha.2026-05" || !near(*may.Value, 1.0/3) || !strings.Contains(may.Note, "in arrears (3 guards, 8600.00 yuan)") {
		t.Fatalf("May %+v", may)
	}
	if l, _ := e.evaluate("co-beta").line("wage_guarantee"); l.Reported {
		t.Fatalf("no declaration is reported: %+v", l)
	}
}
