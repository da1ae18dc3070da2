package patrols_test

import (
	"fmt"
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
	Targets *struct {
		Accept   int `json:"accept_seconds"`
		Arrive   int `json:"arrive_seconds"`
		Feedback int `json:"feedback_seconds"`
	} `json:"targets"`
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
	if got := e.verdicts("urgent"); !slices.Equal(got, []string{"accept 1/1", "arrive 1/1", "feedback 1/0"}) {
		t.Fatalf("due/breached %v: each stage due once", got)
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
	if got := e.verdicts("urgent"); !slices.Equal(got, []string{"accept 1/1", "arrive 0/0", "feedback 0/0"}) {
		t.Fatalf("due/breached %v: the late accept is the breach already counted", got)
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

// counter returns the value of the series of a counter whose labels
// include want (0 if there is none).
func (e *env) counter(name string, want map[string]string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue next
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// verdicts returns the due and breached counts of every stage of the
// district's requests of urgency, as "stage due/breached".
func (e *env) verdicts(urgency string) []string {
	e.t.Helper()
	var out []string
	for _, st := range []string{"accept", "arrive", "feedback"} {
		ls := map[string]string{"district": "jingkai", "stage": st, "urgency": urgency}
		out = append(out, fmt.Sprintf("%s %v/%v", st, e.counter("guildhall_dispatch_due_total", ls), e.counter("guildhall_dispatch_target_breaches_total", ls)))
	}
	return out
}

// TestDispatchNobodyOnDutyBreachesItsAcceptTarget is the request raised
// while no team is on duty: nobody is offered it and nobody can accept
// it, and yet its accept target passes unmet — one breach event, counted
// once among the requests due (the SLOs' total: the histograms have no
// sample of it), at the target and not before; then its arrival and
// feedback targets, once each.
func TestDispatchNobodyOnDutyBreachesItsAcceptTarget(t *testing.T) {
	e, _, _ := dispatchWorld(t)
	raised := nationalDay.Add(5 * time.Hour) // 13:00: every shift is over
	e.clock.set(raised)
	var d dispatch
	e.Must(http.StatusCreated, "POST", "/dispatches", map[string]any{"kind": "盗窃", "urgency": "routine", "location": cp1At}, &d, as(police)...)
	if d.Status != "unassigned" || len(d.Offers) != 0 {
		t.Fatalf("%+v, want unassigned with no offer", d)
	}
	// Routine: accept within 60 s, on scene within 10 min, feedback 60.
	e.clock.set(raised.Add(59 * time.Second))
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("before the accept target: %d breaches", n)
	}
	if got := e.verdicts("routine"); !slices.Equal(got, []string{"accept 0/0", "arrive 0/0", "feedback 0/0"}) {
		t.Fatalf("before the target: %v, want nothing due", got)
	}
	e.clock.set(raised.Add(60 * time.Second))
	seq := e.lastSeq()
	if n := e.sweepDispatches(); n != 1 {
		t.Fatalf("at the accept target: %d breaches, want 1", n)
	}
	evs := e.events(seq)
	if got := types(evs); !slices.Equal(got, []string{eventsv1.TypeDispatchTargetBreached}) {
		t.Fatalf("events %v: the breach alone (escalated already at the raise)", got)
	}
	if b := testutil.Payload(t, evs[0], &eventsv1.DispatchTargetBreached{}); b.GetStage() != "accept" || b.GetTargetSeconds() != 60 {
		t.Fatalf("breach %v", b)
	}
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("a second sweep breached %d", n)
	}
	if got := e.verdicts("routine"); !slices.Equal(got, []string{"accept 1/1", "arrive 0/0", "feedback 0/0"}) {
		t.Fatalf("verdicts %v", got)
	}
	if n, _ := e.histogram("guildhall_dispatch_time_to_accept_seconds"); n != 0 {
		t.Fatalf("%d accept samples of a request nobody accepted", n)
	}
	e.clock.set(raised.Add(time.Hour))
	if n := e.sweepDispatches(); n != 2 {
		t.Fatalf("an hour on: %d breaches, want arrive and feedback", n)
	}
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("again: %d", n)
	}
	if got := e.verdicts("routine"); !slices.Equal(got, []string{"accept 1/1", "arrive 1/1", "feedback 1/1"}) {
		t.Fatalf("verdicts %v", got)
	}
	e.Must(http.StatusOK, "GET", "/dispatches/"+d.ID, nil, &d)
	if !slices.Equal(d.Breaches, []string{"accept", "arrive", "feedback"}) {
		t.Fatalf("breaches %v", d.Breaches)
	}
}

// TestDispatchEachStageIsDueOnce: every stage of a request counts once
// among the stages due, whichever decides it — a sweep at the target or
// the step itself — and a step that comes late before any sweep saw the
// target pass is the breach (its event and count) itself; exactly at the
// target is late, as the sweep at that instant finds.
func TestDispatchEachStageIsDueOnce(t *testing.T) {
	e, teamA, _ := dispatchWorld(t)
	raised := nationalDay.Add(90 * time.Minute)
	e.clock.set(raised)
	var d dispatch
	e.Must(http.StatusCreated, "POST", "/dispatches", map[string]any{"kind": "纠纷", "urgency": "urgent", "location": north(cp1At, 50)}, &d, as(police)...)
	// No sweep ran: A accepts 35 s in, 5 s past the target.
	e.clock.set(raised.Add(35 * time.Second))
	seq := e.lastSeq()
	e.Must(http.StatusOK, "POST", "/dispatches/"+d.ID+"/accept", map[string]string{"team_id": teamA}, &d, as(guardP("g1"))...)
	evs := e.events(seq)
	if got := types(evs); !slices.Equal(got, []string{eventsv1.TypeDispatchTargetBreached, eventsv1.TypeDispatchStep}) {
		t.Fatalf("a late accept: events %v, want the breach then the step", got)
	}
	if b := testutil.Payload(t, evs[0], &eventsv1.DispatchTargetBreached{}); b.GetStage() != "accept" || b.GetTargetSeconds() != 30 {
		t.Fatalf("breach %v", b)
	}
	if got := e.verdicts("urgent"); !slices.Equal(got, []string{"accept 1/1", "arrive 0/0", "feedback 0/0"}) {
		t.Fatalf("verdicts %v", got)
	}
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("the sweep after a late accept breached %d", n)
	}
	step := func(step, note string) {
		t.Helper()
		e.Must(http.StatusOK, "POST", "/dispatches/"+d.ID+"/steps", map[string]string{"step": step, "note": note}, &d, as(guardP("g1"))...)
	}
	// Arrival exactly at the 5 min target, no sweep between: late.
	e.clock.set(raised.Add(5 * time.Minute))
	step("arrived", "")
	// Feedback one second before its 30 min target: met.
	e.clock.set(raised.Add(30*time.Minute - time.Second))
	step("feedback", "已处置")
	e.clock.set(raised.Add(2 * time.Hour))
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("sweeps after every stage breached %d", n)
	}
	if got := e.verdicts("urgent"); !slices.Equal(got, []string{"accept 1/1", "arrive 1/1", "feedback 1/0"}) {
		t.Fatalf("verdicts %v", got)
	}
	if !slices.Equal(d.Breaches, []string{"accept", "arrive"}) {
		t.Fatalf("breaches %v", d.Breaches)
	}
	var breaches int
	for _, ev := range e.events(0) {
		if ev.Type == eventsv1.TypeDispatchTargetBreached {
			breaches++
		}
	}
	if breaches != 2 {
		t.Fatalf("%d breach events, want 2", breaches)
	}
}

// TestARequestRaisedWithNobodyOnDutyIsOfferedOnceATeamIs: a request raised
// at 08:59:50, before any shift, is unassigned and escalated; a sweep while
// no team is on duty offers it to nobody; the first sweep after 09:00 (both
// teams' shifts running) offers it to the nearest team, once, and that
// team's leader can accept it — within the accept target, which runs from
// the raise, so the stage is due once and met.
func TestARequestRaisedWithNobodyOnDutyIsOfferedOnceATeamIs(t *testing.T) {
	e, teamA, teamB := dispatchWorld(t)
	raised := nationalDay.Add(time.Hour - 10*time.Second) // 08:59:50: no shift has begun
	e.clock.set(raised)
	var d dispatch
	e.Must(http.StatusCreated, "POST", "/dispatches", map[string]any{"kind": "纠纷", "urgency": "urgent", "location": north(cp1At, 50)}, &d, as(police)...)
	if d.Status != "unassigned" || len(d.Offers) != 0 || !d.Escalated {
		t.Fatalf("raised %+v, want unassigned and escalated with no offer", d)
	}
	e.clock.set(raised.Add(5 * time.Second))
	seq := e.lastSeq()
	e.sweepDispatches()
	if got := types(e.events(seq)); len(got) != 0 {
		t.Fatalf("a sweep with nobody on duty wrote %v", got)
	}
	e.clock.set(raised.Add(20 * time.Second)) // 09:00:10
	seq = e.lastSeq()
	if n := e.sweepDispatches(); n != 0 {
		t.Fatalf("the first sweep with teams on duty breached %d (20 s of a 30 s target)", n)
	}
	evs := e.events(seq)
	if got := types(evs); !slices.Equal(got, []string{eventsv1.TypeDispatchOffered}) {
		t.Fatalf("events %v, want the offer alone", got)
	}
	if o := testutil.Payload(t, evs[0], &eventsv1.DispatchOffered{}); o.GetTeamId() != teamA || o.GetNotifyGuardId() != "g1" || o.GetOffer() != 1 {
		t.Fatalf("offer %v, want team A's leader first", o)
	}
	e.Must(http.StatusOK, "GET", "/dispatches/"+d.ID, nil, &d)
	if d.Status != "offered" || len(d.Offers) != 2 || d.Offers[0].TeamID != teamA || d.Offers[1].TeamID != teamB {
		t.Fatalf("after the sweep %+v, want offered to A then B", d)
	}
	e.clock.set(raised.Add(25 * time.Second))
	seq = e.lastSeq()
	if n := e.sweepDispatches(); n != 0 || len(e.events(seq)) != 0 {
		t.Fatalf("a second sweep inside the offer's window: %d breaches, events %v", n, types(e.events(seq)))
	}
	e.Must(http.StatusOK, "POST", "/dispatches/"+d.ID+"/accept", map[string]string{"team_id": teamA}, &d, as(guardP("g1"))...)
	if d.Status != "accepted" || d.TeamID != teamA {
		t.Fatalf("accepted %+v", d)
	}
	if got := e.verdicts("urgent"); got[0] != "accept 1/0" {
		t.Fatalf("verdicts %v, want the accept stage due once and met", got)
	}
}

// TestEveryDispatchAnswerCarriesItsTargets: the raise, a read, the list, an
// accept and a step each answer the targets in force for the request's
// urgency, arrival by its setting (the defaults here: urgent 30 s / 10 min
// suburban / 30 min; routine 60 s / 10 min urban / 60 min), so a leader's
// clock runs against the city's policy rather than a copy of it.
func TestEveryDispatchAnswerCarriesItsTargets(t *testing.T) {
	e, teamA, _ := dispatchWorld(t)
	e.clock.set(nationalDay.Add(90 * time.Minute))
	want := func(what string, d dispatch, accept, arrive, feedback int) {
		t.Helper()
		if d.Targets == nil || d.Targets.Accept != accept || d.Targets.Arrive != arrive || d.Targets.Feedback != feedback {
			t.Errorf("%s: targets %+v, want %d/%d/%d", what, d.Targets, accept, arrive, feedback)
		}
	}
	var urgent, routine dispatch
	e.Must(http.StatusCreated, "POST", "/dispatches", map[string]any{"kind": "纠纷", "urgency": "urgent", "setting": "suburban", "location": cp1At}, &urgent, as(police)...)
	want("the urgent raise", urgent, 30, 600, 1800)
	e.Must(http.StatusCreated, "POST", "/dispatches", map[string]any{"kind": "巡查", "urgency": "routine", "location": cp1At}, &routine, as(police)...)
	want("the routine raise", routine, 60, 600, 3600)
	var got dispatch
	e.Must(http.StatusOK, "GET", "/dispatches/"+urgent.ID, nil, &got, as(police)...)
	want("a read", got, 30, 600, 1800)
	var list struct{ Items []dispatch }
	e.Must(http.StatusOK, "GET", "/dispatches", nil, &list, as(police)...)
	if len(list.Items) != 2 {
		t.Fatalf("%d requests listed", len(list.Items))
	}
	for _, d := range list.Items {
		want("the list's "+d.ID, d, map[string]int{urgent.ID: 30, routine.ID: 60}[d.ID], 600, map[string]int{urgent.ID: 1800, routine.ID: 3600}[d.ID])
	}
	e.Must(http.StatusOK, "POST", "/dispatches/"+urgent.ID+"/accept", map[string]string{"team_id": teamA}, &got, as(guardP("g1"))...)
	want("the accept", got, 30, 600, 1800)
	e.Must(http.StatusOK, "POST", "/dispatches/"+urgent.ID+"/steps", map[string]any{"step": "en_route"}, &got, as(guardP("g1"))...)
	want("a step", got, 30, 600, 1800)
}
