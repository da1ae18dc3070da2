package compliance_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

var checklist = map[string]any{
	"name": "保安站点风险隐患排查表", "pass_mark": 0.8,
	"sections": []map[string]any{
		{"title": "消防", "critical": true, "items": []map[string]any{
			{"id": "exit", "text": "疏散通道畅通", "kind": "yes_no", "weight": 10},
		}},
		{"title": "值守", "items": []map[string]any{
			{"id": "log", "text": "值班记录完整", "kind": "yes_no", "weight": 5},
			{"id": "staff", "text": "在岗人数", "kind": "number", "weight": 5, "min": 2},
		}},
	},
}

type finding struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Escalated string `json:"escalated"`
	Version   int64  `json:"version"`
}

type inspection struct {
	ID    string `json:"id"`
	Score struct {
		Earned         float64  `json:"earned"`
		Applicable     float64  `json:"applicable"`
		Score          *float64 `json:"score"`
		CriticalFailed []string `json:"critical_failed"`
		Result         string   `json:"result"`
	} `json:"score"`
	Findings []finding `json:"findings"`
}

func (e *env) template() string {
	e.t.Helper()
	var tpl struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	e.Must(201, "POST", "/compliance/templates", checklist, &tpl)
	return tpl.ID
}

func (e *env) inspect(body map[string]any) inspection {
	e.t.Helper()
	var in inspection
	e.Must(201, "POST", "/compliance/inspections", body, &in)
	return in
}

func inspectionBody(tpl, on string, exit string) map[string]any {
	return map[string]any{"company_id": "c1", "site": "经开区某园区南门岗", "template_id": tpl, "inspector": "薛龙", "inspected_on": on,
		"answers": []map[string]any{{"item_id": "exit", "value": exit}, {"item_id": "log", "value": "na"}, {"item_id": "staff", "number": 3}},
		"findings": []map[string]any{{"item_id": "exit", "text": "南门疏散通道堆放杂物", "severity": "high", "photo_refs": []string{"photo://a1"},
			"remediation_owner": "ca-c1", "remediation_due": "2026-06-12"}}}
}

// TestInspectionScoredFindingRemediatedAndVerified records an inspection
// through the API: its score (N-A in neither, a failed critical item
// fails it at 5 of 15), its finding open; the finding moves to
// remediating and is verified closed by someone other than its owner; a
// new template version leaves the old one as it was.
func TestInspectionScoredFindingRemediatedAndVerified(t *testing.T) {
	e := newEnv(t)
	tpl := e.template()
	seq := e.lastSeq()
	in := e.inspect(inspectionBody(tpl, "2026-06-10", "no"))
	if in.Score.Earned != 5 || in.Score.Applicable != 15 || in.Score.Result != "failed" || !slices.Equal(in.Score.CriticalFailed, []string{"exit"}) {
		t.Fatalf("score %+v", in.Score)
	}
	if len(in.Findings) != 1 || in.Findings[0].Status != "open" {
		t.Fatalf("findings %+v", in.Findings)
	}
	if got := typesOf(e.events(seq)); !slices.Equal(got, []string{eventsv1.TypeInspectionRecorded}) {
		t.Fatalf("events %v", got)
	}
	fid := in.Findings[0].ID
	owner := testutil.PrincipalHeaders(auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1"}, "ca-c1")
	var f finding
	e.Must(200, "POST", "/compliance/findings/"+fid+"/status", map[string]string{"status": "remediating"}, &f, owner...)
	if r := e.Do("POST", "/compliance/findings/"+fid+"/status", map[string]string{"status": "closed"}, owner...); r.Status != 409 || r.ErrorID() != "finding.verifier_is_owner" {
		t.Fatalf("owner verifying: %d %s", r.Status, r.Body)
	}
	e.Must(200, "POST", "/compliance/findings/"+fid+"/status", map[string]string{"status": "closed"}, &f)
	if f.Status != "closed" || f.Version != 3 {
		t.Fatalf("finding %+v", f)
	}
	if r := e.Do("POST", "/compliance/findings/"+fid+"/status", map[string]string{"status": "remediating"}); r.Status != 409 || r.ErrorID() != "finding.status_illegal" {
		t.Fatalf("reopening: %d %s", r.Status, r.Body)
	}
	// Every write is audited with who made it; the refused ones are not.
	var who []string
	rows, err := e.node.DB().Query(`SELECT subject || ' ' || action FROM audit_log WHERE resource_id = ? ORDER BY id`, fid)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		who = append(who, s)
	}
	_ = rows.Close()
	if !slices.Equal(who, []string{"ca-c1 finding.status_change", "test-admin finding.status_change"}) {
		t.Fatalf("audit %v", who)
	}
	ok := e.inspect(inspectionBody(tpl, "2026-06-10", "yes"))
	if ok.Score.Score == nil || *ok.Score.Score != 1 || ok.Score.Result != "passed" {
		t.Fatalf("passing score %+v", ok.Score)
	}
	// Version 2 of the template: version 1 is unchanged and still readable.
	v2 := map[string]any{"name": "v2", "sections": []map[string]any{{"title": "s", "items": []map[string]any{{"id": "x", "text": "x", "kind": "yes_no", "weight": 1}}}}}
	e.Must(201, "POST", "/compliance/templates/"+tpl+"/versions", v2, nil)
	var got struct {
		Version int    `json:"version"`
		Name    string `json:"name"`
	}
	e.Must(200, "GET", "/compliance/templates/"+tpl+"?version=1", nil, &got)
	if got.Version != 1 || got.Name != "保安站点风险隐患排查表" {
		t.Fatalf("v1 %+v", got)
	}
	e.Must(200, "GET", "/compliance/templates/"+tpl, nil, &got)
	if got.Version != 2 {
		t.Fatalf("latest %+v", got)
	}
	// The old version's answers no longer fit the new one.
	body := inspectionBody(tpl, "2026-06-10", "yes")
	body["template_version"] = 2
	if r := e.Do("POST", "/compliance/inspections", body); r.Status != 400 || r.ErrorID() != "inspection.answer_invalid" {
		t.Fatalf("v1 answers on v2: %d %s", r.Status, r.Body)
	}
}

// TestOverdueRemediationEscalatesOnceEach: an unclosed finding due
// 2026-06-12 escalates to its company on the 13th, to the district 7
// days later, to HQ 14 days later, each exactly once however often the
// pass runs; a node down for the district's day emits what it missed, in
// order; a closed finding never escalates.
func TestOverdueRemediationEscalatesOnceEach(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tpl := e.template()
	in := e.inspect(inspectionBody(tpl, "2026-06-10", "no"))
	done := e.inspect(inspectionBody(tpl, "2026-06-10", "no"))
	e.Must(200, "POST", "/compliance/findings/"+done.Findings[0].ID+"/status", map[string]string{"status": "remediating"}, nil)
	e.Must(200, "POST", "/compliance/findings/"+done.Findings[0].ID+"/status", map[string]string{"status": "closed"}, nil)
	seq := e.lastSeq()
	levels := func() []string {
		var out []string
		for _, ev := range e.events(seq) {
			if ev.Type == eventsv1.TypeRemediationEscalated {
				m := testutil.Payload(t, ev, &eventsv1.RemediationEscalated{})
				if m.GetFinding().GetId() != in.Findings[0].ID {
					t.Fatalf("escalated %s", m.GetFinding().GetId())
				}
				out = append(out, m.GetLevel())
			}
		}
		return out
	}
	pass := func(day time.Time, times int) {
		e.clock.set(day)
		for range times {
			if _, err := e.node.Escalate(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	pass(time.Date(2026, 6, 12, 23, 59, 0, 0, cst), 2) // due today: not overdue
	if got := levels(); len(got) != 0 {
		t.Fatalf("on the due day: %v", got)
	}
	pass(time.Date(2026, 6, 13, 0, 0, 1, 0, cst), 3)
	if got := levels(); !slices.Equal(got, []string{"company"}) {
		t.Fatalf("the day after: %v", got)
	}
	pass(time.Date(2026, 6, 19, 12, 0, 0, 0, cst), 2) // 7 days overdue: still the company's
	if got := levels(); !slices.Equal(got, []string{"company"}) {
		t.Fatalf("7 days overdue: %v", got)
	}
	// Down from the 19th to the 28th: the district's and HQ's at once, in order.
	pass(time.Date(2026, 6, 28, 9, 0, 0, 0, cst), 3)
	if got := levels(); !slices.Equal(got, []string{"company", "district", "hq"}) {
		t.Fatalf("after the gap: %v", got)
	}
	pass(time.Date(2026, 7, 30, 9, 0, 0, 0, cst), 2)
	if got := levels(); len(got) != 3 {
		t.Fatalf("a month later: %v", got)
	}
	var f finding
	e.Must(200, "GET", "/compliance/findings/"+in.Findings[0].ID, nil, &f)
	if f.Escalated != "hq" || f.Status != "open" {
		t.Fatalf("finding %+v", f)
	}
}

// TestOfflineInspectionSatisfiesItsSchedule: an inspection done in May
// and uploaded in June counts for May; a May inspection done in June
// (for_period) counts there, late; a month with none is missed.
func TestOfflineInspectionSatisfiesItsSchedule(t *testing.T) {
	e := newEnv(t)
	tpl := e.template()
	e.clock.set(time.Date(2026, 4, 1, 9, 0, 0, 0, cst))
	e.Must(201, "POST", "/compliance/schedules", map[string]any{"company_id": "c1", "period": "month", "count": 1, "starts_on": "2026-04-01"}, nil)
	e.clock.set(time.Date(2026, 6, 3, 9, 0, 0, 0, cst))
	e.inspect(inspectionBody(tpl, "2026-05-28", "yes")) // done offline in May, uploaded on 3 June
	late := inspectionBody(tpl, "2026-06-02", "yes")
	late["for_period"] = "2026-04"
	e.inspect(late)
	if r := e.Do("POST", "/compliance/inspections", func() map[string]any {
		b := inspectionBody(tpl, "2026-06-02", "yes")
		b["for_period"] = "2026-06"
		return b
	}()); r.Status != 400 || r.ErrorID() != "inspection.for_period_invalid" {
		t.Fatalf("for a period not ended: %d %s", r.Status, r.Body)
	}
	e.clock.set(time.Date(2026, 7, 1, 9, 0, 0, 0, cst))
	var rep struct {
		Periods []struct {
			Period   string `json:"period"`
			Expected int    `json:"expected"`
			Done     int    `json:"done"`
			OnTime   int    `json:"on_time"`
			Late     int    `json:"late"`
			Missed   int    `json:"missed"`
		} `json:"periods"`
		Missed int `json:"missed"`
		Late   int `json:"late"`
	}
	e.Must(200, "GET", "/compliance/schedules/c1/report?periods=4", nil, &rep)
	if len(rep.Periods) != 4 || rep.Missed != 1 || rep.Late != 1 {
		t.Fatalf("report %+v", rep)
	}
	apr, may, jun := rep.Periods[0], rep.Periods[1], rep.Periods[2]
	if apr.Period != "2026-04" || apr.Late != 1 || apr.Missed != 0 || may.OnTime != 1 || may.Missed != 0 || jun.Done != 0 || jun.Missed != 1 {
		t.Fatalf("periods %+v", rep.Periods)
	}
}

// TestAnInspectionUploadedTwiceWithItsKeyIsRecordedOnce: an offline
// client retrying its upload with the same Idempotency-Key gets the first
// inspection back and nothing new is written.
func TestAnInspectionUploadedTwiceWithItsKeyIsRecordedOnce(t *testing.T) {
	e := newEnv(t)
	tpl := e.template()
	body := inspectionBody(tpl, "2026-06-09", "yes")
	var a, b inspection
	e.Must(201, "POST", "/compliance/inspections", body, &a, "Idempotency-Key", "tablet-7-upload-1")
	seq := e.lastSeq()
	e.Must(201, "POST", "/compliance/inspections", body, &b, "Idempotency-Key", "tablet-7-upload-1")
	if a.ID == "" || a.ID != b.ID {
		t.Fatalf("ids %q %q", a.ID, b.ID)
	}
	if n := testutil.Counts(t, e.node.DB().DB, "inspections", "findings"); n["inspections"] != 1 || n["findings"] != 1 || len(e.events(seq)) != 0 {
		t.Fatalf("rows %v, %d events", n, len(e.events(seq)))
	}
}
