package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/pkg/storage"
)

// Message is one event delivered to a Handler.
type Message struct {
	// Topic, Partition and Offset locate the event in Kafka.
	Topic     string
	Partition int
	Offset    int64
	// Envelope is the decoded event.
	Envelope *eventsv1.Envelope
	// Time is the Kafka message timestamp.
	Time time.Time
	// Headers are the Kafka headers (event_id, event_type, traceparent, …).
	Headers map[string]string
}

// Handler applies one event inside tx, a transaction on the consumer's own
// database. Returning an error rolls the transaction back: a Reject error
// dead-letters the event, any other error retries it.
type Handler func(ctx context.Context, tx *sql.Tx, msg Message) error

// ConsumerConfig configures a Consumer.
type ConsumerConfig struct {
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Topic is the one topic this consumer reads.
	Topic string
	// GroupID is the Kafka consumer group.
	GroupID string
	// Node is the node the consumer runs in: a district id, or "hq". It
	// names the dead-letter topic (DeadLetterTopic): set it on a consumer
	// of another node's topic so that its dead letters stay under its own
	// node's prefix. Empty: <Topic>.dlq.
	Node string
	// Name scopes deduplication in eventbus_inbox; default GroupID.
	Name string
	// DB is the consumer's own database, eventbus migrations applied.
	DB *storage.DB
	// Handler applies events.
	Handler Handler
	// Logger receives the consumer's logs; nil discards them.
	Logger *slog.Logger
	// Metrics is shared by the process; nil uses unregistered metrics.
	Metrics *Metrics
	// SessionTimeout is the group session timeout; default 6s (kfake's
	// minimum: a lower one makes joining fail silently).
	SessionTimeout time.Duration
	// Dialer is the consumer group's dialer (TLS/SASL) for joining and
	// committing; nil uses kafka-go's default.
	Dialer *kafka.Dialer
	// Transport is used for fetches, dead letters and lag queries
	// (TLS/SASL); nil uses a plain TCP transport owned by the consumer.
	Transport kafka.RoundTripper
	// FetchMaxBytes bounds what one fetch of a partition returns (the
	// broker still returns a first record batch larger than it); default
	// DefaultFetchMaxBytes. Every assigned partition has a fetch of its own
	// in flight, so a process's fetch buffers are up to its partitions ×
	// this, twice over while the events are decoded: HQ reads 3 partitions
	// of every district's topics.
	FetchMaxBytes int
	// LagInterval is how often the group's lag is measured; default 2s.
	LagInterval time.Duration
	// InboxRetention is how long applied event ids are kept for
	// deduplication; default DefaultInboxRetention. It must be longer than
	// the outbox retention of the producing relays.
	InboxRetention time.Duration
	// Applied, if set, is called after an event's transaction committed
	// (not for duplicates or dead letters): for end-to-end latency probes
	// and benchmarks. It runs on the consuming goroutine; keep it cheap.
	Applied func(Message)
	// Batch, if set, opens a scope around each transaction the consumer
	// applies events in (a fetched batch, or one event alone): it gets the
	// transaction's context and returns the context the handler gets for
	// that transaction's events, and flush, which runs in the transaction
	// after its last event and before the commit. A handler can so keep
	// what it can coalesce (freshness, counters) in memory and write it
	// once a transaction instead of once an event. It must add to the
	// scope only for an event it applied without error: an event that
	// fails is rolled back to its savepoint, and whatever a failed
	// transaction kept is dropped with it.
	Batch func(ctx context.Context) (context.Context, func(ctx context.Context, tx *sql.Tx) error)
}

// Consumer applies the events of one topic, exactly once in effect: each
// event id is recorded in the consumer's database in the same transaction
// as the handler's changes, and the Kafka offset is committed only after.
// Its position in each partition is stored with every settled event, and
// checked against the broker before it reads on, so a topic the broker lost
// and refilled is re-read rather than skipped.
type Consumer struct {
	cfg      ConsumerConfig
	district string
	log      *slog.Logger
	labels   prometheus.Labels
	metrics  *Metrics
	applied  prometheus.Counter
	dups     prometheus.Counter
	dead     prometheus.Counter
	retries  prometheus.Counter
	latency  prometheus.Observer
	age      prometheus.Observer
	tracer   trace.Tracer
	retryMin time.Duration
	retryMax time.Duration
	// commitEvery is commitEvery (partition.go); tests lengthen it.
	commitEvery time.Duration
	// commits counts the offset commits the partition workers sent after
	// settling (tests).
	commits atomic.Int64
	// mu serializes the single-event path (settle) and the replay of
	// parked events across the partition workers. The batch path does not
	// take it: its handlers run inside storage.DB.InTx, which already runs
	// one transaction's function at a time (and commits the transactions
	// queued meanwhile together), so holding mu through a batch's commit
	// only kept the other partitions' batches out of that commit.
	mu sync.Mutex
	// parkedMu guards parked, which both paths read (blocked). It is never
	// held while waiting for a transaction: a function run in another
	// caller's group commit takes it.
	parkedMu sync.Mutex
	// parked counts the parked events per aggregate id (parked.go).
	parked  map[string]int
	parkedG prometheus.Gauge

	// lagMu guards the lag and its epoch, which every broker failure
	// advances so that a measurement begun before it is not recorded.
	lagMu    sync.Mutex
	lagEpoch uint64
	lag      Lag
	// lagTrigger, when set (tests), replaces the LagInterval ticker: a
	// measurement follows each receive, and closes the channel received.
	lagTrigger chan chan struct{}
}

// NewConsumer returns a consumer for cfg.
func NewConsumer(cfg ConsumerConfig) (*Consumer, error) {
	switch {
	case len(cfg.Brokers) == 0:
		return nil, errors.New("eventbus: consumer needs brokers")
	case cfg.Topic == "":
		return nil, errors.New("eventbus: consumer needs a topic")
	case cfg.GroupID == "":
		return nil, errors.New("eventbus: consumer needs a group id")
	case cfg.DB == nil:
		return nil, errors.New("eventbus: consumer needs a database")
	case cfg.Handler == nil:
		return nil, errors.New("eventbus: consumer needs a handler")
	case cfg.Node != "" && !ValidName(cfg.Node):
		return nil, fmt.Errorf("eventbus: consumer node %q is no district id or hq", cfg.Node)
	}
	if cfg.Name == "" {
		cfg.Name = cfg.GroupID
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 6 * time.Second
	}
	if cfg.FetchMaxBytes <= 0 {
		cfg.FetchMaxBytes = DefaultFetchMaxBytes
	}
	if cfg.LagInterval <= 0 {
		cfg.LagInterval = 2 * time.Second
	}
	if cfg.InboxRetention <= 0 {
		cfg.InboxRetention = DefaultInboxRetention
	}
	labels := consumerSeries(cfg.Topic, cfg.Name)
	district := labels["district"]
	m := cfg.Metrics
	c := &Consumer{
		cfg:      cfg,
		district: district,
		log:      cfg.Logger.With("component", "consumer", "topic", cfg.Topic, "consumer", cfg.Name),
		labels:   labels,
		metrics:  m,
		applied:  m.ConsumerApplied.With(labels),
		dups:     m.ConsumerDuplicates.With(labels),
		dead:     m.ConsumerDeadLettered.With(labels),
		retries:  m.ConsumerRetries.With(labels),
		latency:  m.ApplyDuration.With(labels),
		age:      m.EventAge.With(labels),
		parked:   map[string]int{},
		parkedG:  m.ConsumerParked.With(labels),
		tracer:   otel.Tracer("github.com/guildhall/guildhall/pkg/eventbus"),
		retryMin: 100 * time.Millisecond,
		retryMax: 10 * time.Second,

		commitEvery: commitEvery,
	}
	return c, nil
}

// Run consumes until ctx ends, then leaves the group and returns nil. A
// topic that does not exist yet is waited for.
//
// The group assigns partitions and stores offsets, but where a partition is
// read from is decided by the consumer's own position table: before reading
// a partition, and after every fetch that returned events, the consumer
// checks that the broker still holds the log it read (see startPosition and
// consumePartition). A broker that lost a topic and had it refilled (kfake
// restarted after SIGKILL, a real cluster that lost a topic) keeps — or is
// given — committed offsets that belong to the old log; resuming there would
// silently skip events, so the partition is re-read from its first offset
// instead. Replaying costs time only: the inbox drops events already applied.
func (c *Consumer) Run(ctx context.Context) error {
	var tr kafka.RoundTripper = c.cfg.Transport
	if tr == nil {
		own := &kafka.Transport{}
		defer own.CloseIdleConnections()
		tr = own
	}
	defer c.watch(ctx)()
	if !c.waitForTopic(ctx) {
		return nil
	}
	dlq := c.newDLQWriter(tr)
	defer dlq.Close()
	// What an earlier build parked applies first, in order; what is still
	// parked holds its aggregates' later events back.
	if err := c.replayParked(ctx, dlq); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	group, err := c.newGroup()
	if err != nil {
		return fmt.Errorf("eventbus: consumer group: %w", err)
	}
	// Close leaves the group (so a successor gets the partitions at once)
	// after the generation's partition workers have returned. It also waits
	// for a JoinGroup in flight, up to the group's 30 s rebalance timeout:
	// a shutdown does not wait that long (closeGroupWithin).
	defer c.closeGroupWithin(group, groupCloseTimeout)
	c.consumeGenerations(ctx, group, dlq)
	return nil
}

// watch starts the consumer's background work — measuring the lag and
// pruning the inbox — until the returned stop is called, which waits for
// it and leaves the lag unknown. The lag is measured from the start, also
// while the topic does not exist yet (0 behind if this consumer never read
// it), and is unknown again once Run returns.
func (c *Consumer) watch(ctx context.Context) (stop func()) {
	lagCtx, stopLag := context.WithCancel(ctx)
	lagDone := make(chan struct{})
	go func() {
		defer close(lagDone)
		c.watchLag(lagCtx)
	}()
	inboxDone := make(chan struct{})
	go func() {
		defer close(inboxDone)
		c.watchInbox(lagCtx)
	}()
	return func() { stopLag(); <-lagDone; <-inboxDone; c.lagUnknown() }
}

// newGroup creates the consumer group of the consumer's topic.
func (c *Consumer) newGroup() (*kafka.ConsumerGroup, error) {
	return kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:             c.cfg.GroupID,
		Brokers:        c.cfg.Brokers,
		Dialer:         c.cfg.Dialer,
		Topics:         []string{c.cfg.Topic},
		SessionTimeout: c.cfg.SessionTimeout,
		StartOffset:    kafka.FirstOffset,
		// A district topic may gain partitions; rebalance when it does.
		WatchPartitionChanges: true,
		// The default 5 s makes a join that failed (topic just created,
		// coordinator moving) cost seconds of latency.
		JoinGroupBackoff: time.Second,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			c.log.Debug("kafka consumer group: " + fmt.Sprintf(msg, args...))
		}),
	})
}

// consumeGenerations joins generation after generation of the group until
// ctx ends, running one partition worker per assigned partition in each.
func (c *Consumer) consumeGenerations(ctx context.Context, group *kafka.ConsumerGroup, dlq *kafka.Writer) {
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		gen, err := group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.lagUnknown()
			c.log.WarnContext(ctx, "joining consumer group failed; retrying", "err", err)
			if !sleepCtx(ctx, bo.next()) {
				return
			}
			continue
		}
		bo.reset()
		c.log.DebugContext(ctx, "consumer group generation", "generation", gen.ID, "assignments", gen.Assignments[c.cfg.Topic])
		for _, pa := range gen.Assignments[c.cfg.Topic] {
			gen.Start(func(gctx context.Context) {
				// The worker ends with the generation (rebalance) or with
				// Run's ctx, whichever comes first.
				pctx, cancel := context.WithCancel(ctx)
				defer cancel()
				stop := context.AfterFunc(gctx, cancel)
				defer stop()
				c.consumePartition(pctx, gen, dlq, pa)
			})
		}
	}
}

// waitForTopic polls the broker until the topic exists with partitions, so
// a consumer for a district that has not published yet just waits. It
// reports false if ctx ended first.
func (c *Consumer) waitForTopic(ctx context.Context) bool {
	bo := newBackoff(100*time.Millisecond, 2*time.Second)
	logged := false
	for {
		cli, release := adminClient(c.cfg.Brokers, c.cfg.Transport, c.cfg.Topic)
		md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{c.cfg.Topic}})
		release()
		if err == nil {
			for _, t := range md.Topics {
				if t.Name == c.cfg.Topic && t.Error == nil && len(t.Partitions) > 0 {
					return true
				}
			}
		}
		if ctx.Err() != nil {
			return false
		}
		if !logged {
			if err != nil {
				c.log.InfoContext(ctx, "waiting for topic", "err", err)
			} else {
				c.log.InfoContext(ctx, "waiting for topic: the broker does not have it yet")
			}
			logged = true
		}
		if !sleepCtx(ctx, bo.next()) {
			return false
		}
	}
}

// groupCloseTimeout bounds how long Run waits for the consumer group to
// leave on the way out. Past it the group is left to the broker's session
// timeout, as after a crash: nothing is lost (offsets are committed only
// after events are applied, and the inbox drops what is redelivered).
const groupCloseTimeout = 5 * time.Second

// closeGroupWithin closes group, giving up waiting after d.
func (c *Consumer) closeGroupWithin(group io.Closer, d time.Duration) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = group.Close()
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		c.log.Warn("the consumer group did not leave in time; the broker ends its session", "waited", d)
	}
}

// observeAge records how old msg's event is as it is applied at now (now −
// occurred_at), with its trace as exemplar. A producer whose clock runs
// ahead of ours gives a negative age, recorded as 0: the event is fresh,
// and a histogram has no bucket below zero.
func (c *Consumer) observeAge(msg Message, now time.Time) {
	at := msg.Envelope.GetOccurredAt()
	if at == nil {
		return
	}
	observeWithTrace(c.age, msg, max(0, now.Sub(at.AsTime()).Seconds()))
}
