package testutil

import (
	"database/sql"
	"testing"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// Counts returns the number of rows of each table of db: a test takes it
// before and after a request the service must refuse, to show that the
// refusal wrote nothing.
func Counts(t testing.TB, db *sql.DB, tables ...string) map[string]int {
	t.Helper()
	out := make(map[string]int, len(tables))
	for _, table := range tables {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// Version reads the version column of a row straight from its table.
func Version(t testing.TB, db *sql.DB, table, id string) int64 {
	t.Helper()
	var v int64
	if err := db.QueryRow("SELECT version FROM "+table+" WHERE id = ?", id).Scan(&v); err != nil {
		t.Fatalf("version of %s %s: %v", table, id, err)
	}
	return v
}

// OutboxEvent is one row of a node's outbox (pkg/eventbus's
// eventbus_outbox table).
type OutboxEvent struct {
	// Seq is the row's place in the outbox.
	Seq int64
	// Type is the event type the row is stored under.
	Type string
	// Envelope is the stored envelope, decoded.
	Envelope *eventsv1.Envelope
	// Raw is the stored envelope as it is.
	Raw []byte
}

// LastSeq returns the seq of the newest outbox row of db (0: none), to read
// what a request adds after it with OutboxEvents.
func LastSeq(t testing.TB, db *sql.DB) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT coalesce(max(seq), 0) FROM eventbus_outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// OutboxEvents returns the outbox rows of db after seq, oldest first.
func OutboxEvents(t testing.TB, db *sql.DB, after int64) []OutboxEvent {
	t.Helper()
	rows, err := db.Query(`SELECT seq, event_type, envelope FROM eventbus_outbox WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []OutboxEvent
	for rows.Next() {
		ev := OutboxEvent{Envelope: &eventsv1.Envelope{}}
		if err := rows.Scan(&ev.Seq, &ev.Type, &ev.Raw); err != nil {
			t.Fatal(err)
		}
		if err := proto.Unmarshal(ev.Raw, ev.Envelope); err != nil {
			t.Fatalf("outbox row %d: %v", ev.Seq, err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Payload decodes ev's payload into m and returns it.
func Payload[T proto.Message](t testing.TB, ev OutboxEvent, m T) T {
	t.Helper()
	if err := proto.Unmarshal(ev.Envelope.GetPayload(), m); err != nil {
		t.Fatalf("%s payload: %v", ev.Type, err)
	}
	return m
}
