package eventbus

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/guildhall/guildhall/pkg/devstack"
)

func TestElectedRelaysPublishOnceAndFailOver(t *testing.T) {
	ctx := context.Background()
	etcd, err := devstack.StartEtcd(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = etcd.Close() })
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	key := ElectionKey("north", "membership")

	// Two replicas of the service: same database, each with its own outbox
	// handle and relay.
	obA := newOutbox(t, db, "north", "membership")
	obB := newOutbox(t, db, "north", "membership")
	ra := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: obA, Elector: NewEtcdElector(etcd.Client, key, "a", 2)})
	rb := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: obB, Elector: NewEtcdElector(etcd.Client, key, "b", 2)})
	runA := run(t, ra.Run)
	runB := run(t, rb.Run)
	waitFor(t, 10*time.Second, "a leader", func() bool { return ra.Leading() || rb.Leading() })
	if ra.Leading() && rb.Leading() {
		t.Fatal("both relays lead")
	}
	leader, follower, stopLeader := ra, rb, runA
	if rb.Leading() {
		leader, follower, stopLeader = rb, ra, runB
	}

	addEvents(t, ctx, obA, aggregates(3), 0, 4) // 12 events
	waitFor(t, 10*time.Second, "published", func() bool { return backlog(t, obA) == 0 })
	msgs := topicMessages(t, b.Addr, obA.Topic())
	if len(msgs) != 12 || distinctEventIDs(msgs) != 12 {
		t.Fatalf("topic has %d messages (%d distinct), want 12 sent once", len(msgs), distinctEventIDs(msgs))
	}
	if follower.Leading() {
		t.Fatal("follower leads while the leader runs")
	}

	stopLeader.stop()
	if leader.Leading() {
		t.Error("stopped relay still reports leading")
	}
	waitFor(t, 10*time.Second, "follower takes over", follower.Leading)
	addEvents(t, ctx, obA, aggregates(3), 4, 2) // 6 more
	waitFor(t, 10*time.Second, "new leader published", func() bool { return backlog(t, obA) == 0 })
	msgs = topicMessages(t, b.Addr, obA.Topic())
	if len(msgs) != 18 || distinctEventIDs(msgs) != 18 {
		t.Fatalf("topic has %d messages (%d distinct), want 18 each once", len(msgs), distinctEventIDs(msgs))
	}
}

func TestAlwaysLeader(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	lost, err := AlwaysLeader().Campaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-lost:
		t.Fatal("AlwaysLeader lost leadership")
	default:
	}
	cancel()
	if _, err := AlwaysLeader().Campaign(ctx); err == nil {
		t.Error("campaign with a done context succeeded")
	}
}

func TestRelayLosingItsSessionStepsDown(t *testing.T) {
	ctx := context.Background()
	etcd, err := devstack.StartEtcd(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = etcd.Close() })
	db := newDB(t, "membership")
	key := ElectionKey("north", "membership")
	ra := newRelay(t, RelayConfig{Brokers: []string{"127.0.0.1:1"}, Outbox: newOutbox(t, db, "north", "membership"), Elector: NewEtcdElector(etcd.Client, key, "a", 5)})
	run(t, ra.Run)
	waitFor(t, 10*time.Second, "a leads", ra.Leading)
	rb := newRelay(t, RelayConfig{Brokers: []string{"127.0.0.1:1"}, Outbox: newOutbox(t, db, "north", "membership"), Elector: NewEtcdElector(etcd.Client, key, "b", 5)})
	run(t, rb.Run)

	// etcd drops a's lease (as when a's keepalives stop reaching it).
	resp, err := etcd.Client.Get(ctx, key, clientv3.WithFirstCreate()...)
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "a" {
		t.Fatalf("election owner: %v %v", resp, err)
	}
	if _, err := etcd.Client.Revoke(ctx, clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "b takes over and a steps down", func() bool { return rb.Leading() && !ra.Leading() })
}

func TestARestartedCandidateReclaimsItsStaleLeaseButOthersWait(t *testing.T) {
	ctx := context.Background()
	etcd, err := devstack.StartEtcd(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = etcd.Close() })
	key := ElectionKey("north", "membership")

	// The first life of candidate "node-1" leads with a long lease, then its
	// process dies: the client goes away without revoking anything.
	dead, err := clientv3.New(clientv3.Config{Endpoints: etcd.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewEtcdElector(dead, key, "node-1", 60).Campaign(ctx); err != nil {
		t.Fatal(err)
	}
	_ = dead.Close()

	// Another candidate must still respect the dead leader's lease.
	otherCtx, cancelOther := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancelOther()
	if _, err := NewEtcdElector(etcd.Client, key, "node-2", 60).Campaign(otherCtx); err == nil {
		t.Fatal("another candidate took over while the old lease was alive")
	}

	// The same candidate, restarted, leads at once instead of waiting 60 s.
	againCtx, cancelAgain := context.WithTimeout(ctx, 10*time.Second)
	defer cancelAgain()
	el := NewEtcdElector(etcd.Client, key, "node-1", 60)
	if _, err := el.Campaign(againCtx); err != nil {
		t.Fatalf("restarted candidate did not reclaim leadership: %v", err)
	}
	resp, err := etcd.Client.Get(ctx, key+"/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "node-1" {
		t.Fatalf("election keys after reclaim: %v", resp.Kvs)
	}
	_ = el.Resign(ctx)
}
