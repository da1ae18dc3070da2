package devstack

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Started once per process by packages etcd pulls in; not per test.
		goleak.IgnoreAnyFunction("go.opencensus.io/stats/view.(*worker).start"),
	)
}

func TestEtcdKeepsDataAcrossRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	e, err := StartEtcd(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.Put(ctx, "/guildhall/test", "kept"); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2, err := StartEtcd(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	resp, err := e2.Client.Get(ctx, "/guildhall/test")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "kept" {
		t.Fatalf("after restart got %v", resp.Kvs)
	}
}

func TestBrokerClusterIDs(t *testing.T) {
	a, err := StartBroker(BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := StartBroker(BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.ClusterID == "" || a.ClusterID == "kfake" || a.ClusterID == b.ClusterID {
		t.Errorf("memory-only brokers need fresh cluster ids: %q, %q", a.ClusterID, b.ClusterID)
	}

	dir := t.TempDir()
	p1, err := StartBroker(BrokerConfig{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := p1.CreateTopics(ctx, "gh.north.membership.v1"); err != nil {
		t.Fatal(err)
	}
	// Creating an existing topic is fine.
	if err := p1.CreateTopics(ctx, "gh.north.membership.v1"); err != nil {
		t.Fatal(err)
	}
	p1.Close()
	p2, err := StartBroker(BrokerConfig{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if p2.ClusterID != p1.ClusterID {
		t.Errorf("persisted broker changed cluster id %q → %q", p1.ClusterID, p2.ClusterID)
	}
	if err := p2.DeleteTopics(ctx, "gh.north.membership.v1", "gh.nowhere.membership.v1"); err != nil {
		t.Errorf("delete topics: %v", err)
	}
}

func TestABrokerLogLeftByACrashIsDiscarded(t *testing.T) {
	dir := t.TempDir()
	b, err := StartBroker(BrokerConfig{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if b.Recovered {
		t.Fatal("a new data dir reported as recovered")
	}
	first := b.ClusterID
	b.Close()

	// A clean stop keeps the cluster.
	b, err = StartBroker(BrokerConfig{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if b.Recovered || b.ClusterID != first {
		t.Fatalf("after a clean stop: recovered=%v cluster %s, want false and %s", b.Recovered, b.ClusterID, first)
	}
	b.Close()

	// A run that never closed leaves its marker behind.
	if err := os.WriteFile(filepath.Join(dir, ".running"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err = StartBroker(BrokerConfig{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Recovered || b.ClusterID == first {
		t.Fatalf("after a crash: recovered=%v cluster %s, want true and a new cluster id", b.Recovered, b.ClusterID)
	}
}
