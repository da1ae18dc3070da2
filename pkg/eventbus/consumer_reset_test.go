package eventbus

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/storage"
)

// resetFixture is a district outbox published by a relay to a broker, and
// an HQ-like consumer group reading it.
type resetFixture struct {
	t     *testing.T
	b     *devstack.Broker
	ob    *Outbox
	relay *running
	m     *Metrics
	topic string
}

func newResetFixture(t *testing.T) *resetFixture {
	t.Helper()
	f := &resetFixture{t: t, b: startBroker(t, devstack.BrokerConfig{Partitions: 3}), m: NewMetrics(nil)}
	db := newDB(t, "membership")
	f.ob = newOutbox(t, db, "north", "membership")
	f.topic = f.ob.Topic()
	f.startRelay()
	return f
}

func (f *resetFixture) startRelay() {
	r := newRelay(f.t, RelayConfig{Brokers: []string{f.b.Addr}, Outbox: f.ob})
	f.relay = run(f.t, r.Run)
}

func (f *resetFixture) published() {
	f.t.Helper()
	waitFor(f.t, 20*time.Second, "outbox published", func() bool { return backlog(f.t, f.ob) == 0 })
}

func (f *resetFixture) consumer(db *storage.DB) (*Consumer, *running) {
	f.t.Helper()
	c := newConsumer(f.t, ConsumerConfig{Brokers: []string{f.b.Addr}, Topic: f.topic, GroupID: "hq", DB: db, Handler: countingHandler, Metrics: f.m})
	return c, run(f.t, c.Run)
}

func (f *resetFixture) labels() []string { return []string{"north", "membership", f.topic, "hq"} }

// resets sums the consumer's reset counter over every reason.
func (f *resetFixture) resets() float64 {
	var n float64
	for _, r := range []string{ResetLogTruncated, ResetLogRewritten, ResetNoLocalPosition} {
		n += metricValue(f.m.ConsumerResets.WithLabelValues(append(f.labels(), r)...))
	}
	return n
}

func (f *resetFixture) waitApplied(db *storage.DB, want int) {
	f.t.Helper()
	waitFor(f.t, 30*time.Second, fmtInt(int64(want))+" events applied", func() bool {
		d, _ := appliedCounts(f.t, db)
		return d == want
	})
	// Every delivery is settled, and nothing more arrives late.
	if d, over := appliedCounts(f.t, db); d != want || over != 0 {
		f.t.Fatalf("applied %d distinct events, %d more than once; want %d and 0", d, over, want)
	}
}

// groupOffsets returns the group's committed offset per partition.
func (f *resetFixture) groupOffsets() map[int]int64 {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, release := adminClient([]string{f.b.Addr}, nil, f.topic)
	defer release()
	of, err := cli.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: "hq", Topics: map[string][]int{f.topic: {0, 1, 2}}})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[int]int64{}
	for _, p := range of.Topics[f.topic] {
		out[p.Partition] = p.CommittedOffset
	}
	return out
}

// commitOffsets sets the (memberless) group's offsets with a simple commit,
// as a broker that kept them while losing the topic would have them.
func (f *resetFixture) commitOffsets(offsets map[int]int64) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, release := adminClient([]string{f.b.Addr}, nil, f.topic)
	defer release()
	req := &kafka.OffsetCommitRequest{GroupID: "hq", GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{}}
	for p, off := range offsets {
		req.Topics[f.topic] = append(req.Topics[f.topic], kafka.OffsetCommit{Partition: p, Offset: off})
	}
	resp, err := cli.OffsetCommit(ctx, req)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, p := range resp.Topics[f.topic] {
		if p.Error != nil {
			f.t.Fatalf("commit partition %d: %v", p.Partition, p.Error)
		}
	}
}

// loseTopic deletes the topic while the relay is stopped, simulates outbox
// retention dropping the oldest sent rows and adds new events, then lets
// the relay refill the topic. The refilled log is shorter and different:
// events the consumer never saw sit at offsets below its old ones.
func (f *resetFixture) loseTopic(ctx context.Context) {
	f.t.Helper()
	f.relay.stop()
	if err := f.b.DeleteTopics(ctx, f.topic); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.ob.DB().Exec(`DELETE FROM eventbus_outbox WHERE seq <= 14`); err != nil {
		f.t.Fatal(err)
	}
	addEvents(f.t, ctx, f.ob, aggregates(4), 5, 2) // 8 new events
}

func TestConsumerRereadsTopicLostWhileStopped(t *testing.T) {
	ctx := context.Background()
	f := newResetFixture(t)
	addEvents(t, ctx, f.ob, aggregates(4), 0, 5) // 20 events
	f.published()
	cdb := newDB(t, "hq")
	countingSchema(t, cdb)
	_, c1 := f.consumer(cdb)
	f.waitApplied(cdb, 20)
	var old map[int]int64
	waitFor(t, 10*time.Second, "group committed every event", func() bool {
		old = f.groupOffsets()
		return old[0]+old[1]+old[2] == 20
	})
	c1.stop()

	f.loseTopic(ctx)
	f.startRelay()
	f.published()
	// Like kfake restarted after SIGKILL: the group kept its offsets of the
	// old log (a real delete drops them, so put them back).
	f.commitOffsets(old)
	if msgs := topicMessages(t, f.b.Addr, f.topic); len(msgs) != 14 {
		t.Fatalf("refilled topic has %d messages, want 14", len(msgs))
	}

	c2, _ := f.consumer(cdb)
	f.waitApplied(cdb, 28)
	if f.resets() == 0 {
		t.Error("no partition reset counted")
	}
	waitFor(t, 10*time.Second, "lag 0", func() bool { return c2.Lag() == KnownLag(0) })
	if got := f.groupOffsets(); got[0]+got[1]+got[2] != 14 {
		t.Errorf("group offsets %v after replay, want them at the refilled log's end (14 in all)", got)
	}
}

func TestConsumerRereadsTopicLostWhileRunning(t *testing.T) {
	ctx := context.Background()
	f := newResetFixture(t)
	addEvents(t, ctx, f.ob, aggregates(4), 0, 5)
	f.published()
	cdb := newDB(t, "hq")
	countingSchema(t, cdb)
	c, _ := f.consumer(cdb)
	f.waitApplied(cdb, 20)

	f.loseTopic(ctx)
	f.startRelay()
	f.published()
	f.waitApplied(cdb, 28)
	if f.resets() == 0 {
		t.Error("no partition reset counted")
	}
	waitFor(t, 10*time.Second, "lag 0", func() bool { return c.Lag() == KnownLag(0) })
	// And it goes on consuming new events.
	addEvents(t, ctx, f.ob, aggregates(2), 7, 1)
	f.waitApplied(cdb, 30)
}

func TestConsumerOrdinaryRestartReplaysNothing(t *testing.T) {
	ctx := context.Background()
	f := newResetFixture(t)
	addEvents(t, ctx, f.ob, aggregates(4), 0, 5)
	f.published()
	cdb := newDB(t, "hq")
	countingSchema(t, cdb)
	_, c1 := f.consumer(cdb)
	f.waitApplied(cdb, 20)
	c1.stop()
	if n := sqlCount(t, cdb, `SELECT coalesce(sum(next_offset), 0) FROM eventbus_consumer_position WHERE consumer = 'hq' AND topic = ?`, f.topic); n != 20 {
		t.Errorf("stored positions add up to %d, want 20", n)
	}

	_, c2 := f.consumer(cdb)
	addEvents(t, ctx, f.ob, aggregates(4), 5, 1)
	f.waitApplied(cdb, 24)
	c2.stop()
	if got := f.resets(); got != 0 {
		t.Errorf("%v resets on an ordinary restart", got)
	}
	if got := metricValue(f.m.ConsumerDuplicates.WithLabelValues(f.labels()...)); got != 0 {
		t.Errorf("%v events delivered again after an ordinary restart", got)
	}
	if got := metricValue(f.m.ConsumerApplied.WithLabelValues(f.labels()...)); got != 24 {
		t.Errorf("applied metric %v, want 24", got)
	}
}

func TestConsumerWithWipedDatabaseReplaysFromStart(t *testing.T) {
	ctx := context.Background()
	f := newResetFixture(t)
	addEvents(t, ctx, f.ob, aggregates(4), 0, 5)
	f.published()
	db1 := newDB(t, "hq")
	countingSchema(t, db1)
	_, c1 := f.consumer(db1)
	f.waitApplied(db1, 20)
	waitFor(t, 10*time.Second, "group committed every event", func() bool {
		o := f.groupOffsets()
		return o[0]+o[1]+o[2] == 20
	})
	c1.stop()

	db2 := newDB(t, "hq-restored")
	countingSchema(t, db2)
	_, c2 := f.consumer(db2)
	f.waitApplied(db2, 20)
	if got := metricValue(f.m.ConsumerResets.WithLabelValues(append(f.labels(), ResetNoLocalPosition)...)); got == 0 {
		t.Error("no no_local_position reset counted")
	}
	c2.stop()
	// The reset is not repeated by the next restart.
	before := f.resets()
	_, c3 := f.consumer(db2)
	addEvents(t, ctx, f.ob, aggregates(1), 5, 1)
	f.waitApplied(db2, 21)
	c3.stop()
	if after := f.resets(); after != before {
		t.Errorf("resets went from %v to %v on a restart after the replay", before, after)
	}
}

func TestRelayRecordsPositionWithEmptyOutbox(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	r := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob})
	run(t, r.Run)
	waitFor(t, 10*time.Second, "empty position recorded", func() bool {
		return sqlCount(t, db, `SELECT count(*) FROM eventbus_relay_position WHERE cluster_id = ? AND published = 0 AND last_seq = 0`, b.ClusterID) == 1
	})
	addEvents(t, context.Background(), ob, aggregates(2), 0, 1)
	waitFor(t, 10*time.Second, "events published after the empty start", func() bool {
		return sqlCount(t, db, `SELECT published FROM eventbus_relay_position WHERE cluster_id = ?`, b.ClusterID) == 2
	})
}
