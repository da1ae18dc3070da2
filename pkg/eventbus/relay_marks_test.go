package eventbus

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/devstack"
)

// TestRelayRecordsTheMarksOfATrickleTogether: events committed one at a
// time each go out at once, but their marks are recorded together, not in
// a transaction (an fsync) per event.
func TestRelayRecordsTheMarksOfATrickleTogether(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	m := NewMetrics(nil)
	r := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob, Metrics: m, SafetyPoll: time.Hour, MarkDelay: 300 * time.Millisecond})
	var flushes atomic.Int64
	r.beforeMark = func(context.Context) error {
		flushes.Add(1)
		return nil
	}
	run(t, r.Run)
	aggs := aggregates(20)
	for i, agg := range aggs {
		addEvents(t, ctx, ob, []string{agg}, 0, 1)
		// Each event is on the topic before the next is written: published
		// alone, in a batch of its own.
		waitFor(t, 5*time.Second, "the event published", func() bool {
			return metricValue(m.Published.WithLabelValues("north", "membership", ob.Topic())) == float64(i+1)
		})
	}
	waitFor(t, 5*time.Second, "all 20 marked sent", func() bool { return backlog(t, ob) == 0 })
	// The 20 batches took some time; a flush every 300ms, not one a batch.
	if n := flushes.Load(); n < 1 || n >= 20 {
		t.Errorf("%d mark transactions for 20 single-event batches, want a few", n)
	}
	if n := sqlCount(t, db, `SELECT published FROM eventbus_relay_position WHERE cluster_id = ?`, b.ClusterID); n != 20 {
		t.Errorf("position published = %d, want 20", n)
	}
	if got := distinctEventIDs(topicMessages(t, b.Addr, ob.Topic())); got != 20 || len(topicMessages(t, b.Addr, ob.Topic())) != 20 {
		t.Errorf("topic holds %d distinct events, want 20 once each", got)
	}
}

// TestRelayStoppedRecordsWhatItPublished: a relay that stops while it still
// holds marks records them, so the next one does not send those rows again.
func TestRelayStoppedRecordsWhatItPublished(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	addEvents(t, ctx, ob, aggregates(3), 0, 4) // 12 events
	r := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob, SafetyPoll: time.Hour, MarkDelay: time.Hour})
	running := run(t, r.Run)
	waitFor(t, 10*time.Second, "12 events on the topic", func() bool { return len(topicMessages(t, b.Addr, ob.Topic())) == 12 })
	if n := backlog(t, ob); n != 12 {
		t.Fatalf("backlog %d while the relay holds its marks, want 12 (marked at once?)", n)
	}
	running.stop()
	if n := backlog(t, ob); n != 0 {
		t.Errorf("backlog %d after the relay stopped, want 0: its marks were lost", n)
	}
	if n := sqlCount(t, db, `SELECT published FROM eventbus_relay_position WHERE cluster_id = ?`, b.ClusterID); n != 12 {
		t.Errorf("position published = %d, want 12", n)
	}

	// The next relay has nothing to send again.
	r2 := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob})
	run(t, r2.Run)
	addEvents(t, ctx, ob, aggregates(1), 4, 1)
	waitFor(t, 10*time.Second, "the new event published", func() bool { return backlog(t, ob) == 0 })
	if got := len(topicMessages(t, b.Addr, ob.Topic())); got != 13 {
		t.Errorf("topic holds %d messages, want 13 (rows sent again?)", got)
	}
}
