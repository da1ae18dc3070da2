package hq

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// TestTheAppliedHookShowsTheCommit: the consumers' Applied hook (changed)
// moves the read model's generation before the probe it wraps learns of
// the event, so a view read by the probe, after a view of the state
// before, shows the event: the kept reads of before are not served.
func TestTheAppliedHookShowsTheCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	n, err := New(ctx, Config{DBPath: filepath.Join(t.TempDir(), "hq.db"), Brokers: []string{"127.0.0.1:1"}},
		Deps{Registerer: prometheus.NewPedanticRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for i, id := range []string{"g1", "g2", "g3"} {
		msg := eventbus.Message{Topic: eventbus.Topic("jingkai", "membership"), Envelope: guardHired("jingkai", id, "p"+id)}
		if i > 0 {
			// A view of the state before the event, kept.
			if v, err := n.svc.District(ctx, "jingkai"); err != nil || v.GuardsActive != int64(i) {
				t.Fatalf("before %s: %d guards, %v; want %d", id, v.GuardsActive, err, i)
			}
		}
		// As the consumer: the event's transaction, then the hook.
		if err := n.db.InTx(ctx, func(tx *sql.Tx) error { return n.handle(ctx, tx, msg) }); err != nil {
			t.Fatal(err)
		}
		var seen int64 = -1
		n.changed("membership", func(eventbus.Message) {
			v, err := n.svc.District(ctx, "jingkai")
			if err != nil {
				t.Error(err)
			}
			seen = v.GuardsActive
		})(msg)
		if seen != int64(i+1) {
			t.Fatalf("the probe after %s saw %d guards; want %d", id, seen, i+1)
		}
	}
	// A heartbeat moves the heartbeats' generation: a view kept from
	// before shows it after the hook, though the counts' generation did
	// not move.
	counts := n.gen.Load()
	for i, instance := range []string{"node-a", "node-b"} {
		payload, err := proto.Marshal(&eventsv1.Heartbeat{District: "jingkai", Service: "membership", Instance: instance,
			Version: "test", SentAt: timestamppb.Now(), IntervalSeconds: 15})
		if err != nil {
			t.Fatal(err)
		}
		msg := eventbus.Message{Topic: eventbus.NodeTopic("jingkai"), Envelope: &eventsv1.Envelope{EventId: "hb-" + instance,
			District: "jingkai", Service: eventsv1.ServiceNode, Type: eventsv1.TypeHeartbeat, AggregateId: "membership/" + instance,
			OccurredAt: timestamppb.Now(), SchemaVersion: 1, Payload: payload}}
		if err := n.db.InTx(ctx, func(tx *sql.Tx) error { return n.handle(ctx, tx, msg) }); err != nil {
			t.Fatal(err)
		}
		n.changed(eventsv1.ServiceNode, nil)(msg) // the node topics' consumers have no probe: nil is allowed
		v, err := n.svc.District(ctx, "jingkai")
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Services) != 1 || v.Services[0].Instances != i+1 {
			t.Fatalf("after heartbeat %d: services %+v; want membership with %d instances", i+1, v.Services, i+1)
		}
		if v.GuardsActive != 3 {
			t.Fatalf("after heartbeat %d: %d guards, want 3", i+1, v.GuardsActive)
		}
	}
	if got := n.gen.Load(); got != counts {
		t.Errorf("heartbeats moved the counts' generation %d → %d: every view would read every count again", counts, got)
	}
}
