package hq

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/config"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

var (
	readDistricts = flag.Int("bench.read.districts", 20, "districts in BenchmarkSummaryRead's read model")
	readGuards    = flag.Int("bench.read.guards", 10000, "guards per district in BenchmarkSummaryRead's read model")
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
