package eventbus

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/devstack"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// heartbeats decodes every heartbeat on district's node topic.
func heartbeats(t *testing.T, addr, district string) []*eventsv1.Heartbeat {
	t.Helper()
	var out []*eventsv1.Heartbeat
	for _, m := range topicMessages(t, addr, NodeTopic(district)) {
		env := &eventsv1.Envelope{}
		if err := proto.Unmarshal(m.Value, env); err != nil {
			t.Fatal(err)
		}
		if env.GetService() != eventsv1.ServiceNode || env.GetType() != eventsv1.TypeHeartbeat || env.GetDistrict() != district ||
			string(m.Key) != env.GetAggregateId() {
			t.Fatalf("heartbeat envelope %v with key %q", env, m.Key)
		}
		hb := &eventsv1.Heartbeat{}
		if err := proto.Unmarshal(env.GetPayload(), hb); err != nil {
			t.Fatal(err)
		}
		out = append(out, hb)
	}
	return out
}

// TestHeartbeatReportsTheBacklogItsRelayHasNotSent: three rows no relay
// has published are the heartbeat's backlog, with the time of the oldest;
// the beat names the service, instance, version, leadership, the node's
// clock and the types the service emits.
func TestHeartbeatReportsTheBacklogItsRelayHasNotSent(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	before := time.Now().UTC()
	addEvents(t, context.Background(), ob, aggregates(3), 0, 1)
	clock := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	m := NewMetrics(nil)
	hb, err := NewHeartbeat(HeartbeatConfig{Brokers: []string{b.Addr}, Outbox: ob, Instance: "host-a", Version: "v1.2.3",
		Leading: func() bool { return true }, Now: func() time.Time { return clock }, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	run(t, hb.Run) // beats at once
	waitFor(t, 10*time.Second, "a heartbeat", func() bool { return len(heartbeats(t, b.Addr, "north")) > 0 })
	got := heartbeats(t, b.Addr, "north")[0]
	if got.GetService() != "membership" || got.GetInstance() != "host-a" || got.GetVersion() != "v1.2.3" ||
		!got.GetRelayLeader() || !got.GetSentAt().AsTime().Equal(clock) || got.GetIntervalSeconds() != 15 {
		t.Errorf("heartbeat = %v", got)
	}
	if got.GetOutboxBacklog() != 3 {
		t.Errorf("backlog = %d, want 3", got.GetOutboxBacklog())
	}
	if at := got.GetOldestUnsentAt().AsTime(); at.Before(before.Add(-time.Millisecond)) || at.After(time.Now()) {
		t.Errorf("oldest unsent at %v, want between %v and now", at, before)
	}
	var types []string
	for _, e := range got.GetEmits() {
		if e.GetSchemaVersion() != 1 {
			t.Errorf("%s at schema version %d", e.GetType(), e.GetSchemaVersion())
		}
		types = append(types, e.GetType())
	}
	if !slices.Equal(types, eventsv1.MembershipTypes()) {
		t.Errorf("emits %v, want the membership types", types)
	}
	if n := metricValue(m.HeartbeatsSent.WithLabelValues("north", "membership")); n < 1 {
		t.Errorf("heartbeats sent = %v", n)
	}
}

// TestHeartbeatBeatsEveryIntervalAndWithoutItsDatabase: a node whose
// database does not answer still beats (it is alive) with backlog -1,
// never a false 0, and the beats keep coming at the interval.
func TestHeartbeatBeatsEveryIntervalAndWithoutItsDatabase(t *testing.T) {
	b := startBroker(t, devstack.BrokerConfig{})
	db := newDB(t, "meetings")
	ob := newOutbox(t, db, "south", "meetings")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	hb, err := NewHeartbeat(HeartbeatConfig{Brokers: []string{b.Addr}, Outbox: ob, Instance: "host-b", Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	run(t, hb.Run)
	waitFor(t, 10*time.Second, "three heartbeats", func() bool { return len(heartbeats(t, b.Addr, "south")) >= 3 })
	for _, got := range heartbeats(t, b.Addr, "south") {
		if got.GetOutboxBacklog() != -1 || got.GetOldestUnsentAt() != nil || got.GetRelayLeader() {
			t.Errorf("heartbeat of a node without its database = %v", got)
		}
	}
}
