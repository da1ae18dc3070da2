package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
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

// Reasons for dead-lettering that the consumer itself decides.
const (
	// ReasonUndecodable is the reason of a message that is not an Envelope.
	ReasonUndecodable = "undecodable"
	// ReasonDistrictMismatch is the reason of an envelope whose district is
	// not its topic's district (a district must not speak for another).
	ReasonDistrictMismatch = "district_mismatch"
)

type rejected struct {
	reason string
	err    error
}

func (e *rejected) Error() string {
	if e.err == nil {
		return "rejected: " + e.reason
	}
	return "rejected: " + e.reason + ": " + e.err.Error()
}

func (e *rejected) Unwrap() error { return e.err }

// Reject marks an error as permanent: the event is dead-lettered with
// reason, the consumer moves on. Other handler errors are retried with
// backoff.
func Reject(reason string, err error) error {
	if reason == "" {
		reason = "rejected"
	}
	return &rejected{reason: reason, err: err}
}

// IsRejected reports whether err (or an error it wraps) came from Reject,
// and its reason.
func IsRejected(err error) (reason string, ok bool) {
	var r *rejected
	if errors.As(err, &r) {
		return r.reason, true
	}
	return "", false
}

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
	// Dialer is the reader's dialer (TLS/SASL); nil uses kafka-go's default.
	Dialer *kafka.Dialer
	// Transport is used for dead letters and lag queries (TLS/SASL); nil
	// uses a plain TCP transport owned by the consumer.
	Transport kafka.RoundTripper
	// LagInterval is how often the group's lag is measured; default 2s.
	LagInterval time.Duration
}

// Consumer applies the events of one topic, exactly once in effect: each
// event id is recorded in the consumer's database in the same transaction
// as the handler's changes, and the Kafka offset is committed only after.
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
	lagGauge prometheus.Gauge
	latency  prometheus.Observer
	tracer   trace.Tracer
	lag      atomic.Int64
	retryMin time.Duration
	retryMax time.Duration
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
	district, service, _ := ParseTopic(cfg.Topic)
	labels := prometheus.Labels{"district": district, "service": service, "topic": cfg.Topic, "consumer": cfg.Name}
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
		lagGauge: m.ConsumerLag.With(labels),
		latency:  m.ApplyDuration.With(labels),
		tracer:   otel.Tracer("github.com/guildhall/guildhall/pkg/eventbus"),
		retryMin: 100 * time.Millisecond,
		retryMax: 10 * time.Second,
	}
	c.lag.Store(-1)
	return c, nil
}

// Lag is how many events the group is behind the topic's end, as last
// measured; -1 when unknown (topic not there yet, broker unreachable).
func (c *Consumer) Lag() int64 { return c.lag.Load() }

// Run consumes until ctx ends, then closes its reader and returns nil. A
// topic that does not exist yet is waited for.
func (c *Consumer) Run(ctx context.Context) error {
	var tr kafka.RoundTripper = c.cfg.Transport
	if tr == nil {
		own := &kafka.Transport{}
		defer own.CloseIdleConnections()
		tr = own
	}
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
	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        c.cfg.Brokers,
		GroupID:        c.cfg.GroupID,
		Topic:          c.cfg.Topic,
		Dialer:         c.cfg.Dialer,
		StartOffset:    kafka.FirstOffset,
		CommitInterval: 0, // commit explicitly, only after the event is applied
		SessionTimeout: c.cfg.SessionTimeout,
		MaxWait:        500 * time.Millisecond,
		// A district topic may gain partitions; rebalance when it does.
		WatchPartitionChanges: true,
		ReadBackoffMax:        time.Second,
		// The default 5 s makes a join that failed (topic just created,
		// coordinator moving) cost seconds of latency.
		JoinGroupBackoff: time.Second,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			c.log.Debug("kafka reader: " + fmt.Sprintf(msg, args...))
		}),
	})
	defer reader.Close()

	lagCtx, stopLag := context.WithCancel(ctx)
	lagDone := make(chan struct{})
	go func() {
		defer close(lagDone)
		c.watchLag(lagCtx)
	}()
	defer func() { stopLag(); <-lagDone }()

	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		m, err := reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.log.WarnContext(ctx, "fetch failed; retrying", "err", err)
			if !sleepCtx(ctx, bo.next()) {
				return nil
			}
			continue
		}
		bo.reset()
		if !c.process(ctx, dlq, m) {
			return nil // ctx ended before the event was settled: it will be redelivered
		}
		for {
			err := reader.CommitMessages(ctx, m)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil // applied but not committed: redelivery is a duplicate, dropped
			}
			c.log.WarnContext(ctx, "commit failed; retrying", "err", err, "partition", m.Partition, "offset", m.Offset)
			if !sleepCtx(ctx, bo.next()) {
				return nil
			}
		}
		bo.reset()
	}
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
			c.log.InfoContext(ctx, "waiting for topic", "err", err)
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
		return c.deadLetter(ctx, dlq, m, ReasonUndecodable, err)
	}
	if c.district != "" && env.GetDistrict() != c.district {
		return c.deadLetter(ctx, dlq, m, ReasonDistrictMismatch,
			fmt.Errorf("envelope district %q on topic of district %q", env.GetDistrict(), c.district))
	}
	msg := Message{
		Topic: m.Topic, Partition: m.Partition, Offset: m.Offset,
		Envelope: env, Time: m.Time, Headers: headers,
	}
	ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(headers))
	ctx, span := c.tracer.Start(ctx, "eventbus.apply "+env.GetType(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.destination.name", m.Topic),
			attribute.String("messaging.message.id", env.GetEventId()),
			attribute.Int("messaging.kafka.partition", m.Partition),
			attribute.Int64("messaging.kafka.offset", m.Offset),
			attribute.String("messaging.consumer.group.name", c.cfg.GroupID),
		))
	defer span.End()

	bo := newBackoff(c.retryMin, c.retryMax)
	for {
		start := time.Now()
		dup, err := c.apply(ctx, msg)
		if err == nil {
			c.latency.Observe(time.Since(start).Seconds())
			if dup {
				c.dups.Inc()
				span.SetAttributes(attribute.Bool("eventbus.duplicate", true))
			} else {
				c.applied.Inc()
			}
			return true
		}
		if reason, ok := IsRejected(err); ok {
			span.SetStatus(codes.Error, "rejected: "+reason)
			return c.deadLetter(ctx, dlq, m, reason, err)
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

// apply records the event id and runs the handler in one transaction. It
// reports whether the event had been applied before (and so was skipped).
func (c *Consumer) apply(ctx context.Context, msg Message) (dup bool, err error) {
	db := c.cfg.DB
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO eventbus_inbox (consumer, event_id, topic, applied_at)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			c.cfg.Name, msg.Envelope.GetEventId(), msg.Topic, time.Now().UTC().Format(time.RFC3339Nano))
		if err != nil {
			return fmt.Errorf("eventbus: inbox insert: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("eventbus: inbox insert: %w", err)
		}
		if n == 0 {
			dup = true
			return nil
		}
		return c.cfg.Handler(ctx, tx, msg)
	})
	return dup, err
}

// deadLetter writes m to the dead-letter topic with the reason, retrying
// until it is written (an event is never skipped silently). It reports
// false only when ctx ended first.
func (c *Consumer) deadLetter(ctx context.Context, dlq *kafka.Writer, m kafka.Message, reason string, cause error) bool {
	c.metrics.ConsumerRejected.With(prometheus.Labels{
		"district": c.labels["district"], "service": c.labels["service"],
		"topic": c.labels["topic"], "consumer": c.labels["consumer"], "reason": reason,
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

// watchLag measures the group's lag every LagInterval until ctx ends.
func (c *Consumer) watchLag(ctx context.Context) {
	t := time.NewTicker(c.cfg.LagInterval)
	defer t.Stop()
	for {
		cli, release := adminClient(c.cfg.Brokers, c.cfg.Transport)
		lag, err := c.measureLag(ctx, cli)
		release()
		if err == nil {
			c.lag.Store(lag)
			c.lagGauge.Set(float64(lag))
		} else if ctx.Err() == nil {
			c.log.DebugContext(ctx, "lag unknown", "err", err)
			c.lag.Store(-1)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// measureLag sums, over the topic's partitions, the end offset minus the
// group's committed offset (the log start when nothing is committed).
func (c *Consumer) measureLag(ctx context.Context, cli *kafka.Client) (int64, error) {
	topic := c.cfg.Topic
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return -1, err
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Name == topic {
			if t.Error != nil {
				return -1, t.Error
			}
			for _, p := range t.Partitions {
				parts = append(parts, p.ID)
			}
		}
	}
	if len(parts) == 0 {
		return -1, errors.New("topic has no partitions")
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[topic] = append(req.Topics[topic], kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	lo, err := cli.ListOffsets(ctx, req)
	if err != nil {
		return -1, err
	}
	of, err := cli.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: c.cfg.GroupID, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return -1, err
	}
	if of.Error != nil {
		return -1, of.Error
	}
	committed := map[int]int64{}
	for _, p := range of.Topics[topic] {
		if p.Error != nil {
			return -1, p.Error
		}
		committed[p.Partition] = p.CommittedOffset
	}
	var lag int64
	for _, po := range lo.Topics[topic] {
		if po.Error != nil {
			return -1, po.Error
		}
		from := po.FirstOffset
		if off, ok := committed[po.Partition]; ok && off >= 0 {
			from = off
		}
		if d := po.LastOffset - from; d > 0 {
			lag += d
		}
	}
	return lag, nil
}
