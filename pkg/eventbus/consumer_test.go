package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/pkg/devstack"
)

// produce writes raw messages to topic, as a misbehaving producer would.
func produce(t *testing.T, addr, topic string, msgs ...kafka.Message) {
	t.Helper()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: topic, Balancer: &kafka.Hash{}, BatchTimeout: 5 * time.Millisecond, Transport: tr}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

func envelopeMsg(t *testing.T, id, district, typ, agg string) kafka.Message {
	t.Helper()
	b, err := proto.Marshal(&eventsv1.Envelope{
		EventId: id, District: district, Service: "membership", Type: typ,
		AggregateType: "guard", AggregateId: agg, Sequence: 1, OccurredAt: timestamppb.Now(), SchemaVersion: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return kafka.Message{Key: []byte(agg), Value: b, Headers: []kafka.Header{{Key: "event_id", Value: []byte(id)}}}
}

func TestConsumerDeadLettersPoisonAndForeignDistrict(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{Partitions: 1})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	produce(t, b.Addr, topic,
		kafka.Message{Key: []byte("x"), Value: []byte("\xff\xfe not a protobuf")},
		envelopeMsg(t, "e-south", "south", "GuardLeft", "g1"),
		envelopeMsg(t, "e-good-1", "north", "GuardLeft", "g1"),
		envelopeMsg(t, "e-good-2", "north", "GuardLeft", "g2"),
	)
	db := newDB(t, "hq")
	countingSchema(t, db)
	m := NewMetrics(nil)
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db, Handler: countingHandler, Metrics: m})
	run(t, c.Run)
	waitFor(t, 20*time.Second, "good events applied", func() bool {
		d, _ := appliedCounts(t, db)
		return d == 2
	})
	if n := sqlCount(t, db, `SELECT count(*) FROM applied WHERE event_id = 'e-south'`); n != 0 {
		t.Error("foreign-district event was applied")
	}
	dlq := topicMessages(t, b.Addr, DLQTopic(topic))
	reasons := map[string]kafka.Message{}
	for _, msg := range dlq {
		reasons[header(msg, "dlq_reason")] = msg
	}
	if len(dlq) != 2 {
		t.Fatalf("dead letters: %d, want 2", len(dlq))
	}
	poison, ok := reasons[string(ReasonUndecodable)]
	if !ok || string(poison.Value) != "\xff\xfe not a protobuf" || string(poison.Key) != "x" {
		t.Errorf("poison message not dead-lettered intact: %+v", poison)
	}
	foreign, ok := reasons[string(ReasonDistrictMismatch)]
	if !ok || header(foreign, "event_id") != "e-south" || header(foreign, "dlq_source_topic") != topic ||
		header(foreign, "dlq_source_partition") != "0" || header(foreign, "dlq_source_offset") != "1" || header(foreign, "dlq_error") == "" {
		t.Errorf("foreign-district message dead letter headers: %v", foreign.Headers)
	}
	labels := []string{"north", "membership", topic, "hq"}
	if got := metricValue(m.ConsumerRejected.WithLabelValues(append(labels, string(ReasonDistrictMismatch))...)); got != 1 {
		t.Errorf("district_mismatch rejected metric %v, want 1", got)
	}
	if got := metricValue(m.ConsumerDeadLettered.WithLabelValues(labels...)); got != 2 {
		t.Errorf("dead-lettered metric %v, want 2", got)
	}
	// A later good event is still applied, in a span continuing the
	// producer's trace from the traceparent header.
	good := envelopeMsg(t, "e-good-3", "north", "GuardLeft", "g3")
	good.Headers = append(good.Headers, kafka.Header{Key: "traceparent", Value: []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")})
	produce(t, b.Addr, topic, good)
	waitFor(t, 10*time.Second, "later event applied", func() bool {
		d, _ := appliedCounts(t, db)
		return d == 3
	})
	found := false
	for _, s := range spans.Ended() {
		if s.Name() == "eventbus.apply GuardLeft" && s.Parent().TraceID().String() == "0af7651916cd43dd8448eb211c80319c" {
			found = s.Parent().SpanID().String() == "b7ad6b7169203331" && s.SpanKind() == trace.SpanKindConsumer
		}
	}
	if !found {
		t.Error("no consumer span continuing the event's trace")
	}
}

func TestConsumerRejectDeadLettersAndTransientErrorsRetry(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{Partitions: 1})
	topic := Topic("north", "membership")
	db := newDB(t, "hq")
	countingSchema(t, db)
	m := NewMetrics(nil)
	var flakyAttempts atomic.Int32
	handler := func(ctx context.Context, tx *sql.Tx, msg Message) error {
		switch msg.Envelope.GetType() {
		case "Bad":
			return Reject(ReasonBadPayload, errors.New("guard has no name"))
		case "Flaky":
			if flakyAttempts.Add(1) <= 2 {
				// Write first, then fail: the rollback must undo the write.
				if err := countingHandler(ctx, tx, msg); err != nil {
					return err
				}
				return errors.New("database is tired")
			}
		}
		return countingHandler(ctx, tx, msg)
	}
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db, Handler: handler, Metrics: m})
	// The topic does not exist yet: the consumer must wait for it.
	run(t, c.Run)
	if err := b.CreateTopics(context.Background(), topic); err != nil {
		t.Fatal(err)
	}
	produce(t, b.Addr, topic,
		envelopeMsg(t, "e-bad", "north", "Bad", "g1"),
		envelopeMsg(t, "e-flaky", "north", "Flaky", "g1"),
		envelopeMsg(t, "e-ok", "north", "GuardLeft", "g1"),
	)
	waitFor(t, 20*time.Second, "flaky and ok applied", func() bool {
		d, _ := appliedCounts(t, db)
		return d == 2
	})
	if _, over := appliedCounts(t, db); over != 0 {
		t.Errorf("%d events applied more than once", over)
	}
	if got := flakyAttempts.Load(); got != 3 {
		t.Errorf("flaky handler ran %d times, want 3", got)
	}
	labels := []string{"north", "membership", topic, "hq"}
	if got := metricValue(m.ConsumerRetries.WithLabelValues(labels...)); got != 2 {
		t.Errorf("retries metric %v, want 2", got)
	}
	if n := sqlCount(t, db, `SELECT count(*) FROM eventbus_inbox WHERE event_id = 'e-bad'`); n != 0 {
		t.Error("rejected event recorded in the inbox")
	}
	dlq := topicMessages(t, b.Addr, DLQTopic(topic))
	if len(dlq) != 1 || header(dlq[0], "dlq_reason") != string(ReasonBadPayload) || header(dlq[0], "event_id") != "e-bad" {
		t.Fatalf("dead letters %v", dlq)
	}
	if got := metricValue(m.ConsumerRejected.WithLabelValues(append(labels, string(ReasonBadPayload))...)); got != 1 {
		t.Errorf("rejected metric %v, want 1", got)
	}
}

func TestRejectWrapsAndReports(t *testing.T) {
	base := errors.New("boom")
	err := Reject(ReasonBadPayload, base)
	wrapped := errors.Join(errors.New("ctx"), err)
	reason, ok := IsRejected(wrapped)
	if !ok || reason != ReasonBadPayload {
		t.Errorf("IsRejected = %q, %v", reason, ok)
	}
	if !errors.Is(err, base) {
		t.Error("Reject hides the cause")
	}
	if _, ok := IsRejected(base); ok {
		t.Error("plain error reported as rejected")
	}
}

// TestABacklogIsAppliedInBatchesThatStopAtBadEvents fills a partition with a
// backlog mixing good events, a poison message, a foreign-district envelope,
// a duplicate and an event the handler rejects, then starts the consumer:
// batching must apply every good event exactly once, in order, and settle
// each bad one exactly as the one-by-one path would.
func TestABacklogIsAppliedInBatchesThatStopAtBadEvents(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{Partitions: 1})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	var msgs []kafka.Message
	good := 0
	for i := 0; i < 60; i++ {
		switch i {
		case 10:
			msgs = append(msgs, kafka.Message{Key: []byte("x"), Value: []byte("\xff not a protobuf")})
		case 25:
			msgs = append(msgs, envelopeMsg(t, "e-south", "south", "GuardLeft", "g1"))
		case 40:
			msgs = append(msgs, envelopeMsg(t, "e-reject", "north", "Reject", "g1"))
		case 50:
			msgs = append(msgs, envelopeMsg(t, "e-5", "north", "GuardLeft", "g5")) // a duplicate of event 5
		default:
			msgs = append(msgs, envelopeMsg(t, "e-"+fmtInt(int64(i)), "north", "GuardLeft", "g"+fmtInt(int64(i%7))))
			good++
		}
	}
	produce(t, b.Addr, topic, msgs...)
	db := newDB(t, "hq")
	countingSchema(t, db)
	var (
		mu    sync.Mutex
		order []int64
	)
	handler := func(ctx context.Context, tx *sql.Tx, msg Message) error {
		if msg.Envelope.GetType() == "Reject" {
			return Reject(ReasonBadPayload, errors.New("this event is refused"))
		}
		return countingHandler(ctx, tx, msg)
	}
	m := NewMetrics(nil)
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db, Handler: handler, Metrics: m,
		Applied: func(msg Message) { mu.Lock(); order = append(order, msg.Offset); mu.Unlock() }})
	run(t, c.Run)
	waitFor(t, 20*time.Second, "good events applied", func() bool {
		d, _ := appliedCounts(t, db)
		return d == good && c.Lag() == KnownLag(0)
	})
	d, over := appliedCounts(t, db)
	if d != good || over != 0 {
		t.Fatalf("applied %d distinct (want %d), %d more than once", d, good, over)
	}
	if dlq := topicMessages(t, b.Addr, DLQTopic(topic)); len(dlq) != 3 {
		t.Fatalf("dead letters: %d, want 3 (poison, foreign district, rejected)", len(dlq))
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Fatalf("events applied out of order: offset %d after %d", order[i], order[i-1])
		}
	}
	if len(order) != good {
		t.Fatalf("Applied hook saw %d events, want %d", len(order), good)
	}
}

// TestAConsumerCommitsWhatItSettledOnceThePartitionIsIdle holds the
// coalesced commits to their promise: events settled within commitEvery of
// the last commit are not committed by settling them, and are committed as
// soon as the partition is idle, so the group's lag still reaches 0 (an
// operator's "caught up" and HQ's events_behind read it).
func TestAConsumerCommitsWhatItSettledOnceThePartitionIsIdle(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	db := newDB(t, "hq")
	countingSchema(t, db)
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db, Handler: countingHandler})
	// Settling never commits within an hour of the last commit here: only
	// the fetch that finds the partition idle can.
	c.commitEvery = time.Hour
	c.lagTrigger = make(chan chan struct{})
	// lag has the lag measured now and returns it.
	lag := func() Lag {
		done := make(chan struct{})
		select {
		case c.lagTrigger <- done:
		case <-time.After(10 * time.Second):
			t.Fatal("lag watcher not listening")
		}
		<-done
		return c.Lag()
	}
	run(t, c.Run)
	for round := range 3 {
		var burst []kafka.Message
		for i := range 20 {
			id := itoa(round*100 + i)
			burst = append(burst, envelopeMsg(t, "e-"+id, "north", "GuardLeft", "g"+id))
		}
		produce(t, b.Addr, topic, burst...)
		waitFor(t, 20*time.Second, "the burst applied", func() bool { d, _ := appliedCounts(t, db); return d == 20*(round+1) })
		waitFor(t, 20*time.Second, "the burst committed once idle", func() bool { return lag() == KnownLag(0) })
	}
	if _, over := appliedCounts(t, db); over != 0 {
		t.Errorf("%d events applied more than once", over)
	}
}

// TestAnIdleCaughtUpPartitionCommitsNothing: a partition whose settled
// events are committed sends no more commits while nothing arrives; each
// empty fetch (every fetchWait) would otherwise be a broker write for
// nothing — the city benchmark found 20 districts' consumers doing that.
func TestAnIdleCaughtUpPartitionCommitsNothing(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	db := newDB(t, "hq")
	countingSchema(t, db)
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db, Handler: countingHandler})
	c.lagTrigger = make(chan chan struct{})
	lag := func() Lag {
		done := make(chan struct{})
		select {
		case c.lagTrigger <- done:
		case <-time.After(10 * time.Second):
			t.Fatal("lag watcher not listening")
		}
		<-done
		return c.Lag()
	}
	run(t, c.Run)
	var burst []kafka.Message
	for i := range 10 {
		burst = append(burst, envelopeMsg(t, "e-"+itoa(i), "north", "GuardLeft", "g"+itoa(i)))
	}
	produce(t, b.Addr, topic, burst...)
	waitFor(t, 20*time.Second, "applied", func() bool { d, _ := appliedCounts(t, db); return d == 10 })
	waitFor(t, 20*time.Second, "committed", func() bool { return lag() == KnownLag(0) })
	// The commit that brought the lag to 0 is counted when its request
	// returns, which can be after the broker answered the lag query: the
	// count must hold still across a measurement before idling starts.
	before := c.commits.Load()
	waitFor(t, 20*time.Second, "the last commit counted", func() bool {
		n := c.commits.Load()
		lag()
		ok := c.commits.Load() == n
		before = c.commits.Load()
		return ok
	})
	for idle := time.Now(); time.Since(idle) < 4*fetchWait; {
		if lag() != KnownLag(0) {
			t.Fatal("lag moved while nothing was produced")
		}
	}
	if n := c.commits.Load() - before; n != 0 {
		t.Errorf("%d offset commits while idle and caught up, want 0", n)
	}
}

func TestDeadLetterTopic(t *testing.T) {
	for _, tc := range []struct{ node, topic, want string }{
		{"", "gh.north.membership.v1", "gh.north.membership.v1.dlq"},
		{"north", "gh.north.membership.v1", "gh.north.membership.v1.dlq"},
		{"hq", "gh.north.membership.v1", "gh.hq.dlq.north.membership.v1"},
		{"north", "gh.hq.directives.v1", "gh.north.dlq.hq.directives.v1"},
		{"north", "gh.south.patrols.v1", "gh.north.dlq.south.patrols.v1"},
		// A district whose id starts another's is not that district.
		{"north", "gh.northwest.patrols.v1", "gh.north.dlq.northwest.patrols.v1"},
	} {
		got := DeadLetterTopic(tc.node, tc.topic)
		if got != tc.want {
			t.Errorf("DeadLetterTopic(%q, %q) = %q, want %q", tc.node, tc.topic, got, tc.want)
		}
		if _, _, ok := ParseTopic(got); ok {
			t.Errorf("dead-letter topic %q parses as an event topic", got)
		}
	}
}

// TestConsumerOfAnotherNodeDeadLettersUnderItsOwnPrefix: HQ's consumer of a
// district's topic writes its dead letters to gh.hq.dlq.…, never to a topic
// under the district's prefix (which HQ's principal may not write).
func TestConsumerOfAnotherNodeDeadLettersUnderItsOwnPrefix(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{Partitions: 1})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	produce(t, b.Addr, topic,
		kafka.Message{Key: []byte("x"), Value: []byte("\xff\xfe not a protobuf")},
		envelopeMsg(t, "e-good", "north", "GuardLeft", "g1"),
	)
	db := newDB(t, "hq")
	countingSchema(t, db)
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", Node: "hq", DB: db, Handler: countingHandler})
	run(t, c.Run)
	waitFor(t, 20*time.Second, "the good event applied", func() bool {
		d, _ := appliedCounts(t, db)
		return d == 1
	})
	if dlq := topicMessages(t, b.Addr, "gh.hq.dlq.north.membership.v1"); len(dlq) != 1 || header(dlq[0], "dlq_reason") == "" {
		t.Fatalf("HQ's dead letters: %d, want the poison message with its reason", len(dlq))
	}
	if dlq := topicMessages(t, b.Addr, DLQTopic(topic)); len(dlq) != 0 {
		t.Errorf("%d dead letters under the district's prefix", len(dlq))
	}
	if _, err := NewConsumer(ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", Node: "HQ!", DB: db, Handler: countingHandler}); err == nil {
		t.Error("a consumer with a node that is no id was built")
	}
}

// TestBatchFlushRunsOnceInEachTransactionWithItsEvents: a handler that
// keeps a count per transaction in memory and writes it in its Batch
// scope's flush
// ends with the count of the events applied — in batches (fewer hooks
// than events), around a rejected event, and when the hook itself fails
// once (that batch rolls back and is settled again one event at a time).
func TestBatchFlushRunsOnceInEachTransactionWithItsEvents(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{Partitions: 1})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	var msgs []kafka.Message
	good := 0
	for i := range 60 {
		if i == 30 {
			msgs = append(msgs, envelopeMsg(t, "e-reject", "north", "Reject", "g1"))
			continue
		}
		msgs = append(msgs, envelopeMsg(t, "e-"+fmtInt(int64(i)), "north", "GuardLeft", "g"+fmtInt(int64(i%7))))
		good++
	}
	produce(t, b.Addr, topic, msgs...)
	db := newDB(t, "hq")
	countingSchema(t, db)
	if _, err := db.Exec(`CREATE TABLE tally (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO tally VALUES (1, 0)`); err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		pending = map[*sql.Tx]int{}
		hooks   int
		failed  bool
	)
	handler := func(ctx context.Context, tx *sql.Tx, msg Message) error {
		if msg.Envelope.GetType() == "Reject" {
			return Reject(ReasonBadPayload, errors.New("this event is refused"))
		}
		if err := countingHandler(ctx, tx, msg); err != nil {
			return err
		}
		mu.Lock()
		pending[tx]++
		mu.Unlock()
		return nil
	}
	before := func(ctx context.Context, tx *sql.Tx) error {
		mu.Lock()
		n := pending[tx]
		delete(pending, tx)
		hooks++
		fail := !failed && n > 1
		failed = failed || fail
		mu.Unlock()
		if fail {
			return errors.New("the hook fails once")
		}
		_, err := tx.ExecContext(ctx, `UPDATE tally SET n = n + $1 WHERE id = 1`, n)
		return err
	}
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db, Handler: handler,
		Batch: func(ctx context.Context) (context.Context, func(context.Context, *sql.Tx) error) { return ctx, before }})
	run(t, c.Run)
	waitFor(t, 20*time.Second, "good events applied", func() bool {
		d, _ := appliedCounts(t, db)
		return d == good && c.Lag() == KnownLag(0)
	})
	if d, over := appliedCounts(t, db); d != good || over != 0 {
		t.Fatalf("applied %d distinct (want %d), %d more than once", d, good, over)
	}
	if n := sqlCount(t, db, `SELECT n FROM tally WHERE id = 1`); n != good {
		t.Fatalf("the hooks wrote a count of %d, want %d (the events applied)", n, good)
	}
	mu.Lock()
	defer mu.Unlock()
	if !failed {
		t.Fatal("the hook never saw a batch of more than one event")
	}
	if hooks >= good {
		t.Fatalf("%d hooks for %d events: not once per transaction", hooks, good)
	}
}

// TestABatchScopeSeesEachAppliedEventOnce: a handler that coalesces in the
// consumer's transaction scope (ConsumerConfig.Batch) and writes its tally
// in flush ends with exactly the events applied — batches, events settled
// alone after a poison message or a rejection, a transient failure
// retried, a duplicate skipped — since flush runs in the transaction of
// every path and a failed one takes its scope with it.
func TestABatchScopeSeesEachAppliedEventOnce(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{Partitions: 1})
	topic := Topic("north", "membership")
	ctx := context.Background()
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	var msgs []kafka.Message
	good := 0
	for i := 0; i < 60; i++ {
		switch i {
		case 10:
			msgs = append(msgs, kafka.Message{Key: []byte("x"), Value: []byte("\xff not a protobuf")})
		case 40:
			msgs = append(msgs, envelopeMsg(t, "e-reject", "north", "Reject", "g1"))
		case 50:
			msgs = append(msgs, envelopeMsg(t, "e-5", "north", "GuardLeft", "g5"))
		default:
			msgs = append(msgs, envelopeMsg(t, "e-"+fmtInt(int64(i)), "north", "GuardLeft", "g"+fmtInt(int64(i%7))))
			good++
		}
	}
	produce(t, b.Addr, topic, msgs...)
	db := newDB(t, "hq")
	countingSchema(t, db)
	if _, err := db.Exec(`CREATE TABLE tally (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	type scope struct{ n int }
	type key struct{}
	// e-30 fails twice: once ending a batch, once as the first of the
	// next, so the one-by-one path applies it.
	var failures atomic.Int32
	handler := func(ctx context.Context, tx *sql.Tx, msg Message) error {
		switch {
		case msg.Envelope.GetType() == "Reject":
			return Reject(ReasonBadPayload, errors.New("this event is refused"))
		case msg.Envelope.GetEventId() == "e-30" && failures.Add(1) <= 2:
			return errors.New("transient")
		}
		if err := countingHandler(ctx, tx, msg); err != nil {
			return err
		}
		ctx.Value(key{}).(*scope).n++
		return nil
	}
	batch := func(ctx context.Context) (context.Context, func(context.Context, *sql.Tx) error) {
		s := &scope{}
		return context.WithValue(ctx, key{}, s), func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO tally (id, n) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET n = tally.n + excluded.n`, s.n)
			return err
		}
	}
	c := newConsumer(t, ConsumerConfig{Brokers: []string{b.Addr}, Topic: topic, GroupID: "hq", DB: db, Handler: handler, Batch: batch})
	run(t, c.Run)
	waitFor(t, 20*time.Second, "good events applied", func() bool {
		d, _ := appliedCounts(t, db)
		return d == good && c.Lag() == KnownLag(0)
	})
	if n := sqlCount(t, db, `SELECT n FROM tally`); n != good {
		t.Fatalf("the scope's tally is %d, want %d (the events applied)", n, good)
	}
	if failures.Load() < 3 {
		t.Fatalf("e-30 was tried %d times, want 3 (two failures)", failures.Load())
	}
}
