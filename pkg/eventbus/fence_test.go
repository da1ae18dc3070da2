package eventbus

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/guildhall/guildhall/pkg/devstack"
)

// produceRecorder is a relay's Kafka transport that notes, on the
// monotonic clock, when each produce request leaves for the broker.
type produceRecorder struct {
	inner *kafka.Transport
	mu    sync.Mutex
	at    []time.Time
	// intercept, if set, sees each produce request first; an error it
	// returns fails the request, which then never leaves.
	intercept func() error
}

func newProduceRecorder(t *testing.T) *produceRecorder {
	r := &produceRecorder{inner: &kafka.Transport{}}
	t.Cleanup(r.inner.CloseIdleConnections)
	return r
}

func (r *produceRecorder) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	if req.ApiKey() == protocol.Produce {
		r.mu.Lock()
		intercept := r.intercept
		r.mu.Unlock()
		if intercept != nil {
			if err := intercept(); err != nil {
				return nil, err
			}
		}
		r.mu.Lock()
		r.at = append(r.at, time.Now())
		r.mu.Unlock()
	}
	return r.inner.RoundTrip(ctx, addr, req)
}

// times returns the send times recorded so far.
func (r *produceRecorder) times() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.at...)
}

// etcdProxy forwards TCP connections to etcd until partitioned: then it
// drops every open connection and holds new ones without forwarding a
// byte, as a network partition (or a frozen etcd) does, until healed.
type etcdProxy struct {
	l      net.Listener
	target string

	mu          sync.Mutex
	partitioned bool
	conns       map[net.Conn]bool
	wg          sync.WaitGroup
}

func startEtcdProxy(t *testing.T, target string) *etcdProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &etcdProxy{l: l, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = l.Close()
		p.closeAll()
		p.wg.Wait()
	})
	return p
}

func (p *etcdProxy) addr() string { return p.l.Addr().String() }

func (p *etcdProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[c] = true
		held := p.partitioned
		p.mu.Unlock()
		if held {
			continue // accepted, never answered; closed when healed
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

func (p *etcdProxy) forward(c net.Conn) {
	defer p.wg.Done()
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.partitioned || !p.conns[c] {
		p.mu.Unlock()
		_ = c.Close()
		_ = u.Close()
		return
	}
	p.conns[u] = true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(u, c)
	go pipe(c, u)
	<-done
	_ = c.Close()
	_ = u.Close()
	<-done
}

func (p *etcdProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// partition cuts every connection and holds new ones.
func (p *etcdProxy) partition() {
	p.mu.Lock()
	p.partitioned = true
	p.mu.Unlock()
	p.closeAll()
}

// heal drops the held connections (their clients reconnect) and forwards
// again.
func (p *etcdProxy) heal() {
	p.mu.Lock()
	p.partitioned = false
	p.mu.Unlock()
	p.closeAll()
}

// watchedFence wraps an elector that is a Fence and keeps the latest
// deadline it gave the relay.
type watchedFence struct {
	Elector
	fence Fence

	mu     sync.Mutex
	latest time.Time
}

func (w *watchedFence) Confirmed() (time.Time, <-chan struct{}) {
	until, next := w.fence.Confirmed()
	w.mu.Lock()
	if until.After(w.latest) {
		w.latest = until
	}
	w.mu.Unlock()
	return until, next
}

// deadline is the latest deadline the relay was given.
func (w *watchedFence) deadline() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.latest
}

func watchFenceOf(t *testing.T, e Elector) *watchedFence {
	t.Helper()
	f, ok := e.(Fence)
	if !ok {
		t.Fatal("the etcd elector is not a Fence")
	}
	return &watchedFence{Elector: e, fence: f}
}

// lateLoss reports the end of a term only some time after its elector
// does, as etcd's session does when etcd is unreachable (its Done channel
// was seen to close 7–13 s past a 5 s TTL): the fence must stop the relay
// without that signal.
type lateLoss struct {
	Elector
	Fence
	delay time.Duration
}

func reportLossLate(t *testing.T, e Elector, delay time.Duration) *lateLoss {
	t.Helper()
	f, ok := e.(Fence)
	if !ok {
		t.Fatal("the etcd elector is not a Fence")
	}
	return &lateLoss{Elector: e, Fence: f, delay: delay}
}

func (l *lateLoss) Campaign(ctx context.Context) (<-chan struct{}, error) {
	lost, err := l.Elector.Campaign(ctx)
	if err != nil {
		return nil, err
	}
	late := make(chan struct{})
	go func() {
		defer close(late)
		select {
		case <-lost:
		case <-ctx.Done():
			return
		}
		t := time.NewTimer(l.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}()
	return late, nil
}

func proxiedEtcdClient(t *testing.T, p *etcdProxy) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"http://" + p.addr()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// writeSteadily adds one event every few milliseconds until stopped, and
// returns how many it added.
func writeSteadily(t *testing.T, ob *Outbox) (stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n := make(chan int, 1)
	go func() {
		i := 0
		defer func() { n <- i }()
		for ctx.Err() == nil {
			addEvents(t, context.Background(), ob, []string{"steady-" + itoa(i%7)}, i/7, 1)
			i++
			time.Sleep(3 * time.Millisecond) // the load's pace, not a synchronisation
		}
	}()
	var once sync.Once
	var total int
	stop = func() int {
		once.Do(func() { cancel(); total = <-n })
		return total
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestAFencedRelayPublishesNothingPastItsLeaseDeadlineAndResumesWithoutLoss(t *testing.T) {
	ctx := context.Background()
	etcd, err := devstack.StartEtcd(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = etcd.Close() })
	proxy := startEtcdProxy(t, etcd.Client.Endpoints()[0][len("http://"):])
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	m := NewMetrics(nil)
	rec := newProduceRecorder(t)
	fence := watchFenceOf(t, NewEtcdElector(proxiedEtcdClient(t, proxy), ElectionKey("north", "membership"), "a", 2))
	r := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob, Elector: fence, Metrics: m, Transport: rec})
	run(t, r.Run)
	waitFor(t, 10*time.Second, "the relay leads", r.Leading)
	fencedGauge := m.RelayFenced.WithLabelValues("north", "membership", ob.Topic())
	fencings := m.RelayFencings.WithLabelValues("north", "membership", ob.Topic())

	stop := writeSteadily(t, ob)
	waitFor(t, 10*time.Second, "publishing under load", func() bool { return len(rec.times()) > 5 })
	// While etcd answers, renewals move the deadline on and the relay is
	// never fenced.
	first := fence.deadline()
	waitFor(t, 10*time.Second, "the lease renewed past its first deadline", func() bool {
		_, _ = fence.Confirmed()
		return fence.deadline().After(first.Add(time.Second))
	})
	if metricValue(fencedGauge) != 0 || r.Fenced() {
		t.Fatal("fenced while etcd answers")
	}

	// etcd becomes unreachable for this relay: no renewal is confirmed from
	// now on, so the deadline it was last given is final until it heals.
	proxy.partition()
	waitFor(t, 20*time.Second, "the relay fenced", func() bool { return r.Fenced() && metricValue(fencedGauge) == 1 })
	if got := metricValue(fencings); got != 1 {
		t.Errorf("fencings counter %v, want 1", got)
	}
	deadline := fence.deadline()
	sentBefore := len(rec.times())
	// Events keep coming while fenced; give a relay that ignored its fence
	// the chance to publish them before etcd's late session end stops it.
	waitFor(t, 20*time.Second, "the term to end or the backlog to grow", func() bool {
		return !r.Leading() || backlog(t, ob) > 50
	})
	healedAt := time.Now()
	proxy.heal()
	for i, at := range rec.times() {
		if at.After(healedAt) {
			break
		}
		if !at.Before(deadline) {
			t.Errorf("produce request %d left %v after the lease deadline", i, at.Sub(deadline))
		}
	}
	if len(rec.times()) < sentBefore {
		t.Fatal("recorder lost entries")
	}

	// etcd is back: the relay leads, unfenced, and publishes everything.
	waitFor(t, 30*time.Second, "publishing resumes", func() bool {
		return r.Leading() && !r.Fenced() && len(rec.times()) > sentBefore
	})
	total := stop()
	waitFor(t, 30*time.Second, "the outbox drained", func() bool { return backlog(t, ob) == 0 })
	if metricValue(fencedGauge) != 0 {
		t.Error("fenced gauge still 1 after the lease is confirmed")
	}
	msgs := topicMessages(t, b.Addr, ob.Topic())
	if got := distinctEventIDs(msgs); got != total {
		t.Errorf("topic holds %d distinct events of %d written", got, total)
	}
}

func TestAPartitionedLeadersLastPublishPrecedesItsSuccessorsFirst(t *testing.T) {
	ctx := context.Background()
	etcd, err := devstack.StartEtcd(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = etcd.Close() })
	proxy := startEtcdProxy(t, etcd.Client.Endpoints()[0][len("http://"):])
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	key := ElectionKey("north", "membership")
	obA, obB := newOutbox(t, db, "north", "membership"), newOutbox(t, db, "north", "membership")
	mA := NewMetrics(nil)
	recA, recB := newProduceRecorder(t), newProduceRecorder(t)
	ra := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: obA, Metrics: mA, Transport: recA,
		Elector: reportLossLate(t, NewEtcdElector(proxiedEtcdClient(t, proxy), key, "a", 2), 5*time.Second)})
	rb := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: obB, Transport: recB,
		Elector: NewEtcdElector(etcd.Client, key, "b", 2)})
	run(t, ra.Run)
	waitFor(t, 10*time.Second, "a leads", ra.Leading)
	run(t, rb.Run)

	stop := writeSteadily(t, obA)
	waitFor(t, 10*time.Second, "a publishing", func() bool { return len(recA.times()) > 5 })
	if len(recB.times()) != 0 {
		t.Fatal("the follower published while the leader led")
	}

	// a is cut off from etcd; b still reaches it and wins once a's lease
	// expires there.
	proxy.partition()
	waitFor(t, 30*time.Second, "b leads and publishes", func() bool { return rb.Leading() && len(recB.times()) > 5 })
	proxy.heal()
	total := stop()
	waitFor(t, 30*time.Second, "the outbox drained", func() bool { return backlog(t, obA) == 0 })

	a, bt := recA.times(), recB.times()
	lastA, firstB := a[len(a)-1], bt[0]
	if !lastA.Before(firstB) {
		t.Errorf("a's last produce request left %v after b's first: both published at once", lastA.Sub(firstB))
	}
	if got := metricValue(mA.RelayFencings.WithLabelValues("north", "membership", obA.Topic())); got < 1 {
		t.Errorf("a's fencings counter %v, want at least 1", got)
	}
	msgs := topicMessages(t, b.Addr, obA.Topic())
	if got := distinctEventIDs(msgs); got != total {
		t.Errorf("topic holds %d distinct events of %d written", got, total)
	}
}

// fakeFence is an elector that always wins, with a lease the test
// confirms or lets lapse.
type fakeFence struct {
	mu    sync.Mutex
	until time.Time
	next  chan struct{}
}

func newFakeFence() *fakeFence { return &fakeFence{next: make(chan struct{})} }

func (f *fakeFence) Campaign(ctx context.Context) (<-chan struct{}, error) {
	return AlwaysLeader().Campaign(ctx)
}

func (f *fakeFence) Resign(context.Context) error { return nil }

func (f *fakeFence) Confirmed() (time.Time, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.until, f.next
}

// set moves the deadline to until, announcing it as a confirmation.
func (f *fakeFence) set(until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.until = until
	close(f.next)
	f.next = make(chan struct{})
}

func TestARelayPublishesOnlyWhileItsFenceConfirmsItAndNeverMarksLate(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	m := NewMetrics(nil)
	fence := newFakeFence()
	fence.set(time.Now().Add(time.Hour))
	rec := newProduceRecorder(t)
	r := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob, Elector: fence, Metrics: m, Transport: rec})
	// The first batch is written, then the lease lapses before it is
	// marked: it must stay unmarked.
	lapsed := make(chan struct{})
	var once sync.Once
	r.beforeMark = func(context.Context) error {
		once.Do(func() {
			fence.set(time.Now().Add(-time.Second))
			close(lapsed)
		})
		return nil
	}
	addEvents(t, ctx, ob, aggregates(3), 0, 4) // 12 events
	run(t, r.Run)
	select {
	case <-lapsed:
	case <-time.After(10 * time.Second):
		t.Fatal("no batch was written")
	}
	waitFor(t, 10*time.Second, "fenced", r.Fenced)
	if got := metricValue(m.RelayFenced.WithLabelValues("north", "membership", ob.Topic())); got != 1 {
		t.Errorf("fenced gauge %v, want 1", got)
	}
	neverWithin(t, time.Second, "the batch was marked sent after the lease lapsed", func() bool { return backlog(t, ob) < 12 })
	sent := len(rec.times())
	addEvents(t, ctx, ob, aggregates(3), 4, 1) // wakes the relay
	neverWithin(t, time.Second, "produce requests while fenced", func() bool { return len(rec.times()) != sent })

	fence.set(time.Now().Add(time.Hour))
	waitFor(t, 10*time.Second, "drained after the lease is confirmed again", func() bool { return backlog(t, ob) == 0 })
	if r.Fenced() {
		t.Error("still fenced after confirmation")
	}
	msgs := topicMessages(t, b.Addr, ob.Topic())
	if got := distinctEventIDs(msgs); got != 15 {
		t.Errorf("topic holds %d distinct events, want 15", got)
	}
	if got := metricValue(m.RelayFencings.WithLabelValues("north", "membership", ob.Topic())); got != 1 {
		t.Errorf("fencings counter %v, want 1", got)
	}
}

// neverWithin fails if cond becomes true within d: a bounded check that
// something does not happen (under load it may miss a late occurrence,
// but it cannot fail a correct relay).
func neverWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			t.Errorf("%s", what)
			return
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

func TestAProduceRequestRetriedPastTheDeadlineNeverLeaves(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	fence := newFakeFence()
	fence.set(time.Now().Add(time.Hour))
	rec := newProduceRecorder(t)
	// The broker answers the first produce request with a retriable error,
	// and the lease lapses meanwhile: kafka-go's writer retries the batch on
	// its own goroutine, after the relay's check before the batch.
	var once sync.Once
	lapsed := make(chan struct{})
	rec.intercept = func() error {
		failed := false
		once.Do(func() {
			fence.set(time.Now().Add(-time.Second))
			close(lapsed)
			failed = true
		})
		if failed {
			return kafka.LeaderNotAvailable
		}
		return nil
	}
	r := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob, Elector: fence, Transport: rec})
	addEvents(t, ctx, ob, aggregates(1), 0, 3)
	run(t, r.Run)
	select {
	case <-lapsed:
	case <-time.After(10 * time.Second):
		t.Fatal("no produce request")
	}
	waitFor(t, 10*time.Second, "fenced", r.Fenced)
	// kafka-go retries after 50–500 ms; none of its retries may leave.
	neverWithin(t, time.Second, "a produce request left after the lease lapsed", func() bool { return len(rec.times()) > 0 })
	fence.set(time.Now().Add(time.Hour))
	waitFor(t, 10*time.Second, "drained after the lease is confirmed again", func() bool { return backlog(t, ob) == 0 })
	if got := distinctEventIDs(topicMessages(t, b.Addr, ob.Topic())); got != 3 {
		t.Errorf("topic holds %d distinct events, want 3", got)
	}
}
