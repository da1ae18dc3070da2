package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/devstack"
)

// TestEventsOfATypeTheConsumerLacksAreParkedAndApplyInOrderAfterTheUpgrade:
// a consumer that does not know FutureType parks those events, not
// dead-letters them, and parks the later events of their aggregates behind
// them, while other aggregates go on; the same consumer upgraded (a
// handler that knows the type) applies what was parked first, in order,
// exactly once, then reads on.
func TestEventsOfATypeTheConsumerLacksAreParkedAndApplyInOrderAfterTheUpgrade(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{Partitions: 1})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	produce(t, b.Addr, topic,
		envelopeMsg(t, "a1", "north", "GuardLeft", "g1"),
		envelopeMsg(t, "x", "north", "FutureType", "g1"),
		envelopeMsg(t, "a2", "north", "GuardLeft", "g1"), // behind x
		envelopeMsg(t, "b1", "north", "GuardLeft", "g2"),
		envelopeMsg(t, "y", "north", "FutureType", "g3"),
		envelopeMsg(t, "b2", "north", "GuardLeft", "g2"))
	db := newDB(t, "hq")
	countingSchema(t, db)
	var (
		mu    sync.Mutex
		order []string
	)
	applied := func(msg Message) { mu.Lock(); order = append(order, msg.Envelope.GetEventId()); mu.Unlock() }
	oldBuild := func(ctx context.Context, tx *sql.Tx, msg Message) error {
		if msg.Envelope.GetType() == "FutureType" {
			return Reject(ReasonUnknownType, errors.New("unknown type FutureType"))
		}
		return countingHandler(ctx, tx, msg)
	}
	m := NewMetrics(nil)
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", Name: "hq", DB: db,
		Handler: oldBuild, Metrics: m, Applied: applied})
	r := run(t, c.Run)
	waitFor(t, 20*time.Second, "the old build caught up", func() bool { return c.Lag() == KnownLag(0) })
	if d, _ := appliedCounts(t, db); d != 3 {
		t.Errorf("the old build applied %d events, want 3 (a1, b1, b2)", d)
	}
	if dlq := topicMessages(t, b.Addr, DLQTopic(topic)); len(dlq) != 0 {
		t.Errorf("%d dead letters, want none", len(dlq))
	}
	parked, err := Parked(ctx, db, "hq")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range parked {
		got = append(got, p.Type+"/"+string(p.Reason)+"/"+fmtInt(p.Events))
		if p.Topic != topic || p.SchemaVersion != 1 || p.FirstParkedAt.IsZero() {
			t.Errorf("parked %+v", p)
		}
	}
	if want := []string{"FutureType/unknown_type/2", "GuardLeft/behind_parked/1"}; !slices.Equal(got, want) {
		t.Errorf("parked %v, want %v", got, want)
	}
	if n := metricValue(m.ConsumerParked.WithLabelValues("north", "membership", topic, "hq")); n != 3 {
		t.Errorf("parked gauge = %v, want 3", n)
	}
	r.stop()

	newBuild := countingHandler // knows every type
	c2 := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", Name: "hq", DB: db,
		Handler: newBuild, Metrics: m, Applied: applied})
	run(t, c2.Run)
	produce(t, b.Addr, topic, envelopeMsg(t, "a3", "north", "GuardLeft", "g1"))
	waitFor(t, 20*time.Second, "every event applied", func() bool {
		d, _ := appliedCounts(t, db)
		return d == 7 && c2.Lag() == KnownLag(0)
	})
	if _, over := appliedCounts(t, db); over != 0 {
		t.Errorf("%d events applied more than once", over)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"a1", "b1", "b2", "x", "a2", "y", "a3"}; !slices.Equal(order, want) {
		t.Errorf("applied in order %v, want %v", order, want)
	}
	if left, _ := Parked(ctx, db, "hq"); len(left) != 0 {
		t.Errorf("still parked after the upgrade: %+v", left)
	}
	if n := metricValue(m.ConsumerParked.WithLabelValues("north", "membership", topic, "hq")); n != 0 {
		t.Errorf("parked gauge = %v after the upgrade, want 0", n)
	}
}
