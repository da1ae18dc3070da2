package patrols_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// person is the id_hash membership gives one person's guard records in
// every district.
const person = "person-0001"

// twoDistricts is a jingkai node and a caidian node, each with one guard
// record of the same person (gj in jingkai, gc in caidian) leading a team,
// and a world whose shift runs 09:00–11:00 on National Day in both. The
// nodes hear of each other only through relay, which hands one node's
// outbox events to the other as its consumer of that district's patrols
// topic would.
func twoDistricts(t *testing.T) (jk, cd *env, wj, wc world) {
	jk, cd = newDistrictEnv(t, "jingkai"), newDistrictEnv(t, "caidian")
	for _, x := range []struct {
		e  *env
		id string
	}{{jk, "gj"}, {cd, "gc"}} {
		g := volunteer(x.id, 1)
		g.IDHash = person
		x.e.guard(g)
		x.e.team(x.id)
	}
	return jk, cd, jk.world(), cd.world()
}

// relay applies the events from's outbox holds after seq to to, and
// returns the outbox position from reached.
func relay(t *testing.T, from, to *env, after int64) int64 {
	t.Helper()
	for _, ev := range from.events(after) {
		if err := to.node.ApplyBookingEvent(t.Context(), ev.Envelope); err != nil {
			t.Fatalf("%s → %s: %s: %v", from.district, to.district, ev.Type, err)
		}
	}
	return from.lastSeq()
}

// shiftOf reads a shift as its plan's list has it.
func shiftOf(e *env, id string) shift {
	e.t.Helper()
	var r struct {
		Shift struct {
			PlanID string `json:"plan_id"`
		}
	}
	e.Must(http.StatusOK, "GET", "/shifts/"+id+"/report", nil, &r)
	var list struct{ Items []shift }
	e.Must(http.StatusOK, "GET", "/plans/"+r.Shift.PlanID+"/shifts", nil, &list)
	for _, x := range list.Items {
		if x.ID == id {
			return x
		}
	}
	e.t.Fatalf("shift %s not in its plan", id)
	return shift{}
}

// ofType returns the payloads of the events of type typ among evs,
// decoded by fresh.
func ofType[P proto.Message](t *testing.T, evs []testutil.OutboxEvent, typ string, fresh func() P) []P {
	t.Helper()
	var out []P
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, testutil.Payload(t, ev, fresh()))
		}
	}
	return out
}

func cancels() *eventsv1.ShiftAssignmentCancelled { return &eventsv1.ShiftAssignmentCancelled{} }
func resolved() *eventsv1.DoubleBookingResolved   { return &eventsv1.DoubleBookingResolved{} }

// TestAPartitionedDoubleBookingWithdrawsTheLaterAssignment: jingkai and
// caidian assign the same person to overlapping shifts before either hears
// of the other (both 201). Whichever order the two districts' events then
// arrive in, caidian's assignment — made a minute later — is the one
// withdrawn, by caidian, with ShiftAssignmentCancelled (double_booked,
// naming jingkai's shift) and a DoubleBookingResolved "withdrawn" notice
// to its lead and its team leader; jingkai keeps its own and tells its lead
// with one "kept". A redelivery tells nobody twice, and caidian, knowing
// jingkai's booking now, refuses the same assignment outright.
func TestAPartitionedDoubleBookingWithdrawsTheLaterAssignment(t *testing.T) {
	for _, order := range []string{"jingkai's events first", "caidian's events first"} {
		t.Run(order, func(t *testing.T) {
			jk, cd, wj, wc := twoDistricts(t)
			sj, sc := jk.lastSeq(), cd.lastSeq()
			jk.assign(wj.shift.ID, "gj")
			cd.clock.set(nationalDay.Add(time.Minute))
			cd.assign(wc.shift.ID, "gc")
			if order == "jingkai's events first" {
				relay(t, jk, cd, sj)
				relay(t, cd, jk, sc)
			} else {
				relay(t, cd, jk, sc)
				relay(t, jk, cd, sj)
			}
			jkEvents, cdEvents := jk.events(sj), cd.events(sc)
			if got := shiftOf(jk, wj.shift.ID); !slices.Equal(got.GuardIDs, []string{"gj"}) {
				t.Fatalf("jingkai's shift %+v, want gj kept", got)
			}
			if got := shiftOf(cd, wc.shift.ID); got.Assigned != 0 || len(got.GuardIDs) != 0 {
				t.Fatalf("caidian's shift %+v, want gc withdrawn", got)
			}
			cancelled := ofType(t, cdEvents, eventsv1.TypeShiftAssignmentCancelled, cancels)
			if len(cancelled) != 1 || cancelled[0].GetReason() != "double_booked" || cancelled[0].GetGuardId() != "gc" ||
				cancelled[0].GetConflictDistrict() != "jingkai" || cancelled[0].GetConflictShiftId() != wj.shift.ID || cancelled[0].GetPerson() != person {
				t.Fatalf("caidian's cancellations %v", cancelled)
			}
			if n := len(ofType(t, jkEvents, eventsv1.TypeShiftAssignmentCancelled, cancels)); n != 0 {
				t.Fatalf("jingkai withdrew %d assignments", n)
			}
			for _, c := range []struct {
				e       *env
				evs     []testutil.OutboxEvent
				outcome string
				guard   string
				other   string
				leader  string
			}{{cd, cdEvents, "withdrawn", "gc", "jingkai", "gc"}, {jk, jkEvents, "kept", "gj", "caidian", "gj"}} {
				rs := ofType(t, c.evs, eventsv1.TypeDoubleBookingResolved, resolved)
				if len(rs) != 1 || rs[0].GetOutcome() != c.outcome || rs[0].GetGuardId() != c.guard || rs[0].GetOtherDistrict() != c.other ||
					rs[0].GetNotifyGuardId() != c.leader || rs[0].GetDistrict() != c.e.district || rs[0].GetPerson() != person {
					t.Fatalf("%s's notices %v, want one %s", c.e.district, rs, c.outcome)
				}
			}
			// Redelivery: every event again, both ways. Nothing new.
			sj, sc = jk.lastSeq(), cd.lastSeq()
			relay(t, jk, cd, 0)
			relay(t, cd, jk, 0)
			if a, b := jk.events(sj), cd.events(sc); len(a)+len(b) != 0 {
				t.Fatalf("a redelivery emitted %v and %v", types(a), types(b))
			}
			before := cd.counts()
			if r := cd.Do("POST", "/shifts/"+wc.shift.ID+"/assignments", map[string]string{"guard_id": "gc"}); r.Status != http.StatusConflict ||
				r.ErrorID() != "assignment.double_booked" {
				t.Fatalf("caidian again: %d %s", r.Status, r.Body)
			}
			if !mapsEqual(before, cd.counts()) {
				t.Fatal("a refused assignment wrote")
			}
		})
	}
}

// TestAnotherDistrictsBookingIsRefusedUntilWithdrawn: once caidian has
// jingkai's ShiftAssigned, an overlapping assignment of the same person
// is 409 assignment.double_booked (a shift that starts when jingkai's ends
// is fine, and so is another person); jingkai withdrawing its assignment
// by hand (204, ShiftAssignmentCancelled reason withdrawn) frees the
// person in caidian once that event arrives.
func TestAnotherDistrictsBookingIsRefusedUntilWithdrawn(t *testing.T) {
	jk, cd, wj, wc := twoDistricts(t)
	other := volunteer("gx", 1)
	other.IDHash = "person-0002"
	cd.guard(other)
	var teams struct{ Items []team }
	cd.Must(http.StatusOK, "GET", "/teams", nil, &teams)
	cd.join(teams.Items[0].ID, "gx")
	sj := jk.lastSeq()
	jk.assign(wj.shift.ID, "gj")
	sj = relay(t, jk, cd, sj)

	before, seq := cd.counts(), cd.lastSeq()
	if r := cd.Do("POST", "/shifts/"+wc.shift.ID+"/assignments", map[string]string{"guard_id": "gc"}); r.Status != http.StatusConflict ||
		r.ErrorID() != "assignment.double_booked" || r.ErrorField() != "guard_id" {
		t.Fatalf("overlapping in caidian: %d %s", r.Status, r.Body)
	}
	if !mapsEqual(before, cd.counts()) || len(cd.events(seq)) != 0 {
		t.Fatal("a refused assignment wrote")
	}
	cd.assign(wc.shift.ID, "gx")                                                                                           // another person
	adjacent := cd.shift(wc.planID, nationalDay.Add(3*time.Hour), nationalDay.Add(4*time.Hour), 1, []string{wc.cp1.ID}, 1) // 11:00–12:00
	cd.assign(adjacent.ID, "gc")

	// Withdrawn by hand in jingkai: caidian may book the person then.
	seq = jk.lastSeq()
	jk.Must(http.StatusNoContent, "DELETE", "/shifts/"+wj.shift.ID+"/assignments/gj", nil, nil)
	cancelled := ofType(t, jk.events(seq), eventsv1.TypeShiftAssignmentCancelled, cancels)
	if len(cancelled) != 1 || cancelled[0].GetReason() != "withdrawn" || cancelled[0].GetBy() == "" || cancelled[0].GetShift().GetAssigned() != 0 {
		t.Fatalf("withdrawal events %v", cancelled)
	}
	if got := shiftOf(jk, wj.shift.ID); got.Assigned != 0 || len(got.GuardIDs) != 0 {
		t.Fatalf("jingkai's shift after the withdrawal %+v", got)
	}
	if r := cd.Do("POST", "/shifts/"+wc.shift.ID+"/assignments", map[string]string{"guard_id": "gc"}); r.Status != http.StatusConflict {
		t.Fatalf("before the withdrawal arrives: %d %s", r.Status, r.Body)
	}
	relay(t, jk, cd, sj)
	cd.assign(wc.shift.ID, "gc")
	// Other districts' bookings are forgotten a day after their shift.
	sj = relay(t, jk, cd, sj)
	jk.assign(wj.shift.ID, "gj") // a booking caidian will hold
	relay(t, jk, cd, sj)
	foreign := func() int { return testutil.Counts(t, cd.node.DB().DB, "foreign_bookings")["foreign_bookings"] }
	cd.clock.set(nationalDay.Add(27*time.Hour - time.Minute)) // 11:00 the next day, less a minute
	if _, _, err := cd.node.Sweep(t.Context()); err != nil || foreign() != 1 {
		t.Fatalf("sweep within a day of the end: %v, %d foreign bookings", err, foreign())
	}
	cd.clock.set(nationalDay.Add(27*time.Hour + time.Minute))
	if _, _, err := cd.node.Sweep(t.Context()); err != nil || foreign() != 0 {
		t.Fatalf("sweep a day after the end: %v, %d foreign bookings", err, foreign())
	}
	jk.Must(http.StatusNoContent, "DELETE", "/shifts/"+wj.shift.ID+"/assignments/gj", nil, nil)
	// A shift that has ended cannot be withdrawn from.
	jk.assign(wj.shift.ID, "gj")
	jk.clock.set(nationalDay.Add(3 * time.Hour))
	if r := jk.Do("DELETE", "/shifts/"+wj.shift.ID+"/assignments/gj", nil); r.Status != http.StatusConflict || r.ErrorID() != "assignment.shift_over" {
		t.Fatalf("withdrawal after the end: %d %s", r.Status, r.Body)
	}
}

// TestAForeignBookingOfAGuardWithoutAPersonIsIgnored: an assignment event
// without id_hash (membership sent none) names nobody another district
// could book: it is recorded nowhere and refuses nothing.
func TestAForeignBookingOfAGuardWithoutAPersonIsIgnored(t *testing.T) {
	jk, cd, wj, wc := twoDistricts(t)
	anon := volunteer("ga", 1)
	jk.guard(anon)
	var teams struct{ Items []team }
	jk.Must(http.StatusOK, "GET", "/teams", nil, &teams)
	jk.join(teams.Items[0].ID, "ga")
	sj := jk.lastSeq()
	jk.assign(wj.shift.ID, "ga")
	relay(t, jk, cd, sj)
	if n := testutil.Counts(t, cd.node.DB().DB, "foreign_bookings")["foreign_bookings"]; n != 0 {
		t.Fatalf("%d foreign bookings of nobody", n)
	}
	cd.assign(wc.shift.ID, "gc")
}

// TestTwoRecordsOfOnePersonInOneDistrictAreOnePerson: a person with two
// guard records in jingkai (two companies) is not booked twice at once
// either: the id_hash, not the record, is who is busy.
func TestTwoRecordsOfOnePersonInOneDistrictAreOnePerson(t *testing.T) {
	jk, _, wj, _ := twoDistricts(t)
	second := volunteer("gj2", 1)
	second.IDHash = person
	jk.guard(second)
	var teams struct{ Items []team }
	jk.Must(http.StatusOK, "GET", "/teams", nil, &teams)
	jk.join(teams.Items[0].ID, "gj2")
	jk.assign(wj.shift.ID, "gj")
	other := jk.shift(wj.planID, nationalDay.Add(2*time.Hour), nationalDay.Add(4*time.Hour), 1, []string{wj.cp1.ID}, 1) // 10:00–12:00
	if r := jk.Do("POST", "/shifts/"+other.ID+"/assignments", map[string]string{"guard_id": "gj2"}); r.Status != http.StatusConflict ||
		r.ErrorID() != "assignment.double_booked" {
		t.Fatalf("the person's second record: %d %s", r.Status, r.Body)
	}
}

// TestABookingEventThatCanNeverApplyIsDeadLettered: a ShiftAssigned
// without assigned_at or shift times, a cancellation without its guard, or
// another service's event on a patrols topic is rejected (dead-lettered by
// the consumer) and writes nothing; a well-formed event of a type the
// bookings ignore is settled without a change.
func TestABookingEventThatCanNeverApplyIsDeadLettered(t *testing.T) {
	_, cd, _, _ := twoDistricts(t)
	shift := &eventsv1.PatrolShift{Id: "s1", District: "jingkai", StartsAt: timestamppb.New(nationalDay), EndsAt: timestamppb.New(nationalDay.Add(time.Hour))}
	for _, c := range []struct {
		name   string
		env    *eventsv1.Envelope
		reason eventbus.Reason
	}{
		{"A ShiftAssigned without assigned_at.", testutil.Envelope("jingkai", "patrols", eventsv1.TypeShiftAssigned, "patrol_shift", "s1",
			&eventsv1.ShiftAssigned{Shift: shift, GuardId: "g1", Person: person}), eventbus.ReasonBadPayload},
		{"A ShiftAssigned without its shift's times.", testutil.Envelope("jingkai", "patrols", eventsv1.TypeShiftAssigned, "patrol_shift", "s1",
			&eventsv1.ShiftAssigned{Shift: &eventsv1.PatrolShift{Id: "s1"}, GuardId: "g1", Person: person, AssignedAt: timestamppb.New(nationalDay)}), eventbus.ReasonBadPayload},
		{"A cancellation without its guard.", testutil.Envelope("jingkai", "patrols", eventsv1.TypeShiftAssignmentCancelled, "patrol_shift", "s1",
			&eventsv1.ShiftAssignmentCancelled{Shift: shift}), eventbus.ReasonBadPayload},
		{"Membership's event on a patrols topic.", testutil.Envelope("jingkai", "membership", eventsv1.TypeShiftAssigned, "patrol_shift", "s1",
			&eventsv1.ShiftAssigned{Shift: shift, GuardId: "g1"}), eventbus.ReasonWrongService},
		{"A TeamCreated: nothing to do.", testutil.Envelope("jingkai", "patrols", eventsv1.TypeTeamCreated, "volunteer_team", "t1",
			&eventsv1.TeamCreated{Team: &eventsv1.VolunteerTeam{Id: "t1"}}), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, seq := cd.counts(), cd.lastSeq()
			err := cd.node.ApplyBookingEvent(t.Context(), c.env)
			reason, rejected := eventbus.IsRejected(err)
			if c.reason == "" && err != nil || c.reason != "" && (!rejected || reason != c.reason) {
				t.Fatalf("%v (%q), want %q", err, reason, c.reason)
			}
			if !mapsEqual(before, cd.counts()) || len(cd.events(seq)) != 0 {
				t.Fatal("wrote")
			}
		})
	}
}
