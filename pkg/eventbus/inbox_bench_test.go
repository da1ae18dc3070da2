package eventbus

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/pkg/storage"
)

var batchEvents = flag.Int("bench.batch-events", 100000, "BenchmarkConsumerBatch: events settled")

// BenchmarkConsumerBatch settles a cold backlog of new events through
// settleBatch, maxBatch a transaction, with a handler that does nothing:
// what the consumer's own bookkeeping costs an event (decode, inbox,
// span, position, commit), HQ's projector left out. Its raw baseline is a
// prepared single-row insert of the same inbox rows, maxBatch a
// transaction, into a table of the same schema in the same run.
func BenchmarkConsumerBatch(b *testing.B) {
	n := *batchEvents
	ctx := context.Background()
	topic := Topic("north", "membership")
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		id := fmt.Sprintf("01J%023d", i)
		v, err := proto.Marshal(&eventsv1.Envelope{EventId: id, District: "north", Service: "membership", Type: "GuardLeft",
			AggregateType: "guard", AggregateId: fmt.Sprintf("g-%d", i%5000), Sequence: int64(1 + i/5000),
			OccurredAt: timestamppb.Now(), SchemaVersion: 1})
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = kafka.Message{Topic: topic, Offset: int64(i), Key: []byte("k"), Value: v,
			Headers: []kafka.Header{{Key: "event_id", Value: []byte(id)}}}
	}
	open := func(name string) *storage.DB {
		db, err := storage.OpenSQLite(ctx, filepath.Join(b.TempDir(), name), storage.Config{Synchronous: "normal"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		if err := Migrate(ctx, db); err != nil {
			b.Fatal(err)
		}
		return db
	}
	for range b.N {
		db := open("consumer.db")
		c, err := NewConsumer(ConsumerConfig{Brokers: []string{"127.0.0.1:1"}, Topic: topic, GroupID: "hq", DB: db,
			Handler: func(context.Context, *sql.Tx, Message) error { return nil }})
		if err != nil {
			b.Fatal(err)
		}
		// HQ's process has no tracer provider in the replay benchmark; the
		// package's tests record every span.
		c.tracer = noop.NewTracerProvider().Tracer("")
		t0, c0 := time.Now(), benchCPU()
		for rest := msgs; len(rest) > 0; {
			k := c.settleBatch(ctx, rest)
			if k == 0 { // one event left: the single-event path, as a partition worker would
				if !c.settle(ctx, nil, rest[0]) {
					b.Fatal("the last event was not settled")
				}
				k = 1
			}
			rest = rest[k:]
		}
		took, cpu := time.Since(t0), benchCPU()-c0
		if got := metricValue(c.applied); int(got) != n {
			b.Fatalf("%v events applied, want %d", got, n)
		}

		raw := open("raw.db")
		r0, rc0 := time.Now(), benchCPU()
		for i := 0; i < n; i += maxBatch {
			err := raw.InTx(ctx, func(tx *sql.Tx) error {
				st, err := tx.PrepareContext(ctx, `INSERT INTO eventbus_inbox (consumer, event_id, topic, applied_at) VALUES (?, ?, ?, ?)`)
				if err != nil {
					return err
				}
				defer st.Close()
				now := time.Now().UTC().Format(time.RFC3339Nano)
				for _, m := range msgs[i:min(i+maxBatch, n)] {
					if _, err := st.ExecContext(ctx, "hq", string(m.Headers[0].Value), topic, now); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		rawTook, rawCPU := time.Since(r0), benchCPU()-rc0

		rate, rawRate := float64(n)/took.Seconds(), float64(n)/rawTook.Seconds()
		cpuPer, rawCPUPer := float64(cpu.Microseconds())/float64(n), float64(rawCPU.Microseconds())/float64(n)
		b.ReportMetric(rate, "events/s")
		b.ReportMetric(cpuPer, "cpu_µs/event")
		b.ReportMetric(rawRate, "raw_rows/s")
		b.ReportMetric(rate/rawRate, "consumer/raw")
		fmt.Printf("consumer batches: %d new events in %.2f s = %.0f events/s, %.1f µs CPU an event | raw prepared insert of the same inbox rows, %d a tx: %.0f rows/s, %.1f µs CPU a row | ratio %.2f\n",
			n, took.Seconds(), rate, cpuPer, maxBatch, rawRate, rawCPUPer, rate/rawRate)
	}
}

// benchCPU is the process's user and system time so far.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
