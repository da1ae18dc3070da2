package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/guildhall/guildhall/pkg/storage"
)

// RelayConfig configures a Relay.
type RelayConfig struct {
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Outbox is the outbox to publish.
	Outbox *Outbox
	// Elector picks the one relay of the (district, service) that
	// publishes; nil means AlwaysLeader.
	Elector Elector
	// Logger receives the relay's logs; nil discards them.
	Logger *slog.Logger
	// Metrics is shared by the process; nil uses unregistered metrics.
	Metrics *Metrics
	// BatchSize is the most rows published per Kafka write; default 500.
	BatchSize int
	// Retention is how long sent rows stay in the outbox (the district's
	// durable log, replayed to a broker that lost events); default 7 days.
	Retention time.Duration
	// SafetyPoll is how often the relay looks at the outbox and the broker
	// without being woken; default 1s. New events wake it at once through
	// Outbox.Wake.
	SafetyPoll time.Duration
	// MarkDelay is how long the relay may hold the marks of rows it has
	// published before recording them, default 50ms: everything published
	// meanwhile is marked in one transaction (one fsync) instead of one
	// per batch, which under a trickle of single writes was a second
	// fsync behind every one of them. Marks are not durability: the rows
	// are durable from their writer's commit, and marks lost with the
	// process only mean those rows go out again (consumers drop the
	// duplicates by event id). The relay records its marks before it
	// checks the broker and when it stops.
	MarkDelay time.Duration
	// Transport is the Kafka transport (TLS/SASL on real clusters); nil uses
	// a plain TCP transport owned by the relay.
	Transport kafka.RoundTripper
}

// Relay publishes an outbox to Kafka while its elector says it leads.
//
// An elector that is also a Fence (NewEtcdElector) fences the relay: it
// publishes only while the Fence confirms its term for at least
// produceBudget more, checked before every batch and, because kafka-go's
// writer retries and flushes on its own goroutines, on every produce
// request as it leaves; a batch that reached Kafka after its deadline
// passed is not marked sent (it goes out again, consumers drop the
// duplicates). While fenced the relay keeps its election but publishes
// nothing; it resumes when the lease is confirmed again or, once the term
// is lost, when it wins a new one.
//
// It remembers, per broker cluster id and topic, the last outbox seq it
// published and how many messages it published. At the start of every
// leadership term, after every write error and every SafetyPoll it checks
// the broker: a cluster id it has no position for, a missing topic or a
// topic whose end offsets add up to less than what it published means the
// broker lacks events, and the relay re-publishes every retained row.
type Relay struct {
	cfg     RelayConfig
	outbox  *Outbox
	elector Elector
	log     *slog.Logger
	labels  prometheus.Labels
	backlog prometheus.Gauge
	pubs    prometheus.Counter
	pubErrs prometheus.Counter
	leader  prometheus.Gauge
	leading atomic.Bool
	now     func() time.Time

	// fence is the elector as a Fence; nil when it is none (AlwaysLeader).
	fence     Fence
	fencedG   prometheus.Gauge
	fencings  prometheus.Counter
	fencedNow atomic.Bool

	// beforeMark, when set (tests), runs after a successful Kafka write and
	// before the rows are marked sent; an error there is treated like a
	// failed mark (the rows are published again later).
	beforeMark func(ctx context.Context) error
}

// NewRelay returns a relay for cfg.Outbox.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("eventbus: relay needs brokers")
	}
	if cfg.Outbox == nil {
		return nil, errors.New("eventbus: relay needs an outbox")
	}
	if cfg.Elector == nil {
		cfg.Elector = AlwaysLeader()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 7 * 24 * time.Hour
	}
	if cfg.SafetyPoll <= 0 {
		cfg.SafetyPoll = time.Second
	}
	if cfg.MarkDelay <= 0 {
		cfg.MarkDelay = 50 * time.Millisecond
	}
	o := cfg.Outbox
	labels := prometheus.Labels{"district": o.District(), "service": o.Service(), "topic": o.Topic()}
	m := cfg.Metrics
	fence, _ := cfg.Elector.(Fence)
	return &Relay{
		cfg:     cfg,
		outbox:  o,
		elector: cfg.Elector,
		log:     cfg.Logger.With("component", "relay", "topic", o.Topic()),
		labels:  labels,
		backlog: m.OutboxBacklog.With(labels),
		pubs:    m.Published.With(labels),
		pubErrs: m.PublishErrors.With(labels),
		leader:  m.RelayLeader.With(labels),
		now:     time.Now,

		fence:    fence,
		fencedG:  m.RelayFenced.With(labels),
		fencings: m.RelayFencings.With(labels),
	}, nil
}

// Leading reports whether this relay currently holds the election. It
// publishes while it leads and is not Fenced.
func (r *Relay) Leading() bool { return r.leading.Load() }

// Fenced reports whether this relay leads but does not publish, its lease
// not being confirmed in time.
func (r *Relay) Fenced() bool { return r.fencedNow.Load() }

// produceBudget is the least time a write must have before the fence's
// deadline to be started: one that could not finish before it would be
// cut off anyway.
const produceBudget = 250 * time.Millisecond

// errFenced is returned for work refused because the relay's lease is not
// confirmed in time.
var errFenced = errors.New("eventbus: relay fenced: its election lease is not confirmed in time")

// mayPublish reports whether the relay may start a write now: it has no
// fence, or its term is confirmed for at least produceBudget more. It also
// returns the deadline and a channel closed at the next confirmation.
func (r *Relay) mayPublish() (ok bool, until time.Time, next <-chan struct{}) {
	if r.fence == nil {
		return true, time.Time{}, nil
	}
	until, next = r.fence.Confirmed()
	return time.Until(until) >= produceBudget, until, next
}

// leaseHolds reports whether the term is still confirmed at all (no
// fence, or its deadline not passed): the test before the relay records
// anything in the outbox's database.
func (r *Relay) leaseHolds() bool {
	if r.fence == nil {
		return true
	}
	until, _ := r.fence.Confirmed()
	return time.Now().Before(until)
}

// waitConfirmed returns once the relay may publish, true, or when ctx (the
// term) ends first, false.
func (r *Relay) waitConfirmed(ctx context.Context) bool {
	for {
		ok, _, next := r.mayPublish()
		if ok {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-next:
		}
	}
}

// watchFence keeps the fenced gauge, the fencing counter and the log in
// step with the term's confirmation until ctx (the term) ends, so that the
// metric says fenced even while the relay has nothing to publish.
func (r *Relay) watchFence(ctx context.Context) {
	if r.fence == nil {
		return
	}
	fenced := false
	set := func(on bool, until time.Time) {
		if on == fenced {
			return
		}
		fenced = on
		// The gauge and the counter before the flag, so whoever sees
		// Fenced() also sees them.
		if on {
			r.fencedG.Set(1)
			r.fencings.Inc()
			r.fencedNow.Store(true)
			r.log.WarnContext(ctx, "relay fenced: its election lease could not be confirmed in time; publishing paused",
				"confirmed_until", until.Format(time.RFC3339Nano))
			return
		}
		r.fencedG.Set(0)
		r.fencedNow.Store(false)
		if ctx.Err() != nil {
			r.log.InfoContext(ctx, "relay no longer fenced: its term ended")
		} else {
			r.log.InfoContext(ctx, "relay no longer fenced: lease confirmed again; publishing resumes")
		}
	}
	defer set(false, time.Time{})
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		ok, until, next := r.mayPublish()
		set(!ok, until)
		var wake <-chan time.Time
		if ok {
			t.Reset(time.Until(until) - produceBudget)
			wake = t.C
		}
		select {
		case <-ctx.Done():
			return
		case <-next:
		case <-wake:
		}
		t.Stop()
	}
}

// fencedTransport refuses to send a produce request unless the relay may
// publish, and bounds each one by the deadline. The check has to sit here:
// kafka-go's writer sends batches, retries them and flushes them on Close
// on its own goroutines, after the relay's own check.
type fencedTransport struct {
	kafka.RoundTripper
	r *Relay
}

// RoundTrip implements kafka.RoundTripper.
func (t fencedTransport) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	if req.ApiKey() != protocol.Produce {
		return t.RoundTripper.RoundTrip(ctx, addr, req)
	}
	ok, until, _ := t.r.mayPublish()
	if !ok {
		return nil, errFenced
	}
	if t.r.fence != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, until)
		defer cancel()
	}
	return t.RoundTripper.RoundTrip(ctx, addr, req)
}

// Run campaigns for leadership and publishes while leading, going back to
// campaigning when leadership is lost. It returns nil when ctx ends, after
// resigning so another relay takes over at once.
func (r *Relay) Run(ctx context.Context) error {
	bo := newBackoff(200*time.Millisecond, 5*time.Second)
	for {
		if ctx.Err() != nil {
			return nil
		}
		lost, err := r.elector.Campaign(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.WarnContext(ctx, "relay campaign failed; retrying", "err", err)
			if !sleepCtx(ctx, bo.next()) {
				return nil
			}
			continue
		}
		bo.reset()
		r.log.InfoContext(ctx, "relay leads")
		r.leading.Store(true)
		r.leader.Set(1)

		termCtx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-lost:
				cancel()
			case <-termCtx.Done():
			}
		}()
		fenceDone := make(chan struct{})
		go func() {
			defer close(fenceDone)
			r.watchFence(termCtx)
		}()
		r.lead(termCtx)
		cancel()
		<-fenceDone

		r.leading.Store(false)
		r.leader.Set(0)
		// Resign in both cases: on shutdown so a follower takes over without
		// waiting for the lease to expire, on a lost term to clean up.
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		if err := r.elector.Resign(rctx); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "relay resign failed", "err", err)
		}
		rcancel()
		if ctx.Err() != nil {
			return nil
		}
		r.log.WarnContext(ctx, "relay lost leadership; campaigning again")
	}
}

// position is how far the relay has published to one broker cluster.
type position struct {
	clusterID string
	lastSeq   int64
	published int64
}

// conn is the Kafka writer of a term, replaced after errors so stale
// metadata and dead connections from before a broker restart are dropped.
type conn struct {
	w      *kafka.Writer
	closer func()
}

// RelayBatchTimeout is the relay writer's kafka-go BatchTimeout: how long a
// partition's batch waits for more messages before it is sent. The relay
// hands the writer a whole batch in one synchronous WriteMessages call
// (kafka-go appends it under the partition's lock, so a batch sent early
// still holds all of it) and cannot add more until that call returns:
// waiting is pure latency. It was 5 ms, paid by every batch (kafka-go takes
// 0 as its default, 1 s, hence a microsecond).
const RelayBatchTimeout = time.Microsecond

func (r *Relay) dial() *conn {
	var tr kafka.RoundTripper = r.cfg.Transport
	var owned *kafka.Transport
	if tr == nil {
		owned = &kafka.Transport{}
		tr = owned
	}
	w := &kafka.Writer{
		Transport:              fencedTransport{RoundTripper: tr, r: r},
		Addr:                   kafka.TCP(r.cfg.Brokers...),
		Topic:                  r.outbox.Topic(),
		Balancer:               &kafka.Hash{}, // one aggregate → one partition → ordered
		RequiredAcks:           kafka.RequireAll,
		BatchSize:              r.cfg.BatchSize,
		BatchTimeout:           RelayBatchTimeout,
		AllowAutoTopicCreation: true,
		// Fail fast and let the relay's own loop retry with backoff (and
		// re-check the broker) rather than spend ~7 s in kafka-go's retries.
		MaxAttempts:     3,
		WriteBackoffMin: 50 * time.Millisecond,
		WriteBackoffMax: 500 * time.Millisecond,
	}
	c := &conn{w: w}
	c.closer = func() {
		_ = w.Close()
		if owned != nil {
			owned.CloseIdleConnections()
		} else if t, ok := tr.(*kafka.Transport); ok {
			t.CloseIdleConnections()
		}
	}
	return c
}

// lead publishes until ctx (the leadership term) ends.
func (r *Relay) lead(ctx context.Context) {
	c := r.dial()
	defer func() { c.closer() }()
	bo := newBackoff(100*time.Millisecond, 5*time.Second)
	retentionEvery := min(r.cfg.Retention/10, time.Hour)
	nextRetention := time.Time{}
	var pos position
	var marks unmarked
	needSync := true
	poll := time.NewTimer(r.cfg.SafetyPoll)
	defer poll.Stop()
	markDue := time.NewTimer(time.Hour)
	markDue.Stop()
	defer markDue.Stop()
	stopListen := r.listen(ctx)
	defer stopListen()
	defer func() {
		// Stopping (or losing the term): record what was published, so a
		// restart does not send it again. Bounded, as the term's context
		// has ended; flushMarks still refuses once the lease has lapsed.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		n := len(marks.seqs)
		if err := r.flushMarks(fctx, pos, &marks); err != nil {
			r.log.DebugContext(fctx, "relay stopped without marking its last published rows; they go out again", "rows", n, "err", err)
		}
	}()
	for ctx.Err() == nil {
		if !r.waitConfirmed(ctx) {
			return
		}
		if now := r.now(); !now.Before(nextRetention) {
			if n, err := r.applyRetention(ctx); err != nil {
				r.log.WarnContext(ctx, "outbox retention failed", "err", err)
			} else if n > 0 {
				r.log.InfoContext(ctx, "outbox retention deleted sent rows", "rows", n)
			}
			nextRetention = now.Add(retentionEvery)
		}
		if needSync {
			// The broker check reads the recorded position: record first.
			// Marks that cannot be recorded are dropped, and those rows go
			// out again from the recorded position.
			if err := r.flushMarks(ctx, pos, &marks); err != nil && ctx.Err() == nil {
				r.log.DebugContext(ctx, "relay could not mark published rows; they go out again", "err", err)
			}
			r.updateBacklog(ctx)
			p, err := r.sync(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				if errors.Is(err, errFenced) {
					continue // waits for the lease at the top
				}
				r.log.WarnContext(ctx, "relay cannot check broker; retrying", "err", err)
				c.closer()
				c = r.dial()
				sleepCtx(ctx, bo.next())
				continue
			}
			pos, needSync = p, false
		}
		n, err := r.publishBatch(ctx, c.w, &pos, &marks)
		if err == nil && len(marks.seqs) > 0 && (len(marks.seqs) >= r.cfg.BatchSize || !r.now().Before(marks.due(r.cfg.MarkDelay))) {
			if err = r.flushMarks(ctx, pos, &marks); err == nil {
				r.updateBacklog(ctx)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if ok, _, _ := r.mayPublish(); !ok || errors.Is(err, errFenced) {
				// Fenced during the batch, not a broker fault: drop the
				// writer (and whatever it still queues), check the broker
				// again once confirmed, and publish the unmarked rows
				// again then.
				r.log.DebugContext(ctx, "relay batch stopped by its fence", "err", err)
				c.closer()
				c = r.dial()
				needSync = true
				continue
			}
			r.pubErrs.Inc()
			r.updateBacklog(ctx)
			r.log.WarnContext(ctx, "relay publish failed; will retry", "err", err)
			// A failed write may mean a restarted or replaced broker:
			// reconnect and check it before the next write.
			c.closer()
			c = r.dial()
			needSync = true
			sleepCtx(ctx, bo.next())
			continue
		}
		bo.reset()
		if n >= r.cfg.BatchSize {
			continue // more rows waiting
		}
		resetTimer(poll, r.cfg.SafetyPoll)
		var markC <-chan time.Time
		if len(marks.seqs) > 0 {
			resetTimer(markDue, time.Until(marks.due(r.cfg.MarkDelay)))
			markC = markDue.C
		}
		select {
		case <-ctx.Done():
			return
		case <-r.outbox.Wake():
		case <-markC: // the batch after it records the marks
		case <-poll.C:
			// Nothing woke us for a while: look at the broker again, so a
			// broker that restarted empty without failing a write is noticed.
			needSync = true
		}
	}
}

// OutboxChannel is the PostgreSQL notification channel an outbox insert
// notifies (a trigger, migrations/postgres), its payload the topic.
const OutboxChannel = "eventbus_outbox"

// listen, on PostgreSQL, wakes the relay on every notification of an
// outbox insert into its topic, so rows another process committed (a
// second replica, a tool writing the outbox) go out at once rather than
// at the next SafetyPoll, which stays the fallback for a dropped listener.
// It returns the function that stops it (and waits for it). On SQLite it
// does nothing: only this process writes, and Outbox.Notify wakes it.
func (r *Relay) listen(ctx context.Context) (stop func()) {
	db := r.outbox.DB()
	if db.Dialect != storage.Postgres {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	topic := r.outbox.Topic()
	go func() {
		defer close(done)
		db.Listen(ctx, OutboxChannel,
			// Whatever was committed before the LISTEN took effect had no
			// one to notify: look once more now.
			r.outbox.Notify,
			func(payload string) {
				if payload == topic {
					r.outbox.Notify()
				}
			},
			func(err error) { r.log.DebugContext(ctx, "outbox listener dropped; reconnecting", "err", err) })
	}()
	return func() { cancel(); <-done }
}

// sync reads the broker's cluster id and returns the position to publish
// from, resetting it when the broker lacks events it was sent.
func (r *Relay) sync(ctx context.Context) (position, error) {
	topic := r.outbox.Topic()
	cli, release := adminClient(r.cfg.Brokers, r.cfg.Transport, topic)
	defer release()
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return position{}, fmt.Errorf("metadata: %w", err)
	}
	clusterID := md.ClusterID
	if clusterID == "" {
		// Pre-0.10.1 brokers report no id; the bootstrap list is the best
		// stand-in for "the same cluster".
		clusterID = "brokers:" + strings.Join(r.cfg.Brokers, ",")
	}
	pos := position{clusterID: clusterID}
	db := r.outbox.DB()
	err = db.QueryRowContext(ctx, db.Rebind(`SELECT last_seq, published FROM eventbus_relay_position
		WHERE cluster_id = ? AND topic = ?`), clusterID, topic).Scan(&pos.lastSeq, &pos.published)
	if errors.Is(err, sql.ErrNoRows) {
		if !r.leaseHolds() {
			return position{}, errFenced
		}
		// Record the (empty) position at once: with nothing to publish no
		// batch would write it, and every SafetyPoll would meet the cluster
		// "for the first time" again.
		if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO eventbus_relay_position
			(cluster_id, topic, last_seq, published, updated_at) VALUES (?, ?, 0, 0, ?)
			ON CONFLICT (cluster_id, topic) DO NOTHING`),
			clusterID, topic, r.now().UTC().Format(time.RFC3339Nano)); err != nil {
			return position{}, fmt.Errorf("record relay position: %w", err)
		}
		r.log.InfoContext(ctx, "relay meets broker cluster for the first time; publishing retained outbox", "cluster_id", clusterID)
		return pos, nil
	}
	if err != nil {
		return position{}, fmt.Errorf("read relay position: %w", err)
	}
	if pos.published == 0 {
		return pos, nil
	}
	var partitions []int
	missing := true
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		switch {
		case t.Error == nil && len(t.Partitions) > 0:
			missing = false
			for _, p := range t.Partitions {
				partitions = append(partitions, p.ID)
			}
		case t.Error == nil || errors.Is(t.Error, kafka.UnknownTopicOrPartition):
		default:
			return position{}, fmt.Errorf("metadata of %s: %w", topic, t.Error)
		}
	}
	var end int64
	if !missing {
		req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
		for _, p := range partitions {
			req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p))
		}
		lo, err := cli.ListOffsets(ctx, req)
		if err != nil {
			return position{}, fmt.Errorf("list offsets: %w", err)
		}
		for _, po := range lo.Topics[topic] {
			if po.Error != nil {
				return position{}, fmt.Errorf("list offsets of %s/%d: %w", topic, po.Partition, po.Error)
			}
			end += po.LastOffset
		}
	}
	if !missing && end >= pos.published {
		return pos, nil
	}
	if !r.leaseHolds() {
		return position{}, errFenced
	}
	r.log.WarnContext(ctx, "broker lacks published events; re-publishing retained outbox",
		"cluster_id", clusterID, "topic_missing", missing, "end_offsets", end, "published", pos.published)
	if _, err := db.ExecContext(ctx, db.Rebind(`UPDATE eventbus_relay_position
		SET last_seq = 0, published = 0, updated_at = ? WHERE cluster_id = ? AND topic = ?`),
		r.now().UTC().Format(time.RFC3339Nano), clusterID, topic); err != nil {
		return position{}, fmt.Errorf("reset relay position: %w", err)
	}
	pos.lastSeq, pos.published = 0, 0
	return pos, nil
}

type outboxRow struct {
	seq         int64
	eventID     string
	eventType   string
	aggregateID string
	envelope    []byte
	traceparent string
}

// pending returns up to limit rows to publish after pos: first rows below
// lastSeq that are still unsent (a transaction that committed after a later
// one — impossible on SQLite, possible on engines with concurrent writers)
// and not in published (sent, their marks not recorded yet), then rows
// after lastSeq in seq order.
func (r *Relay) pending(ctx context.Context, pos position, limit int, published map[int64]struct{}) ([]outboxRow, error) {
	db := r.outbox.DB()
	var rows []outboxRow
	scan := func(q string, args ...any) error {
		st, err := db.Prepared(ctx, q)
		if err != nil {
			return err
		}
		rs, err := st.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var o outboxRow
			if err := rs.Scan(&o.seq, &o.eventID, &o.eventType, &o.aggregateID, &o.envelope, &o.traceparent); err != nil {
				return err
			}
			if _, sent := published[o.seq]; sent {
				continue
			}
			rows = append(rows, o)
		}
		return rs.Err()
	}
	const cols = `SELECT seq, event_id, event_type, aggregate_id, envelope, traceparent FROM eventbus_outbox`
	// On SQLite writers commit one at a time, so seq order is commit order
	// and nothing unsent lies below lastSeq: the look below would only
	// read again the rows published and not yet marked.
	if pos.lastSeq > 0 && db.Dialect != storage.SQLite {
		if err := scan(cols+` WHERE sent_at IS NULL AND topic = ? AND seq <= ? ORDER BY seq LIMIT ?`,
			r.outbox.Topic(), pos.lastSeq, limit); err != nil {
			return nil, fmt.Errorf("read unsent outbox: %w", err)
		}
	}
	if rest := limit - len(rows); rest > 0 {
		if err := scan(cols+` WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?`,
			r.outbox.Topic(), pos.lastSeq, rest); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
	}
	return rows, nil
}

// unmarked is the rows a relay's term has published and not yet marked
// sent (RelayConfig.MarkDelay).
type unmarked struct {
	seqs map[int64]struct{}
	// since is when the oldest of them was published.
	since time.Time
}

// due is when marks must be recorded, held for at most delay.
func (m *unmarked) due(delay time.Duration) time.Time { return m.since.Add(delay) }

// resetTimer stops t, drains a fire it missed and starts it again for d.
func resetTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}

// publishBatch writes the next batch to Kafka and advances pos past it;
// its rows join marks, recorded by flushMarks. It returns how many rows it
// published.
func (r *Relay) publishBatch(ctx context.Context, w *kafka.Writer, pos *position, marks *unmarked) (int, error) {
	rows, err := r.pending(ctx, *pos, r.cfg.BatchSize, marks.seqs)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	msgs := make([]kafka.Message, len(rows))
	for i, o := range rows {
		headers := []kafka.Header{
			{Key: "event_id", Value: []byte(o.eventID)},
			{Key: "event_type", Value: []byte(o.eventType)},
		}
		if o.traceparent != "" {
			headers = append(headers, kafka.Header{Key: "traceparent", Value: []byte(o.traceparent)})
		}
		msgs[i] = kafka.Message{Key: []byte(o.aggregateID), Value: o.envelope, Headers: headers}
	}
	wctx := ctx
	if r.fence != nil {
		// The transport refuses produce requests past the deadline; this
		// ends the wait for the batch there too.
		_, until, _ := r.mayPublish()
		var cancel context.CancelFunc
		wctx, cancel = context.WithDeadline(ctx, until)
		defer cancel()
	}
	endSpans := publishSpans(ctx, r.outbox.Topic(), rows, msgs)
	err = w.WriteMessages(wctx, msgs...)
	endSpans(err)
	if err != nil {
		return 0, fmt.Errorf("write %d events: %w", len(msgs), err)
	}
	if marks.seqs == nil {
		marks.seqs = map[int64]struct{}{}
	}
	if len(marks.seqs) == 0 {
		marks.since = r.now()
	}
	pos.published += int64(len(rows))
	for _, o := range rows {
		pos.lastSeq = max(pos.lastSeq, o.seq)
		marks.seqs[o.seq] = struct{}{}
	}
	r.pubs.Add(float64(len(rows)))
	return len(rows), nil
}

// flushMarks marks the rows of marks sent and records pos, the position
// after them, in one transaction, and empties marks whatever the outcome:
// rows whose marks were not recorded are published again from the
// recorded position (the caller checks the broker, reading it, after an
// error).
func (r *Relay) flushMarks(ctx context.Context, pos position, marks *unmarked) error {
	if len(marks.seqs) == 0 {
		return nil
	}
	seqs := marks.seqs
	marks.seqs = nil
	if r.beforeMark != nil {
		if err := r.beforeMark(ctx); err != nil {
			return fmt.Errorf("before mark: %w", err)
		}
	}
	now := r.now().UTC().Format(time.RFC3339Nano)
	db := r.outbox.DB()
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		for seq := range seqs {
			if _, err := db.ExecTx(ctx, tx, `UPDATE eventbus_outbox SET sent_at = ? WHERE seq = ? AND sent_at IS NULL`, now, seq); err != nil {
				return err
			}
		}
		_, err := db.ExecTx(ctx, tx, `INSERT INTO eventbus_relay_position (cluster_id, topic, last_seq, published, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (cluster_id, topic) DO UPDATE SET last_seq = excluded.last_seq,
				published = excluded.published, updated_at = excluded.updated_at`,
			pos.clusterID, r.outbox.Topic(), pos.lastSeq, pos.published, now)
		if err == nil && !r.leaseHolds() {
			// A fenced relay records nothing: by the time another relay
			// may lead, its marks and position would overwrite that
			// relay's. Checked last, as the transaction may have waited
			// for the database's lock. The events are on Kafka, unmarked;
			// they go out again and consumers drop the duplicates.
			err = errFenced
		}
		return err
	})
	if err != nil {
		// The events are on Kafka but not marked: they go out again, and
		// consumers drop the duplicates by event id.
		return fmt.Errorf("mark %d events sent: %w", len(seqs), err)
	}
	return nil
}

// applyRetention deletes sent rows created before now-Retention. created_at
// is RFC 3339 text in UTC, so string order is time order to the second
// (fraction digits vary in length), which is plenty for a retention of days.
func (r *Relay) applyRetention(ctx context.Context) (int64, error) {
	cutoff := r.now().Add(-r.cfg.Retention).UTC().Format(time.RFC3339Nano)
	db := r.outbox.DB()
	var n int64
	// Through InTx so the delete queues with the service's writes instead
	// of contending for SQLite's lock.
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := db.ExecTx(ctx, tx, `DELETE FROM eventbus_outbox
			WHERE topic = ? AND sent_at IS NOT NULL AND created_at < ?`, r.outbox.Topic(), cutoff)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

func (r *Relay) updateBacklog(ctx context.Context) {
	var n int64
	db := r.outbox.DB()
	err := db.QueryRowContext(ctx, db.Rebind(`SELECT count(*) FROM eventbus_outbox WHERE sent_at IS NULL AND topic = ?`),
		r.outbox.Topic()).Scan(&n)
	if err == nil {
		r.backlog.Set(float64(n))
	}
}

// backoff is a capped exponential delay.
type backoff struct{ min, max, cur time.Duration }

func newBackoff(lo, hi time.Duration) *backoff { return &backoff{min: lo, max: hi} }

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(b.cur*2, b.max)
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
