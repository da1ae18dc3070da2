package eventbus

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// DefaultInboxRetention is how long a consumer remembers an applied event
// id. It must outlast every way an event can come again: a relay refills
// a broker with its outbox (kept for the outbox retention, 7 days by
// default) and a rewritten topic is re-read from its start (the broker's
// retention). Past it an old event would be applied again — which HQ's
// snapshot-by-version read model absorbs — so the inbox stays bounded.
const DefaultInboxRetention = 30 * 24 * time.Hour

// inboxPruneBatch bounds one delete, so pruning never holds the database's
// writer lock for long.
const inboxPruneBatch = 5000

// pruneInbox deletes this consumer's inbox rows applied before now minus
// InboxRetention, in batches, and returns how many.
func (c *Consumer) pruneInbox(ctx context.Context, now time.Time) (int64, error) {
	cutoff := now.Add(-c.cfg.InboxRetention).UTC().Format(time.RFC3339Nano)
	var total int64
	for {
		var n int64
		err := c.cfg.DB.InTx(ctx, func(tx *sql.Tx) error {
			// The primary key, not SQLite's rowid, so the statement is
			// PostgreSQL's too.
			res, err := c.cfg.DB.ExecTx(ctx, tx, `DELETE FROM eventbus_inbox WHERE (consumer, event_id) IN (
				SELECT consumer, event_id FROM eventbus_inbox WHERE consumer = ? AND applied_at < ? LIMIT ?)`,
				c.cfg.Name, cutoff, inboxPruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("eventbus: prune inbox: %w", err)
		}
		total += n
		if n < inboxPruneBatch {
			return total, nil
		}
	}
}

// watchInbox prunes the inbox at start and then every tenth of the
// retention (at most hourly) until ctx ends.
func (c *Consumer) watchInbox(ctx context.Context) {
	every := min(c.cfg.InboxRetention/10, time.Hour)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := c.pruneInbox(ctx, time.Now()); err != nil && ctx.Err() == nil {
			c.log.WarnContext(ctx, "inbox retention failed", "err", err)
		} else if n > 0 {
			c.log.InfoContext(ctx, "inbox retention deleted applied event ids", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
