package eventbus

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/testutil/pgtest"
	"github.com/guildhall/guildhall/pkg/testutil/ports"
)

func TestMain(m *testing.M) {
	// The outbox stores the W3C traceparent through the global propagator,
	// which is a no-op until a process installs one (as main does).
	otel.SetTextMapPropagator(propagation.TraceContext{})
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	goleak.VerifyTestMain(m, leakOptions()...)
}

// spans records every span the package's code ends.
var spans = tracetest.NewSpanRecorder()

func leakOptions() []goleak.Option {
	return []goleak.Option{
		// Process-wide goroutines started by etcd/grpc/glog packages' init
		// and by the OpenCensus/klog style workers they pull in; they are
		// not per-test and cannot be stopped.
		goleak.IgnoreAnyFunction("go.opencensus.io/stats/view.(*worker).start"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
	}
}

// newDB opens a temp SQLite database with the eventbus tables; under
// TestPostgres (postgres_test.go), a fresh PostgreSQL database instead.
func newDB(t *testing.T, name string) *storage.DB {
	t.Helper()
	if onPostgres(t) {
		return pgtest.Open(t, Migrate)
	}
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), name+".db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

func newOutbox(t *testing.T, db *storage.DB, district, service string) *Outbox {
	t.Helper()
	ob, err := NewOutbox(db, district, service)
	if err != nil {
		t.Fatal(err)
	}
	return ob
}

// addEvents appends n events per aggregate, with sequences continuing from
// what the aggregate had, in one transaction per event (like a service).
func addEvents(t *testing.T, ctx context.Context, ob *Outbox, aggregates []string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		for _, agg := range aggregates {
			err := ob.Tx(ctx, func(*sql.Tx) ([]Event, error) {
				return []Event{{Type: "GuardLeft", AggregateType: "guard", AggregateID: agg, Sequence: int64(i + 1), Payload: &eventsv1.GuardLeft{}}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func startBroker(t *testing.T, cfg devstack.BrokerConfig) *devstack.Broker {
	t.Helper()
	b, err := devstack.StartBroker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// freePort returns a loopback port nothing listens on now, for a broker
// that must come back at the same address: from below the ephemeral range
// (pkg/testutil/ports says why).
func freePort(t *testing.T) int {
	t.Helper()
	p, err := ports.Free()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond) // poll interval, not a wait for an outcome
	}
}

// running runs fn in a goroutine until stop is called; stop waits for it.
type running struct {
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

func run(t *testing.T, fn func(ctx context.Context) error) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- fn(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *running) stop() {
	r.once.Do(func() {
		r.cancel()
		<-r.done
	})
}

func newRelay(t *testing.T, cfg RelayConfig) *Relay {
	t.Helper()
	if cfg.SafetyPoll == 0 {
		cfg.SafetyPoll = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	r, err := NewRelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func backlog(t *testing.T, ob *Outbox) int64 {
	t.Helper()
	n, err := ob.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// topicMessages reads every message currently on topic, partition by
// partition; nil when the topic does not exist.
func topicMessages(t *testing.T, addr, topic string) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cli := &kafka.Client{Addr: kafka.TCP(addr), Transport: tr}
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	var parts []int
	for _, tp := range md.Topics {
		if tp.Name == topic && tp.Error == nil {
			for _, p := range tp.Partitions {
				parts = append(parts, p.ID)
			}
		}
	}
	if len(parts) == 0 {
		return nil
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[topic] = append(req.Topics[topic], kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	lo, err := cli.ListOffsets(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var out []kafka.Message
	for _, po := range lo.Topics[topic] {
		if po.Error != nil {
			t.Fatal(po.Error)
		}
		if po.LastOffset <= po.FirstOffset {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: po.Partition, MaxWait: 100 * time.Millisecond})
		if err := r.SetOffset(po.FirstOffset); err != nil {
			t.Fatal(err)
		}
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				_ = r.Close()
				t.Fatalf("read %s/%d: %v", topic, po.Partition, err)
			}
			out = append(out, m)
			if m.Offset >= po.LastOffset-1 {
				break
			}
		}
		_ = r.Close()
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}

func header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// distinctEventIDs counts the distinct event_id headers on msgs.
func distinctEventIDs(msgs []kafka.Message) int {
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[header(m, "event_id")] = true
	}
	return len(seen)
}

// countingHandler applies every event as "applied(event_id) += 1" so tests
// can see exact per-event application counts.
func countingSchema(t *testing.T, db *storage.DB) {
	t.Helper()
	if _, err := db.Exec(`CREATE TABLE applied (event_id TEXT PRIMARY KEY, aggregate_id TEXT NOT NULL, n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
}

func countingHandler(ctx context.Context, tx *sql.Tx, msg Message) error {
	// $n placeholders: both engines read them, and the handler has no
	// *storage.DB to rebind with.
	_, err := tx.ExecContext(ctx, `INSERT INTO applied (event_id, aggregate_id, n) VALUES ($1, $2, 1)
		ON CONFLICT (event_id) DO UPDATE SET n = applied.n + 1`, msg.Envelope.GetEventId(), msg.Envelope.GetAggregateId())
	return err
}

// appliedCounts returns (distinct events applied, events applied more than once).
func appliedCounts(t *testing.T, db *storage.DB) (distinct, over int) {
	t.Helper()
	if err := db.QueryRow(`SELECT count(*), coalesce(sum(CASE WHEN n > 1 THEN 1 ELSE 0 END), 0) FROM applied`).Scan(&distinct, &over); err != nil {
		t.Fatal(err)
	}
	return distinct, over
}

func newConsumer(t *testing.T, cfg ConsumerConfig) *Consumer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if cfg.LagInterval == 0 {
		cfg.LagInterval = 200 * time.Millisecond
	}
	c, err := NewConsumer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.retryMin, c.retryMax = 10*time.Millisecond, 50*time.Millisecond
	return c
}

func sqlCount(t *testing.T, db *storage.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(db.Rebind(q), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func aggregates(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("guard-%02d", i)
	}
	return out
}

func fmtInt(i int64) string { return fmt.Sprint(i) }

// metricValue reads a counter or gauge (client_golang's testutil would pull
// a module pkg does not require yet).
func metricValue(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		panic(err)
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	return 0
}
