package bench

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
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

// BenchmarkDistrictToHQLag offers GuardHired events to a district outbox
// at a fixed rate and measures, per event, the time from the outbox commit
// to HQ having applied it (relay → Kafka → HQ consumer → read model), next
// to raw kafka-go produce→consume latency on the same broker at the same
// rate.
func BenchmarkDistrictToHQLag(b *testing.B) {
	for _, rate := range []int{500, 2000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			for range b.N {
				benchLag(b, rate, 3*time.Second)
			}
		})
	}
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

	rec := &lagRecorder{}
	node, err := hq.New(ctx, hq.Config{DBPath: filepath.Join(dir, "hq.db"), Brokers: brokers, GroupID: "bench-" + uuid.NewString()},
		hq.Deps{Logger: slog.New(slog.DiscardHandler), Districts: jingkai, Applied: func(m eventbus.Message) {
			rec.add(time.Since(m.Envelope.GetOccurredAt().AsTime()))
		}})
	if err != nil {
		b.Fatal(err)
	}
	defer node.Close()
	wg.Add(1)
	go func() { defer wg.Done(); _ = node.Run(ctx) }()

	// Warm up: the first event creates the topic and lets HQ join its group.
	if err := outbox.Tx(ctx, func(*sql.Tx) ([]eventbus.Event, error) { return []eventbus.Event{guardHired(-1)}, nil }); err != nil {
		b.Fatal(err)
	}
	waitCount(b, &rec.n, 1, 60*time.Second)
	rec.mu.Lock()
	rec.lags = nil
	rec.mu.Unlock()
	rec.n.Store(0)

	sent := offer(b, rate, dur, func(k, base int) {
		err := outbox.Tx(ctx, func(*sql.Tx) ([]eventbus.Event, error) {
			evs := make([]eventbus.Event, k)
			for j := range evs {
				evs[j] = guardHired(base + j)
			}
			return evs, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	waitCount(b, &rec.n, int64(sent), 5*time.Minute)

	raw := rawKafkaLag(b, brokers, rate, dur)
	p50, p99 := rec.lags.quantile(0.5), rec.lags.quantile(0.99)
	b.ReportMetric(ms(p50), "hq_p50_ms")
	b.ReportMetric(ms(p99), "hq_p99_ms")
	b.ReportMetric(ms(raw.quantile(0.5)), "raw_p50_ms")
	b.ReportMetric(ms(raw.quantile(0.99)), "raw_p99_ms")
	b.ReportMetric(ms(p99)/ms(raw.quantile(0.99)), "p99_hq/raw")
	fmt.Printf("district→HQ lag at %d events/s for %s (%d events): p50 %.1f ms, p99 %.1f ms | raw kafka-go produce→consume: p50 %.1f ms, p99 %.1f ms | ratio p50 %.1fx, p99 %.1fx\n",
		rate, dur, sent, ms(p50), ms(p99), ms(raw.quantile(0.5)), ms(raw.quantile(0.99)), ms(p50)/ms(raw.quantile(0.5)), ms(p99)/ms(raw.quantile(0.99)))
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
	rec.mu.Lock()
	rec.lags = nil
	rec.mu.Unlock()
	rec.n.Store(0)
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
