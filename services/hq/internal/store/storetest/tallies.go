package storetest

// The guard tallies (tallies.go): what a batch of guard writes flushed
// together adds up to, certified on the day read, and the recount that
// checks them.

import (
	"database/sql"
	"testing"

	kit "github.com/guildhall/guildhall/pkg/storetest"
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
