package hq

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol/fetch"
	"github.com/segmentio/kafka-go/protocol/listoffsets"
	"github.com/segmentio/kafka-go/protocol/metadata"
	"github.com/segmentio/kafka-go/protocol/offsetfetch"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/storage"
	apitest "github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/pkg/testutil/ports"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// kafkaGate is HQ's Kafka transport (fetches, offsets, lag): it refuses
// every request while closed, as a broker HQ cannot reach does, and the
// requests naming a blocked topic, as when that topic's partitions live
// on a broker HQ cannot reach.
type kafkaGate struct {
	inner   *kafka.Transport
	mu      sync.Mutex
	closed  bool
	blocked map[string]bool
}

func (g *kafkaGate) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	var topics []string
	switch r := req.(type) {
	case *fetch.Request:
		for _, t := range r.Topics {
			topics = append(topics, t.Topic)
		}
	case *listoffsets.Request:
		for _, t := range r.Topics {
			topics = append(topics, t.Topic)
		}
	case *offsetfetch.Request:
		for _, t := range r.Topics {
			topics = append(topics, t.Name)
		}
	case *metadata.Request:
		topics = r.TopicNames
	}
	g.mu.Lock()
	refuse := g.closed
	for _, t := range topics {
		refuse = refuse || g.blocked[t]
	}
	g.mu.Unlock()
	if refuse {
		return nil, errors.New("test: HQ cannot reach the broker")
	}
	return g.inner.RoundTrip(ctx, addr, req)
}

// set closes or opens the gate, with the given topics still blocked.
func (g *kafkaGate) set(closed bool, blocked ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = closed
	g.blocked = map[string]bool{}
	for _, t := range blocked {
		g.blocked[t] = true
	}
}

// TestHQNeverClaimsCaughtUpBeforeReadingTheBrokersHighWatermarks runs HQ
// against a district's two outboxes and relays through a broker outage:
// the district keeps writing while the broker is down, the broker comes
// back and the relays put the backlog on it before HQ can see the broker
// again, then HQ reaches the membership topic first and the meetings topic
// later. Until HQ's consumers have read every high watermark of both
// topics anew, events_behind is null; every view is null or at least what
// HQ has yet to apply, so never 0 while HQ lacks an event.
func TestHQNeverClaimsCaughtUpBeforeReadingTheBrokersHighWatermarks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an in-process Kafka broker through a restart; skipped in -short")
	}
	ctx := context.Background()
	// The broker comes back at this address after its restart.
	addr, err := ports.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	brokerDir := t.TempDir()
	env := apitest.NewEnv(t, apitest.WithBroker(devstack.BrokerConfig{Addr: addr, DataDir: brokerDir}))
	broker := env.Broker()
	// The broker restarts below: whichever runs at the end stops after the
	// node (cleanups run in reverse order).
	t.Cleanup(func() { broker.Close() })

	// The district: one database, its membership and meetings outboxes,
	// and their relays (which always reach the broker).
	ddb, err := storage.OpenSQLite(ctx, env.Path("district.db"), storageConfigForTests())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ddb.Close() })
	if err := eventbus.Migrate(ctx, ddb); err != nil {
		t.Fatal(err)
	}
	members, err := eventbus.NewOutbox(ddb, "jingkai", "membership")
	if err != nil {
		t.Fatal(err)
	}
	meetings, err := eventbus.NewOutbox(ddb, "jingkai", "meetings")
	if err != nil {
		t.Fatal(err)
	}
	for _, ob := range []*eventbus.Outbox{members, meetings} {
		r, err := eventbus.NewRelay(eventbus.RelayConfig{Brokers: []string{addr}, Outbox: ob, SafetyPoll: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		// A relay's error on the way out is no finding of this test.
		env.Background("relay", func(ctx context.Context) error { _ = r.Run(ctx); return nil })
	}
	written := 0
	write := func(ob *eventbus.Outbox, n int) {
		t.Helper()
		for range n {
			written++
			id := fmt.Sprintf("x%d", written)
			ev := eventbus.Event{Type: "GuardHired", AggregateType: "guard", AggregateID: id, Sequence: 1,
				Payload: &eventsv1.GuardHired{Guard: &eventsv1.Guard{Id: id, District: "jingkai", CompanyId: "c1",
					EmploymentStatus: "active", Version: 1}}}
			if ob == meetings {
				ev = eventbus.Event{Type: "ActionItemCreated", AggregateType: "action_item", AggregateID: id, Sequence: 1,
					Payload: &eventsv1.ActionItemCreated{Item: &eventsv1.ActionItem{Id: id, District: "jingkai",
						Status: "open", Version: 1}}}
			}
			if err := ob.Tx(ctx, func(*sql.Tx) ([]eventbus.Event, error) { return []eventbus.Event{ev}, nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	unsent := func() int64 {
		t.Helper()
		var n int64
		for _, ob := range []*eventbus.Outbox{members, meetings} {
			b, err := ob.Backlog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n += b
		}
		return n
	}

	gate := &kafkaGate{inner: &kafka.Transport{}}
	defer gate.inner.CloseIdleConnections()
	node := startNode(t, env, Deps{Districts: &fakeRegistry{initial: []config.District{{ID: "jingkai", Name: "Jingkai", NameZH: "经开"}}},
		Transport: gate})
	srv := httptest.NewServer(asHQAdmin(node.Handler()))
	defer srv.Close()
	type observation struct {
		Behind  *int64 `json:"events_behind"`
		Applied int64  `json:"events_applied"`
		Stale   bool   `json:"stale"`
	}
	observe := func() observation {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + "/api/v1/hq/districts/jingkai")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var o observation
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("district view: %d", resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	poll := func(timeout time.Duration, what string, cond func(observation) bool) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for o := observe(); !cond(o); o = observe() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after %s waiting for %s; last view %+v (behind %s)", timeout, what, o, behind(o.Behind))
			}
			time.Sleep(5 * time.Millisecond) // poll interval
		}
	}

	write(members, 10)
	write(meetings, 10)
	poll(30*time.Second, "HQ caught up", func(o observation) bool {
		return o.Applied == int64(written) && o.Behind != nil && *o.Behind == 0
	})

	// The broker goes away (HQ cannot reach it either); the district keeps
	// writing, mostly meetings events.
	gate.set(true)
	broker.Close()
	poll(30*time.Second, "events_behind null during the outage", func(o observation) bool { return o.Behind == nil })
	write(members, 5)
	write(meetings, 300)
	if o := observe(); o.Behind != nil {
		t.Errorf("events_behind %d during the outage, want null", *o.Behind)
	}

	// The broker returns and the relays put the backlog on it while HQ
	// still cannot see the broker: its figure from before the outage must
	// not come back.
	broker, err = devstack.StartBroker(devstack.BrokerConfig{Addr: addr, DataDir: brokerDir})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for unsent() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("relays did not publish the backlog: %d unsent", unsent())
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
	if o := observe(); o.Behind != nil {
		t.Errorf("events_behind %d before HQ read the broker again, want null", *o.Behind)
	}

	// Every view from now on is null or at least what HQ has yet to apply.
	check := func(o observation) {
		t.Helper()
		if missing := int64(written) - o.Applied; o.Behind != nil && *o.Behind < missing {
			t.Fatalf("events_behind %d while %d events are not applied", *o.Behind, missing)
		}
	}
	consumerLag := func(svc string) eventbus.Lag {
		node.mu.Lock()
		dc := node.consumers["jingkai"]
		node.mu.Unlock()
		if dc == nil {
			return eventbus.Lag{}
		}
		box := dc.subs[svc].current.Load()
		if box == nil {
			return eventbus.Lag{}
		}
		return box.c.Lag()
	}

	// HQ reaches the membership topic again, not yet the meetings topic:
	// the membership consumer catches up and knows it, the district's lag
	// stays unknown.
	gate.set(false, eventbus.Topic("jingkai", "meetings"))
	poll(60*time.Second, "the membership topic caught up", func(o observation) bool {
		check(o)
		return consumerLag("membership") == eventbus.KnownLag(0)
	})
	if o := observe(); o.Behind != nil {
		t.Errorf("events_behind %d with the meetings topic unread, want null", *o.Behind)
	}

	// And the meetings topic: HQ catches up.
	gate.set(false)
	poll(60*time.Second, "HQ caught up after the outage", func(o observation) bool {
		check(o)
		return int64(written) == o.Applied && o.Behind != nil && *o.Behind == 0
	})
}

func behind(p *int64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}
