package eventbus

import (
	"context"
	"errors"
	"fmt"
	"sync"

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

// ElectionKey is the etcd key prefix of the relay election of a district's service.
func ElectionKey(district, service string) string {
	return "/guildhall/elections/" + district + "/" + service
}

// NewEtcdElector returns an Elector campaigning on key in etcd as candidate
// with a lease of ttlSeconds (5 if not positive): a leader that dies is
// replaced once its lease expires.
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
}

// Campaign opens a fresh session for every term: once a session's lease is
// gone it cannot come back, so reusing it would make every later campaign
// fail.
func (e *etcdElector) Campaign(ctx context.Context) (<-chan struct{}, error) {
	e.mu.Lock()
	old := e.session
	e.session, e.election = nil, nil
	e.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	// The session (lease grant and keepalive) is bound to ctx, so a campaign
	// against an unreachable etcd returns when ctx ends, and the term ends
	// with ctx: pass the context of the whole leadership, not a short one.
	sess, err := concurrency.NewSession(e.cli, concurrency.WithTTL(e.ttl), concurrency.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("eventbus: election session: %w", err)
	}
	if err := e.clearStale(ctx, sess.Lease()); err != nil {
		_ = sess.Close()
		return nil, err
	}
	el := concurrency.NewElection(sess, e.key)
	if err := el.Campaign(ctx, e.candidate); err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("eventbus: campaign %s: %w", e.key, err)
	}
	e.mu.Lock()
	e.session, e.election = sess, el
	e.mu.Unlock()
	return sess.Done(), nil
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
	sess, el := e.session, e.election
	e.session, e.election = nil, nil
	e.mu.Unlock()
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
