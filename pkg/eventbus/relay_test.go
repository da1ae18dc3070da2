package eventbus

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/pkg/devstack"
)

func TestRelayPublishesOutboxInOrderAndRetainsRows(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	m := NewMetrics(nil)

	// A span in the writer's context: its trace id must travel in the header.
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled,
	}))
	aggs := aggregates(6)
	addEvents(t, ctx, ob, aggs, 0, 5)

	r := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob, Metrics: m, BatchSize: 7})
	run(t, r.Run)
	waitFor(t, 10*time.Second, "backlog drained", func() bool { return backlog(t, ob) == 0 })
	if !r.Leading() {
		t.Error("AlwaysLeader relay does not report leading")
	}

	msgs := topicMessages(t, b.Addr, ob.Topic())
	if len(msgs) != 30 {
		t.Fatalf("topic has %d messages, want 30", len(msgs))
	}
	partitionOf := map[string]int{}
	lastSeq := map[string]int64{}
	for _, msg := range msgs {
		env := &eventsv1.Envelope{}
		if err := proto.Unmarshal(msg.Value, env); err != nil {
			t.Fatal(err)
		}
		key := string(msg.Key)
		if key != env.GetAggregateId() {
			t.Errorf("key %q, aggregate %q", key, env.GetAggregateId())
		}
		if p, ok := partitionOf[key]; ok && p != msg.Partition {
			t.Errorf("aggregate %s on partitions %d and %d", key, p, msg.Partition)
		}
		partitionOf[key] = msg.Partition
		if env.GetSequence() != lastSeq[key]+1 {
			t.Errorf("aggregate %s: sequence %d after %d", key, env.GetSequence(), lastSeq[key])
		}
		lastSeq[key] = env.GetSequence()
		if header(msg, "event_id") != env.GetEventId() || header(msg, "event_type") != "GuardLeft" {
			t.Errorf("headers %v do not match envelope %s", msg.Headers, env.GetEventId())
		}
		// The writer's trace, continued by the relay's producer span.
		if tp := header(msg, "traceparent"); !strings.HasPrefix(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || !strings.HasSuffix(tp, "-01") || strings.Contains(tp, "00f067aa0ba902b7") {
			t.Errorf("traceparent header %q: want the writer's trace through the relay's producer span", tp)
		}
	}
	if got := metricValue(m.Published.WithLabelValues("north", "membership", ob.Topic())); got != 30 {
		t.Errorf("published metric %v, want 30", got)
	}
	if got := metricValue(m.RelayLeader.WithLabelValues("north", "membership", ob.Topic())); got != 1 {
		t.Errorf("leader gauge %v, want 1", got)
	}
	// Sent rows are the district's log: still there, all marked.
	if n := sqlCount(t, db, `SELECT count(*) FROM eventbus_outbox WHERE sent_at IS NOT NULL`); n != 30 {
		t.Errorf("%d rows marked sent and retained, want 30", n)
	}
	if n := sqlCount(t, db, `SELECT published FROM eventbus_relay_position WHERE cluster_id = ?`, b.ClusterID); n != 30 {
		t.Errorf("position published = %d, want 30", n)
	}

	// New events wake the relay.
	addEvents(t, ctx, ob, aggs[:1], 5, 1)
	waitFor(t, 5*time.Second, "woken relay published the new event", func() bool { return backlog(t, ob) == 0 })
}

func TestRelayRetentionDeletesOnlyOldSentRows(t *testing.T) {
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	addEvents(t, ctx, ob, aggregates(4), 0, 1)
	old := time.Now().Add(-8 * 24 * time.Hour).UTC().Format(time.RFC3339Nano)
	// Rows 1-2: old and sent (go); row 3: old but unsent (stays); row 4: new and sent (stays).
	if _, err := db.Exec(db.Rebind(`UPDATE eventbus_outbox SET created_at = ? WHERE seq IN (1, 2, 3)`), old); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE eventbus_outbox SET sent_at = created_at WHERE seq IN (1, 2, 4)`); err != nil {
		t.Fatal(err)
	}
	r := newRelay(t, RelayConfig{Brokers: []string{"127.0.0.1:1"}, Outbox: ob})
	n, err := r.applyRetention(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("retention deleted %d rows, want 2", n)
	}
	if got := sqlCount(t, db, `SELECT count(*) FROM eventbus_outbox WHERE seq IN (3, 4)`); got != 2 {
		t.Errorf("unsent or recent rows deleted: %d of 2 left", got)
	}
}

func TestRelayKilledBeforeMarkRepublishesAndConsumerDedups(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	addEvents(t, ctx, ob, aggregates(4), 0, 5) // 20 events

	// First relay: the write reaches Kafka, then the process "dies" before
	// marking the rows sent.
	r1 := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob})
	kill := make(chan struct{})
	r1.beforeMark = func(context.Context) error {
		close(kill)
		return errors.New("killed")
	}
	run1 := run(t, func(ctx context.Context) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-kill:
				cancel()
			case <-ctx.Done():
			}
		}()
		return r1.Run(ctx)
	})
	select {
	case <-run1.done:
		run1.once.Do(func() {})
	case <-time.After(10 * time.Second):
		t.Fatal("first relay did not stop")
	}
	if got := len(topicMessages(t, b.Addr, ob.Topic())); got != 20 {
		t.Fatalf("after the killed relay the topic has %d messages, want 20", got)
	}
	if n := backlog(t, ob); n != 20 {
		t.Fatalf("backlog %d after kill, want 20 (nothing marked)", n)
	}

	r2 := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob})
	run(t, r2.Run)
	waitFor(t, 10*time.Second, "second relay drained backlog", func() bool { return backlog(t, ob) == 0 })
	msgs := topicMessages(t, b.Addr, ob.Topic())
	if len(msgs) != 40 || distinctEventIDs(msgs) != 20 {
		t.Fatalf("topic has %d messages with %d distinct ids, want 40 and 20", len(msgs), distinctEventIDs(msgs))
	}

	// Every event arrives twice; the consumer applies each once.
	cdb := newDB(t, "hq")
	countingSchema(t, cdb)
	m := NewMetrics(nil)
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: ob.Topic(), GroupID: "hq", DB: cdb, Handler: countingHandler, Metrics: m})
	run(t, c.Run)
	labels := []string{"north", "membership", ob.Topic(), "hq"}
	waitFor(t, 20*time.Second, "40 deliveries settled", func() bool {
		return metricValue(m.ConsumerApplied.WithLabelValues(labels...))+
			metricValue(m.ConsumerDuplicates.WithLabelValues(labels...)) == 40
	})
	distinct, over := appliedCounts(t, cdb)
	if distinct != 20 || over != 0 {
		t.Errorf("applied %d distinct events, %d more than once; want 20 and 0", distinct, over)
	}
	if got := metricValue(m.ConsumerDuplicates.WithLabelValues(labels...)); got != 20 {
		t.Errorf("duplicates metric %v, want 20", got)
	}
	waitFor(t, 5*time.Second, "lag 0", func() bool { return c.Lag() == KnownLag(0) })
}

func TestRelayRepublishesToBrokerThatLostEvents(t *testing.T) {
	port := freePort(t)
	addr := "127.0.0.1:" + itoa(port)
	b1, err := devstack.StartBroker(devstack.BrokerConfig{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	addEvents(t, ctx, ob, aggregates(3), 0, 4) // 12 events

	r := newRelay(t, RelayConfig{Brokers: []string{addr}, Outbox: ob})
	run(t, r.Run)
	waitFor(t, 10*time.Second, "published to first broker", func() bool { return backlog(t, ob) == 0 })
	if got := len(topicMessages(t, addr, ob.Topic())); got != 12 {
		t.Fatalf("first broker has %d messages, want 12", got)
	}

	// (a) The broker comes back empty with a new cluster id.
	b1.Close()
	b2 := startBroker(t, devstack.BrokerConfig{Addr: addr})
	if b2.ClusterID == b1.ClusterID {
		t.Fatalf("memory-only broker kept cluster id %s", b1.ClusterID)
	}
	waitFor(t, 20*time.Second, "retained outbox re-published to the new broker", func() bool {
		return distinctEventIDs(topicMessages(t, addr, ob.Topic())) == 12
	})
	waitFor(t, 5*time.Second, "position for the new cluster", func() bool {
		return sqlCount(t, db, `SELECT count(*) FROM eventbus_relay_position WHERE cluster_id = ? AND published >= 12`, b2.ClusterID) == 1
	})

	// (b) Same cluster, but the topic is gone.
	if err := b2.DeleteTopics(ctx, ob.Topic()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "retained outbox re-published after topic loss", func() bool {
		return distinctEventIDs(topicMessages(t, addr, ob.Topic())) == 12
	})
	// And the relay keeps publishing new events after that.
	addEvents(t, ctx, ob, aggregates(1), 4, 1)
	waitFor(t, 10*time.Second, "new event after re-publish", func() bool {
		return distinctEventIDs(topicMessages(t, addr, ob.Topic())) == 13
	})
}

func TestRelayBrokerDownThenUpLosesNothing(t *testing.T) {
	port := freePort(t)
	addr := "127.0.0.1:" + itoa(port)
	dir := t.TempDir()
	b1, err := devstack.StartBroker(devstack.BrokerConfig{Addr: addr, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	m := NewMetrics(nil)
	r := newRelay(t, RelayConfig{Brokers: []string{addr}, Outbox: ob, Metrics: m})
	run(t, r.Run)
	addEvents(t, ctx, ob, aggregates(3), 0, 2)
	waitFor(t, 10*time.Second, "first events published", func() bool { return backlog(t, ob) == 0 })

	b1.Close()
	addEvents(t, ctx, ob, aggregates(3), 2, 3) // 9 events while the broker is down
	errs := m.PublishErrors.WithLabelValues("north", "membership", ob.Topic())
	waitFor(t, 20*time.Second, "failing writes", func() bool { return metricValue(errs) > 0 })
	if n := backlog(t, ob); n != 9 {
		t.Fatalf("backlog %d while broker down, want 9", n)
	}

	b2 := startBroker(t, devstack.BrokerConfig{Addr: addr, DataDir: dir})
	if b2.ClusterID != b1.ClusterID {
		t.Errorf("persisted broker changed cluster id %s → %s", b1.ClusterID, b2.ClusterID)
	}
	waitFor(t, 30*time.Second, "backlog drained after broker is back", func() bool { return backlog(t, ob) == 0 })
	msgs := topicMessages(t, addr, ob.Topic())
	if distinctEventIDs(msgs) != 15 {
		t.Fatalf("topic has %d distinct events, want 15", distinctEventIDs(msgs))
	}
	// The persisted broker kept the first events, so they were not re-sent.
	if len(msgs) != 15 {
		t.Errorf("topic has %d messages, want 15 (no needless re-publish)", len(msgs))
	}
}

func itoa(i int) string { return fmtInt(int64(i)) }

// TestRelayWriterSendsBatchesAtOnce: the relay's writer does not hold a
// batch back waiting for more (it writes each batch in one call, so the
// wait was only latency: 5 ms a batch), nor falls to kafka-go's 1 s
// default for a zero timeout.
func TestRelayWriterSendsBatchesAtOnce(t *testing.T) {
	db := newDB(t, "relaywriter")
	r := newRelay(t, RelayConfig{Brokers: []string{"127.0.0.1:1"}, Outbox: newOutbox(t, db, "jingkai", "membership")})
	c := r.dial()
	defer c.closer()
	if c.w.BatchTimeout != RelayBatchTimeout || RelayBatchTimeout <= 0 || RelayBatchTimeout >= time.Millisecond {
		t.Fatalf("relay writer BatchTimeout %v (RelayBatchTimeout %v), want a positive one under a millisecond", c.w.BatchTimeout, RelayBatchTimeout)
	}
}
