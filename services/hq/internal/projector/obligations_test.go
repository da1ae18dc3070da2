package projector_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

// obl is an obligation event of c1's inspections in 2025-08 under eventID.
func obl(eventID string, missed bool, expected, done, onTime int64) *eventsv1.Envelope {
	t := &eventsv1.ObligationTimeliness{District: "jingkai", CompanyId: "c1", Obligation: "inspection", Period: "2025-08",
		Expected: expected, Done: done, OnTime: onTime}
	var e *eventsv1.Envelope
	if missed {
		e = cenv("jingkai", projector.ServiceCompliance, eventsv1.TypeObligationMissed, "c1/inspection/2025-08", 1, &eventsv1.ObligationMissed{Timeliness: t})
	} else {
		e = cenv("jingkai", projector.ServiceCompliance, eventsv1.TypeObligationCompleted, "c1/inspection/2025-08", 1, &eventsv1.ObligationCompleted{Timeliness: t})
	}
	e.EventId = eventID
	return e
}

// TestObligationEventsMergeInAnyOrder: a period missed at its deadline
// (1 of 2 done, on time) and completed late (2 done, still 1 on time)
// ends as done 2, on time 1, with both source events, whichever of the
// two arrived first; a redelivery of either (the same event, or the
// outbox row sent again under a new id), and an older count, change
// nothing.
func TestObligationEventsMergeInAnyOrder(t *testing.T) {
	t.Parallel()
	missed, completed := obl("m1", true, 2, 1, 1), obl("c1", false, 2, 2, 1)
	want := store.ObligationRow{Obligation: store.Obligation{District: "jingkai", CompanyID: "c1", Obligation: "inspection",
		Period: "2025-08", Expected: 2, Done: 2, OnTime: 1, Missed: true}, CompletedEventID: "c1", MissedEventID: "m1"}
	// The schedule's count raised after the period was completed: the
	// Missed of the new count raises expected and lowers nothing.
	raised := want
	raised.Expected, raised.MissedEventID = 3, "m3"
	for _, tc := range []struct {
		name  string
		order []*eventsv1.Envelope
		want  *store.ObligationRow
	}{
		{"missed then completed", []*eventsv1.Envelope{missed, completed}, nil},
		{"completed then missed", []*eventsv1.Envelope{completed, missed}, nil},
		{"redelivered around", []*eventsv1.Envelope{missed, completed, missed, completed}, nil},
		{"re-sent under new ids", []*eventsv1.Envelope{completed, obl("c1-again", false, 2, 2, 1), missed, obl("m1-again", true, 2, 1, 1)}, nil},
		// An older count: the Missed of a moment before (0 done) after the
		// row has more.
		{"an older count after", []*eventsv1.Envelope{completed, missed, obl("m0", true, 2, 0, 0)}, nil},
		{"a raised expectation after", []*eventsv1.Envelope{completed, obl("m3", true, 3, 1, 0)}, &raised},
		{"a raised expectation before", []*eventsv1.Envelope{obl("m3", true, 3, 1, 0), completed}, &raised},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, st := open(t)
			p := projector.New(st, nil, nil)
			mustApply(t, db, p, tc.order...)
			want := want
			if tc.want != nil {
				want = *tc.want
			}
			got, err := st.Obligations(context.Background(), "jingkai", "c1")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != want {
				t.Errorf("rows %+v, want %+v", got, want)
			}
			cd := cityOf(t, st, "jingkai")
			if i := cd.Compliance.Timeliness.Inspection; i.Expected != want.Expected || i.Done != 2 || i.OnTime != 1 || i.CompanyPeriods != 1 {
				t.Errorf("the district's inspections %+v, want %d expected, 2 done, 1 on time", i, want.Expected)
			}
		})
	}
}

// TestObligationRedeliveryChangesNothing: the second delivery of the same
// kind and counts reports no change, while the other kind's first does
// (it adds its source event), though its counts are lower.
func TestObligationRedeliveryChangesNothing(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	for i, want := range []bool{true, false, true, false} {
		e := obl(fmt.Sprint("e", i), false, 2, 2, 1) // Completed twice, then Missed twice
		if i >= 2 {
			e = obl(fmt.Sprint("e", i), true, 2, 1, 1)
		}
		applied, err := applyOne(t, db, p, e)
		if err != nil || applied != want {
			t.Errorf("event %d: applied %v, %v; want %v", i, applied, err, want)
		}
	}
}

// TestBadObligationEventsAreRejected: a timeliness without its keys, of an
// obligation HQ does not know, or with counts compliance never sends is
// rejected as bad_payload and writes nothing.
func TestBadObligationEventsAreRejected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*eventsv1.ObligationTimeliness)
	}{
		{"no company", func(o *eventsv1.ObligationTimeliness) { o.CompanyId = "" }},
		{"no period", func(o *eventsv1.ObligationTimeliness) { o.Period = "" }},
		{"an unknown obligation", func(o *eventsv1.ObligationTimeliness) { o.Obligation = "patrol" }},
		{"nothing expected", func(o *eventsv1.ObligationTimeliness) { o.Expected, o.Done, o.OnTime = 0, 0, 0 }},
		{"more done than expected", func(o *eventsv1.ObligationTimeliness) { o.Done = 3 }},
		{"more on time than done", func(o *eventsv1.ObligationTimeliness) { o.Done, o.OnTime = 1, 2 }},
		{"a negative count", func(o *eventsv1.ObligationTimeliness) { o.OnTime = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, st := open(t)
			p := projector.New(st, nil, nil)
			ot := &eventsv1.ObligationTimeliness{District: "jingkai", CompanyId: "c1", Obligation: "four_one", Period: "2025-08",
				Expected: 2, Done: 2, OnTime: 1}
			tc.edit(ot)
			e := cenv("jingkai", projector.ServiceCompliance, eventsv1.TypeObligationCompleted, "x", 1, &eventsv1.ObligationCompleted{Timeliness: ot})
			_, err := applyOne(t, db, p, e)
			if reason, ok := eventbus.IsRejected(err); !ok || reason != eventbus.ReasonBadPayload {
				t.Errorf("err = %v, want bad_payload", err)
			}
			rows, err := st.Obligations(context.Background(), "jingkai", "c1")
			if err != nil || len(rows) != 0 {
				t.Errorf("rows after a rejected event: %+v, %v", rows, err)
			}
		})
	}
}

// TestObligationsAreProjected: both types left the acknowledged list.
func TestObligationsAreProjected(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{eventsv1.TypeObligationCompleted, eventsv1.TypeObligationMissed} {
		if !slices.Contains(projector.Projected(projector.ServiceCompliance), typ) ||
			slices.Contains(projector.Acknowledged(projector.ServiceCompliance), typ) {
			t.Errorf("%s is not projected (or still acknowledged)", typ)
		}
	}
}
