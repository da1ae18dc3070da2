package service

import (
	"testing"
	"time"
)

// TestCoverageOfAPlanWithHoles computes, by hand and by ComputeCoverage,
// the coverage of a plan 08:00–12:00 whose shifts leave a hole (10:30–
// 11:00 has no shift), overlap (09:30–10:00 two shifts), and are
// understaffed (the second shift needs 3 and has 1).
func TestCoverageOfAPlanWithHoles(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	h := func(hh, mm int) time.Time {
		return day.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	}
	plans := []Plan{{ID: "p", AreaID: "a", StartsAt: h(8, 0), EndsAt: h(12, 0)}}
	shifts := []Shift{
		{ID: "s1", AreaID: "a", StartsAt: h(8, 0), EndsAt: h(10, 0), Required: 2, Assigned: 2},
		{ID: "s2", AreaID: "a", StartsAt: h(9, 30), EndsAt: h(10, 30), Required: 3, Assigned: 1},
		// Over-staffed: an extra guard does not fill another shift's hole.
		{ID: "s3", AreaID: "a", StartsAt: h(11, 0), EndsAt: h(12, 0), Required: 1, Assigned: 2},
		// Another area's shift is its own row.
		{ID: "s4", AreaID: "b", StartsAt: h(8, 15), EndsAt: h(8, 45), Required: 1, Assigned: 0},
	}
	r := ComputeCoverage(h(8, 0), h(12, 0), plans, shifts)
	type row struct{ req, staffed, gap, uncovered int }
	want := map[string]row{
		"a 08": {120, 120, 0, 0},            // s1: 2 × 60, staffed
		"a 09": {120 + 90, 120 + 30, 60, 0}, // s1 2×60; s2 3×30 with 1×30 staffed
		"a 10": {90, 30, 60, 30},            // s2 3×30 / 1×30; 10:30–11:00 no shift
		"a 11": {60, 60, 0, 0},              // s3 1×60 (its second guard counts nothing)
		"b 08": {30, 0, 30, 0},              // s4 unstaffed; b has no plan: no uncovered minutes
	}
	if len(r.Hours) != len(want) {
		t.Fatalf("%d hour rows, want %d: %+v", len(r.Hours), len(want), r.Hours)
	}
	for _, got := range r.Hours {
		key := got.AreaID + " " + got.Hour.Format("15")
		w, ok := want[key]
		if !ok {
			t.Fatalf("unexpected row %s", key)
		}
		if got.RequiredMinutes != w.req || got.StaffedMinutes != w.staffed || got.GapMinutes != w.gap || got.UncoveredMinutes != w.uncovered {
			t.Errorf("%s: %+v, want %+v", key, got, w)
		}
		if w.req > 0 && (got.FillRate == nil || *got.FillRate != float64(w.staffed)/float64(w.req)) {
			t.Errorf("%s: fill rate %v", key, got.FillRate)
		}
	}
	a := r.Areas[0]
	if a.AreaID != "a" || a.RequiredMinutes != 480 || a.StaffedMinutes != 360 || a.GapMinutes != 120 || a.UncoveredMinutes != 30 || a.GapHours != 2 {
		t.Fatalf("area a: %+v", a)
	}
	// A window with nothing planned has no rows, and no rate.
	empty := ComputeCoverage(h(13, 0), h(14, 0), nil, nil)
	if len(empty.Hours) != 0 || len(empty.Areas) != 0 {
		t.Fatalf("empty window: %+v", empty)
	}
}
