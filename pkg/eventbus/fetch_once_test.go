package eventbus

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// fetchCounter counts the fetch requests sent through it.
type fetchCounter struct {
	kafka.RoundTripper
	fetches atomic.Int64
}

func (f *fetchCounter) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	if req.ApiKey() == protocol.Fetch {
		f.fetches.Add(1)
	}
	return f.RoundTripper.RoundTrip(ctx, addr, req)
}

// TestACatchingUpWorkerChecksAndFetchesInOneRequest: when events already
// follow the one a partition worker settled last, one fetch from that
// settled message brings both its identity (the check that the log was
// not rewritten under the worker) and the events after it; a message of
// another identity there, or nothing after it, is left to the long poll
// and its separate check.
func TestACatchingUpWorkerChecksAndFetchesInOneRequest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const topic = "gh.jingkai.membership.v1"
	broker, w := onePartitionWriter(t, topic)
	for i := range 10 { // ten record batches, as ten relay writes
		if err := w.WriteMessages(ctx, envelopeMsg(t, "e-"+fmtInt(int64(i)), "jingkai", "GuardLeft", "g")); err != nil {
			t.Fatal(err)
		}
	}
	c := newConsumer(t, ConsumerConfig{Brokers: []string{broker.Addr}, Topic: topic, GroupID: "g", DB: newDB(t, "fetch"), Handler: countingHandler})
	base := &kafka.Transport{}
	defer base.CloseIdleConnections()
	counter := &fetchCounter{RoundTripper: base}
	cli, release := adminClient([]string{broker.Addr}, counter, topic)
	defer release()
	all, _, err := c.fetch(ctx, cli, 0, 0, 100*time.Millisecond, c.cfg.FetchMaxBytes, 0)
	if err != nil || len(all) != 10 {
		t.Fatalf("setup: fetched %d of 10 (%v)", len(all), err)
	}
	worker := func(next int64, lastID string) *partitionWorker {
		return &partitionWorker{c: c, p: 0, log: c.log, bo: newBackoff(time.Millisecond, time.Millisecond), cli: cli,
			st: partitionState{next: next, lastID: lastID}, committed: next}
	}

	counter.fetches.Store(0)
	msgs, ok := worker(4, identity(all[3])).next(ctx)
	if !ok || len(msgs) != 6 || msgs[0].Offset != 4 || msgs[5].Offset != 9 {
		t.Fatalf("next after offset 3: %d messages (ok %v), want offsets 4–9", len(msgs), ok)
	}
	if n := counter.fetches.Load(); n != 1 {
		t.Fatalf("catching up took %d fetch requests, want 1 (the settled message and those after it together)", n)
	}

	if msgs, ok := worker(4, "another message").nextAfterSettled(ctx); ok || msgs != nil {
		t.Fatalf("a message of another identity before offset 4 was taken as the settled one: %d messages", len(msgs))
	}
	if msgs, ok := worker(10, identity(all[9])).nextAfterSettled(ctx); ok || msgs != nil {
		t.Fatalf("at the end of the log nextAfterSettled returned %d messages (ok %v), want the long poll's turn", len(msgs), ok)
	}
	if msgs, ok := worker(0, "").nextAfterSettled(ctx); ok || msgs != nil {
		t.Fatal("a worker that settled nothing yet has no message to check against")
	}
}
