package projector_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
)

// TestBulkGuardsEqualOneByOne applies the same random sequence of events
// twice: once one event at a time (no transaction scope: each guard read,
// compared and written on its own, PutGuardOver), once in a consumer's
// scope (Batch), where guard events are kept and applied in bulk
// (store.ApplyGuards) before the next company event and at the flush. The
// sequence has hires, updates, leaves and rehires, transfers between
// companies and districts, duplicates and stale versions, id hashes and
// certificate numbers shared so conflicts appear, clear and appear again
// within one batch, company events in between, and batches rolled back.
// After every batch both read models must be identical, table by table
// (conflicts' first-seen times included: the clock moves on every event),
// and so must the Applied metric.
func TestBulkGuardsEqualOneByOne(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 26))
			ctx := context.Background()
			type side struct {
				db  *storage.DB
				p   *projector.Projector
				now time.Time
			}
			var sides [2]*side
			for i := range sides {
				db, st := open(t)
				s := &side{db: db, p: projector.New(st, nil, projector.NewMetrics(prometheus.NewRegistry())), now: t0}
				s.p.SetClock(func() time.Time { s.now = s.now.Add(time.Second); return s.now })
				sides[i] = s
			}
			districts := []string{"north", "south", "east"}
			until := []string{"", "2020-01-01", "2026-12-02", "2099-01-01"}
			versions := map[string]int64{}
			var companyVersion int64
			event := func() *eventsv1.Envelope {
				if r.IntN(12) == 0 {
					companyVersion++
					d := districts[r.IntN(len(districts))]
					return company(d, fmt.Sprintf("%s-c%d", d, r.IntN(3)), "active", companyVersion, false, false, false, "")
				}
				id := fmt.Sprintf("g%d", r.IntN(30))
				d := districts[int(id[1]-'0')%len(districts)]
				if r.IntN(8) == 0 { // a transfer to another district
					d = districts[r.IntN(len(districts))]
				}
				v := versions[id]
				switch r.IntN(8) {
				case 0: // a duplicate of the latest version
				case 1: // a stale one
					v = max(v-1-int64(r.IntN(3)), 1)
				default:
					v++
					versions[id] = v
				}
				status := []string{"active", "active", "active", "left", "suspended"}[r.IntN(5)]
				return guard(d, id, fmt.Sprintf("%s-c%d", d, r.IntN(3)), fmt.Sprintf("h%d", r.IntN(12)), status, max(v, 1),
					func(g *eventsv1.Guard) {
						g.BackgroundCheckStatus = []string{"passed", "pending"}[r.IntN(2)]
						g.PreJobTrained, g.BadgeService, g.PartyMember = r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(3) == 0
						if r.IntN(5) == 0 {
							g.HiredOn = "" // the event's time stands in
						}
						if r.IntN(3) > 0 {
							g.HasCertificate = true
							g.CertificateNumber = fmt.Sprintf("cert%d", r.IntN(10))
							g.CertificateValidUntil = until[r.IntN(len(until))]
						}
					})
			}
			undo := errors.New("rolled back")
			var applied [2]int
			for round := range 80 {
				events := make([]*eventsv1.Envelope, 1+r.IntN(40))
				for i := range events {
					events[i] = event()
				}
				rollback := r.IntN(8) == 0
				for i, s := range sides {
					err := s.db.InTx(ctx, func(tx *sql.Tx) error {
						actx, flush := ctx, func(context.Context, *sql.Tx) error { return nil }
						if i == 1 {
							actx, flush = s.p.Batch(ctx)
						}
						for _, e := range events {
							if _, err := s.p.Apply(actx, tx, e); err != nil {
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
						t.Fatalf("round %d, side %d: %v", round, i, err)
					}
				}
				if a, b := dump(t, sides[0].db), dump(t, sides[1].db); a != b {
					t.Fatalf("round %d: the read models differ\none by one:\n%s\nbulk:\n%s", round, a, b)
				}
				for i, s := range sides {
					applied[i] = 0
					for _, d := range districts {
						applied[i] += int(testutil.ToFloat64(s.p.Metrics().Applied.WithLabelValues(d)))
					}
				}
				if applied[0] != applied[1] {
					t.Fatalf("round %d: applied %d one by one, %d in bulk", round, applied[0], applied[1])
				}
			}
			// The sequence must have exercised what it claims to.
			var conflicts, guards int
			if err := sides[1].db.QueryRow(`SELECT (SELECT count(*) FROM hq_conflicts),
				(SELECT count(*) FROM hq_guards WHERE employment_status = 'active')`).Scan(&conflicts, &guards); err != nil {
				t.Fatal(err)
			}
			if conflicts == 0 || guards == 0 || applied[1] == 0 {
				t.Fatalf("a weak sequence: %d conflicts, %d active guards, %d applied", conflicts, guards, applied[1])
			}
		})
	}
}

// dump is every hq_ table of db, a sorted line per row; the tallies
// without their all-zero rows (one path may leave a row it took back to
// zero, the other never write it).
func dump(t *testing.T, db *storage.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'hq\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	where := map[string]string{
		"hq_guard_tallies": ` WHERE active <> 0 OR background_checked <> 0 OR trained <> 0 OR certified_open <> 0
			OR badge_service <> 0 OR volunteer_police <> 0 OR party_members <> 0`,
		"hq_guard_certificate_ends":    ` WHERE active <> 0`,
		"hq_district_certificate_ends": ` WHERE active <> 0`,
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM ` + table + where[table])
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%v", vals))
		}
		rows.Close()
		slices.Sort(lines)
		for _, l := range lines {
			fmt.Fprintf(&b, "%s: %s\n", table, l)
		}
	}
	return b.String()
}
