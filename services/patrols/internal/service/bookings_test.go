package service

import (
	"testing"
	"time"
)

// TestLaterOrdersTwoAssignmentsOfOnePersonTheSameWayFromEitherSide holds
// the double-booking rule to its promise: of two assignments, exactly one
// is the later (the one withdrawn), whichever district asks.
func TestLaterOrdersTwoAssignmentsOfOnePersonTheSameWayFromEitherSide(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 10, 1, 1, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		a, b       BookingOrder
		aIsTheLate bool
	}{
		{"The assignment made a nanosecond later is the later, whatever the districts' names.",
			BookingOrder{at.Add(time.Nanosecond), "caidian", "s1"}, BookingOrder{at, "jingkai", "s2"}, true},
		{"The assignment made an hour earlier is not the later though its district sorts last.",
			BookingOrder{at, "zz", "s9"}, BookingOrder{at.Add(time.Hour), "aa", "s1"}, false},
		{"At the same instant the district whose id sorts later is the later.",
			BookingOrder{at, "jingkai", "s1"}, BookingOrder{at, "caidian", "s2"}, true},
		{"At the same instant in the same district the shift id decides.",
			BookingOrder{at, "jingkai", "s1"}, BookingOrder{at, "jingkai", "s2"}, false},
		{"The same instant given in another time zone is the same instant.",
			BookingOrder{at.In(time.FixedZone("CST", 8*3600)), "caidian", "s1"}, BookingOrder{at, "jingkai", "s2"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Later(c.a, c.b); got != c.aIsTheLate {
				t.Errorf("Later(a, b) = %v, want %v", got, c.aIsTheLate)
			}
			if got := Later(c.b, c.a); got == c.aIsTheLate {
				t.Errorf("Later(b, a) = %v: both or neither would be withdrawn", got)
			}
		})
	}
	if Later(BookingOrder{at, "jingkai", "s1"}, BookingOrder{at, "jingkai", "s1"}) {
		t.Error("an assignment is later than itself")
	}
}
