package eventbus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Elector decides which of several relays for one (district, service)
// publishes.
type Elector interface {
	// Campaign blocks until this candidate leads or ctx ends; lost is
	// closed when leadership is lost (session expired, etcd gone, ctx
	// ended). ctx must live as long as the leadership is wanted.
	Campaign(ctx context.Context) (lost <-chan struct{}, err error)
	// Resign gives up leadership (graceful shutdown).
	Resign(ctx context.Context) error
}

// Fence is implemented by an Elector whose leadership rests on a lease that
// etcd can expire without the leader hearing of it in time: while etcd is
// unreachable the lease runs out on the server, another candidate wins, and
// the old leader's lost channel closes only seconds later. A relay asks the
// Fence before every write and publishes only while the lease is confirmed.
type Fence interface {
	// Confirmed returns until when the current term is known to hold, on
	// the local monotonic clock (a time.Time from time.Now, compared with
	// time.Now): the moment the last lease renewal that etcd confirmed was
	// sent, plus the lease's TTL, minus a safety margin. It also returns a
	// channel closed at the next confirmation. Without a current term the
	// time is the zero time.
	Confirmed() (until time.Time, next <-chan struct{})
}

// ElectionKey is the etcd key prefix of the relay election of a district's service.
func ElectionKey(district, service string) string {
	return "/guildhall/elections/" + district + "/" + service
}

// NewEtcdElector returns an Elector campaigning on key in etcd as candidate
// with a lease of ttlSeconds (5 if not positive): a leader that dies is
// replaced once its lease expires.
//
// The elector is also a Fence. Besides the session's own keepalive it
// renews the lease itself every TTL/4 and remembers when each renewal that
// etcd answered was sent: the lease cannot expire on the server before that
// moment plus the TTL, so the term is confirmed until then minus a margin
// of TTL/5 (clock drift, scheduling). When etcd stops answering, the term
// stops being confirmed at that local deadline, before any other candidate
// can win.
//
// candidate must name one live process and stay the same when that process
// restarts (a pod name, or host plus data dir): a candidate that finds keys
// of its own name from an earlier life revokes them instead of waiting for
// their lease to run out, so a killed relay that comes back publishes at
// once. Two live processes must never share a candidate name.
func NewEtcdElector(cli *clientv3.Client, key, candidate string, ttlSeconds int) Elector {
	if ttlSeconds <= 0 {
		ttlSeconds = 5
	}
	return &etcdElector{cli: cli, key: key, candidate: candidate, ttl: ttlSeconds}
}

type etcdElector struct {
	cli       *clientv3.Client
	key       string
	candidate string
	ttl       int

	mu       sync.Mutex
	session  *concurrency.Session
	election *concurrency.Election
	// lease is the confirmation record of the current term's lease; nil
	// between terms. stopRenew ends its renewal loop.
	lease     *leaseConfirmation
	stopRenew context.CancelFunc
}

// leaseConfirmation records until when a lease is known to be alive.
type leaseConfirmation struct {
	mu    sync.Mutex
	until time.Time
	next  chan struct{}
}

func newLeaseConfirmation() *leaseConfirmation {
	return &leaseConfirmation{next: make(chan struct{})}
}

// confirm records that etcd renewed the lease for ttl in answer to a
// request sent at sent, keeping margin in hand.
func (l *leaseConfirmation) confirm(sent time.Time, ttl, margin time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if u := sent.Add(ttl - margin); u.After(l.until) {
		l.until = u
	}
	close(l.next)
	l.next = make(chan struct{})
}

func (l *leaseConfirmation) get() (time.Time, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until, l.next
}

// Confirmed implements Fence.
func (e *etcdElector) Confirmed() (time.Time, <-chan struct{}) {
	e.mu.Lock()
	l := e.lease
	e.mu.Unlock()
	if l == nil {
		// No term: nothing is confirmed, and no confirmation will come
		// for this (non-)term.
		return time.Time{}, nil
	}
	return l.get()
}

// margin is how much of the TTL the fence keeps in hand.
func (e *etcdElector) margin() time.Duration { return time.Duration(e.ttl) * time.Second / 5 }

// renew renews lease every TTL/4 until ctx ends or etcd says the lease is
// gone, recording each confirmed renewal in conf. A renewal is given at
// most a TTL to answer, so a frozen etcd cannot hold the loop.
func (e *etcdElector) renew(ctx context.Context, lease clientv3.LeaseID, conf *leaseConfirmation) {
	ttl := time.Duration(e.ttl) * time.Second
	every := ttl / 4
	for {
		sent := time.Now()
		rctx, cancel := context.WithTimeout(ctx, ttl)
		resp, err := e.cli.KeepAliveOnce(rctx, lease)
		cancel()
		switch {
		case err == nil:
			conf.confirm(sent, time.Duration(resp.TTL)*time.Second, e.margin())
		case errors.Is(err, rpctypes.ErrLeaseNotFound):
			// The lease expired or was revoked: this term can never be
			// confirmed again, and the session ends it.
			return
		}
		if !sleepCtx(ctx, time.Until(sent.Add(every))) {
			return
		}
	}
}

// Campaign opens a fresh session for every term: once a session's lease is
// gone it cannot come back, so reusing it would make every later campaign
// fail.
func (e *etcdElector) Campaign(ctx context.Context) (<-chan struct{}, error) {
	e.endTerm()
	// The lease is granted here rather than by the session so that the
	// moment the grant was asked for is known: the first confirmation.
	// The grant, the session's keepalive and the renewal loop are bound
	// to ctx, so a campaign against an unreachable etcd returns when ctx
	// ends, and the term ends with ctx: pass the context of the whole
	// leadership, not a short one.
	sent := time.Now()
	grant, err := e.cli.Grant(ctx, int64(e.ttl))
	if err != nil {
		return nil, fmt.Errorf("eventbus: election lease: %w", err)
	}
	conf := newLeaseConfirmation()
	conf.confirm(sent, time.Duration(grant.TTL)*time.Second, e.margin())
	// WithTTL still matters with WithLease: Close bounds its revoke by it.
	sess, err := concurrency.NewSession(e.cli, concurrency.WithTTL(e.ttl), concurrency.WithLease(grant.ID),
		concurrency.WithContext(ctx))
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(e.ttl)*time.Second)
		_, _ = e.cli.Revoke(rctx, grant.ID)
		cancel()
		return nil, fmt.Errorf("eventbus: election session: %w", err)
	}
	// The renewals end with the session (its context ends when its
	// keepalive does: lease gone, client closed, ctx ended).
	renewCtx, stopRenew := context.WithCancel(sess.Ctx())
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		e.renew(renewCtx, grant.ID, conf)
	}()
	stop := func() { stopRenew(); <-renewDone }
	if err := e.clearStale(ctx, sess.Lease()); err != nil {
		stop()
		_ = sess.Close()
		return nil, err
	}
	el := concurrency.NewElection(sess, e.key)
	if err := el.Campaign(ctx, e.candidate); err != nil {
		stop()
		_ = sess.Close()
		return nil, fmt.Errorf("eventbus: campaign %s: %w", e.key, err)
	}
	e.mu.Lock()
	e.session, e.election, e.lease, e.stopRenew = sess, el, conf, stop
	e.mu.Unlock()
	return sess.Done(), nil
}

// endTerm forgets the current term: its renewals stop, its session is
// closed (revoking the lease if etcd answers), and Confirmed reports
// nothing confirmed.
func (e *etcdElector) endTerm() {
	e.mu.Lock()
	old, stop := e.session, e.stopRenew
	e.session, e.election, e.lease, e.stopRenew = nil, nil, nil, nil
	e.mu.Unlock()
	if stop != nil {
		stop()
	}
	if old != nil {
		_ = old.Close()
	}
}

// clearStale revokes the leases of this candidate's keys left by an earlier
// life of the same process (its lease still counting down after a kill).
func (e *etcdElector) clearStale(ctx context.Context, own clientv3.LeaseID) error {
	resp, err := e.cli.Get(ctx, e.key+"/", clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("eventbus: election %s: %w", e.key, err)
	}
	for _, kv := range resp.Kvs {
		lease := clientv3.LeaseID(kv.Lease)
		if string(kv.Value) != e.candidate || lease == own || lease == clientv3.NoLease {
			continue
		}
		if _, err := e.cli.Revoke(ctx, lease); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return fmt.Errorf("eventbus: revoke stale election lease of %s: %w", e.candidate, err)
		}
	}
	return nil
}

// Resign deletes this candidate's key (so a follower takes over at once)
// and revokes the session's lease.
func (e *etcdElector) Resign(ctx context.Context) error {
	e.mu.Lock()
	sess, el, stop := e.session, e.election, e.stopRenew
	e.session, e.election, e.lease, e.stopRenew = nil, nil, nil, nil
	e.mu.Unlock()
	if stop != nil {
		stop()
	}
	if sess == nil {
		return nil
	}
	err := el.Resign(ctx)
	// Close revokes the lease, ending the session (and its Done channel).
	return errors.Join(err, sess.Close())
}

// AlwaysLeader returns an Elector that leads at once and never loses: for a
// single process (tests, tools, a one-replica node).
func AlwaysLeader() Elector { return alwaysLeader{} }

type alwaysLeader struct{}

func (alwaysLeader) Campaign(ctx context.Context) (<-chan struct{}, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Never closed: nobody can take leadership away.
	return make(chan struct{}), nil
}

func (alwaysLeader) Resign(context.Context) error { return nil }
