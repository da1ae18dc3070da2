package eventbus

import (
	"context"
	"database/sql"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/storage"
)

// Aggregate is the entity an event is about: its kind, its id (the Kafka
// key, so one entity's events stay in order) and its version after the
// change (the event's sequence).
type Aggregate struct {
	Type    string
	ID      string
	Version int64
}

// Mapping turns a service's domain changes into events. A district
// service's store declares one next to its protobuf snapshots, so protobuf
// stays out of the service layer.
type Mapping[C any] struct {
	// Type is the change's event type, a constant of the proto package.
	Type func(c C) string
	// Aggregate is the entity the change is about. An error refuses the
	// change, and with it the transaction: a change without an aggregate,
	// or one missing what the consumers need.
	Aggregate func(c C) (Aggregate, error)
	// Payload builds the change's event message for district; nil for a
	// type the service does not emit.
	Payload func(district string, c C) (proto.Message, error)
}

// Event is the outbox event of change c in district.
func (m Mapping[C]) Event(district string, c C) (Event, error) {
	typ := m.Type(c)
	agg, err := m.Aggregate(c)
	if err != nil {
		return Event{}, err
	}
	payload, err := m.Payload(district, c)
	if err != nil {
		return Event{}, err
	}
	if payload == nil {
		return Event{}, fmt.Errorf("eventbus: unknown change type %q", typ)
	}
	return Event{Type: typ, AggregateType: agg.Type, AggregateID: agg.ID, Sequence: agg.Version, Payload: payload}, nil
}

// Writer is the write side every district service's store shares:
// transactions that hand the service its queries (Q) bound to the
// transaction and append the events of the changes (C) the service returns
// to the outbox in the same transaction. A store embeds one, so its Tx and
// In are Writer's.
type Writer[Q, C any] struct {
	outbox  *Outbox
	queries func(storage.Querier) Q
	events  Mapping[C]
}

// NewWriter returns the Writer over outbox (and its database): queries
// binds the service's queries to a transaction, events maps its changes.
func NewWriter[Q, C any](outbox *Outbox, queries func(storage.Querier) Q, events Mapping[C]) Writer[Q, C] {
	return Writer[Q, C]{outbox: outbox, queries: queries, events: events}
}

// Outbox is the outbox the Writer appends to.
func (w Writer[Q, C]) Outbox() *Outbox { return w.outbox }

// Tx runs fn in one transaction. The changes fn returns are turned into
// events and appended to the outbox in that transaction (TxChanges); if fn
// or any of that fails, nothing is written. The relay is woken after the
// commit.
func (w Writer[Q, C]) Tx(ctx context.Context, fn func(q Q) ([]C, error)) error {
	return TxChanges(ctx, w.outbox,
		func(tx *sql.Tx) ([]C, error) { return fn(w.queries(w.outbox.DB().TxQuerier(tx))) },
		w.event)
}

// In runs fn on tx, a transaction the caller owns (an event consumer's),
// and appends the events of the changes fn returns to the outbox in it. It
// reports how many events it appended: the caller must call the outbox's
// Notify after committing when that is not zero, and roll tx back on an
// error.
func (w Writer[Q, C]) In(ctx context.Context, tx *sql.Tx, fn func(q Q) ([]C, error)) (int, error) {
	changes, err := fn(w.queries(w.outbox.DB().TxQuerier(tx)))
	if err != nil {
		return 0, err
	}
	events := make([]Event, 0, len(changes))
	for _, c := range changes {
		ev, err := w.event(c)
		if err != nil {
			return 0, err
		}
		events = append(events, ev)
	}
	if err := w.outbox.Append(ctx, tx, events...); err != nil {
		return 0, err
	}
	return len(events), nil
}

func (w Writer[Q, C]) event(c C) (Event, error) { return w.events.Event(w.outbox.District(), c) }
