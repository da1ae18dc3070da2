package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

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

// decode turns m into the Message a handler gets, or says why it can never
// be applied — ReasonUndecodable (not an envelope, or one without an event
// id) or ReasonDistrictMismatch (an envelope of another district than the
// topic's) — with the error for the dead letter.
func (c *Consumer) decode(m kafka.Message) (Message, Reason, error) {
	env := &eventsv1.Envelope{}
	if err := proto.Unmarshal(m.Value, env); err != nil || env.GetEventId() == "" {
		if err == nil {
			err = errors.New("envelope has no event id")
		}
		return Message{}, ReasonUndecodable, err
	}
	if c.district != "" && env.GetDistrict() != c.district {
		return Message{}, ReasonDistrictMismatch,
			fmt.Errorf("envelope district %q on topic of district %q", env.GetDistrict(), c.district)
	}
	headers := make(map[string]string, len(m.Headers))
	for _, h := range m.Headers {
		headers[h.Key] = string(h.Value)
	}
	return Message{
		Topic: m.Topic, Partition: m.Partition, Offset: m.Offset,
		Envelope: env, Time: m.Time, Headers: headers,
	}, "", nil
}

// counted records a settled event in the metrics, taking took seconds:
// applied (and handed to the Applied hook) or a duplicate skipped.
func (c *Consumer) counted(msg Message, dup bool, took float64) {
	observeWithTrace(c.latency, msg, took)
	if dup {
		c.dups.Inc()
		return
	}
	c.applied.Inc()
	c.observeAge(msg, time.Now())
	if c.cfg.Applied != nil {
		c.cfg.Applied(msg)
	}
}

// maxBatch bounds the events applied in one transaction.
const maxBatch = 500

// batched is an event settleBatch applied, or skipped as a duplicate.
type batched struct {
	msg Message
	dup bool
}

// settleBatch applies a run of msgs in one transaction on the consumer's
// database, so catching up costs one commit (one fsync) per batch rather
// than per event. The run stops before the first message that is not a
// well-formed envelope of this district or that its handler fails or
// rejects, which the caller then settles alone. It returns how many
// messages it settled (0: none, the first must be settled alone).
//
// Events are applied without a savepoint each (two statements and a
// subjournal write of every page touched, per event): a handler that fails
// leaves the transaction dirty, so the whole transaction is rolled back and
// the run before the failing event applied again in a new one. Failures
// are rare, and the run before one is then applied twice; the clean run is
// applied once.
func (c *Consumer) settleBatch(ctx context.Context, msgs []kafka.Message) int {
	if len(msgs) < 2 {
		return 0 // the single-event path is the same cost and handles every case
	}
	if len(msgs) > maxBatch {
		msgs = msgs[:maxBatch]
	}
	// Without c.mu (see Consumer.mu): the other partitions' batches queued
	// while this one commits share the next commit.
	start := time.Now()
	settled, err := c.settleRun(ctx, msgs)
	var broken *runBroken
	// The index is this run's only if it fits it: an error of another
	// caller's function must never reach here (storage keeps each caller's
	// own), but a slice past the batch would panic the consumer.
	if errors.As(err, &broken) && broken.at > 0 && broken.at < len(msgs) {
		// The events before the one that failed apply cleanly: once more,
		// without it.
		settled, err = c.settleRun(ctx, msgs[:broken.at])
	}
	if err != nil {
		// Nothing of the batch committed; the single-event path settles
		// the first message (and the next batch starts after it).
		c.log.DebugContext(ctx, "batch apply failed; settling one by one", "err", err)
		return 0
	}
	if len(settled) > 0 {
		per := time.Since(start).Seconds() / float64(len(settled))
		for _, d := range settled {
			c.counted(d.msg, d.dup, per)
		}
	}
	return len(settled)
}

// runBroken is applyBatch's error when msgs[at]'s handler failed or
// rejected it: the transaction holds part of its writes and must not
// commit.
type runBroken struct {
	at  int
	err error
}

func (e *runBroken) Error() string {
	return fmt.Sprintf("eventbus: event %d of the batch failed: %v", e.at, e.err)
}

func (e *runBroken) Unwrap() error { return e.err }

// settleRun applies the leading run of msgs that applies cleanly in one
// transaction, with the position after its last event and the handler's
// scope flushed (ConsumerConfig.Batch), and commits it.
func (c *Consumer) settleRun(ctx context.Context, msgs []kafka.Message) ([]batched, error) {
	var settled []batched
	bctx, span := c.batchSpan(ctx, msgs)
	defer span.End()
	err := c.cfg.DB.InTx(bctx, func(tx *sql.Tx) error {
		hctx, flush := c.scope(ctx)
		var err error
		if settled, err = c.applyBatch(hctx, tx, msgs); err != nil || len(settled) == 0 {
			return err
		}
		// One position write for the run: the transaction commits all of
		// it or none, so only its last event's position can be read back.
		last := settled[len(settled)-1].msg
		if err := c.savePosition(ctx, tx, last.Partition, partitionState{next: last.Offset + 1, lastID: identity(msgs[len(settled)-1])}); err != nil {
			return err
		}
		return flush(hctx, tx)
	})
	if err != nil {
		settled = nil
	}
	span.SetAttributes(attribute.Int("eventbus.batch.settled", len(settled)))
	return settled, err
}

// applyBatch applies the leading run of msgs up to the first that is not
// a well-formed envelope of this district or is parked behind another, and
// returns it. An error is the database's or, as a *runBroken, a handler's:
// nothing of tx may be committed then.
//
// The run's event ids are recorded in the inbox first, in a few multi-row
// statements (recordInbox), rather than one insert an event: that insert
// was 9 of the consumer's own 13 µs CPU an event in HQ's replay. The
// handler then runs for each event whose id was new, at its first
// occurrence in the run; the rest are duplicates. Recording ids of events
// after one whose handler fails is harmless: the whole transaction is
// rolled back then. A database error of the inbox's statements is no
// event's fault: it ends the batch (the single-event path settles the
// first message), not a run up to some event.
func (c *Consumer) applyBatch(ctx context.Context, tx *sql.Tx, msgs []kafka.Message) ([]batched, error) {
	run := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		msg, reason, _ := c.decode(m)
		if reason != "" || c.blocked(msg) {
			break // the single-event path dead-letters or parks it
		}
		run = append(run, msg)
	}
	if len(run) == 0 {
		return nil, nil
	}
	fresh, err := c.recordInbox(ctx, tx, run)
	if err != nil {
		return nil, err
	}
	settled := make([]batched, 0, len(run))
	for i, msg := range run {
		id := msg.Envelope.GetEventId()
		_, isNew := fresh[id]
		// Only the first occurrence of a new id is applied: a repeat
		// within the run finds it gone.
		delete(fresh, id)
		sctx, span := c.startSpan(ctx, msg)
		if !isNew {
			span.SetAttributes(attribute.Bool("eventbus.duplicate", true))
			span.End()
			settled = append(settled, batched{msg, true})
			continue
		}
		err := c.cfg.Handler(sctx, tx, msg)
		span.End()
		if err != nil {
			if _, rejected := IsRejected(err); !rejected {
				c.retries.Inc() // the single-event path applies it again
			}
			return nil, &runBroken{at: i, err: err}
		}
		settled = append(settled, batched{msg, false})
	}
	return settled, nil
}

// settle processes m and records the partition position with it, holding
// the consumer's lock: partitions are fetched concurrently but applied one
// event at a time, as handlers expect.
func (c *Consumer) settle(ctx context.Context, dlq *kafka.Writer, m kafka.Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.process(ctx, dlq, m)
}

// process settles one message: applied, duplicate or dead-lettered. It
// reports false only when ctx ended first.
func (c *Consumer) process(ctx context.Context, dlq *kafka.Writer, m kafka.Message) bool {
	msg, reason, err := c.decode(m)
	if reason != "" {
		return c.deadLetter(ctx, dlq, m, reason, err) && c.recordPosition(ctx, m)
	}
	if c.blocked(msg) {
		return c.park(ctx, m, msg, ReasonBehindParked, nil)
	}
	ctx, span := c.startSpan(ctx, msg)
	defer span.End()
	err = c.applyRetrying(ctx, span, msg, partitionState{next: m.Offset + 1, lastID: identity(m)})
	if reason, ok := IsRejected(err); ok {
		span.SetStatus(codes.Error, "rejected: "+string(reason))
		if parks(reason) {
			return c.park(ctx, m, msg, reason, err)
		}
		return c.deadLetter(ctx, dlq, m, reason, err) && c.recordPosition(ctx, m)
	}
	return err == nil
}

// applyRetrying applies msg with its position pos, retrying a transient
// error with backoff until it is applied (nil), rejected (the Reject
// error) or ctx ends (ctx's error).
func (c *Consumer) applyRetrying(ctx context.Context, span trace.Span, msg Message, pos partitionState) error {
	bo := newBackoff(c.retryMin, c.retryMax)
	for {
		start := time.Now()
		dup, err := c.apply(ctx, msg, pos)
		if err == nil {
			if dup {
				span.SetAttributes(attribute.Bool("eventbus.duplicate", true))
			}
			c.counted(msg, dup, time.Since(start).Seconds())
			return nil
		}
		if _, ok := IsRejected(err); ok {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.retries.Inc()
		span.RecordError(err)
		c.log.WarnContext(ctx, "apply failed; retrying", "err", err,
			"event_id", msg.Envelope.GetEventId(), "event_type", msg.Envelope.GetType())
		if !sleepCtx(ctx, bo.next()) {
			return ctx.Err()
		}
	}
}

// apply records the event id and the partition position and runs the
// handler, in one transaction. It reports whether the event had been applied
// before (and so was skipped).
func (c *Consumer) apply(ctx context.Context, msg Message, pos partitionState) (dup bool, err error) {
	err = c.cfg.DB.InTx(ctx, func(tx *sql.Tx) error {
		hctx, flush := c.scope(ctx)
		var err error
		if dup, err = c.applyIn(hctx, tx, msg, pos); err != nil {
			return err
		}
		return flush(hctx, tx)
	})
	return dup, err
}

// scope opens the handler's scope of one transaction (ConsumerConfig.Batch):
// the context its events are applied with and what runs before the commit.
func (c *Consumer) scope(ctx context.Context) (context.Context, func(context.Context, *sql.Tx) error) {
	if c.cfg.Batch == nil {
		return ctx, func(context.Context, *sql.Tx) error { return nil }
	}
	return c.cfg.Batch(ctx)
}

// applyIn records the event id and the partition position in tx and, unless
// the event was applied before, runs the handler in it.
func (c *Consumer) applyIn(ctx context.Context, tx *sql.Tx, msg Message, pos partitionState) (dup bool, err error) {
	if err := c.savePosition(ctx, tx, msg.Partition, pos); err != nil {
		return false, err
	}
	return c.applyEvent(ctx, tx, msg)
}

// applyEvent records the event id in tx and, unless the event was applied
// before (dup), runs the handler in it.
func (c *Consumer) applyEvent(ctx context.Context, tx *sql.Tx, msg Message) (dup bool, err error) {
	res, err := c.cfg.DB.ExecTx(ctx, tx, `INSERT INTO eventbus_inbox (consumer, event_id, topic, applied_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.cfg.Name, msg.Envelope.GetEventId(), msg.Topic, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return false, fmt.Errorf("eventbus: inbox insert: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("eventbus: inbox insert: %w", err)
	}
	if n == 0 {
		return true, nil
	}
	return false, c.cfg.Handler(ctx, tx, msg)
}
