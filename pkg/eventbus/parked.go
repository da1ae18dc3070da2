package eventbus

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Parking. A district that upgrades before its consumers (the normal state
// of a rolling upgrade across independently run nodes) writes event types,
// or schema versions, a consumer does not know yet. Dead-lettering them
// would drop them from the consumer's view until someone replays the
// dead-letter topic by hand; instead the consumer parks them in its own
// database with their position, moves on, and applies them in order when
// it starts again, upgraded. Later events of a parked event's aggregate
// are parked behind it, known or not: per-aggregate order holds.

// ReasonUnknownVersion: a schema version of a known type the consumer
// cannot read yet. Like ReasonUnknownType it parks the event rather than
// dead-letters it.
const ReasonUnknownVersion Reason = "unknown_version"

// ReasonBehindParked is why a known event is parked: an earlier event of
// its aggregate is parked. It is never a dead letter's reason.
const ReasonBehindParked Reason = "behind_parked"

// parks reports whether a rejection for reason parks the event: it may
// apply once the consumer is upgraded.
func parks(reason Reason) bool { return reason == ReasonUnknownType || reason == ReasonUnknownVersion }

// ParkedType is one event type a consumer holds parked.
type ParkedType struct {
	Topic         string
	Type          string
	SchemaVersion uint32
	// Reason is unknown_type, unknown_version or behind_parked.
	Reason Reason
	Events int64
	// FirstParkedAt is when the oldest of them was parked.
	FirstParkedAt time.Time
}

// Parked returns what the consumer named consumer holds parked in db, by
// topic, type, schema version and reason.
func Parked(ctx context.Context, db interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, consumer string) ([]ParkedType, error) {
	q := `SELECT topic, event_type, schema_version, reason, count(*), min(parked_at)
		FROM eventbus_parked WHERE consumer = ?
		GROUP BY topic, event_type, schema_version, reason ORDER BY topic, event_type, schema_version, reason`
	if r, ok := db.(interface{ Rebind(string) string }); ok {
		q = r.Rebind(q) // a *storage.DB: PostgreSQL numbers its placeholders
	}
	rows, err := db.QueryContext(ctx, q, consumer)
	if err != nil {
		return nil, fmt.Errorf("eventbus: parked: %w", err)
	}
	defer rows.Close()
	var out []ParkedType
	for rows.Next() {
		var p ParkedType
		var first string
		if err := rows.Scan(&p.Topic, &p.Type, &p.SchemaVersion, &p.Reason, &p.Events, &first); err != nil {
			return nil, fmt.Errorf("eventbus: parked: %w", err)
		}
		// parked_at is written with one fixed-width layout, so min() is
		// the earliest.
		if p.FirstParkedAt, err = time.Parse(parkedLayout, first); err != nil {
			return nil, fmt.Errorf("eventbus: parked_at %q: %w", first, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// parkedLayout is parked_at's layout: fixed width, so text order is time
// order.
const parkedLayout = "2006-01-02T15:04:05.000000000Z07:00"

// blocked reports whether an earlier event of msg's aggregate is parked.
func (c *Consumer) blocked(msg Message) bool {
	c.parkedMu.Lock()
	defer c.parkedMu.Unlock()
	return c.parked[msg.Envelope.GetAggregateId()] > 0
}

// park parks m (decoded as msg) for reason and records the position past
// it, in one transaction, retrying until it commits. It reports false only
// when ctx ended first. The caller holds c.mu.
func (c *Consumer) park(ctx context.Context, m kafka.Message, msg Message, reason Reason, cause error) bool {
	c.log.WarnContext(ctx, "parking event: this consumer cannot apply it yet (upgrade it; it applies the parked events in order when it starts)",
		"reason", reason, "err", cause, "event_type", msg.Envelope.GetType(),
		"schema_version", msg.Envelope.GetSchemaVersion(), "aggregate_id", msg.Envelope.GetAggregateId(),
		"partition", m.Partition, "offset", m.Offset)
	headers, err := json.Marshal(msg.Headers)
	if err != nil {
		headers = []byte("{}")
	}
	pos := partitionState{next: m.Offset + 1, lastID: identity(m)}
	bo := newBackoff(c.retryMin, c.retryMax)
	for {
		err := c.cfg.DB.InTx(ctx, func(tx *sql.Tx) error {
			// A partition re-read from the start parks the same message
			// again: once is enough (its inbox row keeps it applied once
			// either way).
			if _, err := c.cfg.DB.ExecTx(ctx, tx, `INSERT INTO eventbus_parked
				(consumer, topic, partition, kafka_offset, aggregate_id, event_id, event_type, schema_version, reason,
				 message_key, message, headers, message_time, parked_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				c.cfg.Name, c.cfg.Topic, m.Partition, m.Offset, msg.Envelope.GetAggregateId(), msg.Envelope.GetEventId(),
				msg.Envelope.GetType(), msg.Envelope.GetSchemaVersion(), string(reason), m.Key, m.Value, string(headers),
				m.Time.UTC().Format(time.RFC3339Nano), time.Now().UTC().Format(parkedLayout)); err != nil {
				return fmt.Errorf("eventbus: park: %w", err)
			}
			return c.savePosition(ctx, tx, m.Partition, pos)
		})
		if err == nil {
			c.parkedMu.Lock()
			c.parked[msg.Envelope.GetAggregateId()]++
			c.parkedMu.Unlock()
			c.parkedG.Inc()
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		c.log.WarnContext(ctx, "parking failed; retrying", "err", err, "partition", m.Partition, "offset", m.Offset)
		if !sleepCtx(ctx, bo.next()) {
			return false
		}
	}
}

// parkedRow is one row of eventbus_parked as replay reads it.
type parkedRow struct {
	msg       kafka.Message
	aggregate string
}

// replayParked applies the consumer's parked events in order (by partition
// and offset), each in its own transaction with its inbox row, and deletes
// each it applied. One this build still cannot apply stays parked with
// every later event of its aggregate; one now rejected for another reason
// is dead-lettered. It then loads what stays parked, so the partition
// workers park behind it. A transient error stops it: Run returns it and
// the consumer is restarted.
func (c *Consumer) replayParked(ctx context.Context, dlq *kafka.Writer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	parked, err := c.readParked(ctx)
	if err != nil {
		return err
	}
	blocked := map[string]bool{}
	for _, p := range parked {
		if blocked[p.aggregate] {
			continue
		}
		msg, reason, derr := c.decode(p.msg)
		if reason != "" {
			// Parked messages decoded when they were parked; one that no
			// longer does is a dead letter.
			if !c.deadLetter(ctx, dlq, p.msg, reason, derr) {
				return ctx.Err()
			}
			if err := c.unpark(ctx, p.msg); err != nil {
				return err
			}
			continue
		}
		start := time.Now()
		var dup bool
		err := c.cfg.DB.InTx(ctx, func(tx *sql.Tx) error {
			hctx, flush := c.scope(ctx)
			var err error
			if dup, err = c.applyEvent(hctx, tx, msg); err != nil {
				return err
			}
			if err := c.unparkIn(ctx, tx, p.msg); err != nil {
				return err
			}
			return flush(hctx, tx)
		})
		if reason, ok := IsRejected(err); ok {
			if parks(reason) {
				blocked[p.aggregate] = true
				continue
			}
			if !c.deadLetter(ctx, dlq, p.msg, reason, err) {
				return ctx.Err()
			}
			if err := c.unpark(ctx, p.msg); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("eventbus: apply parked event %s: %w", msg.Envelope.GetEventId(), err)
		}
		c.counted(msg, dup, time.Since(start).Seconds())
		c.log.InfoContext(ctx, "applied a parked event", "event_type", msg.Envelope.GetType(),
			"event_id", msg.Envelope.GetEventId(), "duplicate", dup)
	}
	return c.loadParked(ctx)
}

// readParked reads the consumer's parked events in order.
func (c *Consumer) readParked(ctx context.Context) ([]parkedRow, error) {
	rows, err := c.cfg.DB.QueryContext(ctx, c.cfg.DB.Rebind(`SELECT partition, kafka_offset, aggregate_id, message_key, message, headers,
		message_time FROM eventbus_parked WHERE consumer = ? AND topic = ? ORDER BY partition, kafka_offset`),
		c.cfg.Name, c.cfg.Topic)
	if err != nil {
		return nil, fmt.Errorf("eventbus: read parked: %w", err)
	}
	defer rows.Close()
	var out []parkedRow
	for rows.Next() {
		var p parkedRow
		var headers, at string
		if err := rows.Scan(&p.msg.Partition, &p.msg.Offset, &p.aggregate, &p.msg.Key, &p.msg.Value, &headers, &at); err != nil {
			return nil, fmt.Errorf("eventbus: read parked: %w", err)
		}
		p.msg.Topic = c.cfg.Topic
		p.msg.Time, _ = time.Parse(time.RFC3339Nano, at)
		var h map[string]string
		if err := json.Unmarshal([]byte(headers), &h); err == nil {
			for k, v := range h {
				p.msg.Headers = append(p.msg.Headers, kafka.Header{Key: k, Value: []byte(v)})
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// loadParked sets the in-memory count of parked events per aggregate and
// the parked gauge from the database.
func (c *Consumer) loadParked(ctx context.Context) error {
	rows, err := c.cfg.DB.QueryContext(ctx, c.cfg.DB.Rebind(`SELECT aggregate_id, count(*) FROM eventbus_parked
		WHERE consumer = ? AND topic = ? GROUP BY aggregate_id`), c.cfg.Name, c.cfg.Topic)
	if err != nil {
		return fmt.Errorf("eventbus: load parked: %w", err)
	}
	defer rows.Close()
	parked := map[string]int{}
	var total int
	for rows.Next() {
		var agg string
		var n int
		if err := rows.Scan(&agg, &n); err != nil {
			return fmt.Errorf("eventbus: load parked: %w", err)
		}
		parked[agg] = n
		total += n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("eventbus: load parked: %w", err)
	}
	c.parkedMu.Lock()
	c.parked = parked
	c.parkedMu.Unlock()
	c.parkedG.Set(float64(total))
	return nil
}

// unparkIn deletes the parked row of m in tx.
func (c *Consumer) unparkIn(ctx context.Context, tx *sql.Tx, m kafka.Message) error {
	_, err := c.cfg.DB.ExecTx(ctx, tx, `DELETE FROM eventbus_parked WHERE consumer = ? AND topic = ? AND partition = ?
		AND kafka_offset = ?`, c.cfg.Name, c.cfg.Topic, m.Partition, m.Offset)
	if err != nil {
		return fmt.Errorf("eventbus: unpark: %w", err)
	}
	return nil
}

// unpark deletes the parked row of m.
func (c *Consumer) unpark(ctx context.Context, m kafka.Message) error {
	return c.cfg.DB.InTx(ctx, func(tx *sql.Tx) error { return c.unparkIn(ctx, tx, m) })
}
