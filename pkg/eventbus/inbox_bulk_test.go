package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/segmentio/kafka-go"
)

// batchOf gives ids as the messages of one fetched batch of partition 0,
// from offset on, in order.
func batchOf(t *testing.T, topic string, offset int64, ids ...string) []kafka.Message {
	t.Helper()
	msgs := make([]kafka.Message, len(ids))
	for i, id := range ids {
		m := envelopeMsg(t, id, "north", "GuardLeft", "g-"+id)
		m.Topic, m.Partition, m.Offset = topic, 0, offset+int64(i)
		msgs[i] = m
	}
	return msgs
}

// bulkConsumer is a consumer of north's membership topic on db whose
// batches tests hand to settleBatch themselves (no broker is reached), and
// the ids its Applied hook saw, in order.
func bulkConsumer(t *testing.T, db *sql.DB, cfg ConsumerConfig) (*Consumer, func() []string) {
	t.Helper()
	var (
		mu      sync.Mutex
		applied []string
	)
	cfg.Brokers, cfg.Topic, cfg.GroupID = []string{"127.0.0.1:1"}, Topic("north", "membership"), "hq"
	cfg.Applied = func(msg Message) { mu.Lock(); applied = append(applied, msg.Envelope.GetEventId()); mu.Unlock() }
	c := newConsumer(t, cfg)
	return c, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), applied...) }
}

// TestABatchAppliesEachNewEventOnceAndCountsTheRestAsDuplicates: a batch
// of the most events a transaction takes — more than one inbox insert's
// chunk — mixing duplicates of an earlier batch and repeats within itself
// applies each new event once, at its first occurrence, and counts every
// other message as a duplicate; the inbox holds each id once.
func TestABatchAppliesEachNewEventOnceAndCountsTheRestAsDuplicates(t *testing.T) {
	ctx := context.Background()
	db := newDB(t, "hq")
	countingSchema(t, db)
	c, applied := bulkConsumer(t, db.DB, ConsumerConfig{DB: db, Handler: countingHandler})
	topic := c.cfg.Topic

	var first []string
	for i := range 10 {
		first = append(first, "a-"+itoa(i))
	}
	if n := c.settleBatch(ctx, batchOf(t, topic, 0, first...)); n != len(first) {
		t.Fatalf("first batch: %d settled, want %d", n, len(first))
	}

	// The second batch: maxBatch messages, every tenth a repeat of one
	// earlier in the batch, every 50th a duplicate of the first batch.
	var (
		second []string
		want   = append([]string(nil), first...)
		dups   int
	)
	for i := range maxBatch {
		switch {
		case i%50 == 49:
			second = append(second, first[(i/50)%len(first)])
			dups++
		case i%10 == 9:
			second = append(second, second[i/2])
			dups++
		default:
			id := "b-" + itoa(i)
			second = append(second, id)
			want = append(want, id)
		}
	}
	if fresh := len(second) - dups; fresh <= inboxChunkMax {
		t.Fatalf("the batch has %d new ids, not more than one chunk (%d)", fresh, inboxChunkMax)
	}
	if n := c.settleBatch(ctx, batchOf(t, topic, int64(len(first)), second...)); n != len(second) {
		t.Fatalf("second batch: %d settled, want %d", n, len(second))
	}

	if d, over := appliedCounts(t, db); d != len(want) || over != 0 {
		t.Fatalf("applied %d distinct events (want %d), %d more than once", d, len(want), over)
	}
	got := applied()
	if len(got) != len(want) {
		t.Fatalf("the Applied hook saw %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("applied event %d is %s, want %s (first occurrences, in order)", i, got[i], want[i])
		}
	}
	if n := metricValue(c.dups); int(n) != dups {
		t.Fatalf("%v duplicates counted, want %d", n, dups)
	}
	if n := metricValue(c.applied); int(n) != len(want) {
		t.Fatalf("%v applied counted, want %d", n, len(want))
	}
	if n := sqlCount(t, db, `SELECT count(*) FROM eventbus_inbox WHERE consumer = ?`, "hq"); n != len(want) {
		t.Fatalf("%d inbox rows, want %d", n, len(want))
	}
	var next int64
	if err := db.QueryRow(db.Rebind(`SELECT next_offset FROM eventbus_consumer_position WHERE consumer = ?`), "hq").Scan(&next); err != nil {
		t.Fatal(err)
	}
	if want := int64(len(first) + len(second)); next != want {
		t.Fatalf("position %d after the batches, want %d", next, want)
	}
}

// TestAHandlerFailureMidBatchLosesNoEventAsADuplicate: when the handler
// fails on an event in the middle of a batch, the events before it are
// applied once (their run again, in a new transaction) and nothing after
// it is settled; in the next round the failed event and those after it
// are applied — the inbox rows the broken transaction had written for
// them were rolled back with it — and a repeat of an earlier event is
// still a duplicate.
func TestAHandlerFailureMidBatchLosesNoEventAsADuplicate(t *testing.T) {
	ctx := context.Background()
	db := newDB(t, "hq")
	countingSchema(t, db)
	var failures atomic.Int32
	handler := func(ctx context.Context, tx *sql.Tx, msg Message) error {
		if err := countingHandler(ctx, tx, msg); err != nil {
			return err
		}
		if msg.Envelope.GetEventId() == "e-10" && failures.Add(1) == 1 {
			return errors.New("transient: the handler fails once")
		}
		return nil
	}
	c, applied := bulkConsumer(t, db.DB, ConsumerConfig{DB: db, Handler: handler})
	var ids []string
	for i := range 20 {
		ids = append(ids, "e-"+itoa(i))
	}
	ids[15] = "e-3"  // a repeat of an event before the failure
	ids[17] = "e-12" // and of one after it
	msgs := batchOf(t, c.cfg.Topic, 0, ids...)

	if n := c.settleBatch(ctx, msgs); n != 10 {
		t.Fatalf("first round: %d settled, want the 10 before the failure", n)
	}
	if d, over := appliedCounts(t, db); d != 10 || over != 0 {
		t.Fatalf("after the first round: %d distinct applied (want 10), %d more than once", d, over)
	}
	if n := sqlCount(t, db, `SELECT count(*) FROM eventbus_inbox`); n != 10 {
		t.Fatalf("after the first round: %d inbox rows, want 10", n)
	}
	if n := metricValue(c.retries); n != 1 {
		t.Fatalf("%v retries counted, want 1", n)
	}

	if n := c.settleBatch(ctx, msgs[10:]); n != 10 {
		t.Fatalf("second round: %d settled, want 10", n)
	}
	if failures.Load() != 2 {
		t.Fatalf("e-10 was handled %d times, want 2 (one failure)", failures.Load())
	}
	// 18 distinct ids: e-15 and e-17 were replaced by repeats.
	if d, over := appliedCounts(t, db); d != 18 || over != 0 {
		t.Fatalf("after the second round: %d distinct applied (want 18), %d more than once", d, over)
	}
	if got := applied(); len(got) != 18 || got[10] != "e-10" || got[len(got)-1] != "e-19" {
		t.Fatalf("the Applied hook saw %v", got)
	}
	if n := metricValue(c.dups); n != 2 {
		t.Fatalf("%v duplicates counted, want 2", n)
	}
}

// TestInboxChunksCoverEveryRowWithFewShapes: the chunks recordInbox cuts a
// run of n rows into add up to n, none larger than inboxChunkMax, each
// with the statement of its size, in at most n/inboxChunkMax plus one per
// bit of inboxChunkMax statements.
func TestInboxChunksCoverEveryRowWithFewShapes(t *testing.T) {
	for n := 1; n <= 2*maxBatch; n++ {
		left, stmts := n, 0
		for left > 0 {
			size, k := inboxChunk(left)
			if size > left || size > inboxChunkMax || size != 1<<k {
				t.Fatalf("n=%d: chunk of %d (shape %d) with %d left", n, size, k, left)
			}
			if want := 4 * size; strings.Count(inboxInserts[k], "?") != want {
				t.Fatalf("insert %d has %d parameters, want %d", k, strings.Count(inboxInserts[k], "?"), want)
			}
			if want := 1 + size; strings.Count(inboxKnown[k], "?") != want {
				t.Fatalf("read %d has %d parameters, want %d", k, strings.Count(inboxKnown[k], "?"), want)
			}
			left -= size
			stmts++
		}
		bits := 0
		for m := inboxChunkMax; m > 0; m >>= 1 {
			bits++
		}
		if stmts > n/inboxChunkMax+bits {
			t.Fatalf("n=%d: %d statements", n, stmts)
		}
	}
}
