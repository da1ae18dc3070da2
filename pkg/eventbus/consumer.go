package eventbus

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

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
	tracer   trace.Tracer
	retryMin time.Duration
	retryMax time.Duration
	// mu serializes settling events across the partition workers.
	mu sync.Mutex

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
		tracer:   otel.Tracer("github.com/guildhall/guildhall/pkg/eventbus"),
		retryMin: 100 * time.Millisecond,
		retryMax: 10 * time.Second,
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
	// The lag is measured from the start, also while the topic does not
	// exist yet (0 behind if this consumer never read it), and is unknown
	// again once Run returns.
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
	defer func() { stopLag(); <-lagDone; <-inboxDone; c.lagUnknown() }()
	if !c.waitForTopic(ctx) {
		return nil
	}
	dlq := &kafka.Writer{
		Addr:                   kafka.TCP(c.cfg.Brokers...),
		Topic:                  DLQTopic(c.cfg.Topic),
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           5 * time.Millisecond,
		AllowAutoTopicCreation: true,
		MaxAttempts:            3,
		Transport:              tr,
	}
	defer dlq.Close()
	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
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
	if err != nil {
		return fmt.Errorf("eventbus: consumer group: %w", err)
	}
	// Close leaves the group (so a successor gets the partitions at once)
	// after the generation's partition workers have returned. It also waits
	// for a JoinGroup in flight, up to the group's 30 s rebalance timeout:
	// a shutdown does not wait that long (closeGroupWithin).
	defer c.closeGroupWithin(group, groupCloseTimeout)

	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		gen, err := group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.lagUnknown()
			c.log.WarnContext(ctx, "joining consumer group failed; retrying", "err", err)
			if !sleepCtx(ctx, bo.next()) {
				return nil
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

// partitionState is where a partition worker is: the next offset to read
// and the identity of the message just before it ("" when unknown).
type partitionState struct {
	next   int64
	lastID string
}

// Reasons a partition is re-read from its first offset.
const (
	// ResetLogTruncated: the stored position is past the partition's end.
	ResetLogTruncated = "log_truncated"
	// ResetLogRewritten: the message before the stored position is not the
	// one the consumer read there.
	ResetLogRewritten = "log_rewritten"
	// ResetNoLocalPosition: the consumer has no position although its group
	// committed one past the log start (its database is new or was wiped).
	ResetNoLocalPosition = "no_local_position"
)

// consumePartition reads one assigned partition until ctx ends. It fetches
// with a partition-level client so it always knows, and checks, exactly
// which offset it reads: a group reader would resume at a stale committed
// offset in a refilled log, or wait at an offset past a truncated log's end
// and resume there when it grows.
func (c *Consumer) consumePartition(ctx context.Context, gen *kafka.Generation, dlq *kafka.Writer, pa kafka.PartitionAssignment) {
	topic, p := c.cfg.Topic, pa.ID
	log := c.log.With("partition", p)
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	committed := pa.Offset
	var st partitionState
	verify := func() bool {
		for {
			s, err := c.startPosition(ctx, p, committed)
			if err == nil {
				st = s
				bo.reset()
				break
			}
			if ctx.Err() != nil {
				return false
			}
			c.lagUnknown()
			log.WarnContext(ctx, "cannot check partition against the broker; retrying", "err", err)
			if !sleepCtx(ctx, bo.next()) {
				return false
			}
		}
		if st.next != committed {
			// Point the group at where we really are, so lag and any other
			// member taking the partition over see the truth. A failure is
			// harmless: the next settled event commits again.
			if err := gen.CommitOffsets(map[string]map[int]int64{topic: {p: st.next}}); err == nil {
				committed = st.next
			} else if ctx.Err() == nil {
				log.DebugContext(ctx, "commit of start offset failed", "err", err)
			}
		}
		return true
	}
	if !verify() {
		return
	}
	cli, release := adminClient(c.cfg.Brokers, c.cfg.Transport)
	defer func() { release() }()
	refresh := func() {
		release()
		cli, release = adminClient(c.cfg.Brokers, c.cfg.Transport)
	}
	for ctx.Err() == nil {
		msgs, hwm, err := c.fetch(ctx, cli, p, st.next, 500*time.Millisecond)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case errors.Is(err, kafka.OffsetOutOfRange) || (err == nil && hwm < st.next):
			// The log is shorter than where we are (or starts after it):
			// find out why before reading on.
			c.lagUnknown()
			log.InfoContext(ctx, "partition offset out of range; checking the log", "next_offset", st.next, "err", err)
			if !verify() {
				return
			}
			continue
		case err != nil:
			// Topic being recreated, leader moving, broker down: retry with
			// a fresh client (fresh metadata), then check the log again
			// before trusting what is read next.
			c.lagUnknown()
			log.DebugContext(ctx, "fetch failed; retrying", "err", err)
			refresh()
			if !sleepCtx(ctx, bo.next()) {
				return
			}
			continue
		}
		if len(msgs) == 0 {
			if hwm > st.next {
				// The broker says there is more but sent none of it: its log
				// is not what its index claims (seen with a crashed kfake).
				// Check the log, and back off rather than spin.
				c.lagUnknown()
				log.WarnContext(ctx, "broker returned no events below its high watermark; checking the log", "next_offset", st.next, "high_watermark", hwm)
				if !sleepCtx(ctx, bo.next()) || !verify() {
					return
				}
				refresh()
				continue
			}
			bo.reset()
			continue
		}
		bo.reset()
		if st.lastID != "" {
			// Fetched events at st.next: is the message before them still the
			// one we settled? If the topic was rewritten between our fetches
			// (deleted, recreated and refilled past our offset), it is not,
			// and these events are not the ones that follow what we read.
			id, found, err := c.identityAt(ctx, cli, p, st.next-1)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				c.lagUnknown()
				log.DebugContext(ctx, "check of previous message failed; fetching again", "err", err)
				refresh()
				if !sleepCtx(ctx, bo.next()) {
					return
				}
				continue
			}
			if found && id != st.lastID {
				if !verify() {
					return
				}
				continue
			}
		}
		for len(msgs) > 0 {
			// Apply what applies cleanly in one transaction; the message that
			// stopped the batch (poison, rejected, failing) is settled alone.
			n := c.settleBatch(ctx, msgs)
			if n == 0 {
				if !c.settle(ctx, dlq, msgs[0]) {
					return // ctx ended before the event was settled: it is read again
				}
				n = 1
			}
			m := msgs[n-1]
			msgs = msgs[n:]
			st = partitionState{next: m.Offset + 1, lastID: identity(m)}
			for {
				err := gen.CommitOffsets(map[string]map[int]int64{topic: {p: st.next}})
				if err == nil {
					committed = st.next
					break
				}
				if ctx.Err() != nil {
					return // settled but not committed: the position table knows
				}
				c.lagUnknown()
				log.WarnContext(ctx, "commit failed; retrying", "err", err, "offset", m.Offset)
				if !sleepCtx(ctx, bo.next()) {
					return
				}
			}
			bo.reset()
		}
	}
}

// startSpan continues the producer's trace (from the Kafka headers) with a
// consumer span around applying msg.
func (c *Consumer) startSpan(ctx context.Context, msg Message) (context.Context, trace.Span) {
	ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(msg.Headers))
	return c.tracer.Start(ctx, "eventbus.apply "+msg.Envelope.GetType(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.destination.name", msg.Topic),
			attribute.String("messaging.message.id", msg.Envelope.GetEventId()),
			attribute.Int("messaging.kafka.partition", msg.Partition),
			attribute.Int64("messaging.kafka.offset", msg.Offset),
			attribute.String("messaging.consumer.group.name", c.cfg.GroupID),
		))
}

// maxBatch bounds the events applied in one transaction.
const maxBatch = 500

// settleBatch applies a run of msgs in one transaction on the consumer's
// database, so catching up costs one commit (one fsync) per batch rather
// than per event. Each event runs in its own savepoint; the run stops before
// the first message that is not a well-formed envelope of this district or
// that its handler fails or rejects, which the caller then settles alone.
// It returns how many messages it settled (0: none, the first must be
// settled alone).
func (c *Consumer) settleBatch(ctx context.Context, msgs []kafka.Message) int {
	if len(msgs) < 2 {
		return 0 // the single-event path is the same cost and handles every case
	}
	if len(msgs) > maxBatch {
		msgs = msgs[:maxBatch]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	type done struct {
		msg Message
		dup bool
	}
	var settled []done
	start := time.Now()
	db := c.cfg.DB
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		for _, m := range msgs {
			env := &eventsv1.Envelope{}
			if err := proto.Unmarshal(m.Value, env); err != nil || env.GetEventId() == "" ||
				(c.district != "" && env.GetDistrict() != c.district) {
				break
			}
			msg := Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Envelope: env, Time: m.Time,
				Headers: make(map[string]string, len(m.Headers))}
			for _, h := range m.Headers {
				msg.Headers[h.Key] = string(h.Value)
			}
			if _, err := db.ExecTx(ctx, tx, "SAVEPOINT eventbus_event"); err != nil {
				return err
			}
			sctx, span := c.startSpan(ctx, msg)
			dup, err := c.applyIn(sctx, tx, msg, partitionState{next: m.Offset + 1, lastID: identity(m)})
			if dup {
				span.SetAttributes(attribute.Bool("eventbus.duplicate", true))
			}
			span.End()
			if err != nil {
				if _, rejected := IsRejected(err); !rejected {
					c.retries.Inc() // the single-event path applies it again
				}
				if _, rerr := db.ExecTx(ctx, tx, "ROLLBACK TO SAVEPOINT eventbus_event"); rerr != nil {
					return rerr
				}
				break
			}
			if _, err := db.ExecTx(ctx, tx, "RELEASE SAVEPOINT eventbus_event"); err != nil {
				return err
			}
			settled = append(settled, done{msg, dup})
		}
		return nil
	})
	if err != nil {
		// Nothing of the batch committed; the single-event path retries.
		c.log.DebugContext(ctx, "batch apply failed; settling one by one", "err", err)
		return 0
	}
	if len(settled) > 0 {
		per := time.Since(start).Seconds() / float64(len(settled))
		for _, d := range settled {
			c.latency.Observe(per)
			if d.dup {
				c.dups.Inc()
				continue
			}
			c.applied.Inc()
			if c.cfg.Applied != nil {
				c.cfg.Applied(d.msg)
			}
		}
	}
	return len(settled)
}

// settle processes m and records the partition position with it, holding
// the consumer's lock: partitions are fetched concurrently but applied one
// event at a time, as handlers expect.
func (c *Consumer) settle(ctx context.Context, dlq *kafka.Writer, m kafka.Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.process(ctx, dlq, m)
}

// fetch long-polls partition p from offset for up to maxWait and returns the
// messages at or after offset and the partition's high watermark.
func (c *Consumer) fetch(ctx context.Context, cli *kafka.Client, p int, offset int64, maxWait time.Duration) ([]kafka.Message, int64, error) {
	// A broker that lost its topic can leave a fetch unanswered (seen with a
	// restarted kfake): bound it so the caller refreshes its client and
	// checks the log instead of waiting forever.
	ctx, cancel := context.WithTimeout(ctx, maxWait+fetchGrace)
	defer cancel()
	resp, err := cli.Fetch(ctx, &kafka.FetchRequest{
		Topic: c.cfg.Topic, Partition: p, Offset: offset,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: maxWait,
	})
	if err != nil {
		return nil, -1, err
	}
	if resp.Error != nil {
		return nil, -1, resp.Error
	}
	var out []kafka.Message
	for {
		r, err := resp.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, -1, fmt.Errorf("read records: %w", err)
		}
		if r.Offset < offset {
			continue // a batch may start before the offset asked for
		}
		key, err := kafka.ReadAll(r.Key)
		if err != nil {
			return nil, -1, fmt.Errorf("read key: %w", err)
		}
		value, err := kafka.ReadAll(r.Value)
		if err != nil {
			return nil, -1, fmt.Errorf("read value: %w", err)
		}
		out = append(out, kafka.Message{
			Topic: c.cfg.Topic, Partition: p, Offset: r.Offset,
			Key: key, Value: value, Headers: r.Headers, Time: r.Time,
		})
	}
	return out, resp.HighWatermark, nil
}

// fetchGrace is how long past its MaxWait a fetch may take before it is
// abandoned as lost.
const fetchGrace = 5 * time.Second

// identityAt returns the identity of the message at offset of partition p;
// found is false when the partition holds no message there.
func (c *Consumer) identityAt(ctx context.Context, cli *kafka.Client, p int, offset int64) (id string, found bool, err error) {
	msgs, _, err := c.fetch(ctx, cli, p, offset, 100*time.Millisecond)
	if errors.Is(err, kafka.OffsetOutOfRange) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if len(msgs) == 0 || msgs[0].Offset != offset {
		return "", false, nil
	}
	return identity(msgs[0]), true, nil
}

// identity names a message for the position check: its event id (header,
// else envelope), else a digest of its value (a poison message has no id
// but is still a message we settled).
func identity(m kafka.Message) string {
	for _, h := range m.Headers {
		if h.Key == "event_id" && len(h.Value) > 0 {
			return string(h.Value)
		}
	}
	env := &eventsv1.Envelope{}
	if err := proto.Unmarshal(m.Value, env); err == nil && env.GetEventId() != "" {
		return env.GetEventId()
	}
	sum := sha256.Sum256(m.Value)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// startPosition decides where to read partition p from, comparing the
// consumer's stored position with the broker's log and the group's
// committed offset (negative when none):
//
//   - stored next offset past the partition's end: the log was truncated or
//     lost (log_truncated);
//   - the message before the stored next offset is not the one recorded:
//     the topic was rewritten (log_rewritten);
//   - no stored position while the group committed past the log start: the
//     consumer's database is new but its group is old (no_local_position).
//
// Each of these re-reads the partition from its first offset, logged at
// WARN and counted in ConsumerResets; otherwise the stored position is
// trusted as is (an ordinary restart replays nothing).
func (c *Consumer) startPosition(ctx context.Context, p int, committed int64) (partitionState, error) {
	topic := c.cfg.Topic
	cli, release := adminClient(c.cfg.Brokers, c.cfg.Transport)
	defer release()
	lo, err := cli.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		topic: {kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p)},
	}})
	if err != nil {
		return partitionState{}, fmt.Errorf("list offsets: %w", err)
	}
	first, end := int64(-1), int64(-1)
	for _, po := range lo.Topics[topic] {
		if po.Partition != p {
			continue
		}
		if po.Error != nil {
			return partitionState{}, fmt.Errorf("list offsets of partition %d: %w", p, po.Error)
		}
		first, end = po.FirstOffset, po.LastOffset
	}
	if first < 0 || end < 0 {
		return partitionState{}, fmt.Errorf("no offsets for partition %d", p)
	}
	stored, ok, err := c.loadPosition(ctx, p)
	if err != nil {
		return partitionState{}, err
	}
	reason := ""
	var seen string
	switch {
	case ok && stored.next > end:
		reason = ResetLogTruncated
	case ok && stored.lastID != "" && stored.next-1 >= first:
		id, found, err := c.identityAt(ctx, cli, p, stored.next-1)
		if err != nil {
			return partitionState{}, fmt.Errorf("read message %d of partition %d: %w", stored.next-1, p, err)
		}
		if !found || id != stored.lastID {
			reason, seen = ResetLogRewritten, id
		}
	case !ok && committed >= 0 && committed > first:
		reason = ResetNoLocalPosition
	}
	if reason == "" {
		if !ok || stored.next < first {
			// Nothing read yet, or the broker's retention removed events we
			// never read (nothing to be done about those): start at the log.
			return partitionState{next: first}, nil
		}
		return stored, nil
	}
	c.log.WarnContext(ctx, "broker log does not match what this consumer read; re-reading the partition from its start",
		"partition", p, "reason", reason, "stored_next_offset", stored.next, "stored_last_event_id", stored.lastID,
		"broker_event_id", seen, "first_offset", first, "end_offset", end, "group_committed_offset", committed)
	c.metrics.ConsumerResets.With(prometheus.Labels{
		"district": c.labels["district"], "service": c.labels["service"],
		"topic": c.labels["topic"], "consumer": c.labels["consumer"], "reason": reason,
	}).Inc()
	// Record the reset so a restart before the first re-read event does not
	// count it again; the replay then proceeds from here.
	st := partitionState{next: first}
	db := c.cfg.DB
	if err := db.InTx(ctx, func(tx *sql.Tx) error { return c.savePosition(ctx, tx, p, st) }); err != nil {
		return partitionState{}, err
	}
	return st, nil
}

// loadPosition reads the stored position of partition p.
func (c *Consumer) loadPosition(ctx context.Context, p int) (partitionState, bool, error) {
	db := c.cfg.DB
	var st partitionState
	err := db.QueryRowContext(ctx, db.Rebind(`SELECT next_offset, last_event_id FROM eventbus_consumer_position
		WHERE consumer = ? AND topic = ? AND partition = ?`), c.cfg.Name, c.cfg.Topic, p).Scan(&st.next, &st.lastID)
	if errors.Is(err, sql.ErrNoRows) {
		return partitionState{}, false, nil
	}
	if err != nil {
		return partitionState{}, false, fmt.Errorf("eventbus: read consumer position: %w", err)
	}
	return st, true, nil
}

// savePosition records the position of partition p in tx.
func (c *Consumer) savePosition(ctx context.Context, tx *sql.Tx, p int, st partitionState) error {
	_, err := c.cfg.DB.ExecTx(ctx, tx, `INSERT INTO eventbus_consumer_position
		(consumer, topic, partition, next_offset, last_event_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = excluded.next_offset,
			last_event_id = excluded.last_event_id, updated_at = excluded.updated_at`,
		c.cfg.Name, c.cfg.Topic, p, st.next, st.lastID, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("eventbus: save consumer position: %w", err)
	}
	return nil
}

// waitForTopic polls the broker until the topic exists with partitions, so
// a consumer for a district that has not published yet just waits. It
// reports false if ctx ended first.
func (c *Consumer) waitForTopic(ctx context.Context) bool {
	bo := newBackoff(100*time.Millisecond, 2*time.Second)
	logged := false
	for {
		cli, release := adminClient(c.cfg.Brokers, c.cfg.Transport)
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

// process settles one message: applied, duplicate or dead-lettered. It
// reports false only when ctx ended first.
func (c *Consumer) process(ctx context.Context, dlq *kafka.Writer, m kafka.Message) bool {
	headers := make(map[string]string, len(m.Headers))
	for _, h := range m.Headers {
		headers[h.Key] = string(h.Value)
	}
	env := &eventsv1.Envelope{}
	if err := proto.Unmarshal(m.Value, env); err != nil || env.GetEventId() == "" {
		if err == nil {
			err = errors.New("envelope has no event id")
		}
		return c.deadLetter(ctx, dlq, m, ReasonUndecodable, err) && c.recordPosition(ctx, m)
	}
	if c.district != "" && env.GetDistrict() != c.district {
		return c.deadLetter(ctx, dlq, m, ReasonDistrictMismatch,
			fmt.Errorf("envelope district %q on topic of district %q", env.GetDistrict(), c.district)) &&
			c.recordPosition(ctx, m)
	}
	msg := Message{
		Topic: m.Topic, Partition: m.Partition, Offset: m.Offset,
		Envelope: env, Time: m.Time, Headers: headers,
	}
	pos := partitionState{next: m.Offset + 1, lastID: identity(m)}
	ctx, span := c.startSpan(ctx, msg)
	defer span.End()

	bo := newBackoff(c.retryMin, c.retryMax)
	for {
		start := time.Now()
		dup, err := c.apply(ctx, msg, pos)
		if err == nil {
			c.latency.Observe(time.Since(start).Seconds())
			if dup {
				c.dups.Inc()
				span.SetAttributes(attribute.Bool("eventbus.duplicate", true))
			} else {
				c.applied.Inc()
				if c.cfg.Applied != nil {
					c.cfg.Applied(msg)
				}
			}
			return true
		}
		if reason, ok := IsRejected(err); ok {
			span.SetStatus(codes.Error, "rejected: "+string(reason))
			return c.deadLetter(ctx, dlq, m, reason, err) && c.recordPosition(ctx, m)
		}
		if ctx.Err() != nil {
			return false
		}
		c.retries.Inc()
		span.RecordError(err)
		c.log.WarnContext(ctx, "apply failed; retrying", "err", err,
			"event_id", env.GetEventId(), "event_type", env.GetType())
		if !sleepCtx(ctx, bo.next()) {
			return false
		}
	}
}

// apply records the event id and the partition position and runs the
// handler, in one transaction. It reports whether the event had been applied
// before (and so was skipped).
func (c *Consumer) apply(ctx context.Context, msg Message, pos partitionState) (dup bool, err error) {
	err = c.cfg.DB.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		dup, err = c.applyIn(ctx, tx, msg, pos)
		return err
	})
	return dup, err
}

// applyIn records the event id and the partition position in tx and, unless
// the event was applied before, runs the handler in it.
func (c *Consumer) applyIn(ctx context.Context, tx *sql.Tx, msg Message, pos partitionState) (dup bool, err error) {
	db := c.cfg.DB
	err = func() error {
		res, err := db.ExecTx(ctx, tx, `INSERT INTO eventbus_inbox (consumer, event_id, topic, applied_at)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			c.cfg.Name, msg.Envelope.GetEventId(), msg.Topic, time.Now().UTC().Format(time.RFC3339Nano))
		if err != nil {
			return fmt.Errorf("eventbus: inbox insert: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("eventbus: inbox insert: %w", err)
		}
		if err := c.savePosition(ctx, tx, msg.Partition, pos); err != nil {
			return err
		}
		if n == 0 {
			dup = true
			return nil
		}
		return c.cfg.Handler(ctx, tx, msg)
	}()
	return dup, err
}

// recordPosition stores the position after m, which was settled without an
// apply transaction (dead-lettered), retrying until it is stored: it must be
// there before the offset is committed. It reports false only when ctx
// ended first.
func (c *Consumer) recordPosition(ctx context.Context, m kafka.Message) bool {
	pos := partitionState{next: m.Offset + 1, lastID: identity(m)}
	bo := newBackoff(c.retryMin, c.retryMax)
	for {
		err := c.cfg.DB.InTx(ctx, func(tx *sql.Tx) error { return c.savePosition(ctx, tx, m.Partition, pos) })
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		c.log.WarnContext(ctx, "recording consumer position failed; retrying", "err", err, "partition", m.Partition, "offset", m.Offset)
		if !sleepCtx(ctx, bo.next()) {
			return false
		}
	}
}

// deadLetter writes m to the dead-letter topic with the reason, retrying
// until it is written (an event is never skipped silently). It reports
// false only when ctx ended first.
func (c *Consumer) deadLetter(ctx context.Context, dlq *kafka.Writer, m kafka.Message, reason Reason, cause error) bool {
	c.metrics.ConsumerRejected.With(prometheus.Labels{
		"district": c.labels["district"], "service": c.labels["service"],
		"topic": c.labels["topic"], "consumer": c.labels["consumer"], "reason": string(reason),
	}).Inc()
	headers := append([]kafka.Header{}, m.Headers...)
	errText := ""
	if cause != nil {
		errText = cause.Error()
	}
	headers = append(headers,
		kafka.Header{Key: "dlq_reason", Value: []byte(reason)},
		kafka.Header{Key: "dlq_error", Value: []byte(errText)},
		kafka.Header{Key: "dlq_source_topic", Value: []byte(m.Topic)},
		kafka.Header{Key: "dlq_source_partition", Value: []byte(strconv.Itoa(m.Partition))},
		kafka.Header{Key: "dlq_source_offset", Value: []byte(strconv.FormatInt(m.Offset, 10))},
		kafka.Header{Key: "dlq_consumer", Value: []byte(c.cfg.Name)},
	)
	c.log.WarnContext(ctx, "dead-lettering event", "reason", reason, "err", cause,
		"partition", m.Partition, "offset", m.Offset)
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		err := dlq.WriteMessages(ctx, kafka.Message{Key: m.Key, Value: m.Value, Headers: headers})
		if err == nil {
			c.dead.Inc()
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		c.log.WarnContext(ctx, "dead-letter write failed; retrying", "err", err)
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
