// Package bench holds the benchmarks of `make bench`. Each prints its result
// next to a raw baseline measured in the same run on the same machine, as a
// ratio; none asserts a timing (machines are shared and noisy).
package bench

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/standalone"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

var (
	guardCount  = flag.Int("bench.guards", 600, "guards created per guard-creation run")
	guardScopes = flag.String("bench.guard.scopes", "node,city", "where the guard-creation benchmark hires: node (one membership service alone, as its own deployment runs it) and/or city (the standalone city, where every hire also feeds the other services and HQ)")
	clientsFlag = flag.String("bench.clients", "1,4,16,64", "comma-separated numbers of concurrent clients in the guard-creation benchmark (one run each)")
)

// latencies summarises a set of durations.
type latencies []time.Duration

func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := append(latencies(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	idx := int(q * float64(len(s)-1))
	return s[idx]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func startCity(b *testing.B, extra ...string) (*standalone.City, *citytest.Client) {
	b.Helper()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var cfg standalone.Config
	cfg.RegisterFlags(fs)
	dir := b.TempDir()
	args := append([]string{"-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0", "-broker.addr=127.0.0.1:0", "-data.dir=" + dir, "-relay.election-ttl=2"}, extra...)
	if err := fs.Parse(args); err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	city, err := standalone.Start(context.Background(), cfg, slog.New(slog.DiscardHandler), &out)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(city.Close)
	c := citytest.New("http://" + city.Addr())
	if err := c.LoginBootstrap(context.Background(), dir, out.String()); err != nil {
		b.Fatal(err)
	}
	return city, c
}

// BenchmarkGuardCreate measures hiring guards through the HTTP API (token
// verification, request decoding, validation, the guard row, its audit
// and idempotency rows and its outbox event in one transaction, the relay
// publishing beside it) at 1, 4, 16 and 64 concurrent clients
// (-bench.clients), each in a fresh process state, against raw SQLite
// inserts of a row of the same width with the same durability settings
// (WAL, synchronous=full, one transaction each, one client) measured in
// the same run. Concurrent API writes share commits (storage's group
// commit), so the API can pass the one-transaction-per-insert baseline.
//
// Two scopes (-bench.guard.scopes): node is one membership service alone,
// as its own deployment runs it; city is the standalone city, where the
// same hire also feeds compliance, meetings, messaging, patrols and HQ on
// the same two cores (each applies the event in a transaction of its
// own), so its rate is the whole city's, not the write path's.
func BenchmarkGuardCreate(b *testing.B) {
	var clients []int
	for _, f := range strings.Split(*clientsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("-bench.clients: %q is not a positive number", f)
		}
		clients = append(clients, n)
	}
	scopes := strings.Split(*guardScopes, ",")
	for _, s := range scopes {
		if s != "node" && s != "city" {
			b.Fatalf("-bench.guard.scopes: %q is neither node nor city", s)
		}
	}
	for range b.N {
		rawRate, rawLat := rawSQLiteInserts(b, *guardCount)
		fmt.Printf("guard create: raw SQLite insert (same pragmas, 1 tx each, 1 client): %d rows, %.0f ops/s, p50 %.2f ms\n",
			*guardCount, rawRate, ms(rawLat.quantile(0.5)))
		for _, scope := range scopes {
			for _, k := range clients {
				var c *citytest.Client
				var outbox *eventbus.Outbox
				if scope == "node" {
					c, outbox = startMembershipNode(b)
				} else {
					_, c = startCity(b)
				}
				apiRate, lat := apiGuardCreates(b, c, *guardCount, k)
				ratio := apiRate / rawRate
				b.ReportMetric(apiRate, fmt.Sprintf("%s_ops/s@%d", scope, k))
				b.ReportMetric(ms(lat.quantile(0.99)), fmt.Sprintf("%s_p99_ms@%d", scope, k))
				b.ReportMetric(ratio, fmt.Sprintf("%s/raw@%d", scope, k))
				drained := ""
				if outbox != nil {
					drained = fmt.Sprintf(", outbox all marked sent %s after the last 201 (marks are recorded up to 50 ms after publishing)", relayDrain(b, outbox))
				}
				fmt.Printf("guard create: API (%s) %d guards, %2d clients: %.0f ops/s, p50 %.2f ms, p99 %.2f ms | ratio API/raw %.2f%s\n",
					scope, *guardCount, k, apiRate, ms(lat.quantile(0.5)), ms(lat.quantile(0.99)), ratio, drained)
			}
		}
		b.ReportMetric(rawRate, "raw_ops/s")
	}
}

// relayDrain waits until the relay has marked every outbox row sent and
// returns how long that took: the hires' events reached the broker before
// (the relay records its marks up to RelayConfig.MarkDelay later).
func relayDrain(b *testing.B, o *eventbus.Outbox) time.Duration {
	b.Helper()
	start := time.Now()
	for {
		n, err := o.Backlog(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return time.Since(start)
		}
		if time.Since(start) > time.Minute {
			b.Fatalf("the relay left %d outbox rows unpublished for a minute", n)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}

// apiGuardCreates hires n guards through c's API from k concurrent
// clients (each keeping its connection, as a client pool does) and
// returns the rate and each hire's latency.
func apiGuardCreates(b *testing.B, c *citytest.Client, n, k int) (float64, latencies) {
	b.Helper()
	ctx := context.Background()
	pooled := *c
	pooled.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: k}}
	defer pooled.HTTP.CloseIdleConnections()
	c = &pooled
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 1)
	if err != nil {
		b.Fatal(err)
	}
	lat := make(latencies, n)
	var wg sync.WaitGroup
	next := make(chan int)
	errc := make(chan error, k)
	start := time.Now()
	for range k {
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				if _, err := c.HireGuard(ctx, "jingkai", co, i); err != nil {
					errc <- err
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errc:
		b.Fatal(err)
	default:
	}
	return float64(n) / elapsed.Seconds(), lat
}

// rawSQLiteInserts inserts n guard-sized rows, one transaction each, with
// the pragmas the services use.
func rawSQLiteInserts(b *testing.B, n int) (float64, latencies) {
	b.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(b.TempDir(), "raw.db"), storage.Config{Synchronous: "full"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE g (id TEXT PRIMARY KEY, company_id TEXT, name TEXT, id_number TEXT, id_hash TEXT UNIQUE,
		status TEXT, hired_on TEXT, version INTEGER, created_at TEXT, updated_at TEXT)`); err != nil {
		b.Fatal(err)
	}
	lat := make(latencies, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		id := idcheck.MakeResidentID("420106", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), i%1000)
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO g VALUES (?,?,?,?,?,?,?,?,?,?)`, fmt.Sprintf("g%d", i), "c1", "测试保安", id, fmt.Sprintf("h%d", i),
				"active", "2025-01-01", 1, time.Now().UTC().Format(time.RFC3339Nano), time.Now().UTC().Format(time.RFC3339Nano))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		lat[i] = time.Since(t0)
	}
	return float64(n) / time.Since(start).Seconds(), lat
}
