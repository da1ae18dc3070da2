package eventbus

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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

// inboxChunkMax bounds the rows of one of recordInbox's statements: four
// bound parameters a row, 512 at most, under the 999 of SQLite builds
// before 3.32 (the repository's driver has 3.54, whose limit is 32,766)
// and far under PostgreSQL's 65,535.
const inboxChunkMax = 128

// inboxKnown[k] reads which of 1<<k event ids the consumer's inbox holds,
// and inboxInserts[k] inserts 1<<k inbox rows. recordInbox cuts a run into
// chunks of these sizes (inboxChunks), so at most log2(inboxChunkMax)+1
// shapes of each are ever prepared (the storage package's statement cache
// keeps each one) and a run of n events takes at most n/inboxChunkMax plus
// log2(inboxChunkMax)+1 statements of each.
//
// The parameters are anonymous (`?`), the consumer and time bound again in
// every row, rather than numbered ($1 shared by all rows): the SQLite
// driver asks each parameter's name when binding, and SQLite finds a
// numbered one's name by a scan of the statement's list of names, so a
// statement of n numbered parameters took n²/2 steps to bind — a quarter
// of the insert's CPU at 256 rows in HQ's replay profile.
var inboxKnown, inboxInserts = func() (known, ins []string) {
	for n := 1; n <= inboxChunkMax; n *= 2 {
		known = append(known, "SELECT event_id FROM eventbus_inbox WHERE consumer = ? AND event_id IN ("+
			strings.Repeat("?, ", n-1)+"?)")
		ins = append(ins, "INSERT INTO eventbus_inbox (consumer, event_id, topic, applied_at) VALUES "+
			strings.Repeat("(?, ?, ?, ?), ", n-1)+"(?, ?, ?, ?) ON CONFLICT DO NOTHING")
	}
	return known, ins
}()

// inboxChunk returns the size of the next chunk of n rows left, the
// largest power of two not above n or inboxChunkMax, and its index in
// inboxKnown and inboxInserts.
func inboxChunk(n int) (size, k int) {
	size, k = 1, 0
	for size*2 <= n && size*2 <= inboxChunkMax {
		size, k = size*2, k+1
	}
	return size, k
}

// inboxChunks calls fn with each chunk of rows, in order, and the index of
// its statements' shape; it stops at fn's first error.
func inboxChunks(rows []Message, fn func(chunk []Message, k int) error) error {
	for len(rows) > 0 {
		size, k := inboxChunk(len(rows))
		if err := fn(rows[:size], k); err != nil {
			return err
		}
		rows = rows[size:]
	}
	return nil
}

// recordInbox records the event ids of msgs in the inbox in tx and returns
// those that were not there before: the events this consumer applies for
// the first time. An id that occurs more than once in msgs is recorded
// once.
//
// It reads which ids the inbox holds and then inserts the others, rather
// than inserting all with RETURNING the new ones: in a replay nearly every
// id is new, and a returned row costs the driver more (1.4 µs an event in
// BenchmarkConsumerBatch's profile) than the read's index probe of an id
// on a page the insert then finds cached. A consumer is alone on its
// inbox (its node's election and the write lock of the transaction), but
// should a row appear between the read and the insert, the insert says so
// by its count and the batch is rolled back, not applied twice.
func (c *Consumer) recordInbox(ctx context.Context, tx *sql.Tx, msgs []Message) (map[string]struct{}, error) {
	seen := make(map[string]struct{}, len(msgs))
	rows := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		id := m.Envelope.GetEventId()
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		rows = append(rows, m)
	}
	known := map[string]struct{}{}
	args := make([]any, 0, 4*inboxChunkMax)
	err := inboxChunks(rows, func(chunk []Message, k int) error {
		args = append(args[:0], c.cfg.Name)
		for _, m := range chunk {
			args = append(args, m.Envelope.GetEventId())
		}
		return c.readInbox(ctx, tx, inboxKnown[k], args, known)
	})
	if err != nil {
		return nil, err
	}
	fresh := make(map[string]struct{}, len(rows))
	unknown := rows[:0]
	for _, m := range rows {
		if _, ok := known[m.Envelope.GetEventId()]; !ok {
			fresh[m.Envelope.GetEventId()] = struct{}{}
			unknown = append(unknown, m)
		}
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	var inserted int64
	err = inboxChunks(unknown, func(chunk []Message, k int) error {
		args = args[:0]
		for _, m := range chunk {
			args = append(args, c.cfg.Name, m.Envelope.GetEventId(), m.Topic, now)
		}
		res, err := c.cfg.DB.ExecTx(ctx, tx, inboxInserts[k], args...)
		if err != nil {
			return fmt.Errorf("eventbus: inbox insert: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("eventbus: inbox insert: %w", err)
		}
		inserted += n
		return nil
	})
	if err != nil {
		return nil, err
	}
	if inserted != int64(len(fresh)) {
		return nil, fmt.Errorf("eventbus: inbox insert: %d of %d new event ids inserted (another consumer of the same name?)", inserted, len(fresh))
	}
	return fresh, nil
}

// readInbox runs one of inboxKnown with args and adds the ids it found to
// known.
func (c *Consumer) readInbox(ctx context.Context, tx *sql.Tx, query string, args []any, known map[string]struct{}) error {
	st, err := c.cfg.DB.Stmt(ctx, tx, query)
	if err != nil {
		return fmt.Errorf("eventbus: inbox read: %w", err)
	}
	rs, err := st.QueryContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("eventbus: inbox read: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			return fmt.Errorf("eventbus: inbox read: %w", err)
		}
		known[id] = struct{}{}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("eventbus: inbox read: %w", err)
	}
	return nil
}
