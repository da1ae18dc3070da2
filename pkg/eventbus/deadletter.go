package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// Reason is why an event was dead-lettered: the dlq_reason header of the
// dead letter and the reason label of ConsumerRejected. Every reason is
// declared here, once, with its meaning (Reasons); a handler names one in
// Reject. docs/events.md lists the table (a test holds it to this one).
type Reason string

// The dead-letter reasons. The consumer decides the first two itself;
// handlers name the others in Reject.
const (
	// ReasonUndecodable: the message is not an Envelope (decided by every
	// consumer).
	ReasonUndecodable Reason = "undecodable"
	// ReasonDistrictMismatch: a district speaking for another (the
	// consumer checks the envelope against its topic; handlers check what
	// the payload names against the envelope).
	ReasonDistrictMismatch Reason = "district_mismatch"
	// ReasonWrongService: a service speaking on another's topic.
	ReasonWrongService Reason = "wrong_service"
	// ReasonUnknownType: a type the consumer does not know for its service.
	ReasonUnknownType Reason = "unknown_type"
	// ReasonBadPayload: the payload is not what its type must carry.
	ReasonBadPayload Reason = "bad_payload"
	// ReasonRejected: Reject called without a reason.
	ReasonRejected Reason = "rejected"
)

// ReasonInfo is one row of the dead-letter reason table.
type ReasonInfo struct {
	Reason Reason
	// Meaning says, for an operator reading a dead letter, what is wrong
	// with the event.
	Meaning string
}

// reasons is the table behind Reasons and Reason.Meaning.
var reasons = []ReasonInfo{
	{ReasonUndecodable, "the message is not an `Envelope`, or has no `event_id`"},
	{ReasonDistrictMismatch, "a district speaking for another: the envelope's district is not its topic's, or a snapshot or signature in it is of another district than the envelope's"},
	{ReasonWrongService, "a service speaking on another's topic: the envelope's service is not its topic's, or not one the consumer applies"},
	{ReasonUnknownType, "a type the consumer does not know for that service (for example, a producer newer than the consumer); such an event is parked, not dead-lettered, and applies when the consumer is upgraded — a dead letter with this reason comes from a build before parking"},
	{ReasonUnknownVersion, "a schema version of a known type the consumer cannot read yet; parked like unknown_type, never dead-lettered"},
	{ReasonBadPayload, "the payload does not decode, lacks what its type carries (a snapshot, an id), or its snapshot's id is not the envelope's `aggregate_id`"},
	{ReasonRejected, "a handler rejected the event without naming a reason (a handler should name one of the above)"},
}

// Reasons returns the table of every dead-letter reason with its meaning.
func Reasons() []ReasonInfo { return slices.Clone(reasons) }

// Meaning returns what the reason says about an event, or "" for a reason
// the table does not declare.
func (r Reason) Meaning() string {
	for _, ri := range reasons {
		if ri.Reason == r {
			return ri.Meaning
		}
	}
	return ""
}

type rejected struct {
	reason Reason
	err    error
}

func (e *rejected) Error() string {
	if e.err == nil {
		return "rejected: " + string(e.reason)
	}
	return "rejected: " + string(e.reason) + ": " + e.err.Error()
}

func (e *rejected) Unwrap() error { return e.err }

// Reject marks an error as permanent: the event is dead-lettered with
// reason, the consumer moves on. Other handler errors are retried with
// backoff. It is the one reject wrapper: code that decides an event can
// never apply (a projector, say) returns Reject's error for the consumer
// to see through any wrapping.
func Reject(reason Reason, err error) error {
	if reason == "" {
		reason = ReasonRejected
	}
	return &rejected{reason: reason, err: err}
}

// IsRejected reports whether err (or an error it wraps) came from Reject,
// and its reason.
func IsRejected(err error) (reason Reason, ok bool) {
	var r *rejected
	if errors.As(err, &r) {
		return r.reason, true
	}
	return "", false
}

// newDLQWriter returns the writer of the consumer's dead-letter topic
// (created on first use), on tr.
func (c *Consumer) newDLQWriter(tr kafka.RoundTripper) *kafka.Writer {
	return &kafka.Writer{
		Addr:                   kafka.TCP(c.cfg.Brokers...),
		Topic:                  DeadLetterTopic(c.cfg.Node, c.cfg.Topic),
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           5 * time.Millisecond,
		AllowAutoTopicCreation: true,
		MaxAttempts:            3,
		Transport:              tr,
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
		if errors.Is(err, kafka.UnknownTopicOrPartition) {
			// A cluster that creates no topic on first use (Strimzi's
			// topic operator with auto.create.topics.enable=false) would
			// refuse this write forever and hold the partition with it.
			// The dead-letter topic is under the node's own prefix, which
			// its principal may create (the chart's KafkaUser).
			if err := createTopic(ctx, dlq.Addr, dlq.Transport, dlq.Topic); err != nil {
				c.log.WarnContext(ctx, "dead-letter topic cannot be created", "topic", dlq.Topic, "err", err)
			}
		}
		if !sleepCtx(ctx, bo.next()) {
			return false
		}
	}
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

// createTopic creates topic with the cluster's default partitions and
// replication (-1: CreateTopics v4, Kafka 2.4 and later); one that exists
// already is no error.
func createTopic(ctx context.Context, addr net.Addr, tr kafka.RoundTripper, topic string) error {
	cli := &kafka.Client{Addr: addr, Transport: tr, Timeout: 10 * time.Second}
	resp, err := cli.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
		{Topic: topic, NumPartitions: -1, ReplicationFactor: -1},
	}})
	if err != nil {
		return err
	}
	if err := resp.Errors[topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return err
	}
	return nil
}
