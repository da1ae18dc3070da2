package compliance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance"
)

func companyAt(id, status string, version int64, at time.Time) *eventsv1.Envelope {
	e := testutil.Envelope("jingkai", "membership", eventsv1.TypeCompanyStatusChanged, "company", id,
		&eventsv1.CompanyStatusChanged{Company: &eventsv1.Company{Id: id, District: "jingkai", Name: "公司" + id, Status: status, Version: version}, ToStatus: status})
	e.EventId, e.OccurredAt = fmt.Sprintf("ev-%s-%d", id, version), timestamppb.New(at)
	return e
}

// TestTimelinessCountsOnlyTheCompanysActiveWindow: a monthly schedule from
// January for a company active from 15 March and lapsed on 10 June is
// expected in March to June only (never before it joined, not after it
// lapsed); an inspection uploaded within 15 days of its month's end is on
// time, one uploaded later is done but late; a company never active is
// expected nothing (null rates, not 0%).
func TestTimelinessCountsOnlyTheCompanysActiveWindow(t *testing.T) {
	e := newEnv(t)
	tpl := e.template()
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, cst) }
	e.apply(companyAt("c1", "applied", 1, at(1, 5)), companyAt("c1", "active", 2, at(3, 15)), companyAt("c2", "applied", 1, at(1, 5)))
	e.clock.set(at(1, 2))
	for _, co := range []string{"c1", "c2"} {
		e.Must(201, "POST", "/compliance/schedules", map[string]any{"company_id": co, "period": "month", "count": 1, "starts_on": "2026-01-01"}, nil)
	}
	e.clock.set(at(3, 20))
	e.inspect(inspectionBody(tpl, "2026-03-20", "yes")) // March, on time
	e.clock.set(at(5, 20))
	e.inspect(inspectionBody(tpl, "2026-04-28", "yes")) // April, uploaded 20 May: after 30 April + 15 days
	e.apply(companyAt("c1", "lapsed", 3, at(6, 10)))
	e.clock.set(at(8, 20)) // the ended months are February to July; July is after the lapse
	var rep struct {
		Companies []struct {
			CompanyID    string   `json:"company_id"`
			Expected     int      `json:"expected"`
			Done         int      `json:"done"`
			OnTime       int      `json:"on_time"`
			Completeness *float64 `json:"completeness"`
			Timeliness   *float64 `json:"timeliness"`
		} `json:"companies"`
		District struct {
			Expected, Done int
		} `json:"district"`
	}
	e.Must(200, "GET", "/compliance/timeliness?periods=6", nil, &rep)
	if len(rep.Companies) != 2 {
		t.Fatalf("report %+v", rep)
	}
	c1, c2 := rep.Companies[0], rep.Companies[1]
	if c1.Expected != 4 || c1.Done != 2 || c1.OnTime != 1 || *c1.Completeness != 0.5 || *c1.Timeliness != 0.25 {
		t.Fatalf("c1 %+v", c1)
	}
	if c2.Expected != 0 || c2.Completeness != nil || c2.Timeliness != nil {
		t.Fatalf("c2 (never active) %+v", c2)
	}
	if rep.District.Expected != 4 || rep.District.Done != 2 {
		t.Fatalf("district %+v", rep.District)
	}
}

type obligationReport struct {
	Obligation string `json:"obligation"`
	Companies  []struct {
		CompanyID    string   `json:"company_id"`
		Expected     int      `json:"expected"`
		Done         int      `json:"done"`
		OnTime       int      `json:"on_time"`
		Completeness *float64 `json:"completeness"`
		Timeliness   *float64 `json:"timeliness"`
	} `json:"companies"`
	District struct {
		Expected int `json:"expected"`
		Done     int `json:"done"`
		OnTime   int `json:"on_time"`
	} `json:"district"`
}

func (r obligationReport) of(t *testing.T, company string) (expected, done, onTime int, completeness *float64) {
	t.Helper()
	for _, c := range r.Companies {
		if c.CompanyID == company {
			return c.Expected, c.Done, c.OnTime, c.Completeness
		}
	}
	t.Fatalf("%s: no %s in %+v", r.Obligation, company, r)
	return
}

// TestTimelinessOfFourOneChecksAndRoundtables: on a fake clock, c1 became
// active mid-March, c2 was active from January and lapsed on 10 May, c3
// never became active. Over February to July (periods=6 on 20 August):
// two-four-one checks are expected monthly of c1 from March (5) and of c2
// February to May (4), never of c3; roundtables, monthly by the district's
// default cadence, the same. A check uploaded after its month's end plus
// 15 days, or a roundtable attendance recorded that late, is done but not
// on time; a council meeting is not a roundtable. The obligation events
// are announced once each: missed past the deadline, completed when done.
func TestTimelinessOfFourOneChecksAndRoundtables(t *testing.T) {
	e := newEnv(t)
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, cst) }
	e.apply(companyAt("c1", "active", 1, at(3, 15)),
		companyAt("c2", "active", 1, at(1, 5)), companyAt("c2", "lapsed", 2, at(5, 10)),
		companyAt("c3", "applied", 1, at(1, 5)))
	e.hireTrained(okGuard("g1", "c1"))
	check := func(now time.Time, on string) {
		e.clock.set(now)
		b := fourOneBody("g1")
		b["checked_on"] = on
		e.Must(201, "POST", "/compliance/four-one-checks", b, nil)
	}
	check(at(3, 20), "2026-03-20") // March, on time
	check(at(5, 25), "2026-04-28") // April, uploaded after 15 May: late
	check(at(6, 10), "2026-06-09") // June, on time
	r1 := meeting("r1", "district_roundtable", "closed", 2, at(4, 10))
	r2 := meeting("r2", "district_roundtable", "closed", 2, at(6, 12))
	council := meeting("k1", "council", "closed", 2, at(5, 5))
	e.applyMeetings(
		attendance(r1, "c1", "present", "ev-r1-c1", at(4, 10)),
		attendance(r1, "c2", "absent", "ev-r1-c2", at(4, 10)),
		attendance(r2, "c1", "late", "ev-r2-c1", at(7, 20)), // recorded after 15 July
		attendance(council, "c1", "present", "ev-k1-c1", at(5, 5)),
	)
	e.clock.set(at(8, 20))
	for _, tc := range []struct {
		obligation                             string
		c1Expected, c1Done, c1OnTime, c2Expect int
	}{
		{"four_one", 5, 3, 2, 4},
		{"roundtable", 5, 2, 1, 4},
	} {
		var rep obligationReport
		e.Must(200, "GET", "/compliance/timeliness?periods=6&obligation="+tc.obligation, nil, &rep)
		if rep.Obligation != tc.obligation {
			t.Fatalf("report of %q", rep.Obligation)
		}
		if x, d, o, _ := rep.of(t, "c1"); x != tc.c1Expected || d != tc.c1Done || o != tc.c1OnTime {
			t.Errorf("%s c1: expected %d done %d on time %d", tc.obligation, x, d, o)
		}
		if x, d, _, _ := rep.of(t, "c2"); x != tc.c2Expect || d != 0 {
			t.Errorf("%s c2 (lapsed 10 May): expected %d done %d", tc.obligation, x, d)
		}
		if x, _, _, c := rep.of(t, "c3"); x != 0 || c != nil {
			t.Errorf("%s c3 (never active): expected %d completeness %v", tc.obligation, x, c)
		}
		if rep.District.Expected != tc.c1Expected+tc.c2Expect || rep.District.Done != tc.c1Done {
			t.Errorf("%s district %+v", tc.obligation, rep.District)
		}
	}

	// The events, over the current period and the last three ended (May to
	// August): for each obligation c1 missed May and July and completed
	// June; c2 missed May (it lapsed on the 10th); August is not due yet.
	seq := e.lastSeq()
	n, err := e.node.AnnounceObligations(context.Background())
	if err != nil || n != 8 {
		t.Fatalf("announced %d, %v; want 8", n, err)
	}
	got := map[string]string{}
	for _, ev := range e.events(seq) {
		var tl *eventsv1.ObligationTimeliness
		switch ev.Type {
		case eventsv1.TypeObligationCompleted:
			var m eventsv1.ObligationCompleted
			if err := proto.Unmarshal(ev.Envelope.GetPayload(), &m); err != nil {
				t.Fatal(err)
			}
			tl = m.GetTimeliness()
		case eventsv1.TypeObligationMissed:
			var m eventsv1.ObligationMissed
			if err := proto.Unmarshal(ev.Envelope.GetPayload(), &m); err != nil {
				t.Fatal(err)
			}
			tl = m.GetTimeliness()
		default:
			t.Fatalf("event %s", ev.Type)
		}
		got[tl.GetCompanyId()+" "+tl.GetObligation()+" "+tl.GetPeriod()] = ev.Type
	}
	for _, ob := range []string{"four_one", "roundtable"} {
		for key, typ := range map[string]string{"c1 " + ob + " 2026-05": "ObligationMissed", "c1 " + ob + " 2026-06": "ObligationCompleted",
			"c1 " + ob + " 2026-07": "ObligationMissed", "c2 " + ob + " 2026-05": "ObligationMissed"} {
			if got[key] != typ {
				t.Errorf("%s: %q, want %s (all: %v)", key, got[key], typ, got)
			}
		}
	}
	if n, err := e.node.AnnounceObligations(context.Background()); err != nil || n != 0 {
		t.Fatalf("announced again: %d, %v", n, err)
	}
}

// TestAWeeksMissedInspectionIsAnnouncedWhateverTheDeadline: with
// timeliness_days of 30 a week's deadline falls five weeks after it began,
// beyond the last three ended weeks; Announce still reaches back to it
// (AnnounceSpan), so its ObligationMissed is sent, once.
func TestAWeeksMissedInspectionIsAnnouncedWhateverTheDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded etcd; skipped in -short")
	}
	infra := testutil.NewEnv(t)
	infra.Put(policy.ComplianceKey, `{"timeliness_days": 30}`)
	e := newEnvWith(t, compliance.Config{RefreshInterval: 10 * time.Millisecond}, compliance.Deps{Etcd: infra.Etcd().Client})
	infra.Background("compliance node", e.node.Run)
	testutil.Eventually(t, "the etcd policy applied", func() bool { return e.scoreboard().Policy.TimelinessDays == 30 })
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, cst) }
	e.apply(companyAt("c1", "active", 1, at(1, 5)))
	e.clock.set(at(1, 5))
	e.Must(201, "POST", "/compliance/schedules", map[string]any{"company_id": "c1", "period": "week", "count": 1, "starts_on": "2026-01-05"}, nil)
	// 16 February, a Monday: the week of 5 January (2026-W02) ended on
	// the 12th and its deadline, 11 February, has passed; it is six weeks
	// back. (The node's own loop may announce it first: either way once.)
	seq := e.lastSeq()
	e.clock.set(at(2, 16))
	if _, err := e.node.AnnounceObligations(context.Background()); err != nil {
		t.Fatal(err)
	}
	missed := map[string]bool{}
	for _, ev := range e.events(seq) {
		if ev.Type != eventsv1.TypeObligationMissed {
			continue
		}
		var m eventsv1.ObligationMissed
		if err := proto.Unmarshal(ev.Envelope.GetPayload(), &m); err != nil {
			t.Fatal(err)
		}
		missed[m.GetTimeliness().GetPeriod()] = true
	}
	if !missed["2026-W02"] {
		t.Fatalf("the week of 5 January was not announced missed: %v", missed)
	}
	// Its deadline has not passed for the week of 12 January (18 February).
	if missed["2026-W03"] {
		t.Fatalf("the week of 12 January announced missed before its deadline: %v", missed)
	}
}
