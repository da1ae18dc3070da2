package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// PutHeartbeat records hb, received at receivedAt, as the newest heartbeat
// of its instance. The node topic's order per key is the instance's order,
// so the newest to arrive replaces the one before.
func (s *Store) PutHeartbeat(ctx context.Context, tx *sql.Tx, district string, hb service.Heartbeat) error {
	emits, err := json.Marshal(hb.Emits)
	if err != nil {
		return fmt.Errorf("store: heartbeat: %w", err)
	}
	_, err = s.db.ExecTx(ctx, tx, `INSERT INTO hq_heartbeats
		(district, service, instance, version, emits, outbox_backlog, oldest_unsent_at, relay_leader, sent_at,
		 received_at, interval_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (district, service, instance) DO UPDATE SET version = excluded.version, emits = excluded.emits,
		outbox_backlog = excluded.outbox_backlog, oldest_unsent_at = excluded.oldest_unsent_at,
		relay_leader = excluded.relay_leader, sent_at = excluded.sent_at, received_at = excluded.received_at,
		interval_ms = excluded.interval_ms`,
		district, hb.Service, hb.Instance, hb.Version, string(emits), hb.OutboxBacklog, nanos(hb.OldestUnsentAt),
		b2i(hb.RelayLeader), nanos(hb.SentAt), nanos(hb.ReceivedAt), hb.Interval.Milliseconds())
	if err != nil {
		return fmt.Errorf("store: heartbeat: %w", err)
	}
	return nil
}

// Heartbeats returns the newest heartbeat of each instance of every
// district's services, by district, in service and instance order.
func (s *Store) Heartbeats(ctx context.Context) (map[string][]service.Heartbeat, error) {
	out := map[string][]service.Heartbeat{}
	rows, err := s.db.Querier().Query(ctx, `SELECT district, service, instance, version, emits, outbox_backlog,
		oldest_unsent_at, relay_leader, sent_at, received_at, interval_ms
		FROM hq_heartbeats ORDER BY district, service, instance`)
	if err != nil {
		return nil, fmt.Errorf("store: heartbeats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, emits string
		var hb service.Heartbeat
		var oldest, sent, received, interval int64
		var leader int
		if err := rows.Scan(&d, &hb.Service, &hb.Instance, &hb.Version, &emits, &hb.OutboxBacklog, &oldest, &leader,
			&sent, &received, &interval); err != nil {
			return nil, fmt.Errorf("store: heartbeats: %w", err)
		}
		if err := json.Unmarshal([]byte(emits), &hb.Emits); err != nil {
			return nil, fmt.Errorf("store: heartbeat emits of %s/%s: %w", d, hb.Service, err)
		}
		hb.OldestUnsentAt, hb.SentAt, hb.ReceivedAt = fromNanos(oldest), fromNanos(sent), fromNanos(received)
		hb.RelayLeader = leader == 1
		hb.Interval = time.Duration(interval) * time.Millisecond
		out[d] = append(out[d], hb)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: heartbeats: %w", err)
	}
	return out, nil
}
