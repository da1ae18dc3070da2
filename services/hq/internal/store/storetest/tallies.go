package storetest

// The guard tallies (tallies.go): what a batch of guard writes flushed
// together adds up to, certified on the day read, and the recount that
// checks them.

import (
	"database/sql"
	"maps"
	"slices"
	"testing"
	"time"

	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

func guardTallies(t *testing.T, s *store.Store) {
	carded := func(id, district, companyID, until string) store.Guard {
		g := guard(id, district, companyID, "h"+id, "active")
		g.CertificateNumber, g.CertificateValidUntil = "N"+id, until
		return g
	}
	in(t, s, func(tx *sql.Tx) error {
		for _, c := range []store.Company{company("c1", "north", "active"), company("c2", "north", "active"), company("c9", "south", "active")} {
			kit.Must(t, s.PutCompany(ctx, tx, c, seenAt))
		}
		// One batch, flushed once, as the projector writes a transaction's guards.
		tallies := store.NewGuardTallies()
		for _, g := range []store.Guard{carded("g1", "north", "c1", ""), carded("g2", "north", "c1", "2025-09-30"),
			carded("g3", "north", "c2", "2025-09-23"), carded("g4", "north", "c2", "2025-09-22"), carded("g5", "south", "c9", "2025-09-30")} {
			before, _, err := s.GuardState(ctx, tx, g.ID)
			kit.Must(t, err)
			kit.Must(t, s.PutGuardOver(ctx, tx, g, seenAt, before, tallies))
		}
		kit.Must(t, s.FlushGuardTallies(ctx, tx, tallies))
		// g5 moves to north's c2 and g3 leaves, each written alone.
		moved := carded("g5", "north", "c2", "2025-09-30")
		moved.Version = 2
		kit.Must(t, s.PutGuard(ctx, tx, moved, seenAt))
		left := carded("g3", "north", "c2", "2025-09-23")
		left.EmploymentStatus, left.ActiveSince, left.Version = "left", kit.At.AddDate(0, 0, 1), 2
		kit.Must(t, s.PutGuard(ctx, tx, left, seenAt))
		return nil
	})
	t.Run("A district's and a company's guards count certified while their certificate's last day is not past.", func(t *testing.T) {
		for _, tc := range []struct {
			today     string
			certified int64
		}{{"2025-09-22", 4}, {"2025-09-23", 3}, {"2025-09-30", 3}, {"2025-10-01", 1}} {
			got, err := s.Districts(ctx, tc.today)
			kit.Must(t, err)
			n := got["north"].Counts
			if n.GuardsActive != 4 || n.GuardsCertified != tc.certified || n.GuardsBadgeService != 3 || n.GuardsPartyMembers != 4 {
				t.Fatalf("north on %s: %+v, want 4 active, %d certified", tc.today, n, tc.certified)
			}
			if _, ok := got["south"]; !ok || got["south"].Counts.GuardsActive != 0 {
				t.Fatalf("south after its guard moved: %+v", got["south"])
			}
			kit.Must(t, s.VerifyGuardTallies(ctx, tc.today))
		}
		rows, err := s.Companies(ctx, "north", "2025-09-30", "", 10)
		kit.Must(t, err)
		got := map[string][2]int64{}
		for _, r := range rows {
			got[r.ID] = [2]int64{r.GuardsActive, r.GuardsCertified}
		}
		// On 09-30, c1: g1 (no end), g2 (its last day); c2: g4 (lapsed
		// 09-22), g5 (its last day).
		kit.Equal(t, "companies", got, map[string][2]int64{"c1": {2, 2}, "c2": {2, 1}})
	})
	t.Run("A write over a wrong prior state makes the tallies drift, and the recount says so.", func(t *testing.T) {
		in(t, s, func(tx *sql.Tx) error {
			again := carded("g1", "north", "c1", "")
			again.Version = 3
			// As if g1 were new: it is counted twice.
			return s.PutGuardOver(ctx, tx, again, seenAt, store.GuardState{}, nil)
		})
		if err := s.VerifyGuardTallies(ctx, today); err == nil {
			t.Fatal("tallies counting a guard twice passed the recount")
		}
		got, err := s.Districts(ctx, today)
		kit.Must(t, err)
		if got["north"].Counts.GuardsActive != 5 {
			t.Fatalf("north %+v", got["north"].Counts)
		}
	})
}

// certifiedAtRollover: the districts' certified guards stay exact around
// midnight in Asia/Shanghai, whichever day the writes were applied on (the
// day hq_district_certified was last moved to) and whichever day is read:
// a certificate counts through its last day and not from the next
// midnight there (16:00 UTC), a write just after that midnight (still the
// day before in UTC) moves the tallies' day, and writes of an earlier
// clock, or of none, keep them exact too.
func certifiedAtRollover(t *testing.T, s *store.Store) {
	sh := func(day string, h, m, sec int) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, day, service.Shanghai)
		kit.Must(t, err)
		return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
	}
	carded := func(id, until string, version int64) store.Guard {
		g := guard(id, "east", "c1", "h"+id, "active")
		g.CertificateNumber, g.CertificateValidUntil, g.Version = "N"+id, until, version
		return g
	}
	check := func(t *testing.T, when string, want map[string]int64) {
		t.Helper()
		for _, day := range slices.Sorted(maps.Keys(want)) {
			got, err := s.Districts(ctx, day)
			kit.Must(t, err)
			if n := got["east"].Counts.GuardsCertified; n != want[day] {
				t.Errorf("%s, read on %s: %d certified, want %d", when, day, n, want[day])
			}
			kit.Must(t, s.VerifyGuardTallies(ctx, day))
		}
	}
	in(t, s, func(tx *sql.Tx) error {
		kit.Must(t, s.PutCompany(ctx, tx, company("c1", "east", "active"), seenAt))
		// One batch applied at the last second of 09-30 there.
		tallies := store.NewGuardTallies()
		for _, g := range []store.Guard{carded("a", "2025-09-29", 1), carded("b", "2025-09-30", 1), carded("c", "2025-10-01", 1),
			carded("d", "2025-10-15", 1), carded("e", "", 1)} {
			before, _, err := s.GuardState(ctx, tx, g.ID)
			kit.Must(t, err)
			kit.Must(t, s.PutGuardOver(ctx, tx, g, sh("2025-09-30", 23, 59, 59), before, tallies))
		}
		return s.FlushGuardTallies(ctx, tx, tallies)
	})
	// b's last day is 09-30: counted on it, not on 10-01.
	check(t, "written on 09-30", map[string]int64{"2025-09-29": 5, "2025-09-30": 4, "2025-10-01": 3, "2025-10-02": 2, "2025-10-16": 1})

	// Midnight there, 16:00 UTC of 09-30: b renewed to 10-31, f hired with
	// a certificate ending 10-01.
	in(t, s, func(tx *sql.Tx) error {
		midnight := sh("2025-10-01", 0, 0, 0)
		if midnight.UTC().Format(time.DateOnly) != "2025-09-30" {
			t.Fatalf("midnight in Shanghai is %v UTC", midnight.UTC())
		}
		kit.Must(t, s.PutGuard(ctx, tx, carded("b", "2025-10-31", 2), midnight))
		return s.PutGuard(ctx, tx, carded("f", "2025-10-01", 1), midnight)
	})
	check(t, "written at midnight", map[string]int64{"2025-09-29": 6, "2025-09-30": 5, "2025-10-01": 5, "2025-10-02": 3, "2025-11-01": 1})

	// A write of a clock a day behind, and one that says no time.
	in(t, s, func(tx *sql.Tx) error {
		kit.Must(t, s.PutGuard(ctx, tx, carded("c", "2025-09-30", 2), sh("2025-09-29", 12, 0, 0)))
		kit.Must(t, s.PutGuard(ctx, tx, carded("g", "2025-10-02", 1), time.Time{}))
		// h's last day is the one the tallies were moved to just before.
		return s.PutGuard(ctx, tx, carded("h", "2025-09-29", 1), time.Time{})
	})
	check(t, "written a day behind, and at no time", map[string]int64{"2025-09-28": 8, "2025-09-29": 8, "2025-09-30": 6, "2025-10-01": 5,
		"2025-10-02": 4, "2025-10-03": 3, "2025-11-01": 1})

	// d leaves the next day: its end day stops counting on every day.
	in(t, s, func(tx *sql.Tx) error {
		left := carded("d", "2025-10-15", 2)
		left.EmploymentStatus = "left"
		return s.PutGuard(ctx, tx, left, sh("2025-10-02", 9, 0, 0))
	})
	check(t, "d left", map[string]int64{"2025-09-29": 7, "2025-09-30": 5, "2025-10-01": 4, "2025-10-02": 3, "2025-10-03": 2, "2025-11-01": 1})
}
