// Package versioned is the one optimistic update of the services: every
// PATCH, and every other write that changes a versioned row, reads the row
// in the transaction, checks the request's If-Match against its version
// (kitx.Precondition), lets the service's closure change it, bumps the
// version, writes the row back only over the version it read, and writes
// the change's audit row, in one transaction whose outbox receives the
// change's events (eventbus.Writer). A closure that fails, a write another
// writer beat, or an audit row that does not go in leaves nothing behind.
//
// The shape follows the transactional update closures of Three Dots Labs'
// Wild Workouts (UpdateHour(ctx, id, func(*Hour) …)): the service says what
// changes, in the closure; the repository says how one kind of row is read
// and written, in a Row; this package holds what every update shares.
package versioned

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Row is how one kind of versioned row is read and written through Q, a
// service's queries bound to a transaction. Get and Write take q first so
// that method expressions of the queries' interface (Queries.GetCompany)
// fit them as they are.
type Row[Q, T any] struct {
	// Get reads the row with id through q, in the update's transaction; a
	// missing row is the service's own not-found error. A row that may
	// never change again (a published minute entry) may be refused here,
	// before any If-Match is looked at.
	Get func(q Q, ctx context.Context, id string) (T, error)
	// Write stores t over the stored row where the stored version is t's
	// version minus one, and is kitx.ErrEtagStale where it is not (see
	// Written): a writer that came in between the read and the write is
	// refused, never overwritten.
	Write func(q Q, ctx context.Context, t T) error
	// Version points at t's version, which Update checks and bumps.
	Version func(t *T) *int64
	// UpdatedAt points at t's update time, which Update sets to the time
	// of the change's audit row: the row and its log say the same instant.
	UpdatedAt func(t *T) *time.Time
}

// Edit is what an update's closure reports about the row it was handed.
// The zero Edit says that nothing changed: the row keeps its version, and
// nothing is written, logged or published.
type Edit[C any] struct {
	// Audit is the change's audit row (who, what, which fields, when). A
	// change always has one: every write of the services is logged.
	Audit *audit.Entry
	// Changes are the events that describe the change, in the service's
	// own types, for the transaction's outbox. They may point at the row
	// the closure was handed: by the time they are turned into events it
	// holds the new version.
	Changes []C
}

// Transactions is what a service's Repository declares for its writes:
// the transaction Update runs in.
type Transactions[Q, C any] interface {
	// Tx runs fn in one transaction. The changes fn returns are turned
	// into events and appended to the outbox in that transaction; if fn
	// fails, nothing is written.
	Tx(ctx context.Context, fn func(q Q) ([]C, error)) error
}

// Tx is a repository's transaction (eventbus.Writer's Tx): it runs fn and
// appends the events of the changes fn returns to the outbox in the same
// transaction; if fn fails, nothing is written.
type Tx[Q, C any] func(ctx context.Context, fn func(q Q) ([]C, error)) error

// ErrUnaudited is a closure that reported events but no audit row: a change
// nobody could trace. Update writes nothing then.
var ErrUnaudited = errors.New("versioned: a change without its audit row")

// NoEvent is the change type of a repository without an outbox (the
// accounts store): an Edit[NoEvent] carries its audit row and no events.
type NoEvent struct{}

// ErrNoOutbox is a closure that reported events to a repository without an
// outbox (WithoutEvents): they would be lost, so Update writes nothing.
var ErrNoOutbox = errors.New("versioned: events for a repository without an outbox")

// WithoutEvents is the Tx of a repository without an outbox, whose
// transaction tx runs fn and rolls back if fn fails: Update runs in it as
// in any other, the row and its audit row committing together.
func WithoutEvents[Q any](tx func(ctx context.Context, fn func(q Q) error) error) Tx[Q, NoEvent] {
	return func(ctx context.Context, fn func(q Q) ([]NoEvent, error)) error {
		return tx(ctx, func(q Q) error {
			changes, err := fn(q)
			if err == nil && len(changes) > 0 {
				return ErrNoOutbox
			}
			return err
		})
	}
}

// Update runs one optimistic update of the row with id in a transaction of
// tx: In, then the events of the change appended to the outbox in the same
// transaction. It returns the row as written, or as read when fn changed
// nothing; on any error, the zero T and nothing written.
func Update[Q audit.Inserter, T, C any](ctx context.Context, tx Tx[Q, C], row Row[Q, T], id string, pre kitx.Precondition,
	fn func(q Q, t *T) (Edit[C], error)) (T, error) {
	var out T
	err := tx(ctx, func(q Q) ([]C, error) {
		t, changes, err := In(ctx, q, row, id, pre, fn)
		out = t
		return changes, err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// In is Update inside a transaction the caller already holds (q's): it
// reads the row with id, refuses with kitx.ErrEtagStale unless pre is unset
// or names the row's version, runs fn on the row, and, when fn reports a
// change, saves it (Save). It returns the row and the changes for the
// caller to hand to its outbox; the caller's transaction must roll back on
// an error, which In's own writes leave half done.
func In[Q audit.Inserter, T, C any](ctx context.Context, q Q, row Row[Q, T], id string, pre kitx.Precondition,
	fn func(q Q, t *T) (Edit[C], error)) (T, []C, error) {
	var zero T
	t, err := row.Get(q, ctx, id)
	if err != nil {
		return zero, nil, err
	}
	if err := pre.Check(*row.Version(&t)); err != nil {
		return zero, nil, err
	}
	edit, err := fn(q, &t)
	if err != nil {
		return zero, nil, err
	}
	changes, err := Save(ctx, q, row, &t, edit)
	if err != nil {
		return zero, nil, err
	}
	return t, changes, nil
}

// Save writes the change e describes to a row the caller read in q's
// transaction and changed: it bumps t's version, sets its update time to
// e's audit time, writes it over the version read and writes e's audit row.
// The zero Edit saves nothing. It is the second half of In, for a write
// that changes a row's parts (a meeting's agenda) and bumps the row itself.
func Save[Q audit.Inserter, T, C any](ctx context.Context, q Q, row Row[Q, T], t *T, e Edit[C]) ([]C, error) {
	if e.Audit == nil {
		if len(e.Changes) > 0 {
			return nil, ErrUnaudited
		}
		return nil, nil
	}
	*row.Version(t)++
	*row.UpdatedAt(t) = e.Audit.At.UTC()
	if err := row.Write(q, ctx, *t); err != nil {
		return nil, err
	}
	if err := q.InsertAudit(ctx, *e.Audit); err != nil {
		return nil, err
	}
	return e.Changes, nil
}

// Written checks the result of a Row's Write, an UPDATE … WHERE id = ? AND
// version = ? (the version read): it must have changed exactly one row;
// none means another writer changed the row first, kitx.ErrEtagStale.
func Written(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("store: update %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: update %s: %w", what, err)
	}
	if n != 1 {
		return kitx.ErrEtagStale
	}
	return nil
}

// Changed is the Edit of a change logged as e and described by changes.
func Changed[C any](e audit.Entry, changes ...C) Edit[C] { return Edit[C]{Audit: &e, Changes: changes} }
