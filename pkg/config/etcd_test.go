package config

import (
	"context"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// startEtcd starts a single-member embedded etcd in a temp dir on random
// ports and returns it with its client URL; it stops at the end of the test.
func startEtcd(t *testing.T) (*embed.Etcd, string) {
	t.Helper()
	e, ep, _ := startEtcdIn(t, t.TempDir(), "http://127.0.0.1:0", "http://127.0.0.1:0")
	return e, ep
}

// startEtcdIn starts embedded etcd with data in dir on the given client and
// peer URLs, so a test can restart it on the same data and ports; stop
// closes it early (it is also closed at the end of the test).
func startEtcdIn(t *testing.T, dir, clientURL, peerURL string) (e *embed.Etcd, endpoint string, stop func()) {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Name = "test"
	cfg.Dir = dir
	cu, err := url.Parse(clientURL)
	if err != nil {
		t.Fatal(err)
	}
	pu, err := url.Parse(peerURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.TickMs = 10
	cfg.ElectionMs = 100
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err = embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(e.Close) }
	t.Cleanup(stop)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(10 * time.Second):
		t.Fatal("embedded etcd not ready after 10s")
	}
	return e, "http://" + e.Clients[0].Addr().String(), stop
}

// newClient returns a client of the embedded etcd at endpoint.
func newClient(t *testing.T, endpoint string) *clientv3.Client {
	t.Helper()
	c := Etcd{Endpoints: StringList{endpoint}, DialTimeout: 5 * time.Second}
	cli, err := c.Client(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// discardLogger drops every record.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// eventually polls cond every 10ms until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not a wait for an event
	}
}

// testCtx returns a context cancelled at the end of the test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}
