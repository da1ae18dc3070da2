package bench

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/hq"
)

var replayEvents = flag.Int("bench.replay-events", 20000, "events on the topic in the HQ replay benchmark")

// BenchmarkHQReplay fills a district topic, then starts HQ with a cold
// consumer group and an empty read model and measures how fast it catches
// up, next to a raw kafka-go consumer-group read of the same messages.
func BenchmarkHQReplay(b *testing.B) {
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		broker, err := devstack.StartBroker(devstack.BrokerConfig{})
		if err != nil {
			b.Fatal(err)
		}
		brokers := []string{broker.Addr}
		topic := eventbus.Topic("jingkai", "membership")
		n := *replayEvents
		w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
			BatchTimeout: 5 * time.Millisecond, BatchSize: 1000, AllowAutoTopicCreation: true}
		const chunk = 1000
		for i := 0; i < n; i += chunk {
			msgs := make([]kafka.Message, 0, chunk)
			for j := i; j < i+chunk && j < n; j++ {
				msgs = append(msgs, kafka.Message{Key: []byte(uuid.NewString()), Value: envelope(b, j)})
			}
			if err := w.WriteMessages(ctx, msgs...); err != nil {
				b.Fatal(err)
			}
		}
		_ = w.Close()

		rawRate := rawReplay(b, brokers, topic, n)
		bulkRate := rawBulkInsert(b, n)

		var applied atomic.Int64
		node, err := hq.New(ctx, hq.Config{DBPath: filepath.Join(b.TempDir(), "hq.db"), Brokers: brokers, GroupID: "bench-" + uuid.NewString()},
			hq.Deps{Logger: slog.New(slog.DiscardHandler), Districts: jingkai, Applied: func(eventbus.Message) { applied.Add(1) }})
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		peak := sampleHeap(ctx)
		cpu0 := processCPU()
		start := time.Now()
		wg.Add(1)
		go func() { defer wg.Done(); _ = node.Run(ctx) }()
		waitCount(b, &applied, int64(n), 10*time.Minute)
		elapsed := time.Since(start)
		cpuPer := float64((processCPU() - cpu0).Microseconds()) / float64(n)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heapPeak := peak()
		cancel()
		wg.Wait()
		_ = node.Close()
		broker.Close()

		hqRate := float64(n) / elapsed.Seconds()
		b.ReportMetric(hqRate, "hq_events/s")
		b.ReportMetric(rawRate, "raw_events/s")
		b.ReportMetric(hqRate/rawRate, "hq/raw")
		b.ReportMetric(bulkRate, "bulk_rows/s")
		b.ReportMetric(hqRate/bulkRate, "hq/bulk")
		allocPer := float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
		b.ReportMetric(allocPer, "alloc_B/event")
		b.ReportMetric(cpuPer, "cpu_µs/event")
		b.ReportMetric(float64(heapPeak>>20), "heap_peak_MiB")
		fmt.Printf("HQ replay memory: %.0f bytes allocated an event (the in-process broker's share included); heap in use at most %d MiB during the replay (broker's copy of the topic included), %d MiB before it\n",
			allocPer, heapPeak>>20, before.HeapInuse>>20)
		fmt.Printf("HQ replay CPU: %.1f µs an event (the process's user+system time over the replay: HQ, the in-process broker and the test's samplers; less sensitive to other jobs on the machine than the rate)\n", cpuPer)
		fmt.Printf("HQ replay from a cold group: %d events in %.2f s = %.0f events/s (group join included) | raw kafka-go group read: %.0f events/s | ratio %.2f | raw SQLite bulk insert of the same guard rows (prepared, 1,000 a tx): %.0f rows/s | ratio %.2f\n",
			n, elapsed.Seconds(), hqRate, rawRate, hqRate/rawRate, bulkRate, hqRate/bulkRate)
	}
}

// rawReplay reads n messages from topic with a fresh kafka-go consumer
// group, committing as it goes, and returns messages per second (group join
// included, as for HQ).
func rawReplay(b *testing.B, brokers []string, topic string, n int) float64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, GroupID: "raw-" + uuid.NewString(),
		StartOffset: kafka.FirstOffset, SessionTimeout: 6 * time.Second, MaxWait: 500 * time.Millisecond,
		JoinGroupBackoff: time.Second, CommitInterval: time.Second})
	defer r.Close()
	start := time.Now()
	for i := 0; i < n; i++ {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			b.Fatalf("raw replay after %d messages: %v", i, err)
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// rawBulkInsert is the second baseline of the replay: the same n
// guard rows (decoded from the same envelopes) inserted into a table of
// HQ's guard columns and indexes with one prepared statement, 1,000 rows a
// transaction, HQ's pragmas. It returns rows per second, decoding included.
func rawBulkInsert(b *testing.B, n int) float64 {
	b.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(b.TempDir(), "raw-hq.db"), storage.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`CREATE TABLE g (id TEXT PRIMARY KEY, district TEXT NOT NULL, company_id TEXT NOT NULL,
		id_hash TEXT NOT NULL, employment_status TEXT NOT NULL, hired_on TEXT NOT NULL, has_certificate INTEGER NOT NULL,
		background_check_status TEXT NOT NULL, pre_job_trained INTEGER NOT NULL, version INTEGER NOT NULL,
		certificate_number TEXT NOT NULL)`,
		`CREATE INDEX g_district ON g (district, company_id)`,
		`CREATE INDEX g_person ON g (id_hash) WHERE employment_status = 'active'`,
		`CREATE INDEX g_cert ON g (certificate_number) WHERE employment_status = 'active' AND certificate_number <> ''`} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = envelope(b, i)
	}
	b2i := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	start := time.Now()
	for i := 0; i < n; i += 1000 {
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			st, err := tx.PrepareContext(ctx, `INSERT INTO g VALUES (?,?,?,?,?,?,?,?,?,?,?)`)
			if err != nil {
				return err
			}
			defer st.Close()
			for j := i; j < i+1000 && j < n; j++ {
				var env eventsv1.Envelope
				var ev eventsv1.GuardHired
				if err := proto.Unmarshal(raws[j], &env); err != nil {
					return err
				}
				if err := proto.Unmarshal(env.GetPayload(), &ev); err != nil {
					return err
				}
				g := ev.GetGuard()
				if _, err := st.ExecContext(ctx, g.GetId(), env.GetDistrict(), g.GetCompanyId(), g.GetIdHash(), g.GetEmploymentStatus(),
					g.GetHiredOn(), b2i(g.GetHasCertificate()), g.GetBackgroundCheckStatus(), b2i(g.GetPreJobTrained()),
					g.GetVersion(), g.GetCertificateNumber()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// sampleHeap samples the heap in use every 50 ms until ctx ends or the
// returned peak is called, which stops sampling and returns the largest.
func sampleHeap(ctx context.Context) (peak func() uint64) {
	ctx, cancel := context.WithCancel(ctx)
	var top atomic.Uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond) // sampling interval
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > top.Load() {
				top.Store(ms.HeapInuse)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { cancel(); <-done; return top.Load() }
}
