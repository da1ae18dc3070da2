package bench

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
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

		var applied atomic.Int64
		node, err := hq.New(ctx, hq.Config{DBPath: filepath.Join(b.TempDir(), "hq.db"), Brokers: brokers, GroupID: "bench-" + uuid.NewString()},
			hq.Deps{Logger: slog.New(slog.DiscardHandler), Districts: jingkai, Applied: func(eventbus.Message) { applied.Add(1) }})
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		start := time.Now()
		wg.Add(1)
		go func() { defer wg.Done(); _ = node.Run(ctx) }()
		waitCount(b, &applied, int64(n), 10*time.Minute)
		elapsed := time.Since(start)
		cancel()
		wg.Wait()
		_ = node.Close()
		broker.Close()

		hqRate := float64(n) / elapsed.Seconds()
		b.ReportMetric(hqRate, "hq_events/s")
		b.ReportMetric(rawRate, "raw_events/s")
		b.ReportMetric(hqRate/rawRate, "hq/raw")
		fmt.Printf("HQ replay from a cold group: %d events in %.2f s = %.0f events/s (group join included) | raw kafka-go group read: %.0f events/s | ratio %.2f\n",
			n, elapsed.Seconds(), hqRate, rawRate, hqRate/rawRate)
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
