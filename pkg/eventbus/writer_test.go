package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/pkg/storage"
)

// left is a test service's change: a guard that left, by id and version.
type left struct {
	ID      string
	Version int64
	Type    string
}

var leftEvents = Mapping[left]{
	Type: func(c left) string { return c.Type },
	Aggregate: func(c left) (Aggregate, error) {
		if c.ID == "" {
			return Aggregate{}, errors.New("no aggregate")
		}
		return Aggregate{Type: "guard", ID: c.ID, Version: c.Version}, nil
	},
	Payload: func(district string, c left) (proto.Message, error) {
		if c.Type != eventsv1.TypeGuardLeft {
			return nil, nil
		}
		return &eventsv1.GuardLeft{Guard: &eventsv1.Guard{Id: c.ID, District: district, Version: c.Version}}, nil
	},
}

func TestMappingEvent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		c       left
		wantErr bool
	}{
		{"A change becomes the event of its aggregate, keyed by its id, at its version.", left{"g1", 3, eventsv1.TypeGuardLeft}, false},
		{"A change without an aggregate is refused.", left{"", 3, eventsv1.TypeGuardLeft}, true},
		{"A type the service does not emit is refused.", left{"g1", 3, "GuardVanished"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := leftEvents.Event("north", tc.c)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Event(%+v) = %+v, want an error", tc.c, ev)
				}
				return
			}
			p, ok := ev.Payload.(*eventsv1.GuardLeft)
			if err != nil || ev.Type != tc.c.Type || ev.AggregateType != "guard" || ev.AggregateID != "g1" || ev.Sequence != 3 ||
				!ok || p.GetGuard().GetDistrict() != "north" {
				t.Fatalf("Event = %+v, %v", ev, err)
			}
		})
	}
}

// Writer.In appends in the caller's transaction and leaves the commit to
// it; a change that cannot become an event appends nothing and fails.
func TestWriterInAppendsInTheCallersTransaction(t *testing.T) {
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	w := NewWriter(ob, func(q storage.Querier) storage.Querier { return q }, leftEvents)
	if w.Outbox() != ob {
		t.Fatal("Outbox is not the writer's")
	}
	var n int
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = w.In(ctx, tx, func(q storage.Querier) ([]left, error) {
			return []left{{"g1", 2, eventsv1.TypeGuardLeft}, {"g2", 5, eventsv1.TypeGuardLeft}}, nil
		})
		return err
	})
	if err != nil || n != 2 {
		t.Fatalf("In = %d, %v", n, err)
	}
	if got := sqlCount(t, db, `SELECT count(*) FROM eventbus_outbox`); got != 2 {
		t.Fatalf("outbox rows %d, want 2", got)
	}
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := w.In(ctx, tx, func(q storage.Querier) ([]left, error) {
			return []left{{"g3", 1, eventsv1.TypeGuardLeft}, {"", 1, eventsv1.TypeGuardLeft}}, nil
		})
		return err
	})
	if err == nil {
		t.Fatal("a change without an aggregate was appended")
	}
	if got := sqlCount(t, db, `SELECT count(*) FROM eventbus_outbox`); got != 2 {
		t.Fatalf("outbox rows %d after a refused change, want 2", got)
	}
	// Tx commits its own transaction, with the events of what fn returns.
	if err := w.Tx(ctx, func(q storage.Querier) ([]left, error) { return []left{{"g4", 1, eventsv1.TypeGuardLeft}}, nil }); err != nil {
		t.Fatal(err)
	}
	if got := sqlCount(t, db, `SELECT count(*) FROM eventbus_outbox WHERE aggregate_id = 'g4'`); got != 1 {
		t.Fatalf("Tx appended %d events of g4, want 1", got)
	}
}
