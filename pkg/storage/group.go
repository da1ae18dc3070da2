package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/guildhall/guildhall/pkg/errs"
)

// Group commit. SQLite commits one write transaction at a time, and with
// synchronous=full each commit waits for an fsync: concurrent writers of
// one service queue behind each other's fsyncs. So InTx does not commit
// alone when others wait: the caller that gets the write lock runs every
// InTx queued meanwhile (up to MaxGroup) in one transaction, each in a
// savepoint of its own, and commits once. A failing fn rolls back to its
// savepoint and fails alone; the others commit. Every caller returns only
// after the commit that holds its writes (or with the error that lost
// them): durability is that of a transaction each. Nobody waits for a
// group to fill: a group is whatever queued while the last commit ran, so
// a lone writer commits at once, exactly as before.

// MaxGroup bounds the InTx calls committed together: one group's writes
// hold the lock, so its size bounds what a commit can delay.
const MaxGroup = 64

// txRequest is one InTx call.
type txRequest struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	err  error
	done chan struct{}
	// panicked is what fn panicked with, re-raised in the caller's
	// goroutine (fn may run in another caller's).
	panicked any
}

// call runs r's fn on tx; a panic becomes r.panicked and an error.
func (r *txRequest) call(tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked = p
			err = fmt.Errorf("storage: the transaction's function panicked: %v", p)
		}
	}()
	return r.fn(tx)
}

func (r *txRequest) finish(err error) {
	r.err = err
	close(r.done)
}

// InTx runs fn in a write transaction, committing if it returns nil and
// rolling back otherwise; fn's work commits together with other InTx calls
// queued at the same time (group commit, above), each isolated by a
// savepoint, and InTx returns after that commit. fn must not start another
// transaction on db. A write the disk refused (full, quota, file-size
// limit) comes back as ErrUnavailable, with a Retry-After, and is counted
// (see Instrument).
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &txRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
	db.qmu.Lock()
	db.queue = append(db.queue, req)
	db.qmu.Unlock()
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	for {
		select {
		case <-req.done:
			if req.panicked != nil {
				panic(req.panicked)
			}
			return req.err // a group before this one held it, or this one
		default:
		}
		db.qmu.Lock()
		group := db.queue
		if len(group) > MaxGroup {
			group = group[:MaxGroup:MaxGroup]
			db.queue = append([]*txRequest(nil), db.queue[MaxGroup:]...)
		} else {
			db.queue = nil
		}
		db.qmu.Unlock()
		if len(group) == 0 {
			// Only the lock's holder takes requests off the queue and it
			// finishes every one it takes: this cannot happen.
			return errors.New("storage: a queued transaction was lost")
		}
		db.commitGroup(group)
	}
}

// commitGroup runs and commits group (under writeMu) and finishes each of
// its requests.
func (db *DB) commitGroup(group []*txRequest) {
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.finish(err) // gave up while queued: nothing ran
			continue
		}
		live = append(live, r)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		// Alone: the transaction is the caller's, bound to its context.
		live[0].finish(db.runAlone(live[0]))
		return
	}
	// The group's transaction outlives any one caller's context: a caller
	// that gives up fails its own savepoint, not the others' work.
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		err = db.refused(fmt.Errorf("storage: begin: %w", err))
		for _, r := range live {
			r.finish(err)
		}
		return
	}
	defer db.bindStmts(tx)()
	ok := make([]*txRequest, 0, len(live))
	for i, r := range live {
		if err := db.runInSavepoint(tx, r); err != nil {
			if errors.Is(err, errTxLost) {
				// The transaction itself failed (SQLite rolls it back
				// whole on a full disk, for one): nothing of the group
				// commits.
				_ = tx.Rollback()
				others := lostBy(err)
				r.finish(db.refused(err))
				for _, o := range ok {
					o.finish(others)
				}
				for _, rest := range live[i+1:] {
					rest.finish(others)
				}
				return
			}
			r.finish(db.refused(err))
			continue
		}
		ok = append(ok, r)
	}
	if err := tx.Commit(); err != nil {
		err = db.refused(fmt.Errorf("storage: commit: %w", err))
		for _, r := range ok {
			r.finish(err)
		}
		return
	}
	if len(ok) > 0 {
		db.refusedAt.Store(0)
	}
	db.groups.Add(1)
	for _, r := range ok {
		r.finish(nil)
	}
}

// runAlone runs r in a transaction of its own.
func (db *DB) runAlone(r *txRequest) error {
	tx, err := db.BeginTx(r.ctx, nil)
	if err != nil {
		return db.refused(fmt.Errorf("storage: begin: %w", err))
	}
	defer db.bindStmts(tx)()
	if err := r.call(tx); err != nil {
		_ = tx.Rollback()
		return db.refused(err)
	}
	if err := tx.Commit(); err != nil {
		return db.refused(fmt.Errorf("storage: commit: %w", err))
	}
	db.refusedAt.Store(0)
	return nil
}

// errTxLost wraps a failure that left the group's transaction unusable.
var errTxLost = errors.New("storage: the group's transaction failed")

// lostBy is the error of the group's other calls when one call's fn lost
// the group's transaction with err: their work is lost too, but err's chain
// is that call's alone — its fn's own errors (a domain error, an event
// handler's) must not match errors.Is or errors.As in another caller,
// which would take them for its own (HQ's consumers read a batch position
// out of such an error, and one consumer's read another's). The cause is
// kept as text; a transaction the disk lost is ErrUnavailable for every
// call, as for the one that met it.
func lostBy(err error) error {
	lost := fmt.Errorf("%w with another call of the group: %v", errTxLost, err)
	if diskRefused(err) {
		return errs.RetryAfter(ErrUnavailable.Wrap(lost), RetryAfter)
	}
	return lost
}

// runInSavepoint runs r's fn in a savepoint of tx: on its error the
// savepoint is rolled back (fn's writes undone, the others' kept) and the
// error returned; an error wrapping errTxLost means tx is unusable.
func (db *DB) runInSavepoint(tx *sql.Tx, r *txRequest) error {
	if _, err := tx.Exec("SAVEPOINT storage_group"); err != nil {
		return fmt.Errorf("%w: savepoint: %w", errTxLost, err)
	}
	if err := r.call(tx); err != nil {
		if _, rerr := tx.Exec("ROLLBACK TO SAVEPOINT storage_group"); rerr != nil {
			return fmt.Errorf("%w: %w (rollback to savepoint: %w)", errTxLost, err, rerr)
		}
		if _, rerr := tx.Exec("RELEASE SAVEPOINT storage_group"); rerr != nil {
			return fmt.Errorf("%w: %w (release savepoint: %w)", errTxLost, err, rerr)
		}
		return err
	}
	if _, err := tx.Exec("RELEASE SAVEPOINT storage_group"); err != nil {
		return fmt.Errorf("%w: release savepoint: %w", errTxLost, err)
	}
	return nil
}

// Queued reports how many InTx calls are waiting for the write lock: the
// next group commit's size, if nothing else arrives.
func (db *DB) Queued() int {
	db.qmu.Lock()
	defer db.qmu.Unlock()
	return len(db.queue)
}

// GroupCommits reports how many transactions so far committed more than one
// InTx together.
func (db *DB) GroupCommits() int64 { return db.groups.Load() }
