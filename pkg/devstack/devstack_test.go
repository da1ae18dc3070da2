package devstack

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/goleak"

	"github.com/guildhall/guildhall/pkg/testutil/ports"
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

// freePort returns a loopback port nothing listens on now, from below the
// ephemeral range (pkg/testutil/ports says why).
func freePort(t *testing.T) string {
	t.Helper()
	p, err := ports.Free()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(p)
}

func TestEtcdAtAFixedAddressComesBackAtIt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	e, err := StartEtcdAt(ctx, dir, addr)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://" + addr}; len(e.Endpoints) != 1 || e.Endpoints[0] != want[0] {
		t.Fatalf("endpoints %v, want %v", e.Endpoints, want)
	}
	if _, err := e.Client.Put(ctx, "/guildhall/test", "kept"); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2, err := StartEtcdAt(ctx, dir, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if e2.Endpoints[0] != "http://"+addr {
		t.Fatalf("restarted at %v, want http://%s", e2.Endpoints, addr)
	}
	resp, err := e2.Client.Get(ctx, "/guildhall/test")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "kept" {
		t.Fatalf("after restart got %v", resp.Kvs)
	}
	if _, err := StartEtcdAt(ctx, t.TempDir(), "no-port"); err == nil {
		t.Error("an address without a port was accepted")
	}
}

// forward copies every connection accepted on ln to target, both ways.
func forward(t *testing.T, ln net.Listener, target string) {
	t.Helper()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer u.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(u, c); done <- struct{}{} }()
				go func() { _, _ = io.Copy(c, u); done <- struct{}{} }()
				<-done
			}()
		}
	}()
}

func TestBrokerListensOnTheHostItIsGivenAndAdvertisesTheAddressItIsTold(t *testing.T) {
	// 127.0.0.0/8 is all loopback on Linux: 127.0.0.2 is another host.
	port := freePort(t)
	b, err := StartBroker(BrokerConfig{Addr: "127.0.0.1:" + port, ListenHost: "127.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Addr != "127.0.0.2:"+port {
		t.Errorf("broker at %s, want 127.0.0.2:%s", b.Addr, port)
	}
	b.Close()

	// A proxy in front of the broker: metadata must name the proxy, so a
	// client that bootstraps through it keeps talking through it.
	proxy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	port = freePort(t)
	forward(t, proxy, "127.0.0.1:"+port)
	b, err = StartBroker(BrokerConfig{Addr: "127.0.0.1:" + port, Advertise: proxy.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Addr != proxy.Addr().String() {
		t.Fatalf("broker advertises %s, want the proxy %s", b.Addr, proxy.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cli := &kafka.Client{Addr: kafka.TCP(b.Addr), Transport: tr}
	md, err := cli.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Brokers) != 1 || fmt.Sprintf("%s:%d", md.Brokers[0].Host, md.Brokers[0].Port) != proxy.Addr().String() {
		t.Errorf("metadata brokers %+v, want the proxy %s", md.Brokers, proxy.Addr())
	}
	if _, err := StartBroker(BrokerConfig{Advertise: "no-port"}); err == nil {
		t.Error("an advertise address without a port was accepted")
	}
}

func TestResetGroupOffsetsPutsEveryPartitionOfTheGroupBackAtItsFirstOffset(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := StartBroker(BrokerConfig{Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const topic, group = "gh.north.membership.v1", "hq"
	if err := b.CreateTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cli := &kafka.Client{Addr: kafka.TCP(b.Addr), Transport: tr}
	committed := func() map[int]int64 {
		t.Helper()
		of, err := cli.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0, 1}}})
		if err != nil {
			t.Fatal(err)
		}
		out := map[int]int64{}
		for _, p := range of.Topics[topic] {
			out[p.Partition] = p.CommittedOffset
		}
		return out
	}
	// The group read a few events of each partition.
	w := &kafka.Writer{Addr: kafka.TCP(b.Addr), Topic: topic, Balancer: &kafka.RoundRobin{}, Transport: tr, BatchTimeout: time.Millisecond}
	defer w.Close()
	for i := range 6 {
		if err := w.WriteMessages(ctx, kafka.Message{Value: fmt.Appendf(nil, "event %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cli.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{
		topic: {{Partition: 0, Offset: 3}, {Partition: 1, Offset: 2}}}}); err != nil {
		t.Fatal(err)
	}
	if got := committed(); got[0] != 3 || got[1] != 2 {
		t.Fatalf("committed offsets before the reset %v, want 3 and 2", got)
	}
	if err := b.ResetGroupOffsets(ctx, group, topic); err != nil {
		t.Fatal(err)
	}
	if got := committed(); got[0] != 0 || got[1] != 0 {
		t.Errorf("committed offsets after the reset %v, want 0 and 0", got)
	}
	if err := b.ResetGroupOffsets(ctx, group, "gh.north.nothing.v1"); err == nil {
		t.Error("reset of a topic the broker does not have succeeded")
	}
}
