// Package storetest holds the parts of the store contract tests that every
// district service's store shares: the outbox transaction (a change and its
// event commit together or not at all), the versioned write (only over the
// version read), the audit log and the idempotency keys. Each service's own
// storetest package runs them next to the cases of its entities, through
// the repository interface only: no SQL, no SQLite. A second SQL dialect
// (PostgreSQL) runs a service's whole suite unchanged with a store over
// its own database.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/versioned"
)

// Changes is what Outbox needs of a store: its transactions and outbox,
// and how to write one row whose change publishes one event.
type Changes[Q, C any] struct {
	// Tx is the store's own transaction (eventbus.Writer's Tx).
	Tx versioned.Tx[Q, C]
	// In runs fn in a transaction the caller holds (eventbus.Writer's In).
	In func(ctx context.Context, tx *sql.Tx, fn func(q Q) ([]C, error)) (int, error)
	// Outbox is the store's outbox.
	Outbox *eventbus.Outbox
	// Create writes the n-th new row (n from 1, a different one each call)
	// through q and returns its change.
	Create func(ctx context.Context, q Q, n int) (C, error)
	// Stored reports whether the n-th row is stored.
	Stored func(ctx context.Context, n int) (bool, error)
	// Unmappable turns a change into one the store's event mapping
	// refuses (one without an aggregate).
	Unmappable func(c C) C
}

// Outbox checks that a store's writes and their events commit together.
func Outbox[Q, C any](t *testing.T, c Changes[Q, C]) {
	t.Helper()
	ctx := context.Background()
	n := 0
	create := func(q Q) ([]C, error) {
		n++
		ch, err := c.Create(ctx, q, n)
		return []C{ch}, err
	}
	check := func(t *testing.T, stored bool, backlog int64) {
		t.Helper()
		ok, err := c.Stored(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Outbox.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok != stored || got != backlog {
			t.Fatalf("row %d stored %v with %d events in the outbox, want %v with %d", n, ok, got, stored, backlog)
		}
	}
	backlog, err := c.Outbox.Backlog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("A change commits with its event: the row is stored and the outbox holds one more event.", func(t *testing.T) {
		if err := c.Tx(ctx, create); err != nil {
			t.Fatal(err)
		}
		backlog++
		check(t, true, backlog)
	})
	t.Run("A transaction that fails after its write leaves neither the row nor an event.", func(t *testing.T) {
		err := c.Tx(ctx, func(q Q) ([]C, error) {
			if _, err := create(q); err != nil {
				return nil, err
			}
			return nil, errors.New("refused after the write")
		})
		if err == nil {
			t.Fatal("the failed transaction committed")
		}
		check(t, false, backlog)
	})
	t.Run("A change that cannot become an event rolls its row back.", func(t *testing.T) {
		err := c.Tx(ctx, func(q Q) ([]C, error) {
			changes, err := create(q)
			if err != nil {
				return nil, err
			}
			return []C{c.Unmappable(changes[0])}, nil
		})
		if err == nil {
			t.Fatal("a change without its event committed")
		}
		check(t, false, backlog)
	})
	t.Run("In appends the event in the caller's transaction, which commits both or neither.", func(t *testing.T) {
		for _, commit := range []bool{false, true} {
			var appended int
			err := c.Outbox.DB().InTx(ctx, func(tx *sql.Tx) error {
				var err error
				if appended, err = c.In(ctx, tx, create); err != nil {
					return err
				}
				if !commit {
					return errors.New("the caller rolls back")
				}
				return nil
			})
			if commit != (err == nil) || appended != 1 {
				t.Fatalf("In (commit %v): %d events, %v", commit, appended, err)
			}
			if commit {
				backlog++
			}
			check(t, commit, backlog)
		}
	})
}

// Versioned checks a store's versioned write (row's Write) on the stored
// row id: change changes a copy, which is written over the version read;
// the same write again (a writer that read the same version) and one that
// skips a version (read at a version never stored) are kitx.ErrEtagStale
// and leave the row as the first write left it.
func Versioned[Q, T any](t *testing.T, q Q, row versioned.Row[Q, T], id string, change func(t *T)) {
	t.Helper()
	ctx := context.Background()
	read, err := row.Get(q, ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	next := read
	change(&next)
	*row.Version(&next)++
	if reflect.DeepEqual(read, next) {
		t.Fatal("change changed nothing")
	}
	if err := row.Write(q, ctx, next); err != nil {
		t.Fatalf("write over the version read: %v", err)
	}
	stored, err := row.Get(q, ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored, next) {
		t.Fatalf("stored\n%+v\nwant\n%+v", stored, next)
	}
	for _, ahead := range []int64{0, 2} {
		late := next
		*row.Version(&late) += ahead
		if err := row.Write(q, ctx, late); !errors.Is(err, kitx.ErrEtagStale) {
			t.Fatalf("a write at version %d over version %d: %v, want the stale etag", *row.Version(&late), *row.Version(&next), err)
		}
	}
	if after, err := row.Get(q, ctx, id); err != nil || !reflect.DeepEqual(after, next) {
		t.Fatalf("after refused writes: %+v, %v", after, err)
	}
}

// Audit checks a store's audit log, which must be empty.
func Audit(t *testing.T, q audit.Queries) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 5, 1, 8, 0, 0, 123456789, time.UTC)
	var all []audit.Entry
	for i := range 5 {
		e := audit.Entry{At: base.Add(time.Duration(i) * time.Minute), Subject: fmt.Sprintf("user-%d", i%2), Role: "district-admin",
			Scope: "districts:north", Action: []string{"thing.create", "thing.update"}[i%2], Resource: "thing",
			ResourceID: fmt.Sprintf("t%d", i%3), FieldsChanged: []string{"name", "level"}[:i%3], RequestID: fmt.Sprintf("r%d", i), RemoteIP: "192.0.2.7"}
		if err := q.InsertAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	}
	list := func(t *testing.T, f audit.Filter, p kitx.Page) ([]audit.Entry, string) {
		t.Helper()
		got, next, err := q.ListAudit(ctx, f, p)
		if err != nil {
			t.Fatal(err)
		}
		return got, next
	}
	t.Run("Entries come back newest first, every field as written, no fields as an empty list.", func(t *testing.T) {
		got, next := list(t, audit.Filter{}, kitx.Page{Size: 10})
		if len(got) != 5 || next != "" {
			t.Fatalf("%d entries, next %q", len(got), next)
		}
		for i, e := range got {
			want := all[4-i]
			if want.FieldsChanged == nil {
				want.FieldsChanged = []string{}
			}
			want.ID = e.ID
			if e.ID < 1 || (i > 0 && e.ID >= got[i-1].ID) || !reflect.DeepEqual(e, want) {
				t.Fatalf("entry %d:\n%+v\nwant\n%+v", i, e, want)
			}
		}
	})
	t.Run("Filters narrow by subject, action, resource, resource id and time.", func(t *testing.T) {
		for _, tc := range []struct {
			f    audit.Filter
			want []string // request ids, newest first
		}{
			{audit.Filter{Subject: "user-1"}, []string{"r3", "r1"}},
			{audit.Filter{Action: "thing.create", ResourceID: "t0"}, []string{"r0"}},
			{audit.Filter{Resource: "thing", ResourceID: "t1"}, []string{"r4", "r1"}},
			{audit.Filter{Resource: "other"}, nil},
			{audit.Filter{Since: base.Add(2 * time.Minute), Until: base.Add(4 * time.Minute)}, []string{"r3", "r2"}},
		} {
			got, _ := list(t, tc.f, kitx.Page{Size: 10})
			var ids []string
			for _, e := range got {
				ids = append(ids, e.RequestID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Fatalf("%+v: %v, want %v", tc.f, ids, tc.want)
			}
		}
	})
	t.Run("Pages follow one another to the end, and a cursor that is no id is refused.", func(t *testing.T) {
		var ids []string
		p := kitx.Page{Size: 2}
		for range 3 {
			got, next := list(t, audit.Filter{}, p)
			for _, e := range got {
				ids = append(ids, e.RequestID)
			}
			p.Cursor = next
		}
		if fmt.Sprint(ids) != "[r4 r3 r2 r1 r0]" || p.Cursor != "" {
			t.Fatalf("pages %v, last cursor %q", ids, p.Cursor)
		}
		if _, _, err := q.ListAudit(ctx, audit.Filter{}, kitx.Page{Size: 2, Cursor: "x"}); !errors.Is(err, kitx.ErrPageToken) {
			t.Fatalf("cursor x: %v", err)
		}
	})
}

// Idempotency checks a store's idempotency keys, which must be empty.
func Idempotency(t *testing.T, q idempotency.Queries) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	rec := idempotency.Record{Scope: "POST things", Key: "k1", RequestHash: "h1", Body: []byte{}, CreatedAt: now}
	t.Run("A key is reserved, completed with its result and read back.", func(t *testing.T) {
		if _, ok, err := q.GetIdempotency(ctx, rec.Scope, rec.Key); ok || err != nil {
			t.Fatalf("before: %v %v", ok, err)
		}
		if err := q.PutIdempotency(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if err := q.CompleteIdempotency(ctx, rec.Scope, rec.Key, []byte(`{"id":"t1"}`)); err != nil {
			t.Fatal(err)
		}
		got, ok, err := q.GetIdempotency(ctx, rec.Scope, rec.Key)
		if err != nil || !ok || got.RequestHash != "h1" || string(got.Body) != `{"id":"t1"}` || !got.CreatedAt.Equal(now) {
			t.Fatalf("read back %+v %v %v", got, ok, err)
		}
	})
	t.Run("A live key cannot be reserved again; the same key in another scope can.", func(t *testing.T) {
		again := rec
		again.RequestHash, again.CreatedAt = "h2", now.Add(time.Hour)
		if err := q.PutIdempotency(ctx, again); !errs.IsKind(err, errs.Conflict) {
			t.Fatalf("live key: %v, want a conflict", err)
		}
		other := again
		other.Scope = "POST others"
		if err := q.PutIdempotency(ctx, other); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("An expired key is replaced by a new reservation.", func(t *testing.T) {
		later := rec
		later.RequestHash, later.CreatedAt = "h3", now.Add(idempotency.TTL+time.Minute)
		if err := q.PutIdempotency(ctx, later); err != nil {
			t.Fatal(err)
		}
		if got, _, err := q.GetIdempotency(ctx, rec.Scope, rec.Key); err != nil || got.RequestHash != "h3" || len(got.Body) != 0 {
			t.Fatalf("after replacing: %+v %v", got, err)
		}
	})
	t.Run("Completing a key that was never reserved fails.", func(t *testing.T) {
		if err := q.CompleteIdempotency(ctx, rec.Scope, "never", []byte(`{}`)); err == nil {
			t.Fatal("completed a key without its reservation")
		}
	})
	t.Run("Expiry deletes the records created before the cutoff, and only those.", func(t *testing.T) {
		n, err := q.ExpireIdempotency(ctx, now.Add(time.Hour+time.Second))
		if err != nil || n != 1 {
			t.Fatalf("expired %d, %v; want the one of another scope", n, err)
		}
		if _, ok, _ := q.GetIdempotency(ctx, rec.Scope, rec.Key); !ok {
			t.Fatal("expiry deleted a newer record")
		}
	})
}

// Must fails t on an error.
func Must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Equal fails t unless got is deeply equal to want.
func Equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// IDs lists the ids of items, never nil.
func IDs[T any](items []T, id func(T) string) []string {
	out := []string{}
	for _, v := range items {
		out = append(out, id(v))
	}
	return out
}

// Pages reads every page of size 2 of a list and returns the ids in the
// order read and how many pages there were: a list that pages by id
// returns every item once, in id order, and ends with an empty cursor.
func Pages[T any](t *testing.T, list func(p kitx.Page) ([]T, string, error), id func(T) string) ([]string, int) {
	t.Helper()
	var all []string
	p := kitx.Page{Size: 2}
	for n := 1; ; n++ {
		items, next, err := list(p)
		Must(t, err)
		if len(items) > p.Size {
			t.Fatalf("page of %d items for a size of %d", len(items), p.Size)
		}
		all = append(all, IDs(items, id)...)
		if next == "" {
			return all, n
		}
		if n > 100 {
			t.Fatal("the pages never end")
		}
		p.Cursor = next
	}
}

// SQLite opens a SQLite database in a temporary directory of t, migrated
// with migrate and closed when t ends: the database of a SQLite store
// under the contract.
func SQLite(t *testing.T, migrate func(ctx context.Context, db *storage.DB) error) *storage.DB {
	t.Helper()
	ctx := context.Background()
	db, err := storage.OpenSQLite(ctx, filepath.Join(t.TempDir(), "store.db"), storage.Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	Must(t, migrate(ctx, db))
	return db
}

// NewOutbox returns the outbox of (district, service) in db.
func NewOutbox(t *testing.T, db *storage.DB, district, service string) *eventbus.Outbox {
	t.Helper()
	ob, err := eventbus.NewOutbox(db, district, service)
	Must(t, err)
	return ob
}

// At is a time with nanoseconds, which every timestamp a store keeps must
// keep.
var At = time.Date(2026, 4, 5, 6, 7, 8, 123456789, time.UTC)

// Group is one group of a store contract's cases.
type Group[S any] struct {
	Name string
	Run  func(t *testing.T, s S)
}

// Run runs each group on a store of its own that open returns (over an
// empty, migrated database), and, when the store keeps an audit log or
// idempotency keys, Audit and Idempotency on one more.
func Run[S any](t *testing.T, open func(t *testing.T) S, groups ...Group[S]) {
	t.Helper()
	for _, g := range groups {
		t.Run(g.Name, func(t *testing.T) { g.Run(t, open(t)) })
	}
	s := any(open(t))
	if q, ok := s.(audit.Queries); ok {
		t.Run("Audit log", func(t *testing.T) { Audit(t, q) })
	}
	if q, ok := s.(idempotency.Queries); ok {
		t.Run("Idempotency keys", func(t *testing.T) { Idempotency(t, q) })
	}
}
