// Package eventbus carries a district's state changes to the rest of the city.
//
// A service writes its events into the outbox in the same transaction as the
// state change (Outbox.Tx). A Relay, running only on the etcd-elected leader
// for its (district, service), publishes the outbox to Kafka with kafka-go and
// remembers how far it got per broker cluster. A Consumer applies events from
// a topic in a consumer group, recording each event id in the consumer's own
// database in the same transaction as the change, so redelivery is a no-op;
// events it cannot decode or that the handler rejects go to "<topic>.dlq".
package eventbus

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/pkg/storage"
)

// Migrations holds the outbox, relay-position and inbox tables. Every
// database that uses an Outbox or a Consumer applies them with
// MigrationsTable as its goose table: db.Migrate(ctx, Migrations, "migrations", MigrationsTable).
//
//go:embed migrations
var Migrations embed.FS

// MigrationsTable is the goose version table of the eventbus migrations.
const MigrationsTable = "goose_eventbus"

// Migrate applies the eventbus tables to db.
func Migrate(ctx context.Context, db *storage.DB) error {
	return db.Migrate(ctx, Migrations, "migrations", MigrationsTable)
}

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// ValidName reports whether s can be a district or service name in a topic.
func ValidName(s string) bool { return idPattern.MatchString(s) }

// Topic returns the Kafka topic of a district's service: gh.<district>.<service>.v1.
func Topic(district, service string) string {
	return "gh." + district + "." + service + ".v1"
}

// DLQTopic returns the dead-letter topic of topic: <topic>.dlq, under the
// topic's own prefix. It is the dead-letter topic of a consumer of its own
// node's topics; a consumer of another node's topic uses DeadLetterTopic.
func DLQTopic(topic string) string { return topic + ".dlq" }

// HQNode is the node id of the association's HQ: its topics are gh.hq.….
const HQNode = "hq"

// DeadLetterTopic returns the dead-letter topic of a consumer running in
// node (a district id, or "hq") that reads topic. A topic of the node's
// own (gh.<node>.…) dead-letters to DLQTopic(topic); any other to
// gh.<node>.dlq.<topic without "gh.">, e.g. gh.jingkai.dlq.hq.directives.v1
// for jingkai's consumer of HQ's directives. Every topic a node writes is
// then under its own gh.<node>. prefix, which is all its Kafka principal
// may write (the per-node ACLs). Such a name never parses as an event topic
// (ParseTopic), so no consumer of event topics mistakes it for one. An
// empty node means the topic's own prefix (DLQTopic).
func DeadLetterTopic(node, topic string) string {
	if node == "" || strings.HasPrefix(topic, "gh."+node+".") {
		return DLQTopic(topic)
	}
	return "gh." + node + ".dlq." + strings.TrimPrefix(topic, "gh.")
}

var topicPattern = regexp.MustCompile(`^gh\.([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)\.v1$`)

// ParseTopic returns the district and service of a gh.<district>.<service>.v1 topic.
func ParseTopic(topic string) (district, service string, ok bool) {
	m := topicPattern.FindStringSubmatch(topic)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// Event is what a service hands to the outbox.
type Event struct {
	// Type names the payload message, e.g. "GuardHired".
	Type string
	// AggregateType is the kind of entity, e.g. "guard".
	AggregateType string
	// AggregateID is the entity's id; it keys the Kafka message.
	AggregateID string
	// Sequence is the aggregate's version after the change.
	Sequence int64
	// Payload is the event message from proto/guildhall/events/v1.
	Payload proto.Message
	// SchemaVersion of the payload; 1 if zero.
	SchemaVersion uint32
}

// Outbox appends events to a service database's outbox and wakes the relay
// when they are committed.
type Outbox struct {
	db       *storage.DB
	district string
	service  string
	topic    string
	now      func() time.Time
	notify   chan struct{}
}

// NewOutbox returns the outbox of (district, service) in db. db must have
// the eventbus migrations applied.
func NewOutbox(db *storage.DB, district, service string) (*Outbox, error) {
	if !ValidName(district) || !ValidName(service) {
		return nil, fmt.Errorf("eventbus: bad district %q or service %q", district, service)
	}
	return &Outbox{
		db: db, district: district, service: service,
		topic:  Topic(district, service),
		now:    time.Now,
		notify: make(chan struct{}, 1),
	}, nil
}

// Topic is the topic this outbox's events go to.
func (o *Outbox) Topic() string { return o.topic }

// District is the district this outbox belongs to.
func (o *Outbox) District() string { return o.district }

// Service is the service this outbox belongs to.
func (o *Outbox) Service() string { return o.service }

// DB is the database the outbox lives in.
func (o *Outbox) DB() *storage.DB { return o.db }

// Wake returns a channel that receives after commits that added events.
func (o *Outbox) Wake() <-chan struct{} { return o.notify }

// Notify wakes the relay; Tx calls it after every commit that added events.
func (o *Outbox) Notify() {
	select {
	case o.notify <- struct{}{}:
	default:
	}
}

// Tx runs fn in a transaction and appends the events it returns to the
// outbox in that same transaction, so the state change and its events
// commit or roll back together. The relay is woken after commit.
func (o *Outbox) Tx(ctx context.Context, fn func(tx *sql.Tx) ([]Event, error)) error {
	var n int
	err := o.db.InTx(ctx, func(tx *sql.Tx) error {
		events, err := fn(tx)
		if err != nil {
			return err
		}
		n = len(events)
		return o.Append(ctx, tx, events...)
	})
	if err == nil && n > 0 {
		o.Notify()
	}
	return err
}

// Append writes events into the outbox inside tx. Callers that manage their
// own transaction must call Notify after committing.
func (o *Outbox) Append(ctx context.Context, tx *sql.Tx, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	carrier := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	traceparent := carrier["traceparent"]
	now := o.now().UTC()
	for _, ev := range events {
		env, err := o.envelope(ev, now)
		if err != nil {
			return err
		}
		b, err := proto.Marshal(env)
		if err != nil {
			return fmt.Errorf("eventbus: marshal envelope: %w", err)
		}
		if _, err := o.db.ExecTx(ctx, tx, `INSERT INTO eventbus_outbox
			(event_id, topic, event_type, aggregate_id, envelope, traceparent, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, env.EventId, o.topic, ev.Type, ev.AggregateID, b, traceparent, now.Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("eventbus: outbox insert: %w", err)
		}
	}
	return nil
}

// ErrBadEvent reports an event missing its type, aggregate or payload.
var ErrBadEvent = errors.New("eventbus: event needs a type, an aggregate id and a payload")

func (o *Outbox) envelope(ev Event, now time.Time) (*eventsv1.Envelope, error) {
	if ev.Type == "" || ev.AggregateID == "" || ev.Payload == nil {
		return nil, ErrBadEvent
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("eventbus: event id: %w", err)
	}
	payload, err := proto.Marshal(ev.Payload)
	if err != nil {
		return nil, fmt.Errorf("eventbus: marshal %s: %w", ev.Type, err)
	}
	sv := ev.SchemaVersion
	if sv == 0 {
		sv = 1
	}
	return &eventsv1.Envelope{
		EventId:       id.String(),
		District:      o.district,
		Service:       o.service,
		Type:          ev.Type,
		AggregateType: ev.AggregateType,
		AggregateId:   ev.AggregateID,
		Sequence:      ev.Sequence,
		OccurredAt:    timestamppb.New(now),
		SchemaVersion: sv,
		Payload:       payload,
	}, nil
}

// Backlog returns how many outbox rows have not been sent yet.
func (o *Outbox) Backlog(ctx context.Context) (int64, error) {
	var n int64
	err := o.db.QueryRowContext(ctx, `SELECT count(*) FROM eventbus_outbox WHERE sent_at IS NULL`).Scan(&n)
	return n, err
}

// OldestUnsent returns when the oldest unsent outbox row was written; ok
// is false when every row was sent.
func (o *Outbox) OldestUnsent(ctx context.Context) (at time.Time, ok bool, err error) {
	// By seq, not min(created_at): RFC 3339 text with trimmed fractions
	// does not sort as time does ("05.1Z" > "05.12Z").
	var created string
	err = o.db.QueryRowContext(ctx, `SELECT created_at FROM eventbus_outbox WHERE sent_at IS NULL
		ORDER BY seq LIMIT 1`).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	at, err = time.Parse(time.RFC3339Nano, created)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("eventbus: outbox created_at %q: %w", created, err)
	}
	return at, true, nil
}

// TxChanges is Tx for a service whose domain layer reports its changes in
// its own types: fn's changes are turned into events with toEvent, so the
// service layer never sees protobuf and the events still commit with the
// change.
func TxChanges[C any](ctx context.Context, o *Outbox, fn func(tx *sql.Tx) ([]C, error), toEvent func(C) (Event, error)) error {
	return o.Tx(ctx, func(tx *sql.Tx) ([]Event, error) {
		changes, err := fn(tx)
		if err != nil {
			return nil, err
		}
		events := make([]Event, 0, len(changes))
		for _, c := range changes {
			ev, err := toEvent(c)
			if err != nil {
				return nil, err
			}
			events = append(events, ev)
		}
		return events, nil
	})
}
