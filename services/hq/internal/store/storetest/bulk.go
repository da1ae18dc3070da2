package storetest

// Guards in bulk (store.ApplyGuards, guards.go): a transaction's guard
// snapshots applied in order with a few multi-row statements, with the
// effect of writing them one by one.

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	kit "github.com/guildhall/guildhall/pkg/storetest"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	"github.com/guildhall/guildhall/services/hq/internal/store"
)

func bulkGuards(t *testing.T, s *store.Store) {
	at := func(i int) time.Time { return seenAt.Add(time.Duration(i) * time.Second) }
	w := func(id, district, hash, status, cert string, v int64, i int) store.GuardWrite {
		g := guard(id, district, "c1", hash, status)
		g.CertificateNumber, g.Version = cert, v
		if status == "active" {
			g.ActiveSince = at(i) // the start it takes if this write makes it active
		}
		return store.GuardWrite{G: g, At: at(i)}
	}
	var applied []bool
	in(t, s, func(tx *sql.Tx) error {
		writes := []store.GuardWrite{
			w("g1", "north", "h1", "active", "N1", 1, 1),
			w("g2", "south", "h1", "active", "", 1, 2), // h1 in two districts: a conflict
			w("g2", "south", "h1", "left", "", 2, 3),   // it ends
			w("g2", "south", "h1", "active", "", 3, 4), // and begins again
			w("g1", "north", "h1", "active", "N1", 1, 5),
			w("g3", "north", "h3", "active", "N1", 2, 6), // N1 held by two people
			w("g3", "north", "h3", "active", "N1", 1, 7),
			w("g1", "north", "h1", "active", "N1", 2, 8), // still active: keeps its start
		}
		// More guards than one statement writes (64), to cross chunks.
		for i := range 130 {
			writes = append(writes, w(fmt.Sprintf("b%03d", i), "north", fmt.Sprintf("hb%d", i), "active", fmt.Sprintf("NB%d", i), 1, 10+i))
		}
		tallies := store.NewGuardTallies()
		var err error
		applied, err = s.ApplyGuards(ctx, tx, writes, tallies)
		kit.Must(t, err)
		return s.FlushGuardTallies(ctx, tx, tallies)
	})
	t.Run("A write applies only over an older version, in the order given.", func(t *testing.T) {
		kit.Equal(t, "applied", applied[:8], []bool{true, true, true, true, false, true, false, true})
		in(t, s, func(tx *sql.Tx) error {
			for id, want := range map[string][2]any{"g1": {int64(2), at(1)}, "g2": {int64(3), at(4)}, "g3": {int64(2), at(6)}, "b129": {int64(1), at(139)}} {
				st, found, err := s.GuardState(ctx, tx, id)
				kit.Must(t, err)
				if !found || st.Version != want[0] || !st.ActiveSince.Equal(want[1].(time.Time)) {
					t.Errorf("%s: %+v (found %v), want version %v active since %v", id, st, found, want[0], want[1])
				}
			}
			return nil
		})
	})
	t.Run("Conflicts are first seen at the write that made them, again after one ended.", func(t *testing.T) {
		cs, err := s.Conflicts(ctx)
		kit.Must(t, err)
		got := map[string]time.Time{}
		for _, c := range cs {
			got[c.Kind+" "+c.IDHash+c.CertificateNumber] = *c.FirstSeenAt
		}
		kit.Equal(t, "conflicts", got, map[string]time.Time{
			service.ConflictPerson + " h1": at(4), service.ConflictCertificateNumber + " N1": at(6)})
		tallied, err := s.ConflictTallies(ctx)
		kit.Must(t, err)
		kit.Equal(t, "person conflicts", tallied[service.ConflictPerson].Count, int64(1))
	})
	t.Run("The tallies equal a recount.", func(t *testing.T) {
		kit.Must(t, s.VerifyGuardTallies(ctx, today))
		d, err := s.Districts(ctx, today)
		kit.Must(t, err)
		kit.Equal(t, "north's active guards", d["north"].Counts.GuardsActive, int64(132))
	})
	t.Run("A later batch clears what it ends and leaves the rest.", func(t *testing.T) {
		in(t, s, func(tx *sql.Tx) error {
			tallies := store.NewGuardTallies()
			applied, err := s.ApplyGuards(ctx, tx, []store.GuardWrite{
				w("g3", "north", "h3", "left", "N1", 3, 200), w("g2", "south", "h1", "active", "", 3, 201)}, tallies)
			kit.Must(t, err)
			kit.Equal(t, "applied", applied, []bool{true, false})
			return s.FlushGuardTallies(ctx, tx, tallies)
		})
		tallied, err := s.ConflictTallies(ctx)
		kit.Must(t, err)
		kit.Equal(t, "certificate conflicts", tallied[service.ConflictCertificateNumber].Count, int64(0))
		kit.Equal(t, "person conflicts", tallied[service.ConflictPerson].Count, int64(1))
		kit.Must(t, s.VerifyGuardTallies(ctx, today))
	})
}
