package hq

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

var (
	readDistricts = flag.Int("bench.read.districts", 20, "districts in BenchmarkSummaryRead's read model")
	readGuards    = flag.Int("bench.read.guards", 10000, "guards per district in BenchmarkSummaryRead's read model")
	readReaders   = flag.Int("bench.read.readers", 50, "concurrent readers of BenchmarkSummaryRead's second part")
	readFor       = flag.Duration("bench.read.for", 5*time.Second, "how long BenchmarkSummaryRead's concurrent readers read")
	readWrites    = flag.Int("bench.read.writes", 300, "guard events a second a writer applies during BenchmarkSummaryRead's second run of the concurrent readers (0: no such run)")
	readMaxConns  = flag.Int("bench.read.max-conns", 0, "SQLite connections BenchmarkSummaryRead's concurrent readers may open (0: as many as they want, HQ's setting)")
)

// BenchmarkSummaryRead fills HQ's read model with -bench.read.districts ×
// -bench.read.guards guards (1,000 a company, every other one holding a
// certificate with an end date) through the projector, then reads the
// summary and one district view through HQ's handler, one reader at a
// time: the cost of a read itself, without the city benchmark's processes
// and readers around it. It reports each read's median and p99 next to an
// empty handler's (the HTTP floor of the same test server).
func BenchmarkSummaryRead(b *testing.B) {
	ctx := context.Background()
	var ds []config.District
	for i := range *readDistricts {
		ds = append(ds, config.District{ID: fmt.Sprintf("d%02d", i+1), Name: fmt.Sprint("D", i+1)})
	}
	n, err := New(ctx, Config{DBPath: filepath.Join(b.TempDir(), "hq.db"), Brokers: []string{"127.0.0.1:1"}},
		Deps{Districts: &fakeRegistry{initial: ds, updates: make(chan []config.District)}})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	n.newConsumer = func(d, svc string) (consumer, error) {
		return &fakeConsumer{lag: new(atomic.Int64), stopped: make(chan struct{})}, nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = n.Run(runCtx) }()
	start := time.Now()
	for _, d := range ds {
		companies := (*readGuards + 999) / 1000
		var events []*eventsv1.Envelope
		for c := range companies {
			id := fmt.Sprintf("%s-c%03d", d.ID, c)
			events = append(events, readEnv(b, d.ID, "CompanyRegistered", id, &eventsv1.CompanyRegistered{Company: &eventsv1.Company{
				Id: id, District: d.ID, Name: id, CreditCode: id, Status: "active", Version: 1}}))
		}
		for g := range *readGuards {
			id := fmt.Sprintf("%s-g%06d", d.ID, g)
			guard := &eventsv1.Guard{Id: id, District: d.ID, CompanyId: fmt.Sprintf("%s-c%03d", d.ID, g/1000),
				IdHash: id, EmploymentStatus: "active", HiredOn: "2025-01-02", BackgroundCheckStatus: "passed",
				PreJobTrained: g%3 > 0, Version: 1}
			if g%2 == 0 {
				guard.HasCertificate, guard.CertificateNumber = true, "cert-"+id
				guard.CertificateValidUntil = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g%1500).Format(time.DateOnly)
			}
			events = append(events, readEnv(b, d.ID, "GuardHired", id, &eventsv1.GuardHired{Guard: guard}))
		}
		for len(events) > 0 {
			batch := events[:min(len(events), 2000)]
			events = events[len(batch):]
			if err := n.db.InTx(ctx, func(tx *sql.Tx) error {
				bctx, flush := n.proj.Batch(ctx)
				for _, e := range batch {
					if _, err := n.proj.Apply(bctx, tx, e); err != nil {
						return err
					}
				}
				return flush(bctx, tx)
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	fill := time.Since(start)
	srv := httptest.NewServer(asHQAdmin(n.Handler()))
	defer srv.Close()
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) }))
	defer floor.Close()
	get := func(base, path string) time.Duration {
		t0 := time.Now()
		resp, err := srv.Client().Get(base + path)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		return time.Since(t0)
	}
	b.ResetTimer()
	for _, path := range []string{"/api/v1/hq/summary", "/api/v1/hq/districts/d01"} {
		var hq, fl []time.Duration
		for range max(b.N, 30) {
			hq = append(hq, get(srv.URL, path))
			fl = append(fl, get(floor.URL, path))
		}
		q := func(ds []time.Duration, p float64) float64 {
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000
		}
		fmt.Printf("read model of %d districts × %d guards (filled in %v): GET %s p50 %.2f ms, p99 %.2f ms | empty handler p50 %.2f ms, p99 %.2f ms\n",
			len(ds), *readGuards, fill.Round(time.Millisecond), path, q(hq, 0.5), q(hq, 0.99), q(fl, 0.5), q(fl, 0.99))
	}
	// The same reads from -bench.read.readers readers at once (the summary
	// and every district's view in turn), next to as many readers of the
	// empty handler: what concurrency costs in the process itself, and how
	// many SQLite connections the readers open.
	paths := []string{"/api/v1/hq/summary"}
	for _, d := range ds {
		paths = append(paths, "/api/v1/hq/districts/"+d.ID)
	}
	load := func(base string) (summary, district []time.Duration) {
		var mu sync.Mutex
		end := time.Now().Add(*readFor)
		var wg sync.WaitGroup
		for r := range *readReaders {
			wg.Go(func() {
				hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				defer hc.CloseIdleConnections()
				var s, d []time.Duration
				for i := r; time.Now().Before(end); i++ {
					t0 := time.Now()
					resp, err := hc.Get(base + paths[i%len(paths)])
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if i%len(paths) == 0 {
						s = append(s, time.Since(t0))
					} else {
						d = append(d, time.Since(t0))
					}
				}
				mu.Lock()
				summary, district = append(summary, s...), append(district, d...)
				mu.Unlock()
			})
		}
		wg.Wait()
		return summary, district
	}
	if *readMaxConns > 0 {
		n.db.SetMaxOpenConns(*readMaxConns)
		n.db.SetMaxIdleConns(*readMaxConns)
	}
	opened := n.db.Stats().MaxIdleClosed
	hs, hd := load(srv.URL)
	conns := n.db.Stats().OpenConnections
	churn := n.db.Stats().MaxIdleClosed - opened
	fs, fd := load(floor.URL)
	q := func(ds []time.Duration, p float64) float64 {
		if len(ds) == 0 {
			return 0
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000
	}
	fmt.Printf("%d readers for %v: summary %d reads p50 %.2f ms p99 %.2f ms, district view %d reads p50 %.2f ms p99 %.2f ms | empty handler, as many readers: p50 %.2f ms p99 %.2f ms | ratio p99 %.1f / %.1f | SQLite connections open after the readers: %d (limit %d), closed as surplus idle meanwhile: %d\n",
		*readReaders, *readFor, len(hs), q(hs, 0.5), q(hs, 0.99), len(hd), q(hd, 0.5), q(hd, 0.99), q(fd, 0.5), q(fd, 0.99),
		q(hs, 0.99)/q(fd, 0.99), q(hd, 0.99)/q(fd, 0.99), conns, *readMaxConns, churn)
	_ = fs
	if *readWrites <= 0 {
		return
	}
	// The same readers while a writer applies -bench.read.writes guard
	// events a second, one transaction each, as HQ's consumers do (the
	// Applied hook after each commit): what the read model's changes
	// cost the readers, each change making every view read again.
	stop := make(chan struct{})
	var written atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second / time.Duration(*readWrites))
		defer tick.Stop()
		for v := int64(2); ; v++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			d := ds[int(v)%len(ds)]
			g := int(v/int64(len(ds))) % *readGuards
			id := fmt.Sprintf("%s-g%06d", d.ID, g)
			e := readEnv(b, d.ID, "GuardUpdated", id, &eventsv1.GuardUpdated{Guard: &eventsv1.Guard{Id: id, District: d.ID,
				CompanyId: fmt.Sprintf("%s-c%03d", d.ID, g/1000), IdHash: id, EmploymentStatus: "active", HiredOn: "2025-01-02",
				BackgroundCheckStatus: "passed", PreJobTrained: v%2 == 0, Version: v}})
			if err := n.db.InTx(ctx, func(tx *sql.Tx) error {
				bctx, flush := n.proj.Batch(ctx)
				if _, err := n.proj.Apply(bctx, tx, e); err != nil {
					return err
				}
				return flush(bctx, tx)
			}); err != nil {
				b.Error(err)
				return
			}
			n.changed("membership", nil)(eventbusMessage(e))
			written.Add(1)
		}
	})
	t0 := time.Now()
	ws, wd := load(srv.URL)
	close(stop)
	wg.Wait()
	fmt.Printf("%d readers for %v with a writer (%d guard events applied, %.0f a second): summary %d reads p50 %.2f ms p99 %.2f ms, district view %d reads p50 %.2f ms p99 %.2f ms | ratio to the empty handler's p99 above %.1f / %.1f\n",
		*readReaders, *readFor, written.Load(), float64(written.Load())/time.Since(t0).Seconds(), len(ws), q(ws, 0.5), q(ws, 0.99),
		len(wd), q(wd, 0.5), q(wd, 0.99), q(ws, 0.99)/q(fd, 0.99), q(wd, 0.99)/q(fd, 0.99))
}

// eventbusMessage is e as HQ's consumers hand it to the Applied hook.
func eventbusMessage(e *eventsv1.Envelope) eventbus.Message {
	return eventbus.Message{Topic: eventbus.Topic(e.GetDistrict(), e.GetService()), Envelope: e}
}

func readEnv(b *testing.B, district, typ, agg string, m proto.Message) *eventsv1.Envelope {
	raw, err := proto.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	svc := "membership"
	return &eventsv1.Envelope{EventId: district + "/" + agg, District: district, Service: svc, Type: typ, AggregateId: agg,
		Sequence: 1, OccurredAt: timestamppb.Now(), SchemaVersion: 1, Payload: raw}
}
