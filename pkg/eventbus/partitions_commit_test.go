package eventbus

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/guildhall/guildhall/pkg/devstack"
)

// TestPartitionsOfAConsumerShareACommit holds the batch path to not
// serializing a consumer's partitions through their commits: while one
// partition's batch is being applied, the batches its sibling partitions
// fetched queue for the database's next group commit (storage.DB.InTx)
// instead of waiting for the consumer, and commit together once it is done.
// Every event is still applied once and each partition in order.
func TestPartitionsOfAConsumerShareACommit(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{Partitions: 3})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	var msgs []kafka.Message
	for i := range 30 {
		msgs = append(msgs, envelopeMsg(t, fmt.Sprintf("e-%d", i), "north", "GuardLeft", fmt.Sprintf("g%d", i)))
	}
	produce(t, b.Addr, topic, msgs...)
	perPartition := map[int]int{}
	for _, m := range topicMessages(t, b.Addr, topic) {
		perPartition[m.Partition]++
	}
	for p := range 3 {
		if perPartition[p] < 2 {
			t.Fatalf("setup: partition %d holds %d events, want at least 2 in each (%v)", p, perPartition[p], perPartition)
		}
	}

	db := newDB(t, "hq")
	countingSchema(t, db)
	release := make(chan struct{})
	var (
		mu      sync.Mutex
		blocked = -1
		last    = map[int]int64{}
	)
	handler := func(ctx context.Context, tx *sql.Tx, msg Message) error {
		mu.Lock()
		first := blocked < 0
		if first {
			blocked = msg.Partition
		}
		if prev, ok := last[msg.Partition]; ok && msg.Offset <= prev {
			mu.Unlock()
			return fmt.Errorf("partition %d: offset %d applied after %d", msg.Partition, msg.Offset, prev)
		}
		last[msg.Partition] = msg.Offset
		mu.Unlock()
		if first {
			<-release // the first batch holds the database's write lock
		}
		return countingHandler(ctx, tx, msg)
	}
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db, Handler: handler})
	run(t, c.Run)
	before := db.GroupCommits()
	waitFor(t, 20*time.Second, "the two other partitions' batches queued behind the first", func() bool { return db.Queued() >= 2 })
	close(release)
	waitFor(t, 20*time.Second, "every event applied", func() bool {
		d, _ := appliedCounts(t, db)
		return d == len(msgs)
	})
	if d, over := appliedCounts(t, db); d != len(msgs) || over != 0 {
		t.Fatalf("applied %d distinct (want %d), %d more than once", d, len(msgs), over)
	}
	if got := db.GroupCommits() - before; got < 1 {
		t.Fatalf("group commits: %d, want the queued partitions' batches committed together", got)
	}
}
