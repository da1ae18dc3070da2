package eventbus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// fetchWait is how long a partition worker's fetch waits for new events.
const fetchWait = 500 * time.Millisecond

// DefaultFetchMaxBytes is ConsumerConfig.FetchMaxBytes's default: 256 KiB,
// about a full batch (maxBatch events of a few hundred bytes) a fetch. It
// was 1 MiB, which a cold replay filled on every partition at once.
const DefaultFetchMaxBytes = 256 << 10

// commitEvery is how long a settled offset may wait before the worker
// commits it to the group while events keep coming. The group's offset is
// only where a new member starts (and what lag is measured against): the
// events' own transactions record what was applied (the inbox and the
// position table), so an event settled but not yet committed is read again
// after a crash or a rebalance and skipped, never applied twice. Committing
// once per fetch instead cost every consumer a broker round trip per batch
// — at a few events per batch, more CPU than applying them. An idle
// partition commits at once: while something is left to commit, the fetch
// that finds nothing new waits at most this long. A worker that stops (shutdown, rebalance) does not wait
// to commit: whoever reads the partition next resumes from its own
// position table (startPosition), so at most this window is fetched again
// and skipped.
const commitEvery = 200 * time.Millisecond

// partitionWorker reads one partition assigned to the consumer in one
// generation of its group (consumePartition).
type partitionWorker struct {
	c   *Consumer
	gen *kafka.Generation
	dlq *kafka.Writer
	p   int
	log *slog.Logger
	// bo paces the retries of every broker failure the worker meets; it is
	// reset by each success.
	bo *backoff
	// committed is the group's offset of the partition as this worker
	// last committed (or was assigned) it; committedAt is when.
	committed   int64
	committedAt time.Time
	// st is where the worker is: the next offset to read, and the identity
	// of the message settled before it.
	st partitionState
	// cli fetches the partition; release gives it back.
	cli     *kafka.Client
	release func()
}

// consumePartition reads one assigned partition until ctx ends. It fetches
// with a partition-level client so it always knows, and checks, exactly
// which offset it reads: a group reader would resume at a stale committed
// offset in a refilled log, or wait at an offset past a truncated log's end
// and resume there when it grows.
func (c *Consumer) consumePartition(ctx context.Context, gen *kafka.Generation, dlq *kafka.Writer, pa kafka.PartitionAssignment) {
	w := &partitionWorker{
		c: c, gen: gen, dlq: dlq, p: pa.ID, log: c.log.With("partition", pa.ID),
		bo: newBackoff(100*time.Millisecond, 5*time.Second), committed: pa.Offset,
	}
	if !w.verify(ctx) {
		return
	}
	w.cli, w.release = adminClient(c.cfg.Brokers, c.cfg.Transport, c.cfg.Topic)
	defer func() { w.release() }()
	for ctx.Err() == nil {
		msgs, ok := w.next(ctx)
		if !ok || !w.settleAll(ctx, msgs) {
			return
		}
	}
}

// pending reports whether the worker settled events it has not committed.
func (w *partitionWorker) pending() bool { return w.st.next > w.committed }

// verify decides where to read from (startPosition), retrying until the
// broker answers, and points the group's offset there. It reports false
// only when ctx ended first.
func (w *partitionWorker) verify(ctx context.Context) bool {
	for {
		s, err := w.c.startPosition(ctx, w.p, w.committed)
		if err == nil {
			w.st = s
			w.bo.reset()
			break
		}
		if ctx.Err() != nil {
			return false
		}
		w.c.lagUnknown()
		w.log.WarnContext(ctx, "cannot check partition against the broker; retrying", "err", err)
		if !sleepCtx(ctx, w.bo.next()) {
			return false
		}
	}
	if w.st.next != w.committed {
		// Point the group at where we really are, so lag and any other
		// member taking the partition over see the truth. A failure is
		// harmless: the next settled event commits again.
		if err := w.gen.CommitOffsets(map[string]map[int]int64{w.c.cfg.Topic: {w.p: w.st.next}}); err == nil {
			w.committed, w.committedAt = w.st.next, time.Now()
		} else if ctx.Err() == nil {
			w.log.DebugContext(ctx, "commit of start offset failed", "err", err)
		}
	}
	return true
}

// refresh replaces the worker's client, for fresh metadata.
func (w *partitionWorker) refresh() {
	w.release()
	w.cli, w.release = adminClient(w.c.cfg.Brokers, w.c.cfg.Transport, w.c.cfg.Topic)
}

// next fetches the events that follow what the worker settled last. It
// returns none (and true) when there is nothing to settle yet — no new
// events, or a broker failure or a log that must be checked first, which it
// has dealt with — and false only when ctx ended first.
func (w *partitionWorker) next(ctx context.Context) ([]kafka.Message, bool) {
	if msgs, ok := w.nextAfterSettled(ctx); ok {
		return msgs, true
	}
	wait := fetchWait
	if w.pending() {
		wait = min(wait, w.c.commitEvery)
	}
	msgs, hwm, err := w.c.fetch(ctx, w.cli, w.p, w.st.next, wait, w.c.cfg.FetchMaxBytes, 0)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, false
	case errors.Is(err, kafka.OffsetOutOfRange) || (err == nil && hwm < w.st.next):
		// The log is shorter than where we are (or starts after it):
		// find out why before reading on.
		w.c.lagUnknown()
		w.log.InfoContext(ctx, "partition offset out of range; checking the log", "next_offset", w.st.next, "err", err)
		return nil, w.verify(ctx)
	case err != nil:
		// Topic being recreated, leader moving, broker down: retry with
		// a fresh client (fresh metadata), then check the log again
		// before trusting what is read next.
		w.c.lagUnknown()
		w.log.DebugContext(ctx, "fetch failed; retrying", "err", err)
		w.refresh()
		return nil, sleepCtx(ctx, w.bo.next())
	case len(msgs) == 0 && hwm > w.st.next:
		// The broker says there is more but sent none of it: its log
		// is not what its index claims (seen with a crashed kfake).
		// Check the log, and back off rather than spin.
		w.c.lagUnknown()
		w.log.WarnContext(ctx, "broker returned no events below its high watermark; checking the log", "next_offset", w.st.next, "high_watermark", hwm)
		if !sleepCtx(ctx, w.bo.next()) || !w.verify(ctx) {
			return nil, false
		}
		w.refresh()
		return nil, true
	case len(msgs) == 0:
		w.bo.reset()
		if w.pending() {
			// Nothing new: commit what the last fetches settled.
			return nil, w.commit(ctx)
		}
		return nil, true
	}
	w.bo.reset()
	follows, ok := w.followsSettled(ctx)
	if !follows {
		return nil, ok
	}
	return msgs, true
}

// nextAfterSettled fetches from the message the worker settled last: when
// events already follow it, one response holds both that message (its
// identity, which followsSettled would fetch again) and them, and it returns
// them with ok. Anything else — nothing new yet, a message of another
// identity there, an error — it leaves to next's long poll and checks (ok
// false), which deal with each case; this only saves a catching-up worker a
// broker round trip per fetch.
func (w *partitionWorker) nextAfterSettled(ctx context.Context) ([]kafka.Message, bool) {
	if w.st.lastID == "" || w.st.next == 0 {
		return nil, false
	}
	// The message at next-1 exists (or the fetch fails), so the broker
	// answers at once: no long poll here.
	msgs, hwm, err := w.c.fetch(ctx, w.cli, w.p, w.st.next-1, fetchWait, w.c.cfg.FetchMaxBytes, 0)
	if err != nil || hwm <= w.st.next || len(msgs) < 2 || msgs[0].Offset != w.st.next-1 ||
		identity(msgs[0]) != w.st.lastID || msgs[1].Offset != w.st.next {
		return nil, false
	}
	w.bo.reset()
	return msgs[1:], true
}

// followsSettled checks, before events fetched at st.next are settled, that
// the message before them is still the one the worker settled. If the topic
// was rewritten between two fetches (deleted, recreated and refilled past
// our offset), it is not, and the events are not the ones that follow what
// was read: the log is checked again (verify) and they are not settled.
// ok is false only when ctx ended first.
func (w *partitionWorker) followsSettled(ctx context.Context) (follows, ok bool) {
	if w.st.lastID == "" {
		return true, true
	}
	id, found, err := w.c.identityAt(ctx, w.cli, w.p, w.st.next-1)
	if err != nil {
		if ctx.Err() != nil {
			return false, false
		}
		w.c.lagUnknown()
		w.log.DebugContext(ctx, "check of previous message failed; fetching again", "err", err)
		w.refresh()
		return false, sleepCtx(ctx, w.bo.next())
	}
	if found && id != w.st.lastID {
		return false, w.verify(ctx)
	}
	return true, true
}

// settleAll settles msgs in order, then commits the group's offset if the
// last commit is commitEvery old (else the next fetch or the idle one
// does). Each run is what applies cleanly in one transaction
// (settleBatch); the message that stopped a run (poison, rejected, failing)
// is settled alone. It reports false when ctx ended first: an event not
// settled is read again, one settled but not committed is known to the
// position table.
func (w *partitionWorker) settleAll(ctx context.Context, msgs []kafka.Message) bool {
	for len(msgs) > 0 {
		n := w.c.settleBatch(ctx, msgs)
		if n == 0 {
			if !w.c.settle(ctx, w.dlq, msgs[0]) {
				return false
			}
			n = 1
		}
		m := msgs[n-1]
		msgs = msgs[n:]
		w.st = partitionState{next: m.Offset + 1, lastID: identity(m)}
		w.bo.reset()
	}
	// Only what was settled: an idle fetch settles nothing, and committing
	// the same offset again would be a broker write per fetch for nothing.
	if w.pending() && time.Since(w.committedAt) >= w.c.commitEvery {
		return w.commit(ctx)
	}
	return true
}

// commit commits st.next, the offset after the last message settled,
// retrying until it is committed. It reports false only when ctx ended
// first.
func (w *partitionWorker) commit(ctx context.Context) bool {
	for {
		offset := w.st.next
		err := w.gen.CommitOffsets(map[string]map[int]int64{w.c.cfg.Topic: {w.p: offset}})
		w.c.commits.Add(1)
		if err == nil {
			w.committed, w.committedAt = offset, time.Now()
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		w.c.lagUnknown()
		w.log.WarnContext(ctx, "commit failed; retrying", "err", err, "offset", offset)
		if !sleepCtx(ctx, w.bo.next()) {
			return false
		}
	}
}

// fetch long-polls partition p from offset for up to maxWait and returns the
// messages at or after offset (at most limit of them when limit > 0; the
// rest of the response is not decoded) and the partition's high
// watermark. maxBytes bounds the response (see FetchMaxBytes).
func (c *Consumer) fetch(ctx context.Context, cli *kafka.Client, p int, offset int64, maxWait time.Duration, maxBytes, limit int) ([]kafka.Message, int64, error) {
	// A broker that lost its topic can leave a fetch unanswered (seen with a
	// restarted kfake): bound it so the caller refreshes its client and
	// checks the log instead of waiting forever.
	ctx, cancel := context.WithTimeout(ctx, maxWait+fetchGrace)
	defer cancel()
	resp, err := cli.Fetch(ctx, &kafka.FetchRequest{
		Topic: c.cfg.Topic, Partition: p, Offset: offset,
		MinBytes: 1, MaxBytes: int64(maxBytes), MaxWait: maxWait,
	})
	if err != nil {
		return nil, -1, err
	}
	if resp.Error != nil {
		return nil, -1, resp.Error
	}
	var out []kafka.Message
	for limit <= 0 || len(out) < limit {
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
	// One message: the smallest response (the broker returns the record
	// batch holding offset whatever maxBytes says), decoded no further than
	// that message. With the fetch's own maxBytes this check, made after
	// every fetch, fetched and decoded a second full response.
	msgs, _, err := c.fetch(ctx, cli, p, offset, 100*time.Millisecond, 1, 1)
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
