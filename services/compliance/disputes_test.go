package compliance_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

type dispute struct {
	ID              string     `json:"id"`
	Status          string     `json:"status"`
	ResponseDue     time.Time  `json:"response_due"`
	RespondedAt     *time.Time `json:"responded_at"`
	MediationDue    *time.Time `json:"mediation_due"`
	ResponseOverdue bool       `json:"response_overdue"`
	EscalationDue   bool       `json:"escalation_due"`
	Timeline        []struct {
		Kind string `json:"kind"`
		By   string `json:"by"`
	} `json:"timeline"`
}

func disputeBody(kind string) map[string]any {
	return map[string]any{"company_id": "c1", "kind": kind, "amount": 8600, "description": "三名保安员反映6月工资未按时发放",
		"parties": []map[string]any{{"role": "guard", "id": "g1", "name": "张某"}, {"role": "company", "id": "c1", "name": "江城保安"}}}
}

func (e *env) report(kind string) dispute {
	e.t.Helper()
	var d dispute
	e.Must(201, "POST", "/compliance/disputes", disputeBody(kind), &d)
	return d
}

func (e *env) timerTypes(seq int64) []string {
	e.t.Helper()
	var out []string
	for _, ev := range e.events(seq) {
		if ev.Type == eventsv1.TypeDisputeResponseOverdue || ev.Type == eventsv1.TypeDisputeEscalationDue {
			out = append(out, ev.Type)
		}
	}
	return out
}

// TestDisputeTimersFireOnceWithAFakeClock: reported on a Friday, the
// first response is due by the end of the next Tuesday (2 working days,
// the weekend skipped); without one the overdue is announced once,
// however often the timers run; a mediation started and not concluded in
// 15 days is flagged for escalation once (劳动争议调解仲裁法 art. 14); a
// dispute answered in time, and one resolved, never fire.
func TestDisputeTimersFireOnceWithAFakeClock(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fri := time.Date(2026, 6, 12, 7, 0, 0, 0, cst) // a Friday morning in China, still Thursday in UTC
	e.clock.set(fri)
	late := e.report("wages")
	answered := e.report("injury")
	if want := time.Date(2026, 6, 17, 0, 0, 0, 0, cst); !late.ResponseDue.Equal(want) {
		t.Fatalf("response due %v, want %v (end of Tuesday)", late.ResponseDue, want)
	}
	e.clock.set(fri.Add(24 * time.Hour)) // Saturday
	e.Must(200, "POST", "/compliance/disputes/"+answered.ID+"/steps", map[string]string{"kind": "contact", "note": "电话联系当事人"}, nil)
	seq := e.lastSeq()
	run := func(at time.Time, times int) {
		e.clock.set(at)
		for range times {
			if _, err := e.node.DisputeTimers(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(time.Date(2026, 6, 16, 23, 59, 59, 0, cst), 2) // Tuesday night: still in time
	if got := e.timerTypes(seq); len(got) != 0 {
		t.Fatalf("in time: %v", got)
	}
	run(time.Date(2026, 6, 17, 0, 0, 0, 0, cst), 3)
	if got := e.timerTypes(seq); !slices.Equal(got, []string{eventsv1.TypeDisputeResponseOverdue}) {
		t.Fatalf("overdue: %v", got)
	}
	var d dispute
	e.Must(200, "GET", "/compliance/disputes/"+late.ID, nil, &d)
	if !d.ResponseOverdue || d.RespondedAt != nil {
		t.Fatalf("dispute %+v", d)
	}
	// Mediation from the 17th: due 15 days later, on 2 July.
	e.Must(200, "POST", "/compliance/disputes/"+late.ID+"/status", map[string]string{"status": "mediating", "mediator": "罗灯亮"}, &d)
	if d.MediationDue == nil || !d.MediationDue.Equal(time.Date(2026, 7, 2, 0, 0, 0, 0, cst)) {
		t.Fatalf("mediation due %v", d.MediationDue)
	}
	e.Must(200, "POST", "/compliance/disputes/"+answered.ID+"/status", map[string]string{"status": "mediating", "mediator": "罗灯亮"}, nil)
	e.clock.set(time.Date(2026, 6, 20, 0, 0, 0, 0, cst))
	e.Must(200, "POST", "/compliance/disputes/"+answered.ID+"/status", map[string]string{"status": "resolved", "outcome": "公司补发工资"}, nil)
	run(time.Date(2026, 7, 1, 23, 0, 0, 0, cst), 2)
	if got := e.timerTypes(seq); len(got) != 1 {
		t.Fatalf("before 15 days: %v", got)
	}
	run(time.Date(2026, 7, 2, 0, 0, 1, 0, cst), 3)
	if got := e.timerTypes(seq); !slices.Equal(got, []string{eventsv1.TypeDisputeResponseOverdue, eventsv1.TypeDisputeEscalationDue}) {
		t.Fatalf("after 15 days: %v", got)
	}
	e.Must(200, "GET", "/compliance/disputes/"+late.ID, nil, &d)
	if !d.EscalationDue {
		t.Fatalf("not flagged: %+v", d)
	}
	// The escalation event names no party.
	for _, ev := range e.events(seq) {
		if ev.Type == eventsv1.TypeDisputeEscalationDue {
			m := testutil.Payload(t, ev, &eventsv1.DisputeEscalationDue{})
			if !slices.Equal(m.GetDispute().GetPartyRoles(), []string{"guard", "company"}) || m.GetDispute().GetKind() != "wages" {
				t.Fatalf("payload %+v", m)
			}
		}
	}
}

// TestDisputeStatusMachineAndStats: reported → mediating → resolved or
// escalated with the outcome; nothing after; the statistics count by
// kind, status and outcome with the days to resolution.
func TestDisputeStatusMachineAndStats(t *testing.T) {
	e := newEnv(t)
	a := e.report("wages")
	b := e.report("client_contract")
	c := e.report("injury")
	st := func(id string, body map[string]string) testutil.Response {
		return e.Do("POST", "/compliance/disputes/"+id+"/status", body)
	}
	if r := st(a.ID, map[string]string{"status": "resolved", "outcome": "x"}); r.Status != 409 || r.ErrorID() != "dispute.status_illegal" {
		t.Fatalf("resolve unmediated: %d %s", r.Status, r.Body)
	}
	if r := st(a.ID, map[string]string{"status": "mediating"}); r.Status != 400 || r.ErrorID() != "dispute.mediator_invalid" {
		t.Fatalf("no mediator: %d %s", r.Status, r.Body)
	}
	e.Must(200, "POST", "/compliance/disputes/"+a.ID+"/status", map[string]string{"status": "mediating", "mediator": "m"}, nil)
	e.clock.set(start.Add(72 * time.Hour))
	e.Must(200, "POST", "/compliance/disputes/"+a.ID+"/status", map[string]string{"status": "resolved", "outcome": "达成调解协议"}, nil)
	if r := st(a.ID, map[string]string{"status": "escalated", "outcome": "x", "escalated_to": "court"}); r.Status != 409 || r.ErrorID() != "dispute.closed" {
		t.Fatalf("after resolution: %d %s", r.Status, r.Body)
	}
	if r := st(b.ID, map[string]string{"status": "escalated", "outcome": "x", "escalated_to": "mars"}); r.Status != 400 || r.ErrorID() != "dispute.escalated_to_invalid" {
		t.Fatalf("bad target: %d %s", r.Status, r.Body)
	}
	e.clock.set(start.Add(24 * time.Hour))
	var d dispute
	e.Must(200, "POST", "/compliance/disputes/"+b.ID+"/status", map[string]string{"status": "escalated", "outcome": "涉嫌诈骗，移交公安", "escalated_to": "police"}, &d)
	if d.Status != "escalated" || len(d.Timeline) != 1 || d.Timeline[0].Kind != "status" {
		t.Fatalf("escalated %+v", d)
	}
	var stats struct {
		Total  int `json:"total"`
		ByKind []struct {
			Key   string
			Count int
		} `json:"by_kind"`
		ByStatus []struct {
			Key   string
			Count int
		} `json:"by_status"`
		ByOutcome []struct {
			Key   string
			Count int
		} `json:"by_outcome"`
		P50 *float64 `json:"resolution_days_p50"`
		P90 *float64 `json:"resolution_days_p90"`
	}
	e.Must(200, "GET", "/compliance/disputes/stats", nil, &stats)
	count := func(cs []struct {
		Key   string
		Count int
	}, k string) int {
		for _, c := range cs {
			if c.Key == k {
				return c.Count
			}
		}
		return -1
	}
	if stats.Total != 3 || count(stats.ByKind, "wages") != 1 || count(stats.ByStatus, "reported") != 1 || count(stats.ByOutcome, "resolved") != 1 ||
		count(stats.ByOutcome, "police") != 1 || stats.P50 == nil || *stats.P50 != 1 || *stats.P90 != 3 {
		t.Fatalf("stats %+v p50 %v p90 %v", stats, stats.P50, stats.P90)
	}
	_ = c
	var list struct {
		Items []dispute `json:"items"`
	}
	e.Must(200, "GET", "/compliance/disputes?status=reported", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != c.ID {
		t.Fatalf("list %+v", list)
	}
}
