package projector_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
)

// TestGuardTalliesEqualARecount applies a random sequence of guard events —
// hires, updates, leaves and rehires, transfers between companies (and the
// odd one between districts), certificates gaining and losing end dates,
// duplicates and stale versions, ids and certificate numbers shared so
// conflicts appear and clear — in transactions of random size, some inside
// a consumer's scope (Batch) and some not, some rolled back, and after each
// holds the kept guard tallies equal to a count of hq_guards from scratch
// (on several days, since certified-on-duty depends on the day) and the
// conflict tallies equal to the conflicts rebuilt from the records.
func TestGuardTalliesEqualARecount(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 13))
			db, st := open(t)
			p := projector.New(st, nil, nil)
			ctx := context.Background()
			districts := []string{"north", "south", "east"}
			until := []string{"", "2020-01-01", "2026-12-01", "2026-12-02", "2027-06-30", "2099-01-01"}
			days := []string{"2019-01-01", "2026-12-02", "2026-12-03", "2030-01-01"}
			versions := map[string]int64{}
			undo := errors.New("rolled back")
			event := func() *eventsv1.Envelope {
				id := fmt.Sprintf("g%d", r.IntN(40))
				d := districts[r.IntN(len(districts))]
				if r.IntN(10) > 0 { // most guards stay in one district
					d = districts[int(id[1]-'0')%len(districts)]
				}
				v := versions[id]
				switch r.IntN(10) {
				case 0: // a duplicate or a stale snapshot
				case 1:
					v = max(v-1, 1)
				default:
					v++
					versions[id] = v
				}
				status := []string{"active", "active", "active", "left", "suspended"}[r.IntN(5)]
				opts := []guardOpt{func(g *eventsv1.Guard) {
					g.BackgroundCheckStatus = []string{"passed", "pending", ""}[r.IntN(3)]
					g.PreJobTrained, g.BadgeService = r.IntN(2) == 0, r.IntN(2) == 0
					g.VolunteerPolice, g.PartyMember = r.IntN(3) == 0, r.IntN(4) == 0
					if r.IntN(3) > 0 {
						g.HasCertificate = true
						g.CertificateNumber = fmt.Sprintf("cert%d", r.IntN(25))
						g.CertificateValidUntil = until[r.IntN(len(until))]
					}
				}}
				return guard(d, id, fmt.Sprintf("c%d", r.IntN(6)), fmt.Sprintf("h%d", r.IntN(30)), status, v, opts...)
			}
			for round := range 60 {
				events := make([]*eventsv1.Envelope, 1+r.IntN(20))
				for i := range events {
					events[i] = event()
				}
				scoped, rollback := r.IntN(3) > 0, r.IntN(6) == 0
				err := db.InTx(ctx, func(tx *sql.Tx) error {
					actx, flush := ctx, func(context.Context, *sql.Tx) error { return nil }
					if scoped {
						actx, flush = p.Batch(ctx)
					}
					for _, e := range events {
						if _, err := p.Apply(actx, tx, e); err != nil {
							return err
						}
					}
					if err := flush(actx, tx); err != nil {
						return err
					}
					if rollback {
						return undo
					}
					return nil
				})
				if err != nil && !errors.Is(err, undo) {
					t.Fatalf("round %d: %v", round, err)
				}
				for _, day := range days {
					if err := st.VerifyGuardTallies(ctx, day); err != nil {
						t.Fatalf("round %d, on %s: %v", round, day, err)
					}
				}
				conflicts, err := st.Conflicts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				rebuilt := map[string]int64{}
				for _, c := range conflicts {
					rebuilt[c.Kind]++
				}
				kept, err := st.ConflictTallies(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, kind := range []string{"person", "certificate_number"} {
					if kept[kind].Count != rebuilt[kind] {
						t.Fatalf("round %d: %s conflicts kept %d, rebuilt %d", round, kind, kept[kind].Count, rebuilt[kind])
					}
				}
			}
			// The sequence must have exercised what it claims to.
			var active, ends, conflicts int
			if err := db.QueryRow(`SELECT (SELECT count(*) FROM hq_guards WHERE employment_status = 'active'),
				(SELECT count(*) FROM hq_district_certificate_ends WHERE active > 0),
				(SELECT count(*) FROM hq_conflicts)`).Scan(&active, &ends, &conflicts); err != nil {
				t.Fatal(err)
			}
			if active == 0 || ends == 0 || conflicts == 0 {
				t.Fatalf("a weak sequence: %d active guards, %d certificate end days, %d conflicts", active, ends, conflicts)
			}
		})
	}
}
