package config

import (
	"context"
	"errors"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var (
	jiangan = District{ID: "jiangan", Name: "Jiang'an", NameZH: "江岸片区", LeadVicePresident: "Li Wei", PoliceLiaison: "Wang Fang"}
	wuchang = District{ID: "wuchang", Name: "Wuchang", NameZH: "武昌片区"}
	hanyang = District{ID: "hanyang", Name: "Hanyang", NameZH: "汉阳片区"}
)

func ids(ds []District) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.ID)
	}
	return strings.Join(s, ",")
}

func TestDistrictValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    District
		want error
	}{
		{"a normal district is valid", jiangan, nil},
		{"an id with a hyphen and digits is valid", District{ID: "east-2", Name: "East 2"}, nil},
		{"an empty id is rejected", District{Name: "x"}, ErrDistrictID},
		{"an upper-case id is rejected", District{ID: "Jiangan", Name: "x"}, ErrDistrictID},
		{"an id starting with a digit is rejected", District{ID: "1east", Name: "x"}, ErrDistrictID},
		{"a 64-character id is rejected", District{ID: "a" + strings.Repeat("b", 63), Name: "x"}, ErrDistrictID},
		{"an id with a dot is rejected", District{ID: "a.b", Name: "x"}, ErrDistrictID},
		{"a blank name is rejected", District{ID: "east", Name: "  "}, ErrDistrictName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.d.Validate(); !errors.Is(err, tc.want) {
				t.Fatalf("Validate() = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRegistryRegisterGetList(t *testing.T) {
	_, ep := startEtcd(t)
	cli := newClient(t, ep)
	ctx := testCtx(t)
	reg := prometheus.NewPedanticRegistry()
	r := NewRegistry(cli, discardLogger(), reg)

	if err := r.Register(ctx, District{ID: "Bad"}); !errors.Is(err, ErrDistrictID) {
		t.Fatalf("Register(invalid) = %v", err)
	}
	for _, d := range []District{wuchang, jiangan} {
		if err := r.Register(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := r.Get(ctx, "jiangan")
	if err != nil || !ok || got != jiangan {
		t.Fatalf("Get = %+v %v %v", got, ok, err)
	}
	if _, ok, err := r.Get(ctx, "nowhere"); ok || err != nil {
		t.Fatalf("Get(absent) = %v %v", ok, err)
	}

	created, err := r.RegisterIfAbsent(ctx, hanyang)
	if err != nil || !created {
		t.Fatalf("RegisterIfAbsent(new) = %v %v", created, err)
	}
	renamed := jiangan
	renamed.Name = "Overwritten"
	created, err = r.RegisterIfAbsent(ctx, renamed)
	if err != nil || created {
		t.Fatalf("RegisterIfAbsent(existing) = %v %v", created, err)
	}
	if got, _, _ := r.Get(ctx, "jiangan"); got.Name != "Jiang'an" {
		t.Fatalf("RegisterIfAbsent overwrote: %+v", got)
	}

	// An invalid entry written behind the registry's back is skipped.
	if _, err := cli.Put(ctx, DistrictsPrefix+"broken", `{"id":"broken"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, DistrictsPrefix+"mismatch", `{"id":"other","name":"Other"}`); err != nil {
		t.Fatal(err)
	}
	list, err := r.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ids(list) != "hanyang,jiangan,wuchang" || list[1] != jiangan {
		t.Fatalf("List = %+v", list)
	}
	if v := testutil.ToFloat64(r.m.invalid.WithLabelValues(registrySource)); v != 2 {
		t.Fatalf("invalid counter = %v, want 2", v)
	}
	if _, _, err := r.Get(ctx, "broken"); !errors.Is(err, ErrDistrictName) {
		t.Fatalf("Get(broken) = %v", err)
	}
	if _, _, err := r.Get(ctx, "mismatch"); !errors.Is(err, ErrDistrictKey) {
		t.Fatalf("Get(mismatch) = %v", err)
	}
}

// setRecorder collects the sets a Watch callback receives.
type setRecorder struct {
	mu   sync.Mutex
	sets [][]District
}

func (s *setRecorder) fn(ds []District) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets = append(s.sets, ds)
}

func (s *setRecorder) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sets) == 0 {
		return "<none>"
	}
	return ids(s.sets[len(s.sets)-1])
}

func (s *setRecorder) all() [][]District {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sets)
}

func TestRegistryWatch(t *testing.T) {
	_, ep := startEtcd(t)
	cli := newClient(t, ep)
	ctx := testCtx(t)
	r := NewRegistry(cli, discardLogger(), prometheus.NewPedanticRegistry())
	for _, d := range []District{jiangan, wuchang} {
		if err := r.Register(ctx, d); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rec := &setRecorder{}
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx, rec.fn) }()
	eventually(t, "the initial two districts", func() bool { return rec.last() == "jiangan,wuchang" })

	if err := r.Register(ctx, hanyang); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the third district", func() bool { return rec.last() == "hanyang,jiangan,wuchang" })
	if ids(r.Snapshot()) != "hanyang,jiangan,wuchang" {
		t.Fatalf("Snapshot = %v", r.Snapshot())
	}

	// An invalid entry is skipped and counted; the set stays.
	if _, err := cli.Put(ctx, DistrictsPrefix+"junk", "not json"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the invalid entry to be counted", func() bool {
		return testutil.ToFloat64(r.m.invalid.WithLabelValues(registrySource)) == 1
	})
	if rec.last() != "hanyang,jiangan,wuchang" {
		t.Fatalf("set after invalid entry = %s", rec.last())
	}

	if _, err := cli.Delete(ctx, wuchang.Key()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted district to leave", func() bool { return rec.last() == "hanyang,jiangan" })

	for _, s := range rec.all() {
		if len(s) == 0 {
			t.Fatal("fn was called with an empty set")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Watch returned %v after ctx ended", err)
	}
}

func TestRegistryWatchSurvivesEtcdOutage(t *testing.T) {
	_, ep := startEtcd(t)
	proxy, cli := newProxiedClient(t, ep)
	direct := newClient(t, ep)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := NewRegistry(cli, discardLogger(), prometheus.NewPedanticRegistry())
	for _, d := range []District{jiangan, wuchang} {
		if err := r.Register(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	rec := &setRecorder{}
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx, rec.fn) }()
	eventually(t, "the initial set", func() bool { return rec.last() == "jiangan,wuchang" })

	proxy.Cut()
	// The outage is real: a read through the cut connection fails.
	lctx, lcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	if _, err := r.List(lctx); err == nil {
		t.Fatal("List succeeded with etcd unreachable")
	}
	lcancel()
	// A change made while the watcher is cut off is picked up after.
	if err := NewRegistry(direct, discardLogger(), nil).Register(ctx, hanyang); err != nil {
		t.Fatal(err)
	}
	if ids(r.Snapshot()) != "jiangan,wuchang" {
		t.Fatalf("Snapshot during outage = %v", r.Snapshot())
	}

	proxy.Restore()
	eventually(t, "the district written during the outage", func() bool { return rec.last() == "hanyang,jiangan,wuchang" })
	for _, s := range rec.all() {
		if len(s) == 0 {
			t.Fatal("fn was called with an empty set")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Watch returned %v after ctx ended", err)
	}
}

func TestRegistryWatchRelistsAfterCompaction(t *testing.T) {
	_, ep := startEtcd(t)
	proxy, cli := newProxiedClient(t, ep)
	direct := newClient(t, ep)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := NewRegistry(cli, discardLogger(), prometheus.NewPedanticRegistry())
	if err := r.Register(ctx, jiangan); err != nil {
		t.Fatal(err)
	}
	rec := &setRecorder{}
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx, rec.fn) }()
	eventually(t, "the initial set", func() bool { return rec.last() == "jiangan" })

	// While the watcher is cut off, history it has not seen is compacted
	// away: resuming from its revision fails and it must re-read.
	proxy.Cut()
	other := NewRegistry(direct, discardLogger(), nil)
	for _, d := range []District{wuchang, hanyang} {
		if err := other.Register(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := direct.Delete(ctx, jiangan.Key())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	proxy.Restore()
	eventually(t, "the re-read set", func() bool { return rec.last() == "hanyang,wuchang" })
	if v := testutil.ToFloat64(r.m.etcdErrors.WithLabelValues(registrySource)); v < 1 {
		t.Fatalf("compaction was not counted as a broken watch: %v", v)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// newProxiedClient returns a client reaching etcd at ep through a proxy the
// test can cut, with fast gRPC reconnects so tests do not wait seconds.
func newProxiedClient(t *testing.T, ep string) (*tcpProxy, *clientv3.Client) {
	t.Helper()
	proxy := newTCPProxy(t, strings.TrimPrefix(ep, "http://"))
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{"http://" + proxy.addr},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{BaseDelay: 20 * time.Millisecond, Multiplier: 1.2, MaxDelay: 100 * time.Millisecond},
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return proxy, cli
}
