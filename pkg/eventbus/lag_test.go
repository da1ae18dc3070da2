package eventbus

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/guildhall/guildhall/pkg/devstack"
)

func TestLagOf(t *testing.T) {
	t.Parallel()
	parts := func(p ...partitionOffsets) []partitionOffsets { return p }
	for _, tc := range []struct {
		name    string
		s       lagSnapshot
		want    int64
		unknown error
	}{
		{name: "A topic that does not exist and was never read is 0 behind (nothing published yet).",
			s: lagSnapshot{}, want: 0},
		{name: "A topic that does not exist although the consumer read it is unknown (the broker lost it).",
			s: lagSnapshot{consumedBefore: true}, unknown: errTopicGone},
		{name: "A topic reported without partitions is unknown.",
			s: lagSnapshot{topicExists: true}, unknown: errNoPartitionInfo},
		{name: "The lag is each partition's end minus its committed offset, summed.",
			s: lagSnapshot{topicExists: true, partitions: parts(
				partitionOffsets{partition: 0, first: 0, end: 10, committed: 4},
				partitionOffsets{partition: 1, first: 0, end: 7, committed: 7},
				partitionOffsets{partition: 2, first: 0, end: 3, committed: 1})},
			want: 6 + 0 + 2},
		{name: "A partition with no committed offset counts from its log start.",
			s: lagSnapshot{topicExists: true, partitions: parts(
				partitionOffsets{partition: 0, first: 5, end: 12, committed: -1})},
			want: 7},
		{name: "Events removed by retention past the committed offset do not count.",
			s: lagSnapshot{topicExists: true, partitions: parts(
				partitionOffsets{partition: 0, first: 8, end: 12, committed: 3})},
			want: 4},
		{name: "A committed offset past the partition's end is unknown, not 0 (the log was truncated).",
			s: lagSnapshot{topicExists: true, partitions: parts(
				partitionOffsets{partition: 0, first: 0, end: 10, committed: 4},
				partitionOffsets{partition: 1, first: 0, end: 3, committed: 9})},
			unknown: errCommittedPast},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lagOf(tc.s)
			switch {
			case tc.unknown != nil && !errors.Is(err, tc.unknown):
				t.Errorf("lagOf = %d, %v; want unknown: %v", got, err, tc.unknown)
			case tc.unknown == nil && (err != nil || got != tc.want):
				t.Errorf("lagOf = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// kafkaGate is a consumer's Kafka transport that refuses every request
// while closed, as an unreachable broker does, and counts what it refused.
type kafkaGate struct {
	inner *kafka.Transport

	mu      sync.Mutex
	closed  bool
	refused map[protocol.ApiKey]int
}

var errGateClosed = errors.New("test: the broker is unreachable")

func newKafkaGate(t *testing.T, closed bool) *kafkaGate {
	g := &kafkaGate{inner: &kafka.Transport{}, closed: closed, refused: map[protocol.ApiKey]int{}}
	t.Cleanup(g.inner.CloseIdleConnections)
	return g
}

func (g *kafkaGate) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	g.mu.Lock()
	if g.closed {
		g.refused[req.ApiKey()]++
		g.mu.Unlock()
		return nil, errGateClosed
	}
	g.mu.Unlock()
	return g.inner.RoundTrip(ctx, addr, req)
}

func (g *kafkaGate) set(closed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = closed
	g.refused = map[protocol.ApiKey]int{}
}

// refusedCount returns how many requests of kind the gate refused since it
// was last set.
func (g *kafkaGate) refusedCount(kind protocol.ApiKey) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused[kind]
}

// lagSeries counts the consumer lag gauge's series.
func lagSeries(m *Metrics) int {
	ch := make(chan prometheus.Metric, 16)
	go func() { m.ConsumerLag.Collect(ch); close(ch) }()
	n := 0
	for range ch {
		n++
	}
	return n
}

func TestAConsumerThatHasNotReadTheHighWatermarksReportsItsLagUnknown(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		produce(t, b.Addr, topic, envelopeMsg(t, "e-"+itoa(i), "north", "GuardLeft", "g"+itoa(i)))
	}
	db := newDB(t, "hq")
	countingSchema(t, db)
	m := NewMetrics(nil)
	gate := newKafkaGate(t, true)
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db,
		Handler: countingHandler, Metrics: m, Transport: gate})
	if got := c.Lag(); got.Known {
		t.Fatalf("lag before Run = %v, want unknown", got)
	}
	run(t, c.Run)
	// The consumer tries the broker (topic, lag) several times and cannot.
	waitFor(t, 10*time.Second, "lag measurements refused", func() bool { return gate.refusedCount(protocol.Metadata) >= 4 })
	if got := c.Lag(); got.Known {
		t.Errorf("lag with the broker unreachable from the start = %v, want unknown", got)
	}
	if n := lagSeries(m); n != 0 {
		t.Errorf("consumer lag gauge has %d series before any measurement, want none", n)
	}

	gate.set(false)
	waitFor(t, 20*time.Second, "applied and caught up", func() bool {
		d, _ := appliedCounts(t, db)
		return d == 6 && c.Lag() == KnownLag(0)
	})
	if n := lagSeries(m); n != 1 {
		t.Errorf("consumer lag gauge has %d series once measured, want 1", n)
	}
	if got := metricValue(m.ConsumerLag.WithLabelValues("north", "membership", topic, "hq")); got != 0 {
		t.Errorf("consumer lag gauge %v, want 0", got)
	}
}

func TestALagMeasuredBeforeABrokerFailureIsNotPresentedAfterIt(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	produce(t, b.Addr, topic, envelopeMsg(t, "e-1", "north", "GuardLeft", "g1"))
	db := newDB(t, "hq")
	countingSchema(t, db)
	m := NewMetrics(nil)
	gate := newKafkaGate(t, false)
	// The test decides when the lag is measured: only the failure itself
	// can make the figure unknown.
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db,
		Handler: countingHandler, Metrics: m, Transport: gate})
	c.lagTrigger = make(chan chan struct{})
	// measure has the lag measured once, and returns when it is recorded.
	measure := func() {
		done := make(chan struct{})
		select {
		case c.lagTrigger <- done:
		case <-time.After(10 * time.Second):
			t.Fatal("lag watcher not listening")
		}
		<-done
	}
	run(t, c.Run)
	waitFor(t, 20*time.Second, "applied", func() bool { d, _ := appliedCounts(t, db); return d == 1 })
	waitFor(t, 20*time.Second, "caught up, measured", func() bool {
		measure()
		return c.Lag() == KnownLag(0)
	})

	// The broker becomes unreachable: the consumer's next fetch fails, and
	// the figure measured before is no longer presented.
	gate.set(true)
	waitFor(t, 20*time.Second, "lag unknown after the failure", func() bool { return !c.Lag().Known })
	if n := lagSeries(m); n != 0 {
		t.Errorf("consumer lag gauge has %d series after the failure, want none", n)
	}
	// Fetching again is not reading every high watermark: still unknown
	// until the next measurement.
	gate.set(false)
	produce(t, b.Addr, topic, envelopeMsg(t, "e-2", "north", "GuardLeft", "g2"))
	waitFor(t, 20*time.Second, "fetching again", func() bool { d, _ := appliedCounts(t, db); return d == 2 })
	if got := c.Lag(); got.Known {
		t.Errorf("lag after the broker came back, before a measurement = %v, want unknown", got)
	}
	waitFor(t, 20*time.Second, "measured again", func() bool { measure(); return c.Lag() == KnownLag(0) })
}

func TestAConsumerOfATopicNotCreatedYetIsNotBehind(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	topic := Topic("north", "meetings")
	db := newDB(t, "hq")
	countingSchema(t, db)
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db, Handler: countingHandler})
	run(t, c.Run)
	waitFor(t, 10*time.Second, "lag known to be 0", func() bool { return c.Lag() == KnownLag(0) })

	// Once it has read the topic, the topic's loss makes the lag unknown
	// rather than 0: the broker lost events that will be published again.
	if err := b.CreateTopics(context.Background(), topic); err != nil {
		t.Fatal(err)
	}
	produce(t, b.Addr, topic, envelopeMsg(t, "e-1", "north", "GuardLeft", "g1"))
	waitFor(t, 20*time.Second, "applied", func() bool { d, _ := appliedCounts(t, db); return d == 1 })
	if err := b.DeleteTopics(context.Background(), topic); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "lag unknown once the topic is gone", func() bool { return !c.Lag().Known })
	neverWithin(t, time.Second, "lag known while the topic it read is gone", func() bool { return c.Lag().Known })
}
