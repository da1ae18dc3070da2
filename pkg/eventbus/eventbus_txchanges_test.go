package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

func TestTxChangesCommitsEventsWithTheChangeOrNothing(t *testing.T) {
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	toEvent := func(id string) (Event, error) {
		if id == "" {
			return Event{}, errors.New("no id")
		}
		return Event{Type: "GuardLeft", AggregateType: "guard", AggregateID: id, Sequence: 1,
			Payload: &eventsv1.GuardLeft{Guard: &eventsv1.Guard{Id: id}}}, nil
	}
	err := TxChanges(ctx, ob, func(tx *sql.Tx) ([]string, error) { return []string{"g1", "g2"}, nil }, toEvent)
	if err != nil {
		t.Fatal(err)
	}
	if n := sqlCount(t, db, `SELECT count(*) FROM eventbus_outbox`); n != 2 {
		t.Fatalf("outbox rows %d, want 2", n)
	}
	// A change that cannot become an event rolls the whole transaction back.
	err = TxChanges(ctx, ob, func(tx *sql.Tx) ([]string, error) {
		if _, err := tx.Exec(`CREATE TABLE marker (x INTEGER)`); err != nil {
			return nil, err
		}
		return []string{"g3", ""}, nil
	}, toEvent)
	if err == nil {
		t.Fatal("a change without an event was committed")
	}
	if n := sqlCount(t, db, `SELECT count(*) FROM eventbus_outbox`); n != 2 {
		t.Fatalf("outbox rows %d after a failed change, want 2", n)
	}
	if n := sqlCount(t, db, `SELECT count(*) FROM sqlite_master WHERE name = 'marker'`); n != 0 {
		t.Fatal("the failed change's own write was committed")
	}
}

// An event the outbox cannot append fails the whole transaction: the
// change's own rows are rolled back with it and the caller gets the error.
// (Swallowing Append's error would commit a change whose event never
// leaves the district.)
func TestAFailedAppendRollsTheChangeBack(t *testing.T) {
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	ctx := context.Background()
	err := TxChanges(ctx, ob, func(tx *sql.Tx) ([]string, error) {
		if _, err := tx.Exec(`CREATE TABLE guards_marker (x INTEGER)`); err != nil {
			return nil, err
		}
		return []string{"g1"}, nil
	}, func(id string) (Event, error) {
		// No payload: Append refuses it.
		return Event{Type: "GuardHired", AggregateType: "guard", AggregateID: id, Sequence: 1}, nil
	})
	if !errors.Is(err, ErrBadEvent) {
		t.Fatalf("TxChanges = %v, want the Append error", err)
	}
	if n := sqlCount(t, db, `SELECT count(*) FROM sqlite_master WHERE name = 'guards_marker'`); n != 0 {
		t.Fatal("the change was committed although its event was not appended")
	}
	if n := sqlCount(t, db, `SELECT count(*) FROM eventbus_outbox`); n != 0 {
		t.Fatalf("outbox rows %d, want 0", n)
	}
}
