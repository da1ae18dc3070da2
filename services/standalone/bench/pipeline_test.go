package bench

import (
	"context"
	"database/sql"
	"encoding/binary"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/hq"
)

// staticDistricts is a registry that never changes.
type staticDistricts []config.District

func (s staticDistricts) Watch(ctx context.Context, fn func([]config.District)) error {
	fn(s)
	<-ctx.Done()
	return nil
}

var jingkai = staticDistricts{{ID: "jingkai", Name: "Jingkai", NameZH: "经开"}}

// guardHired is a GuardHired event of a new guard of company c1.
func guardHired(i int) eventbus.Event {
	id := uuid.Must(uuid.NewV7()).String()
	return eventbus.Event{
		Type: "GuardHired", AggregateType: "guard", AggregateID: id, Sequence: 1,
		Payload: &eventsv1.GuardHired{Guard: &eventsv1.Guard{
			Id: id, District: "jingkai", CompanyId: "c1", IdHash: "h" + strconv.Itoa(i),
			EmploymentStatus: "active", HiredOn: "2025-09-23", HasCertificate: i%2 == 0,
			BackgroundCheckStatus: "passed", PreJobTrained: true, Version: 1,
		}},
	}
}

// envelope is guardHired(i) as it travels on Kafka.
func envelope(b *testing.B, i int) []byte {
	ev := guardHired(i)
	payload, err := proto.Marshal(ev.Payload)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := proto.Marshal(&eventsv1.Envelope{
		EventId: uuid.Must(uuid.NewV7()).String(), District: "jingkai", Service: "membership",
		Type: ev.Type, AggregateType: ev.AggregateType, AggregateId: ev.AggregateID, Sequence: 1,
		OccurredAt: timestamppb.Now(), SchemaVersion: 1, Payload: payload,
	})
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

type lagRecorder struct {
	mu   sync.Mutex
	lags latencies
	n    atomic.Int64
}

// reset forgets what was recorded (the warm-up).
func (r *lagRecorder) reset() {
	r.mu.Lock()
	r.lags = nil
	r.mu.Unlock()
	r.n.Store(0)
}

func (r *lagRecorder) add(d time.Duration) {
	r.mu.Lock()
	r.lags = append(r.lags, d)
	r.mu.Unlock()
	r.n.Add(1)
}

func waitCount(b *testing.B, n *atomic.Int64, want int64, limit time.Duration) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for n.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d events arrived within %s", n.Load(), want, limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// lagRates are the rates BenchmarkDistrictToHQLag offers events at.
var lagRates = flag.String("bench.lag.rates", "500,2000,8000", "comma-separated events per second of the district→HQ lag benchmark (one run each; the last is near the most this 2-core machine's one district outbox sustains)")

// BenchmarkDistrictToHQLag offers GuardHired events to a district outbox
// at a fixed rate and measures, per event, the time from the outbox commit
// to HQ having applied it (relay → Kafka → HQ consumer → read model), next
// to two raw baselines on the same broker at the same rate: kafka-go
// produce→consume, and the same with the pipeline's storage — an fsync'd
// SQLite commit where the district writes the event, where a relay marks
// it sent and where the consumer records it (rawStoredLag).
func BenchmarkDistrictToHQLag(b *testing.B) {
	for _, f := range strings.Split(*lagRates, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || rate < 1 {
			b.Fatalf("-bench.lag.rates: %q is not a positive number", f)
		}
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			for range b.N {
				benchLag(b, rate, 3*time.Second)
			}
		})
	}
}

// commitTimes remembers when each event's outbox transaction committed,
// by aggregate id (one event an aggregate here).
type commitTimes struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (c *commitTimes) set(ids []string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at == nil {
		c.at = map[string]time.Time{}
	}
	for _, id := range ids {
		c.at[id] = at
	}
}

func (c *commitTimes) get(id string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.at[id]
	return at, ok
}

func benchLag(b *testing.B, rate int, dur time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	broker, err := devstack.StartBroker(devstack.BrokerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer broker.Close()
	brokers := []string{broker.Addr}
	dir := b.TempDir()

	db, err := storage.OpenSQLite(ctx, filepath.Join(dir, "district.db"), storage.Config{Synchronous: "full"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := eventbus.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	outbox, err := eventbus.NewOutbox(db, "jingkai", "membership")
	if err != nil {
		b.Fatal(err)
	}
	relay, err := eventbus.NewRelay(eventbus.RelayConfig{Brokers: brokers, Outbox: outbox, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() { defer wg.Done(); _ = relay.Run(ctx) }()

	// Two clocks per event: from its outbox commit (the lag proper: before
	// it, the event is the district's write, not yet anyone's to send) and
	// from its occurred_at (set as the event is built, inside the district's
	// transaction, so it adds that transaction's commit).
	rec, recOccurred := &lagRecorder{}, &lagRecorder{}
	committed := &commitTimes{}
	node, err := hq.New(ctx, hq.Config{DBPath: filepath.Join(dir, "hq.db"), Brokers: brokers, GroupID: "bench-" + uuid.NewString()},
		hq.Deps{Logger: slog.New(slog.DiscardHandler), Districts: jingkai, Applied: func(m eventbus.Message) {
			now := time.Now()
			if at, ok := committed.get(m.Envelope.GetAggregateId()); ok {
				rec.add(now.Sub(at))
			}
			recOccurred.add(now.Sub(m.Envelope.GetOccurredAt().AsTime()))
		}})
	if err != nil {
		b.Fatal(err)
	}
	defer node.Close()
	wg.Add(1)
	go func() { defer wg.Done(); _ = node.Run(ctx) }()

	send := func(k, base int) {
		ids := make([]string, 0, k)
		err := outbox.Tx(ctx, func(*sql.Tx) ([]eventbus.Event, error) {
			evs := make([]eventbus.Event, k)
			for j := range evs {
				evs[j] = guardHired(base + j)
				ids = append(ids, evs[j].AggregateID)
			}
			return evs, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		// Outbox.Tx returns after the commit and after waking the relay:
		// the instant is an upper bound of the commit's (a lag at most
		// that much shorter than the truth).
		committed.set(ids, time.Now())
	}
	// Warm up: the first event creates the topic and lets HQ join its group.
	send(1, -1)
	waitCount(b, &recOccurred.n, 1, 60*time.Second)
	rec.reset()
	recOccurred.reset()

	sent := offer(b, rate, dur, send)
	waitCount(b, &recOccurred.n, int64(sent), 5*time.Minute)

	raw := rawKafkaLag(b, brokers, rate, dur)
	stored := rawStoredLag(b, brokers, dir, rate, dur)
	p50, p99 := rec.lags.quantile(0.5), rec.lags.quantile(0.99)
	b.ReportMetric(ms(p50), "hq_p50_ms")
	b.ReportMetric(ms(p99), "hq_p99_ms")
	b.ReportMetric(ms(recOccurred.lags.quantile(0.99)), "hq_from_occurred_p99_ms")
	b.ReportMetric(ms(raw.quantile(0.5)), "raw_p50_ms")
	b.ReportMetric(ms(raw.quantile(0.99)), "raw_p99_ms")
	b.ReportMetric(ms(stored.quantile(0.99)), "raw_stored_p99_ms")
	b.ReportMetric(ms(p99)/ms(raw.quantile(0.99)), "p99_hq/raw")
	b.ReportMetric(ms(p99)/ms(stored.quantile(0.99)), "p99_hq/raw_stored")
	fmt.Printf("district→HQ lag at %d events/s for %s (%d events), outbox commit → HQ applied: p50 %.1f ms, p99 %.1f ms (from occurred_at: p50 %.1f, p99 %.1f)"+
		" | raw kafka-go produce→consume: p50 %.1f ms, p99 %.1f ms (ratio p99 %.1fx)"+
		" | raw with the storage (commit → produce, mark; consume → commit): p50 %.1f ms, p99 %.1f ms (ratio p99 %.1fx)\n",
		rate, dur, sent, ms(p50), ms(p99), ms(recOccurred.lags.quantile(0.5)), ms(recOccurred.lags.quantile(0.99)),
		ms(raw.quantile(0.5)), ms(raw.quantile(0.99)), ms(p99)/ms(raw.quantile(0.99)),
		ms(stored.quantile(0.5)), ms(stored.quantile(0.99)), ms(p99)/ms(stored.quantile(0.99)))
}

// offer calls send every 10 ms with the number of events due at rate, for
// dur; it returns how many it offered.
func offer(b *testing.B, rate int, dur time.Duration, send func(k, base int)) int {
	b.Helper()
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	sent := 0
	for now := range t.C {
		elapsed := now.Sub(start)
		if elapsed > dur {
			break
		}
		due := int(float64(rate)*elapsed.Seconds()) - sent
		if due > 0 {
			send(due, sent)
			sent += due
		}
	}
	return sent
}

// rawKafkaLag is the baseline: kafka-go writer (same settings as the relay)
// → consumer-group reader committing each message, timestamps in the value.
func rawKafkaLag(b *testing.B, brokers []string, rate int, dur time.Duration) latencies {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	topic := "bench.raw." + uuid.NewString()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchTimeout: eventbus.RelayBatchTimeout, AllowAutoTopicCreation: true}
	defer w.Close()
	stamp := func() []byte {
		v := make([]byte, 8)
		binary.BigEndian.PutUint64(v, uint64(time.Now().UnixNano()))
		return v
	}
	if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("warm"), Value: stamp()}); err != nil {
		b.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, GroupID: "raw-" + uuid.NewString(),
		StartOffset: kafka.FirstOffset, SessionTimeout: 6 * time.Second, MaxWait: 500 * time.Millisecond, JoinGroupBackoff: time.Second})
	defer r.Close()
	rec := &lagRecorder{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				return
			}
			rec.add(time.Duration(time.Now().UnixNano() - int64(binary.BigEndian.Uint64(m.Value))))
			if err := r.CommitMessages(ctx, m); err != nil {
				return
			}
		}
	}()
	waitCount(b, &rec.n, 1, 60*time.Second)
	rec.reset()
	sent := offer(b, rate, dur, func(k, base int) {
		msgs := make([]kafka.Message, k)
		for j := range msgs {
			msgs[j] = kafka.Message{Key: []byte(strconv.Itoa(base + j)), Value: stamp()}
		}
		// Async like the relay's own loop: the offer tick must not wait on acks.
		go func() { _ = w.WriteMessages(ctx, msgs...) }()
	})
	waitCount(b, &rec.n, int64(sent), 2*time.Minute)
	cancel()
	wg.Wait()
	return rec.lags
}

// rawStoredLag is the baseline with the pipeline's storage and nothing else
// of it: each tick's events are inserted in one transaction of a district
// SQLite database (synchronous=full, as the services'); a relay goroutine,
// woken after each commit, reads the unsent rows, writes them with kafka-go
// (the relay's settings) and marks them sent in one transaction; a kafka-go
// group reader takes what it has fetched (up to 500 messages) and records
// them in one transaction of a second database. The lag is from the
// district's commit to the consumer's. There is no inbox, no envelope
// decoding, no read model and no check of the log: what Guildhall adds to
// it is what the ratio shows.
func rawStoredLag(b *testing.B, brokers []string, dir string, rate int, dur time.Duration) latencies {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func(name, schema string) *storage.DB {
		db, err := storage.OpenSQLite(ctx, filepath.Join(dir, name), storage.Config{Synchronous: "full"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, schema); err != nil {
			b.Fatal(err)
		}
		return db
	}
	district := open("raw-district.db", `CREATE TABLE outbox (seq INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB NOT NULL, sent INTEGER NOT NULL DEFAULT 0);
		CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent = 0`)
	defer district.Close()
	consumer := open("raw-consumer.db", `CREATE TABLE applied (k TEXT PRIMARY KEY)`)
	defer consumer.Close()
	inTx := func(db *storage.DB, fn func(tx *sql.Tx) error) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}

	topic := "bench.raw-stored." + uuid.NewString()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchTimeout: eventbus.RelayBatchTimeout, AllowAutoTopicCreation: true}
	defer w.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wake := make(chan struct{}, 1)
	wg.Add(1)
	go func() { // the relay
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			for {
				rows, err := district.QueryContext(ctx, `SELECT seq, k, v FROM outbox WHERE sent = 0 ORDER BY seq LIMIT 500`)
				if err != nil {
					return
				}
				var msgs []kafka.Message
				var last int64
				for rows.Next() {
					var k string
					var v []byte
					if err := rows.Scan(&last, &k, &v); err != nil {
						rows.Close()
						return
					}
					msgs = append(msgs, kafka.Message{Key: []byte(k), Value: v})
				}
				rows.Close()
				if len(msgs) == 0 {
					break
				}
				if err := w.WriteMessages(ctx, msgs...); err != nil {
					return
				}
				if err := inTx(district, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `UPDATE outbox SET sent = 1 WHERE seq <= ? AND sent = 0`, last)
					return err
				}); err != nil {
					return
				}
			}
		}
	}()

	committed := &commitTimes{}
	rec := &lagRecorder{}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, GroupID: "raw-stored-" + uuid.NewString(),
		StartOffset: kafka.FirstOffset, SessionTimeout: 6 * time.Second, MaxWait: 500 * time.Millisecond,
		JoinGroupBackoff: time.Second, CommitInterval: 200 * time.Millisecond})
	defer r.Close()
	wg.Add(1)
	go func() { // the consumer
		defer wg.Done()
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				return
			}
			batch := []kafka.Message{m}
			for len(batch) < 500 && r.Stats().QueueLength > 0 {
				if m, err = r.FetchMessage(ctx); err != nil {
					return
				}
				batch = append(batch, m)
			}
			if err := inTx(consumer, func(tx *sql.Tx) error {
				for _, m := range batch {
					if _, err := tx.ExecContext(ctx, `INSERT INTO applied (k) VALUES (?) ON CONFLICT DO NOTHING`, string(m.Key)); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return
			}
			now := time.Now()
			for _, m := range batch {
				if at, ok := committed.get(string(m.Key)); ok {
					rec.add(now.Sub(at))
				}
			}
			if err := r.CommitMessages(ctx, batch...); err != nil {
				return
			}
		}
	}()

	send := func(k, base int) {
		keys := make([]string, k)
		if err := inTx(district, func(tx *sql.Tx) error {
			for j := range keys {
				keys[j] = "raw-" + strconv.Itoa(base+j)
				if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (k, v) VALUES (?, ?)`, keys[j], envelope(b, base+j)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		committed.set(keys, time.Now())
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	send(1, -1)
	waitCount(b, &rec.n, 1, 60*time.Second)
	rec.reset()
	sent := offer(b, rate, dur, send)
	waitCount(b, &rec.n, int64(sent), 2*time.Minute)
	return rec.lags
}
