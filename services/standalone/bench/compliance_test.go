package bench

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance"
)

var (
	complianceGuards = flag.Int("bench.compliance-guards", 100000, "guards on the compliance scoreboard for the full recompute")
	complianceEvents = flag.Int("bench.compliance-events", 5000, "membership events applied in the per-event measurement")
)

// complianceGuardEvent is guard i's membership event at version v: hired,
// or updated with its badge toggled (a change that moves a count), or,
// every third guard, a training record.
func complianceGuardEvent(i int, v int64) *eventsv1.Envelope {
	g := &eventsv1.Guard{Id: fmt.Sprintf("g%06d", i), District: "jingkai", CompanyId: fmt.Sprintf("c%03d", i%200), EmploymentStatus: "active",
		BackgroundCheckStatus: []string{"passed", "pending"}[i%7/6], HasCertificate: true, CertificateValidUntil: "2029-12-31",
		BadgeService: (int64(i)+v)%2 == 0, PreJobTrained: true, Version: v}
	var typ string
	var m proto.Message
	switch {
	case v == 1:
		typ, m = eventsv1.TypeGuardHired, &eventsv1.GuardHired{Guard: g}
	case v == 2 && i%3 == 0:
		typ, m = eventsv1.TypeTrainingRecorded, &eventsv1.TrainingRecorded{Guard: g, TrainingType: "in_service", Hours: 24, TrainedOn: "2026-03-01"}
	default:
		typ, m = eventsv1.TypeGuardUpdated, &eventsv1.GuardUpdated{Guard: g, Fields: []string{"badge_service"}}
	}
	raw, _ := proto.Marshal(m)
	return &eventsv1.Envelope{EventId: fmt.Sprintf("ev-%d-%d", i, v), District: "jingkai", Service: "membership", Type: typ,
		AggregateType: "guard", AggregateId: g.Id, Sequence: v, SchemaVersion: 1, Payload: raw}
}

// BenchmarkComplianceScoreboard measures (1) the scoreboard's update per
// membership event, applied in batches of 100 in one transaction, by the
// scoreboard's batch path (ApplyMembershipBatch: counts in memory, written
// once per batch) and by the consumer's per-event path
// (ApplyMembershipEach, as the consumer applies each event of a fetched
// batch in a savepoint of one transaction), next to raw upserts of a row of the
// same width in batches of the same size; and (2) a full recompute of
// every guard (scan, score, rewrite the company counts) next to a raw scan
// of the same guard rows. Both databases use the same pragmas
// (synchronous=full, WAL).
func BenchmarkComplianceScoreboard(b *testing.B) {
	for range b.N {
		ctx := context.Background()
		day := time.Date(2026, 6, 10, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
		sealer, err := pii.NewSealer(map[string][]byte{"k1": []byte("bench-key-bench-key-bench-key-32")}, "k1")
		if err != nil {
			b.Fatal(err)
		}
		n, err := compliance.New(ctx, compliance.Config{District: "jingkai", DBPath: filepath.Join(b.TempDir(), "compliance.db"),
			Storage: storage.Config{Synchronous: "full"}, Sealer: sealer}, compliance.Deps{Now: func() time.Time { return day }})
		if err != nil {
			b.Fatal(err)
		}
		defer n.Close()
		// Seed: every guard hired, a third trained.
		guards := *complianceGuards
		const batch = 100
		var envs []*eventsv1.Envelope
		flush := func() {
			if err := n.ApplyMembershipBatch(ctx, envs); err != nil {
				b.Fatal(err)
			}
			envs = envs[:0]
		}
		seedStart := time.Now()
		for i := range guards {
			envs = append(envs, complianceGuardEvent(i, 1))
			if i%3 == 0 {
				envs = append(envs, complianceGuardEvent(i, 2))
			}
			if len(envs) >= 1000 {
				flush()
			}
		}
		flush()
		seed := time.Since(seedStart)
		// The seed's WAL is checkpointed now, not during whichever
		// measurement comes first.
		if _, err := n.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			b.Fatal(err)
		}

		// (1) Per event, batches of 100: (a) the scoreboard's batch path
		// (counts in memory, written once per batch); (b) the consumer's
		// path, each event applied on its own in one transaction of 100.
		events := *complianceEvents
		perEventPath := func(phase int, apply func(context.Context, []*eventsv1.Envelope) error) (wall, cpu time.Duration) {
			t0, c0 := time.Now(), processCPU()
			for k := range events {
				i := (k * 7919) % guards
				envs = append(envs, complianceGuardEvent(i, int64(3+phase+k/guards)))
				if len(envs) == batch {
					if err := apply(ctx, envs); err != nil {
						b.Fatal(err)
					}
					envs = envs[:0]
				}
			}
			if len(envs) > 0 {
				if err := apply(ctx, envs); err != nil {
					b.Fatal(err)
				}
				envs = envs[:0]
			}
			return time.Since(t0) / time.Duration(events), (processCPU() - c0) / time.Duration(events)
		}
		perEvent, perEventCPU := perEventPath(0, n.ApplyMembershipBatch)
		perEventEach, perEventEachCPU := perEventPath(1, n.ApplyMembershipEach)
		rawPerRow, _ := rawUpserts(b, events, batch)
		rawSpread, rawSpreadCPU := rawUpsertsInto(b, events, batch, guards)

		// (2) Full recompute vs raw scan.
		t1 := time.Now()
		if err := n.Recompute(ctx); err != nil {
			b.Fatal(err)
		}
		recompute := time.Since(t1)
		t2 := time.Now()
		rows := rawGuardScan(b, n.DB())
		scan := time.Since(t2)
		if rows != guards {
			b.Fatalf("raw scan read %d rows, want %d", rows, guards)
		}

		us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
		b.ReportMetric(us(perEvent), "event_µs")
		b.ReportMetric(us(perEventEach), "event_consumer_µs")
		b.ReportMetric(us(rawPerRow), "raw_upsert_µs")
		b.ReportMetric(us(rawSpread), "raw_spread_upsert_µs")
		b.ReportMetric(us(perEventCPU), "event_cpu_µs")
		b.ReportMetric(us(perEventEachCPU), "event_consumer_cpu_µs")
		b.ReportMetric(us(rawSpreadCPU), "raw_spread_upsert_cpu_µs")
		b.ReportMetric(ms(recompute), "recompute_ms")
		b.ReportMetric(ms(scan), "raw_scan_ms")
		b.ReportMetric(float64(recompute)/float64(scan), "recompute/scan")
		fmt.Printf("compliance scoreboard: %d guards seeded in %.1f s | per membership event (batches of %d, 1 tx each): batch path %.1f µs, consumer's per-event path %.1f µs | raw upsert of a row as wide (same batches): %.1f µs | ratios %.2f, %.2f\n",
			guards, seed.Seconds(), batch, us(perEvent), us(perEventEach), us(rawPerRow), float64(perEvent)/float64(rawPerRow), float64(perEventEach)/float64(rawPerRow))
		fmt.Printf("compliance scoreboard: raw upsert of a random row of a %d-row table (same batches, the rows the measurement updates): %.1f µs | ratios %.2f, %.2f\n",
			guards, us(rawSpread), float64(perEvent)/float64(rawSpread), float64(perEventEach)/float64(rawSpread))
		if rawSpreadCPU > 0 {
			fmt.Printf("compliance scoreboard: CPU per event (process user+sys): batch path %.1f µs, consumer's path %.1f µs | raw upsert of a random row %.1f µs | ratios %.2f, %.2f\n",
				us(perEventCPU), us(perEventEachCPU), us(rawSpreadCPU), float64(perEventCPU)/float64(rawSpreadCPU), float64(perEventEachCPU)/float64(rawSpreadCPU))
		}
		fmt.Printf("compliance scoreboard: full recompute of %d guards: %.0f ms | raw scan of the same rows: %.0f ms | ratio recompute/scan %.2f\n",
			guards, ms(recompute), ms(scan), float64(recompute)/float64(scan))
	}
}

// rawUpserts upserts n rows as wide as the scoreboard's guard row, in
// transactions of batch rows, and returns the time and the CPU time per
// row.
func rawUpserts(b *testing.B, n, batch int) (wall, cpu time.Duration) {
	return rawUpsertsInto(b, n, batch, 0)
}

// rawUpsertsInto is rawUpserts into a table first filled with rows rows,
// upserting the rows the scoreboard's measurement updates (spread over
// the table, as a district's guards are): what it costs to rewrite one
// random guard row in a table of that size.
func rawUpsertsInto(b *testing.B, n, batch, rows int) (wall, cpu time.Duration) {
	b.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(b.TempDir(), "raw.db"), storage.Config{Synchronous: "full"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE g (id TEXT PRIMARY KEY, company_id TEXT, employment_status TEXT, background_check_status TEXT,
		has_certificate INTEGER, certificate_valid_until TEXT, badge_service INTEGER, pre_job_trained INTEGER, version INTEGER,
		pre_job_hours REAL, year TEXT, year_pre_job_hours REAL, year_in_service_hours REAL)`); err != nil {
		b.Fatal(err)
	}
	upsert := func(tx *sql.Tx, id int, v int) error {
		_, err := tx.Exec(`INSERT INTO g VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET version = excluded.version,
			badge_service = excluded.badge_service`, fmt.Sprintf("g%06d", id), "c001", "active", "passed", 1, "2029-12-31", v%2, 1, v, 0.0, "2026", 0.0, 24.0)
		return err
	}
	for k := 0; k < rows; k += 5000 {
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			for j := k; j < min(rows, k+5000); j++ {
				if err := upsert(tx, j, 1); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	start, cpu0 := time.Now(), processCPU()
	for k := 0; k < n; k += batch {
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			for j := k; j < min(n, k+batch); j++ {
				id := j
				if rows > 0 {
					id = (j * 7919) % rows
				}
				if err := upsert(tx, id, j+2); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / time.Duration(n), (processCPU() - cpu0) / time.Duration(n)
}

// rawGuardScan reads every column of every scoreboard guard row, doing
// nothing with them.
func rawGuardScan(b *testing.B, db *storage.DB) int {
	b.Helper()
	rows, err := db.Query(`SELECT id, company_id, employment_status, background_check_status, has_certificate, certificate_valid_until,
		badge_service, pre_job_trained, version, pre_job_hours, year, year_pre_job_hours, year_in_service_hours FROM guards`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		var id, co, st, bg, until, year string
		var cert, badge, pre int
		var v int64
		var h1, h2, h3 float64
		if err := rows.Scan(&id, &co, &st, &bg, &cert, &until, &badge, &pre, &v, &h1, &year, &h2, &h3); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}
