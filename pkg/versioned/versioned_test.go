package versioned_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/versioned"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
)

// thing is a versioned row as a service's would be.
type thing struct {
	ID, Name  string
	Version   int64
	UpdatedAt time.Time
}

// change is a service's change: the event type and the row it is about.
type change struct {
	Type  string
	Thing *thing
}

// queries are a service's queries bound to a transaction.
type queries struct {
	storage.Querier
	failAudit bool
}

var errNotFound = errors.New("thing not found")

func (q queries) get(ctx context.Context, id string) (thing, error) {
	t := thing{ID: id}
	var at string
	err := q.QueryRow(ctx, `SELECT name, version, updated_at FROM things WHERE id = ?`, id).Scan(&t.Name, &t.Version, &at)
	if err != nil {
		return thing{}, errNotFound
	}
	t.UpdatedAt = storage.ParseTime(at)
	return t, nil
}

func (q queries) write(ctx context.Context, t thing) error {
	res, err := q.Exec(ctx, `UPDATE things SET name = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?`,
		t.Name, t.Version, storage.FormatTime(t.UpdatedAt), t.ID, t.Version-1)
	return versioned.Written(res, err, "thing")
}

func (q queries) InsertAudit(ctx context.Context, e audit.Entry) error {
	if q.failAudit {
		return errors.New("audit log full")
	}
	_, err := q.Exec(ctx, `INSERT INTO audits (resource_id, action, at) VALUES (?, ?, ?)`, e.ResourceID, e.Action, storage.FormatTime(e.At))
	return err
}

var things = versioned.Row[queries, thing]{
	Get: queries.get, Write: queries.write,
	Version:   func(t *thing) *int64 { return &t.Version },
	UpdatedAt: func(t *thing) *time.Time { return &t.UpdatedAt },
}

var mapping = eventbus.Mapping[change]{
	Type: func(c change) string { return c.Type },
	Aggregate: func(c change) (eventbus.Aggregate, error) {
		return eventbus.Aggregate{Type: "thing", ID: c.Thing.ID, Version: c.Thing.Version}, nil
	},
	Payload: func(d string, c change) (proto.Message, error) {
		return &eventsv1.GuardUpdated{Guard: &eventsv1.Guard{Id: c.Thing.ID, District: d, Version: c.Thing.Version}}, nil
	},
}

// fixture is a database with one thing at version 3 and a Writer over its
// outbox.
type fixture struct {
	db *storage.DB
	w  eventbus.Writer[queries, change]
	// failAudit makes the transaction's InsertAudit fail.
	failAudit bool
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "v.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := eventbus.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE things (id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)`,
		`CREATE TABLE audits (resource_id TEXT NOT NULL, action TEXT NOT NULL, at TEXT NOT NULL)`,
		`INSERT INTO things VALUES ('t1', 'first', 3, '2026-01-01T00:00:00.000000000Z')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	ob, err := eventbus.NewOutbox(db, "north", "things")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db}
	f.w = eventbus.NewWriter(ob, func(q storage.Querier) queries { return queries{Querier: q, failAudit: f.failAudit} }, mapping)
	return f
}

// state is everything an update may write.
type state struct {
	Name            string
	Version         int64
	Things, Audits  int
	Outbox          int
	LastOutboxEvent int64 // the sequence of the newest outbox event
}

func (f *fixture) state(t *testing.T) state {
	t.Helper()
	var s state
	ctx := context.Background()
	for _, c := range []struct {
		q    string
		dest []any
	}{
		{`SELECT name, version FROM things WHERE id = 't1'`, []any{&s.Name, &s.Version}},
		{`SELECT count(*) FROM things`, []any{&s.Things}},
		{`SELECT count(*) FROM audits`, []any{&s.Audits}},
		{`SELECT count(*) FROM eventbus_outbox`, []any{&s.Outbox}},
	} {
		if err := f.db.QueryRowContext(ctx, c.q).Scan(c.dest...); err != nil {
			t.Fatal(err)
		}
	}
	var b []byte
	if err := f.db.QueryRowContext(ctx, `SELECT envelope FROM eventbus_outbox ORDER BY seq DESC LIMIT 1`).Scan(&b); err == nil {
		var env eventsv1.Envelope
		if err := proto.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		s.LastOutboxEvent = env.GetSequence()
	}
	return s
}

var at = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// rename is the closure of an update that changes the thing's name.
func rename(name string) func(queries, *thing) (versioned.Edit[change], error) {
	return func(_ queries, t *thing) (versioned.Edit[change], error) {
		t.Name = name
		e := audit.Actor{Subject: "alice"}.Entry(at, "thing.update", "thing", t.ID, []string{"name"})
		return versioned.Changed(e, change{Type: "GuardUpdated", Thing: t}), nil
	}
}

func TestUpdate(t *testing.T) {
	unchanged := state{Name: "first", Version: 3, Things: 1}
	applied := state{Name: "second", Version: 4, Things: 1, Audits: 1, Outbox: 1, LastOutboxEvent: 4}
	for _, tc := range []struct {
		name      string
		pre       kitx.Precondition
		failAudit bool
		fn        func(queries, *thing) (versioned.Edit[change], error)
		id        string
		wantErr   error
		want      state
	}{
		{name: "The current version applies: the row is written at the next version, with its audit row and its event at that version.",
			pre: kitx.IfMatchVersion(3), fn: rename("second"), want: applied},
		{name: "No If-Match applies like the current version.",
			fn: rename("second"), want: applied},
		{name: "The previous version is refused as stale and nothing is written.",
			pre: kitx.IfMatchVersion(2), fn: rename("second"), wantErr: kitx.ErrEtagStale, want: unchanged},
		{name: "Version 0, which was never issued, is refused like any stale version.",
			pre: kitx.IfMatchVersion(0), fn: rename("second"), wantErr: kitx.ErrEtagStale, want: unchanged},
		{name: "A version from the future is refused as stale.",
			pre: kitx.IfMatchVersion(4), fn: rename("second"), wantErr: kitx.ErrEtagStale, want: unchanged},
		{name: "A missing row is the row's own not-found error.",
			id: "nope", fn: rename("second"), wantErr: errNotFound, want: unchanged},
		{name: "A closure that fails after writing has its own write rolled back with the rest.",
			fn: func(q queries, t *thing) (versioned.Edit[change], error) {
				if _, err := q.Exec(context.Background(), `INSERT INTO things VALUES ('t2', 'side', 1, '')`); err != nil {
					return versioned.Edit[change]{}, err
				}
				t.Name = "half done"
				return versioned.Edit[change]{}, errors.New("refused halfway")
			}, wantErr: errors.New("refused halfway"), want: unchanged},
		{name: "A closure that changes nothing writes nothing, not even a new version.",
			fn: func(queries, *thing) (versioned.Edit[change], error) { return versioned.Edit[change]{}, nil }, want: unchanged},
		{name: "Events without an audit row are refused and nothing is written.",
			fn: func(_ queries, t *thing) (versioned.Edit[change], error) {
				t.Name = "untraced"
				return versioned.Edit[change]{Changes: []change{{Type: "GuardUpdated", Thing: t}}}, nil
			}, wantErr: versioned.ErrUnaudited, want: unchanged},
		{name: "A writer that got in between the read and the write wins: the update is refused as stale.",
			fn: func(q queries, t *thing) (versioned.Edit[change], error) {
				// As if another request had committed version 4 after
				// this one read version 3.
				if _, err := q.Exec(context.Background(), `UPDATE things SET version = 4 WHERE id = 't1'`); err != nil {
					return versioned.Edit[change]{}, err
				}
				return rename("second")(q, t)
			}, wantErr: kitx.ErrEtagStale, want: unchanged},
		{name: "An audit row that cannot be written rolls the row back.",
			failAudit: true, fn: rename("second"), wantErr: errors.New("audit log full"), want: unchanged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.failAudit = tc.failAudit
			id := tc.id
			if id == "" {
				id = "t1"
			}
			got, err := versioned.Update(context.Background(), f.w.Tx, things, id, tc.pre, tc.fn)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("Update: %v", err)
			case tc.wantErr != nil && (err == nil || !errors.Is(err, tc.wantErr) && err.Error() != tc.wantErr.Error()):
				t.Fatalf("Update: %v, want %v", err, tc.wantErr)
			}
			if s := f.state(t); s != tc.want {
				t.Fatalf("state %+v\nwant  %+v", s, tc.want)
			}
			switch {
			case err != nil:
				if got != (thing{}) {
					t.Fatalf("a failed update returned %+v", got)
				}
			case tc.want.Version != got.Version || tc.want.Name != got.Name:
				t.Fatalf("returned %+v, stored %+v", got, tc.want)
			case tc.want.Audits > 0 && !got.UpdatedAt.Equal(at):
				t.Fatalf("updated at %v, want the audit row's %v", got.UpdatedAt, at)
			}
		})
	}
}

// In works inside a transaction the caller holds (an event consumer's):
// it hands the changes back instead of appending them, and the caller's
// rollback takes the row and the audit row with it.
func TestInLeavesTheTransactionToItsCaller(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var changes []change
	err := f.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		_, changes, err = versioned.In(ctx, queries{Querier: f.db.TxQuerier(tx)}, things, "t1", kitx.Precondition{}, rename("second"))
		if err != nil {
			return err
		}
		return errors.New("the caller gives up")
	})
	if err == nil || len(changes) != 1 || changes[0].Thing.Version != 4 {
		t.Fatalf("In: %v, changes %+v", err, changes)
	}
	if s := f.state(t); s != (state{Name: "first", Version: 3, Things: 1}) {
		t.Fatalf("after the caller's rollback: %+v", s)
	}
}

// WithoutEvents runs Update in the plain transaction of a repository
// without an outbox (the accounts store): the row and its audit row commit
// together, a closure's error rolls both back, and a closure that reports
// events anyway writes nothing, since nothing would publish them.
func TestWithoutEventsRunsUpdateInAPlainTransaction(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tx := versioned.WithoutEvents(func(ctx context.Context, fn func(q queries) error) error {
		return f.db.InTx(ctx, func(tx *sql.Tx) error { return fn(queries{Querier: f.db.TxQuerier(tx)}) })
	})
	rename := func(name string, events ...versioned.NoEvent) func(queries, *thing) (versioned.Edit[versioned.NoEvent], error) {
		return func(_ queries, t *thing) (versioned.Edit[versioned.NoEvent], error) {
			t.Name = name
			return versioned.Changed(audit.Actor{Subject: "alice"}.Entry(at, "thing.update", "thing", t.ID, []string{"name"}), events...), nil
		}
	}
	for _, tc := range []struct {
		name    string
		fn      func(queries, *thing) (versioned.Edit[versioned.NoEvent], error)
		wantErr error
		want    state
	}{
		{name: "A change that reports events is refused and writes nothing.",
			fn: rename("lost", versioned.NoEvent{}), wantErr: versioned.ErrNoOutbox, want: state{Name: "first", Version: 3, Things: 1}},
		{name: "A closure's error rolls back what it began.",
			fn: func(q queries, t *thing) (versioned.Edit[versioned.NoEvent], error) {
				t.Name = "half done"
				if _, err := q.Exec(ctx, `INSERT INTO audits VALUES ('t1', 'side', '')`); err != nil {
					return versioned.Edit[versioned.NoEvent]{}, err
				}
				return versioned.Edit[versioned.NoEvent]{}, errors.New("refused halfway")
			}, wantErr: errors.New("refused halfway"), want: state{Name: "first", Version: 3, Things: 1}},
		{name: "A change writes the row at the next version and its audit row, and no event.",
			fn: rename("second"), want: state{Name: "second", Version: 4, Things: 1, Audits: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := versioned.Update(ctx, tx, things, "t1", kitx.Precondition{}, tc.fn)
			if (err == nil) != (tc.wantErr == nil) || err != nil && !errors.Is(err, tc.wantErr) && err.Error() != tc.wantErr.Error() {
				t.Fatalf("Update: %v, want %v", err, tc.wantErr)
			}
			if s := f.state(t); s != tc.want {
				t.Fatalf("state %+v\nwant  %+v", s, tc.want)
			}
		})
	}
}
