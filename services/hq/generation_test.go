package hq

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guildhall/guildhall/pkg/eventbus"
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
		n.changed(func(eventbus.Message) {
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
	// The node topics' consumers have no probe: nil is allowed.
	n.changed(nil)(eventbus.Message{})
}
