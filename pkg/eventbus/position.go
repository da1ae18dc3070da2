package eventbus

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

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
	cli, release := adminClient(c.cfg.Brokers, c.cfg.Transport, c.cfg.Topic)
	defer release()
	first, end, err := c.partitionBounds(ctx, cli, p)
	if err != nil {
		return partitionState{}, err
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
	return c.reset(ctx, p, first, reason)
}

// partitionBounds returns the first offset of partition p and its end (the
// offset the next message will have).
func (c *Consumer) partitionBounds(ctx context.Context, cli *kafka.Client, p int) (first, end int64, err error) {
	topic := c.cfg.Topic
	lo, err := cli.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
		topic: {kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p)},
	}})
	if err != nil {
		return 0, 0, fmt.Errorf("list offsets: %w", err)
	}
	first, end = -1, -1
	for _, po := range lo.Topics[topic] {
		if po.Partition != p {
			continue
		}
		if po.Error != nil {
			return 0, 0, fmt.Errorf("list offsets of partition %d: %w", p, po.Error)
		}
		first, end = po.FirstOffset, po.LastOffset
	}
	if first < 0 || end < 0 {
		return 0, 0, fmt.Errorf("no offsets for partition %d", p)
	}
	return first, end, nil
}

// reset counts a re-read of partition p from its first offset for reason
// and records it as the stored position, so a restart before the first
// re-read event does not count it again; the replay then proceeds from
// there.
func (c *Consumer) reset(ctx context.Context, p int, first int64, reason string) (partitionState, error) {
	c.metrics.ConsumerResets.With(prometheus.Labels{
		"district": c.labels["district"], "service": c.labels["service"],
		"topic": c.labels["topic"], "consumer": c.labels["consumer"], "reason": reason,
	}).Inc()
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
