package projector_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/projector"
)

// TestHQKnowsExactlyTheTypesItsServicesEmitAtTheirVersion: every type a
// consumed service emits (eventsv1.TypesOf) is one the projector applies,
// never unknown_type; a type it lacks is unknown_type and a newer schema
// version unknown_version (both parked by the consumer), and Knows, which
// HQ holds the districts' heartbeats against, says the same.
func TestHQKnowsExactlyTheTypesItsServicesEmitAtTheirVersion(t *testing.T) {
	t.Parallel()
	db, st := open(t)
	p := projector.New(st, nil, nil)
	apply := func(env *eventsv1.Envelope) error {
		return db.InTx(context.Background(), func(tx *sql.Tx) error { _, err := p.Apply(context.Background(), tx, env); return err })
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, svc := range projector.Services {
		for _, typ := range eventsv1.TypesOf(svc) {
			e := env("jingkai", typ, "x1", 1, at, &eventsv1.GuardLeft{})
			e.Service = svc
			if reason, _ := eventbus.IsRejected(apply(e)); reason == eventbus.ReasonUnknownType || reason == eventbus.ReasonUnknownVersion {
				t.Errorf("%s %s: rejected %s", svc, typ, reason)
			}
			if consumed, known := projector.Knows(svc, typ, eventsv1.SchemaVersion); !consumed || !known {
				t.Errorf("Knows(%s, %s) = %v, %v", svc, typ, consumed, known)
			}
			e.SchemaVersion = eventsv1.SchemaVersion + 1
			if reason, _ := eventbus.IsRejected(apply(e)); reason != eventbus.ReasonUnknownVersion {
				t.Errorf("%s %s at a newer schema: rejected %q, want unknown_version", svc, typ, reason)
			}
			if _, known := projector.Knows(svc, typ, eventsv1.SchemaVersion+1); known {
				t.Errorf("Knows(%s, %s) a newer schema version", svc, typ)
			}
		}
		e := env("jingkai", "PatrolStarted", "x1", 1, at, &eventsv1.GuardLeft{})
		e.Service = svc
		if reason, _ := eventbus.IsRejected(apply(e)); reason != eventbus.ReasonUnknownType {
			t.Errorf("%s PatrolStarted: rejected %q, want unknown_type", svc, reason)
		}
		if consumed, known := projector.Knows(svc, "PatrolStarted", 1); !consumed || known {
			t.Errorf("Knows(%s, PatrolStarted) = %v, %v", svc, consumed, known)
		}
	}
	if consumed, _ := projector.Knows("accounts", "AccountCreated", 1); consumed {
		t.Error("HQ claims to consume accounts")
	}
}
