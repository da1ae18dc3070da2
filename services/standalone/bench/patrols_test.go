package bench

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/patrols"
)

var (
	scanCount  = flag.Int("bench.scans", 4000, "online scans per run of the scan benchmark")
	scanGuards = flag.Int("bench.scan-guards", 4, "guards (concurrent clients, one device each) in the scan benchmark")
)

// patrolWorld is a patrols node on HTTP with a National Day shift of 24
// hours touring 50 checkpoints of one key area, every bench guard on it.
type patrolWorld struct {
	node *patrols.Node
	url  string
	tags []string
	locs []map[string]float64
	day  time.Time
}

func newPatrolWorld(b *testing.B, guards int) *patrolWorld {
	b.Helper()
	ctx := context.Background()
	day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	// The clock stands at the shift's last minute: every scan of the run is
	// inside the shift and none is in the future.
	now := day.Add(24*time.Hour - time.Minute)
	node, err := patrols.New(ctx, patrols.Config{District: "jingkai", DBPath: filepath.Join(b.TempDir(), "patrols.db"),
		Storage: storage.Config{Synchronous: "full"}}, patrols.Deps{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = node.Close() })
	// The services' own HTTP stack (access log, authorization, decoding,
	// validation, the transaction with its outbox rows); the principal
	// comes from test headers, so JWT verification (a cached token costs
	// 2–3 µs: see the auth benchmark) is not in the figure.
	srv := httptest.NewServer(telemetry.HTTPMiddleware(testutil.WithHeaderPrincipal(b, node.Handler(), "jingkai"), slog.New(slog.DiscardHandler)))
	b.Cleanup(srv.Close)
	w := &patrolWorld{node: node, url: srv.URL + "/api/v1/districts/jingkai", day: day}
	hq := testutil.PrincipalHeaders(auth.Principal{Role: auth.RoleHQAdmin}, "bench")
	do := func(path string, body, out any, hdr ...string) {
		r, err := testutil.Send(ctx, http.DefaultClient, "POST", w.url+path, body, hdr...)
		if err != nil || r.Status != http.StatusCreated {
			b.Fatalf("POST %s: %v %d %s", path, err, r.Status, r.Body)
		}
		if out != nil {
			r.Decode(b, out)
		}
	}
	for g := range guards {
		if err := node.ApplyGuard(ctx, patrols.Guard{ID: fmt.Sprintf("g%d", g), CompanyID: "c1", EmploymentStatus: "active", VolunteerPolice: true,
			HasCertificate: true, BackgroundCheckStatus: "passed", Version: 1}); err != nil {
			b.Fatal(err)
		}
	}
	var team, area, plan, shift struct{ ID string }
	do("/teams", map[string]any{"name": "bench", "leader_guard_id": "g0"}, &team, hq...)
	for g := 1; g < guards; g++ {
		do("/teams/"+team.ID+"/members", map[string]string{"guard_id": fmt.Sprintf("g%d", g)}, nil, hq...)
	}
	do("/areas", map[string]any{"name": "bench", "shape": "circle", "center": map[string]float64{"lat": 30.5, "lng": 114.2}, "radius_m": 2000}, &area, hq...)
	var route []string
	for i := range 50 {
		loc := map[string]float64{"lat": 30.5 + float64(i)*0.0002, "lng": 114.2}
		var cp struct{ ID string }
		tag := fmt.Sprintf("QR-bench-%04d", i)
		do("/areas/"+area.ID+"/checkpoints", map[string]any{"name": tag, "tag_kind": "qr", "tag_value": tag, "location": loc}, &cp, hq...)
		route = append(route, cp.ID)
		w.tags, w.locs = append(w.tags, tag), append(w.locs, loc)
	}
	do("/plans", map[string]any{"name": "bench", "area_id": area.ID, "starts_at": day, "ends_at": day.Add(24 * time.Hour)}, &plan, hq...)
	do("/plans/"+plan.ID+"/shifts", map[string]any{"starts_at": day, "ends_at": day.Add(24 * time.Hour), "required": guards, "route": route, "expected_scans": 1}, &shift, hq...)
	for g := range guards {
		do("/shifts/"+shift.ID+"/assignments", map[string]string{"guard_id": fmt.Sprintf("g%d", g)}, nil, hq...)
	}
	return w
}

// scan is guard's i-th scan: checkpoint i mod 50, 2 s after the one
// before, so the same checkpoint comes round every 100 s (no repeat).
func (w *patrolWorld) scan(i int) map[string]any {
	return map[string]any{"tag": w.tags[i%50], "device_seq": i + 1, "scanned_at": w.day.Add(time.Duration(i) * 2 * time.Second),
		"location": w.locs[i%50], "accuracy_m": 8}
}

func guardHeaders(g int) []string {
	id := fmt.Sprintf("g%d", g)
	return testutil.PrincipalHeaders(auth.Principal{Role: auth.RoleGuard, Districts: []string{"jingkai"}, Company: "c1", Guard: id}, id)
}

// BenchmarkCheckpointScans measures online checkpoint scans accepted
// through the HTTP API (the whole judgement: tag, shift, assignment,
// distance, repeat, duplicate, the scan row and its CheckpointScanned
// outbox event in one transaction), with -bench.scan-guards clients at
// once, against the raw insert of the same rows (one transaction each,
// same pragmas); then one offline batch of 1,000 scans end to end against
// the raw insert of its rows in one transaction.
func BenchmarkCheckpointScans(b *testing.B) {
	for range b.N {
		ctx := context.Background()
		guards := *scanGuards
		w := newPatrolWorld(b, guards+1) // the last guard uploads the batch
		per := *scanCount / guards
		n := per * guards
		lat := make(latencies, n)
		errc := make(chan error, guards)
		var wg sync.WaitGroup
		start := time.Now()
		for g := range guards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hdr := guardHeaders(g)
				for i := range per {
					body := w.scan(i)
					body["guard_id"], body["device_id"], body["device_time"] = fmt.Sprintf("g%d", g), fmt.Sprintf("phone-%d", g), w.day.Add(24*time.Hour-time.Minute)
					t0 := time.Now()
					r, err := testutil.Send(ctx, http.DefaultClient, "POST", w.url+"/scans", body, hdr...)
					if err != nil || r.Status != http.StatusCreated {
						errc <- fmt.Errorf("scan %d of g%d: %v %d %s", i, g, err, r.Status, r.Body)
						return
					}
					lat[g*per+i] = time.Since(t0)
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		select {
		case err := <-errc:
			b.Fatal(err)
		default:
		}
		apiRate := float64(n) / elapsed.Seconds()
		rawRate := rawScanInserts(b, n, false)
		fmt.Printf("checkpoint scans: API %d scans, %d guards at once: %.0f scans/s, p50 %.2f ms, p99 %.2f ms | raw SQLite insert of the same rows (synchronous=full, 1 tx each): %.0f rows/s | ratio API/raw %.2f\n",
			n, guards, apiRate, ms(lat.quantile(0.5)), ms(lat.quantile(0.99)), rawRate, apiRate/rawRate)
		b.ReportMetric(apiRate, "scans/s")
		b.ReportMetric(ms(lat.quantile(0.99)), "scan_p99_ms")
		b.ReportMetric(apiRate/rawRate, "api/raw")

		// One offline batch of 1,000 scans, the request to its answer.
		items := make([]map[string]any, 1000)
		for i := range items {
			items[i] = w.scan(i)
		}
		batch := map[string]any{"guard_id": fmt.Sprintf("g%d", guards), "device_id": "phone-batch", "device_time": w.day.Add(24*time.Hour - time.Minute), "scans": items}
		t0 := time.Now()
		r, err := testutil.Send(ctx, http.DefaultClient, "POST", w.url+"/scans/batch", batch, guardHeaders(guards)...)
		took := time.Since(t0)
		var res struct{ Accepted int }
		if err != nil || r.Status != http.StatusOK {
			b.Fatalf("batch: %v %d %s", err, r.Status, r.Body)
		}
		r.Decode(b, &res)
		if res.Accepted != 1000 {
			b.Fatalf("batch accepted %d of 1000", res.Accepted)
		}
		rawBatch := rawScanInserts(b, 1000, true)
		fmt.Printf("offline batch: 1,000 scans in one upload: %.0f ms end to end (%.0f scans/s) | raw SQLite insert of the same rows in one tx: %.0f rows/s | ratio %.3f\n",
			ms(took), 1000/took.Seconds(), rawBatch, (1000/took.Seconds())/rawBatch)
		b.ReportMetric(ms(took), "batch1000_ms")
	}
}

// rawScanInserts inserts n rows of a scan's width (with its unique device
// key), one transaction each or all in one, with the services' pragmas,
// and returns rows per second.
func rawScanInserts(b *testing.B, n int, oneTx bool) float64 {
	b.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("raw-scans-%v.db", oneTx)), storage.Config{Synchronous: "full"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE s (id TEXT PRIMARY KEY, shift_id TEXT, guard_id TEXT, checkpoint_id TEXT, scanned_at TEXT, device_time TEXT,
		received_at TEXT, lat REAL, lng REAL, accuracy_m REAL, distance_m REAL, device_id TEXT, device_seq INTEGER, mock INTEGER, offline INTEGER,
		skewed INTEGER, corrected INTEGER, offset_s INTEGER, UNIQUE (device_id, device_seq))`); err != nil {
		b.Fatal(err)
	}
	insert := func(tx *sql.Tx, i int) error {
		now := time.Now().UTC().Format(time.RFC3339Nano)
		_, err := tx.Exec(`INSERT INTO s VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, fmt.Sprintf("s%d", i), "shift", "g1", "cp", now, now, now,
			30.5, 114.2, 8.0, 0.0, "phone", i, 0, 0, 0, 0, 0)
		return err
	}
	start := time.Now()
	if oneTx {
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			for i := range n {
				if err := insert(tx, i); err != nil {
					return err
				}
			}
			return nil
		})
	} else {
		for i := 0; i < n && err == nil; i++ {
			err = db.InTx(ctx, func(tx *sql.Tx) error { return insert(tx, i) })
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	return float64(n) / time.Since(start).Seconds()
}
