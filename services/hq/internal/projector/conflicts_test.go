package projector_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// registeredAs is a company snapshot with a credit code.
func registeredAs(district, id, code, status string, v int64) *eventsv1.Envelope {
	c := &eventsv1.Company{Id: id, District: district, Name: "公司" + id, CreditCode: code, Status: status, Version: v}
	return env(district, eventsv1.TypeCompanyUpdated, id, v, t0.Add(time.Duration(v)*time.Minute), &eventsv1.CompanyUpdated{Company: c})
}

// holding gives a guard a certificate number.
func holding(number string) guardOpt {
	return func(g *eventsv1.Guard) { g.HasCertificate, g.CertificateNumber = true, number }
}

// kinds renders conflicts as "kind:key[districts]" in list order.
func kinds(cs []service.Conflict) []string {
	var out []string
	for _, c := range cs {
		key := c.IDHash + c.CreditCode + c.CertificateNumber
		out = append(out, c.Kind+":"+key+"["+strings.Join(c.Districts, ",")+"]")
	}
	return out
}

func TestProjectorConflictKinds(t *testing.T) {
	t.Parallel()
	const code = "91420100MA4KX1234B"
	for _, tc := range []struct {
		name   string
		events []*eventsv1.Envelope
		want   []string
	}{
		{"One credit code registered in two districts is a credit_code conflict, whatever status short of lapsed.",
			[]*eventsv1.Envelope{registeredAs("jingkai", "c1", code, "active", 1), registeredAs("caidian", "c2", code, "applied", 1),
				registeredAs("hannan", "c3", code, "suspended", 1)},
			[]string{"credit_code:" + code + "[caidian,hannan,jingkai]"}},
		{"A company that lapsed no longer counts for its credit code.",
			[]*eventsv1.Envelope{registeredAs("jingkai", "c1", code, "active", 1), registeredAs("caidian", "c2", code, "applied", 1),
				registeredAs("caidian", "c2", code, "lapsed", 2)},
			nil},
		{"Two companies with one credit code in one district are the district's to refuse, not a conflict across districts.",
			[]*eventsv1.Envelope{registeredAs("jingkai", "c1", code, "active", 1), registeredAs("jingkai", "c2", code, "active", 1)},
			nil},
		{"A company whose credit code is corrected ends the conflict of the old code.",
			[]*eventsv1.Envelope{registeredAs("jingkai", "c1", code, "active", 1), registeredAs("caidian", "c2", code, "active", 1),
				registeredAs("caidian", "c2", "91420100MA4KX9999X", "active", 2)},
			nil},
		{"One certificate number held by two people in one district is a certificate_number conflict.",
			[]*eventsv1.Envelope{guard("jingkai", "g1", "c1", "p1", "active", 1, holding("420100201900001")),
				guard("jingkai", "g2", "c1", "p2", "active", 1, holding("420100201900001"))},
			[]string{"certificate_number:420100201900001[jingkai]"}},
		{"One person active in two districts under one certificate is a person and a certificate_number conflict.",
			[]*eventsv1.Envelope{guard("jingkai", "g1", "c1", "p1", "active", 1, holding("420100201900001")),
				guard("caidian", "g2", "c2", "p1", "active", 1, holding("420100201900001"))},
			[]string{"person:p1[caidian,jingkai]", "certificate_number:420100201900001[caidian,jingkai]"}},
		{"Two records of one person in one district with one certificate are no conflict.",
			[]*eventsv1.Envelope{guard("jingkai", "g1", "c1", "p1", "active", 1, holding("420100201900001")),
				guard("jingkai", "g2", "c2", "p1", "active", 1, holding("420100201900001"))},
			nil},
		{"A guard who left no longer holds the number in a conflict.",
			[]*eventsv1.Envelope{guard("jingkai", "g1", "c1", "p1", "active", 1, holding("420100201900001")),
				guard("hannan", "g2", "c1", "p2", "active", 1, holding("420100201900001")),
				guard("hannan", "g2", "c1", "p2", "left", 2, holding("420100201900001"))},
			nil},
		{"A certificate number corrected on one record ends the conflict of the old number.",
			[]*eventsv1.Envelope{guard("jingkai", "g1", "c1", "p1", "active", 1, holding("420100201900001")),
				guard("hannan", "g2", "c1", "p2", "active", 1, holding("420100201900001")),
				guard("hannan", "g2", "c1", "p2", "active", 2, holding("420100201900002"))},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, st := open(t)
			p := projector.New(st, nil, nil)
			mustApply(t, db, p, tc.events...)
			got, err := st.Conflicts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if g := kinds(got); !slices.Equal(g, tc.want) {
				t.Fatalf("conflicts = %v, want %v", g, tc.want)
			}
			// The summary's tallies (from hq_conflicts alone) count the
			// same conflicts the list builds.
			tallies, err := st.ConflictTallies(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			byKind := map[string]int64{}
			for _, c := range got {
				byKind[c.Kind]++
			}
			for _, k := range service.ConflictKinds {
				if tallies[k].Count != byKind[k] {
					t.Errorf("%s tally = %d, the list has %d", k, tallies[k].Count, byKind[k])
				}
			}
			// Every conflict the read model holds has its first sighting.
			for _, c := range got {
				if c.FirstSeenAt == nil {
					t.Errorf("%s conflict without first_seen_at", c.Kind)
				}
			}
		})
	}
}

// TestProjectorConflictFirstSeen: a conflict's first sighting is when HQ
// applied the event that made it one; later changes keep it; a conflict
// that ends and comes back is new again.
func TestProjectorConflictFirstSeen(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	clock := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	p.SetClock(func() time.Time { return clock })
	ctx := context.Background()
	seen := func() *time.Time {
		t.Helper()
		cs, err := st.Conflicts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 {
			t.Fatalf("conflicts = %v, want one", kinds(cs))
		}
		return cs[0].FirstSeenAt
	}
	mustApply(t, db, p, guard("jingkai", "g1", "c1", "p1", "active", 1, holding("N1")))
	clock = clock.Add(time.Hour)
	mustApply(t, db, p, guard("caidian", "g2", "c2", "p2", "active", 1, holding("N1")))
	first := clock
	if s := seen(); s == nil || !s.Equal(first) {
		t.Fatalf("first_seen_at = %v, want %v", s, first)
	}
	clock = clock.Add(time.Hour)
	mustApply(t, db, p, guard("caidian", "g2", "c2", "p2", "active", 2, holding("N1"), trained))
	if s := seen(); s == nil || !s.Equal(first) {
		t.Errorf("first_seen_at after an unrelated change = %v, want still %v", s, first)
	}
	clock = clock.Add(time.Hour)
	mustApply(t, db, p, guard("caidian", "g2", "c2", "p2", "left", 3, holding("N1")))
	if cs, err := st.Conflicts(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("conflicts after the guard left = %v, %v", kinds(cs), err)
	}
	clock = clock.Add(time.Hour)
	mustApply(t, db, p, guard("caidian", "g3", "c2", "p3", "active", 1, holding("N1")))
	if s := seen(); s == nil || !s.Equal(clock) {
		t.Errorf("first_seen_at of the conflict come back = %v, want %v", s, clock)
	}
	// A record whose number is corrected ends the conflict of the number
	// it had (the write forgets the old key too); corrected back, it is a
	// new conflict.
	clock = clock.Add(time.Hour)
	mustApply(t, db, p, guard("caidian", "g3", "c2", "p3", "active", 2, holding("N2")))
	if cs, err := st.Conflicts(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("conflicts after the correction = %v, %v", kinds(cs), err)
	}
	clock = clock.Add(time.Hour)
	mustApply(t, db, p, guard("caidian", "g3", "c2", "p3", "active", 3, holding("N1")))
	if s := seen(); s == nil || !s.Equal(clock) {
		t.Errorf("first_seen_at after the number was corrected back = %v, want %v", s, clock)
	}
	// The same for a company's credit code.
	mustApply(t, db, p, guard("caidian", "g3", "c2", "p3", "left", 4, holding("N1")),
		registeredAs("jingkai", "c1", "CODE-A", "active", 1), registeredAs("caidian", "c2", "CODE-A", "active", 1))
	clock = clock.Add(time.Hour)
	mustApply(t, db, p, registeredAs("caidian", "c2", "CODE-B", "active", 2))
	clock = clock.Add(time.Hour)
	mustApply(t, db, p, registeredAs("caidian", "c2", "CODE-A", "active", 3))
	if s := seen(); s == nil || !s.Equal(clock) {
		t.Errorf("first_seen_at after the credit code was corrected back = %v, want %v", s, clock)
	}
}

// TestProjectorRejectsACertificateEndThatIsNotADate: HQ compares the last
// valid day with today's date, so a snapshot with another form is a bad
// payload (dead-lettered) and changes nothing.
func TestProjectorRejectsACertificateEndThatIsNotADate(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"2026-3-31", "31.03.2026", "2026-02-30", "forever"} {
		db, st := open(t)
		p := projector.New(st, nil, nil)
		err := apply(t, db, p, guard("jingkai", "g1", "c1", "p1", "active", 1, func(g *eventsv1.Guard) {
			g.HasCertificate, g.CertificateValidUntil = true, v
		}))[0]
		if reason, ok := eventbus.IsRejected(err); !ok || reason != "bad_payload" {
			t.Errorf("valid until %q: err = %v, want a bad_payload reject", v, err)
		}
		if got, err := st.Districts(context.Background(), "2026-03-01"); err != nil || len(got) != 0 {
			t.Errorf("valid until %q: read model = %+v, %v; want nothing written", v, got, err)
		}
	}
}

// TestCertifiedOnDutyThroughItsLastValidDay: the store counts a guard
// certified on the days up to its certificate's last valid day, and not
// from the next, with no event in between.
func TestCertifiedOnDutyThroughItsLastValidDay(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	until := func(d string) guardOpt {
		return func(g *eventsv1.Guard) { g.HasCertificate, g.CertificateValidUntil = true, d }
	}
	mustApply(t, db, p,
		company("jingkai", "c1", "active", 1, false, false, false, ""),
		guard("jingkai", "g1", "c1", "p1", "active", 1, until("2026-03-31")),
		guard("jingkai", "g2", "c1", "p2", "active", 1, until("")), // no end date
		guard("jingkai", "g3", "c1", "p3", "active", 1),            // no certificate
	)
	for _, tc := range []struct {
		today string
		want  int64
	}{{"2026-03-30", 2}, {"2026-03-31", 2}, {"2026-04-01", 1}} {
		got, err := st.Districts(context.Background(), tc.today)
		if err != nil {
			t.Fatal(err)
		}
		if n := got["jingkai"].Counts.GuardsCertified; n != tc.want {
			t.Errorf("on %s: district certified = %d, want %d", tc.today, n, tc.want)
		}
		rows, err := st.Companies(context.Background(), "jingkai", tc.today, "", 10)
		if err != nil || len(rows) != 1 || rows[0].GuardsCertified != tc.want {
			t.Errorf("on %s: company rows = %+v, %v; want %d certified", tc.today, rows, err, tc.want)
		}
	}
}
