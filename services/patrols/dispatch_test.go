package patrols_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

type dispatch struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	TeamID     string `json:"team_id"`
	OfferIndex int    `json:"offer_index"`
	Escalated  bool   `json:"escalated"`
	Breaches   []string
	Offers     []struct {
		TeamID    string  `json:"team_id"`
		DistanceM float64 `json:"distance_m"`
	}
}

var police = auth.Principal{Role: auth.RolePolice, Districts: []string{"jingkai"}}

// dispatchWorld is scanWorld (team A led by g1, on duty 09:00–11:00 in
// the first area) plus team B led by g4, on duty at the same time in an
// area 5 km north.
func dispatchWorld(t *testing.T) (e *env, teamA, teamB string) {
	e, _ = scanWorld(t)
	var teams struct{ Items []team }
	e.Must(http.StatusOK, "GET", "/teams", nil, &teams)
	teamA = teams.Items[0].ID
	e.guard(volunteer("g4", 1))
	b := e.team("g4")
	var area, plan struct{ ID string }
	far := north(areaCenter, 5000)
	e.Must(http.StatusCreated, "POST", "/areas", map[string]any{"name": "沌口体育中心", "shape": "circle", "center": far, "radius_m": 300}, &area)
	var cp checkpoint
	e.Must(http.StatusCreated, "POST", "/areas/"+area.ID+"/checkpoints", map[string]any{"name": "东门", "tag_kind": "qr", "tag_value": "QR-zone-b-0001", "location": far}, &cp)
	e.Must(http.StatusCreated, "POST", "/plans", map[string]any{"name": "B", "area_id": area.ID, "starts_at": nationalDay, "ends_at": nationalDay.Add(24 * time.Hour)}, &plan)
	sh := e.shift(plan.ID, nationalDay.Add(time.Hour), nationalDay.Add(3*time.Hour), 1, []string{cp.ID}, 1)
	e.assign(sh.ID, "g4")
	return e, teamA, b.ID
}

func (e *env) sweepDispatches() int {
	e.t.Helper()
	n, err := e.node.SweepDispatches(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// histogram returns the sample count and sum of a histogram series.
func (e *env) histogram(name string) (uint64, float64) {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			h := mf.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	return 0, 0
}

// TestDispatchTimers walks a request through its timers on a fake clock:
// offered to the nearest on-duty team, re-offered to the next and
// escalated at the accept target (30 s), accepted by the next team's
// leader, the arrival target (5 min urban) breached, arrival, feedback
// and closure; each breach is one event and one count, the response
// times are histogram samples.
func TestDispatchTimers(t *testing.T) {
	e, teamA, teamB := dispatchWorld(t)
	raised := nationalDay.Add(90 * time.Minute) // 09:30
	e.clock.set(raised)
	seq := e.lastSeq()
	var d dispatch
	e.Must(http.StatusCreated, "POST", "/dispatches", map[string]any{"kind": "纠纷", "urgency": "urgent", "location": north(cp1At, 50)}, &d, as(police)...)
	if d.Status != "offered" || len(d.Offers) != 2 || d.Offers[0].TeamID != teamA || d.Offers[1].TeamID != teamB || d.Offers[0].DistanceM > d.Offers[1].DistanceM {
		t.Fatalf("raised %+v, want offered to A (nearest) then B", d)
	}
	evs := e.events(seq)
	if got := types(evs); !slices.Equal(got, []string{eventsv1.TypeDispatchRaised, eventsv1.TypeDispatchOffered}) {
		t.Fatalf("events %v", got)
	}
	if o := testutil.Payload(t, evs[1], &eventsv1.DispatchOffered{}); o.GetTeamId() != teamA || o.GetNotifyGuardId() != "g1" || o.GetOffer() != 1 {
		t.Fatalf("offer %v", o)
	}
	e.clock.set(raised.Add(29 * time.Second))
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("before the accept target: %d breaches", n)
	}
	// 30 s: breached, escalated to the district lead, offered to B.
	e.clock.set(raised.Add(30 * time.Second))
	seq = e.lastSeq()
	if n := e.sweepDispatches(); n != 1 {
		t.Fatalf("at the accept target: %d breaches, want 1", n)
	}
	evs = e.events(seq)
	if got := types(evs); !slices.Equal(got, []string{eventsv1.TypeDispatchTargetBreached, eventsv1.TypeDispatchEscalated, eventsv1.TypeDispatchOffered}) {
		t.Fatalf("events %v", got)
	}
	if b := testutil.Payload(t, evs[0], &eventsv1.DispatchTargetBreached{}); b.GetStage() != "accept" || b.GetTargetSeconds() != 30 {
		t.Fatalf("breach %v", b)
	}
	if o := testutil.Payload(t, evs[2], &eventsv1.DispatchOffered{}); o.GetTeamId() != teamB || o.GetNotifyGuardId() != "g4" || o.GetOffer() != 2 {
		t.Fatalf("re-offer %v", o)
	}
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("a second sweep breached %d", n)
	}
	// A's leader is too late; a member who does not lead B may not accept.
	if r := e.Do("POST", "/dispatches/"+d.ID+"/accept", map[string]string{"team_id": teamA}, as(guardP("g1"))...); r.ErrorID() != "dispatch.not_offered" {
		t.Fatalf("A late: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/dispatches/"+d.ID+"/accept", map[string]string{"team_id": teamB}, as(guardP("g2"))...); r.Status != http.StatusForbidden {
		t.Fatalf("g2 for B: %d %s", r.Status, r.Body)
	}
	e.clock.set(raised.Add(45 * time.Second))
	e.Must(http.StatusOK, "POST", "/dispatches/"+d.ID+"/accept", map[string]string{"team_id": teamB}, &d, as(guardP("g4"))...)
	if d.Status != "accepted" || d.TeamID != teamB {
		t.Fatalf("accepted %+v", d)
	}
	if n, sum := e.histogram("guildhall_dispatch_time_to_accept_seconds"); n != 1 || sum != 45 {
		t.Fatalf("accept histogram %d samples, sum %v; want one of 45 s", n, sum)
	}
	// Five minutes without arrival: the arrival target, once.
	e.clock.set(raised.Add(5 * time.Minute))
	if n := e.sweepDispatches(); n != 1 {
		t.Fatalf("arrival target: %d", n)
	}
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("arrival target again: %d", n)
	}
	step := func(p auth.Principal, step, note string) dispatch {
		t.Helper()
		var out dispatch
		e.Must(http.StatusOK, "POST", "/dispatches/"+d.ID+"/steps", map[string]string{"step": step, "note": note}, &out, as(p)...)
		return out
	}
	if r := e.Do("POST", "/dispatches/"+d.ID+"/steps", map[string]string{"step": "closed"}, as(police)...); r.ErrorID() != "dispatch.step_illegal" {
		t.Fatalf("closing before feedback: %d %s", r.Status, r.Body)
	}
	if r := e.Do("POST", "/dispatches/"+d.ID+"/steps", map[string]string{"step": "arrived"}, as(police)...); r.ErrorID() != "dispatch.step_forbidden" {
		t.Fatalf("the police recording the team's arrival: %d %s", r.Status, r.Body)
	}
	step(guardP("g4"), "en_route", "")
	e.clock.set(raised.Add(6 * time.Minute))
	step(guardP("g4"), "arrived", "")
	e.clock.set(raised.Add(20 * time.Minute))
	step(guardP("g4"), "feedback", "已到场调解，双方和解")
	// The feedback target (30 min) passes with the feedback given: no
	// breach.
	e.clock.set(raised.Add(31 * time.Minute))
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("feedback given in time, yet %d breaches", n)
	}
	closed := step(police, "closed", "")
	if closed.Status != "closed" || !slices.Equal(closed.Breaches, []string{"accept", "arrive"}) || !closed.Escalated {
		t.Fatalf("closed %+v", closed)
	}
	if n, sum := e.histogram("guildhall_dispatch_time_to_arrive_seconds"); n != 1 || sum != 360 {
		t.Fatalf("arrive histogram %d, %v", n, sum)
	}
	if n, sum := e.histogram("guildhall_dispatch_time_to_feedback_seconds"); n != 1 || sum != 1200 {
		t.Fatalf("feedback histogram %d, %v", n, sum)
	}
	// A closed request has no timers.
	e.clock.set(raised.Add(time.Hour))
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("after closure: %d", n)
	}
	var breaches int
	for _, ev := range e.events(0) {
		if ev.Type == eventsv1.TypeDispatchTargetBreached {
			breaches++
		}
	}
	if breaches != 2 {
		t.Fatalf("%d breach events, want 2 (accept, arrive)", breaches)
	}
}

// TestDispatchWithNobodyAccepting: every team offered in turn, none
// accepting, leaves the request unassigned (escalated once, the accept
// target breached once); an offered team may still accept it late. With
// no team on duty the request is unassigned and escalated at once.
func TestDispatchWithNobodyAccepting(t *testing.T) {
	e, teamA, _ := dispatchWorld(t)
	raised := nationalDay.Add(90 * time.Minute)
	e.clock.set(raised)
	var d dispatch
	e.Must(http.StatusCreated, "POST", "/dispatches", map[string]any{"kind": "火情", "urgency": "urgent", "setting": "suburban", "location": cp1At}, &d, as(police)...)
	// The clock jumps two windows at once: both offers lapse in one sweep.
	e.clock.set(raised.Add(time.Minute))
	seq := e.lastSeq()
	if n := e.sweepDispatches(); n != 1 {
		t.Fatalf("%d breaches, want the accept target once", n)
	}
	if got := types(e.events(seq)); !slices.Equal(got, []string{eventsv1.TypeDispatchTargetBreached, eventsv1.TypeDispatchEscalated, eventsv1.TypeDispatchOffered}) {
		t.Fatalf("events %v", got)
	}
	e.Must(http.StatusOK, "GET", "/dispatches/"+d.ID, nil, &d)
	if d.Status != "unassigned" || d.OfferIndex != 2 {
		t.Fatalf("%+v, want unassigned after both offers", d)
	}
	// Suburban: the arrival target is 10 minutes, not 5.
	e.clock.set(raised.Add(9 * time.Minute))
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("suburban at 9 min: %d", n)
	}
	e.Must(http.StatusOK, "POST", "/dispatches/"+d.ID+"/accept", map[string]string{"team_id": teamA}, &d, as(guardP("g1"))...)
	if d.Status != "accepted" {
		t.Fatalf("late accept %+v", d)
	}

	// At 13:00 nobody is on duty.
	e.clock.set(nationalDay.Add(5 * time.Hour))
	seq = e.lastSeq()
	e.Must(http.StatusCreated, "POST", "/dispatches", map[string]any{"kind": "盗窃", "urgency": "routine", "location": cp1At}, &d, as(police)...)
	if d.Status != "unassigned" || !d.Escalated || len(d.Offers) != 0 {
		t.Fatalf("%+v", d)
	}
	if got := types(e.events(seq)); !slices.Equal(got, []string{eventsv1.TypeDispatchRaised, eventsv1.TypeDispatchEscalated}) {
		t.Fatalf("events %v", got)
	}
	for _, tc := range []struct {
		body map[string]any
		id   string
	}{
		{map[string]any{"kind": "x", "urgency": "soon", "location": cp1At}, "dispatch.urgency_invalid"},
		{map[string]any{"kind": "x", "urgency": "urgent", "setting": "rural", "location": cp1At}, "dispatch.setting_invalid"},
		{map[string]any{"kind": " ", "urgency": "urgent", "location": cp1At}, "dispatch.kind_required"},
		{map[string]any{"kind": "x", "urgency": "urgent", "location": map[string]float64{"lat": 100, "lng": 0}}, "geo.location_invalid"},
	} {
		before, seq := e.counts(), e.lastSeq()
		if r := e.Do("POST", "/dispatches", tc.body, as(police)...); r.Status != 400 || r.ErrorID() != tc.id {
			t.Errorf("%v: %d %s, want %s", tc.body, r.Status, r.Body, tc.id)
		}
		if !mapsEqual(before, e.counts()) || len(e.events(seq)) != 0 {
			t.Errorf("%v wrote", tc.body)
		}
	}
}
