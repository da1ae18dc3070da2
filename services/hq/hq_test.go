package hq

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	apitest "github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// fakeRegistry is a district registry whose list the test changes.
type fakeRegistry struct {
	initial []config.District
	updates chan []config.District
}

func (r *fakeRegistry) Watch(ctx context.Context, fn func([]config.District)) error {
	fn(r.initial)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ds := <-r.updates:
			fn(ds)
		}
	}
}

// fakeConsumer runs until its context ends and reports the lag the test
// sets, a negative one as unknown.
type fakeConsumer struct {
	lag     *atomic.Int64
	stopped chan struct{}
}

func (c *fakeConsumer) Run(ctx context.Context) error {
	<-ctx.Done()
	close(c.stopped)
	return ctx.Err()
}

func (c *fakeConsumer) Lag() eventbus.Lag {
	if n := c.lag.Load(); n >= 0 {
		return eventbus.KnownLag(n)
	}
	return eventbus.Lag{}
}

type consumers struct {
	mu   sync.Mutex
	byID map[string]*fakeConsumer
	lags map[string]*atomic.Int64
}

func (c *consumers) get(id string) *fakeConsumer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byID[id]
}

func (c *consumers) lag(id string) *atomic.Int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lags[id] == nil {
		c.lags[id] = &atomic.Int64{}
	}
	return c.lags[id]
}

func guardHired(district, id, hash string) *eventsv1.Envelope {
	b, _ := proto.Marshal(&eventsv1.GuardHired{Guard: &eventsv1.Guard{Id: id, District: district, CompanyId: "c1",
		IdHash: hash, EmploymentStatus: "active", HasCertificate: true, Version: 1}})
	return &eventsv1.Envelope{EventId: "e-" + id, District: district, Service: "membership", Type: "GuardHired",
		AggregateId: id, Sequence: 1, OccurredAt: timestamppb.Now(), Payload: b}
}

func TestNode(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewPedanticRegistry()
	registry := &fakeRegistry{
		initial: []config.District{{ID: "jingkai", Name: "Jingkai", NameZH: "经开"}},
		updates: make(chan []config.District),
	}
	n, err := New(ctx, Config{DBPath: filepath.Join(t.TempDir(), "hq.db"), Brokers: []string{"127.0.0.1:1"}},
		Deps{Districts: registry, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	fakes := &consumers{byID: map[string]*fakeConsumer{}, lags: map[string]*atomic.Int64{}}
	// The membership consumer of district d is fakes[d], the meetings
	// one fakes[d+"/meetings"].
	n.newConsumer = func(d, svc string) (consumer, error) {
		key := d
		if svc != ConsumedService {
			key = d + "/" + svc
		}
		c := &fakeConsumer{lag: fakes.lag(key), stopped: make(chan struct{})}
		fakes.mu.Lock()
		fakes.byID[key] = c
		fakes.mu.Unlock()
		return c, nil
	}
	if err := n.Ready(ctx); !errors.Is(err, ErrNotReady) {
		t.Fatalf("Ready before Run = %v, want ErrNotReady", err)
	}
	fakes.lag("jingkai").Store(3)

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Run(runCtx) }()
	apitest.Eventually(t, "ready", func() bool { return n.Ready(ctx) == nil })
	apitest.Eventually(t, "jingkai's consumers", func() bool {
		return fakes.get("jingkai") != nil && fakes.get("jingkai/meetings") != nil
	})
	if n.CaughtUp() {
		t.Error("CaughtUp with a lag of 3")
	}
	fakes.lag("jingkai").Store(0)
	fakes.lag("jingkai/meetings").Store(2)
	// The district's lag is its topics' together.
	if st := n.consumerState("jingkai"); st.Lag != service.KnownLag(2) || !st.Running || n.CaughtUp() {
		t.Errorf("state with the meetings topic 2 behind = %+v, caught up %v", st, n.CaughtUp())
	}
	// One topic whose consumer cannot tell makes the district's lag
	// unknown, whichever topic it is: the membership topic caught up says
	// nothing about the meetings events not applied yet.
	fakes.lag("jingkai/meetings").Store(-1)
	if st := n.consumerState("jingkai"); st.Lag.Known || n.CaughtUp() {
		t.Errorf("state with the meetings lag unknown = %+v, caught up %v", st, n.CaughtUp())
	}
	fakes.lag("jingkai").Store(-1)
	fakes.lag("jingkai/meetings").Store(0)
	if st := n.consumerState("jingkai"); st.Lag.Known || n.CaughtUp() {
		t.Errorf("state with the membership lag unknown = %+v, caught up %v", st, n.CaughtUp())
	}
	fakes.lag("jingkai").Store(0)
	apitest.Eventually(t, "caught up", n.CaughtUp)

	for _, e := range []*eventsv1.Envelope{guardHired("jingkai", "g1", "p1"), guardHired("caidian", "g2", "p1")} {
		if err := n.db.InTx(ctx, func(tx *sql.Tx) error { _, err := n.proj.Apply(ctx, tx, e); return err }); err != nil {
			t.Fatal(err)
		}
	}

	srv := httptest.NewServer(apitest.ValidatedHandler(t, openAPI, asHQAdmin(n.Handler())))
	defer srv.Close()
	getJSON := func(path string, into any) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatal(err)
		}
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	getJSON("/api/v1/hq/districts", &list)
	if len(list.Items) != 1 || list.Items[0]["district"] != "jingkai" || list.Items[0]["name_zh"] != "经开" ||
		list.Items[0]["guards_active"] != 1.0 || list.Items[0]["events_behind"] != 0.0 || list.Items[0]["consumer_running"] != true {
		t.Fatalf("districts = %v", list.Items)
	}

	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP guildhall_hq_conflicts Conflicts across districts by kind: person (one person active in two districts), credit_code (one credit code registered in two), certificate_number (one certificate number in two districts or held by two people).
# TYPE guildhall_hq_conflicts gauge
guildhall_hq_conflicts{kind="certificate_number"} 0
guildhall_hq_conflicts{kind="credit_code"} 0
guildhall_hq_conflicts{kind="person"} 1
# HELP guildhall_hq_district_guards_active Active guards of the district.
# TYPE guildhall_hq_district_guards_active gauge
guildhall_hq_district_guards_active{district="jingkai"} 1
# HELP guildhall_hq_district_events_behind Events of the district's topics (membership, meetings) HQ has not applied yet (consumer lag); absent when unknown.
# TYPE guildhall_hq_district_events_behind gauge
guildhall_hq_district_events_behind{district="jingkai"} 0
`), "guildhall_hq_conflicts", "guildhall_hq_district_guards_active", "guildhall_hq_district_events_behind",
		// jingkai has a guard and no company: its coverage rates are not
		// reported, so they have no sample (a 0 would read as 0%).
		"guildhall_hq_district_coverage_rate"); err != nil {
		t.Error(err)
	}

	// A district registered while running gets a consumer without restart,
	// and a removed one's consumer stops.
	registry.updates <- []config.District{{ID: "caidian", Name: "Caidian", NameZH: "蔡甸"}}
	apitest.Eventually(t, "caidian's consumer", func() bool { return fakes.get("caidian") != nil })
	select {
	case <-fakes.get("jingkai").stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("jingkai's consumer still runs after the district was removed")
	}
	fakes.lag("caidian").Store(0)
	apitest.Eventually(t, "caught up on caidian", n.CaughtUp)
	getJSON("/api/v1/hq/districts", &list)
	if len(list.Items) != 1 || list.Items[0]["district"] != "caidian" || list.Items[0]["guards_active"] != 1.0 {
		t.Fatalf("districts after the change = %v", list.Items)
	}
	var sum map[string]any
	getJSON("/api/v1/hq/summary", &sum)
	if sum["districts"] != 1.0 || sum["guards_active"] != 2.0 || sum["conflicts"] != 1.0 {
		t.Errorf("summary = %v", sum)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	select {
	case <-fakes.get("caidian").stopped:
	default:
		t.Error("Run returned before caidian's consumer stopped")
	}
}

func TestNewRejectsSecondRegistration(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	cfg := Config{DBPath: filepath.Join(t.TempDir(), "hq.db"), Brokers: []string{"127.0.0.1:1"}}
	n, err := New(context.Background(), cfg, Deps{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	cfg.DBPath = filepath.Join(t.TempDir(), "hq2.db")
	if n2, err := New(context.Background(), cfg, Deps{Registerer: reg}); err == nil {
		n2.Close()
		t.Fatal("a second node on the same registerer was accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"A complete config is valid.", Config{DBPath: "x.db", Brokers: []string{"b:9092"}}, nil},
		{"A config without a database path is invalid.", Config{Brokers: []string{"b:9092"}}, ErrNoDBPath},
		{"A config without brokers is invalid.", Config{DBPath: "x.db"}, ErrNoBrokers},
		{"A negative stale period is invalid.", Config{DBPath: "x.db", Brokers: []string{"b"}, StaleAfter: -time.Second}, ErrBadStaleTime},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); !errors.Is(err, tt.want) {
			t.Errorf("%s: Validate = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestHandleRejectsAnotherServicesEventOnATopic: a service speaks only on
// its own topic; the event is rejected (dead-lettered) and counted, and
// the read model is unchanged.
func TestHandleRejectsAnotherServicesEventOnATopic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := prometheus.NewPedanticRegistry()
	n, err := New(ctx, Config{DBPath: filepath.Join(t.TempDir(), "hq.db"), Brokers: []string{"127.0.0.1:1"}}, Deps{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	e := guardHired("jingkai", "g1", "p1") // a membership event …
	err = n.db.InTx(ctx, func(tx *sql.Tx) error {
		return n.handle(ctx, tx, eventbus.Message{Topic: eventbus.Topic("jingkai", "meetings"), Envelope: e}) // … on the meetings topic
	})
	if reason, ok := eventbus.IsRejected(err); !ok || reason != "wrong_service" {
		t.Fatalf("handle = %v, want a wrong_service reject", err)
	}
	if v := testutil.ToFloat64(n.proj.Metrics().Rejected.WithLabelValues("jingkai", "wrong_service")); v != 1 {
		t.Errorf("rejected counter = %v", v)
	}
	// On its own topic it applies.
	if err := n.db.InTx(ctx, func(tx *sql.Tx) error {
		return n.handle(ctx, tx, eventbus.Message{Topic: eventbus.Topic("jingkai", "membership"), Envelope: e})
	}); err != nil {
		t.Fatal(err)
	}
	v, err := n.svc.District(ctx, "jingkai")
	if err != nil || v.GuardsActive != 1 {
		t.Errorf("jingkai = %+v, %v", v.Stats, err)
	}
}
