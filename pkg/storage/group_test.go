package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// groupDB is a database with a table t(n) for the group commit tests.
func groupDB(t *testing.T) *DB {
	t.Helper()
	db := open(t)
	if _, err := db.Exec(`CREATE TABLE t (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	return db
}

func rows(t *testing.T, db *DB) map[int]bool {
	t.Helper()
	rs, err := db.Query(`SELECT n FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[int]bool{}
	for rs.Next() {
		var n int
		if err := rs.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[n] = true
	}
	return out
}

// queueBehind holds the write lock with a transaction that blocks until
// release is called, so the InTx calls started meanwhile queue and commit
// as one group when it is.
func queueBehind(t *testing.T, db *DB) (release func()) {
	t.Helper()
	entered, unblock, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.InTx(context.Background(), func(tx *sql.Tx) error {
			close(entered)
			<-unblock
			_, err := tx.Exec(`INSERT INTO t (n) VALUES (-1)`)
			return err
		})
	}()
	<-entered
	return func() {
		close(unblock)
		if err := <-done; err != nil {
			t.Errorf("the blocking transaction: %v", err)
		}
	}
}

// waitQueued waits until n InTx calls are queued.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		db.qmu.Lock()
		q := len(db.queue)
		db.qmu.Unlock()
		if q >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestConcurrentWritesCommitTogetherAndFailAlone: InTx calls queued while
// another commits run as one group; the one whose fn fails returns its
// own error and leaves nothing, the others commit and return nil.
func TestConcurrentWritesCommitTogetherAndFailAlone(t *testing.T) {
	db := groupDB(t)
	release := queueBehind(t, db)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	bad := errors.New("refused by the service")
	for i := range n {
		wg.Go(func() {
			errs[i] = db.InTx(context.Background(), func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO t (n) VALUES (?)`, i); err != nil {
					return err
				}
				if i == 7 {
					return bad // after its write: the savepoint must undo it
				}
				return nil
			})
		})
	}
	waitQueued(t, db, n)
	before := db.groups.Load()
	release()
	wg.Wait()
	if got := db.groups.Load() - before; got != 1 {
		t.Errorf("%d group commits, want the %d queued calls in 1", got, n)
	}
	got := rows(t, db)
	for i := range n {
		switch {
		case i == 7 && !errors.Is(errs[i], bad):
			t.Errorf("the failing call returned %v, want its own error", errs[i])
		case i == 7 && got[i]:
			t.Error("the failing call's write committed")
		case i != 7 && (errs[i] != nil || !got[i]):
			t.Errorf("call %d: err %v, row committed %v", i, errs[i], got[i])
		}
	}
}

// TestAGroupWhoseTransactionIsLostAcknowledgesNothing: when a member
// breaks the group's transaction itself, every member fails, including
// those whose fn had succeeded, and none of their writes exists.
func TestAGroupWhoseTransactionIsLostAcknowledgesNothing(t *testing.T) {
	db := groupDB(t)
	release := queueBehind(t, db)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			errs[i] = db.InTx(context.Background(), func(tx *sql.Tx) error {
				if i == 1 {
					// Ends the transaction under the group's feet, as
					// SQLite does itself on a full disk.
					if _, err := tx.Exec(`ROLLBACK`); err != nil {
						return err
					}
					return fmt.Errorf("the disk is full")
				}
				_, err := tx.Exec(`INSERT INTO t (n) VALUES (?)`, 100+i)
				return err
			})
		})
		waitQueued(t, db, i+1) // in order: 0 runs before 1
	}
	release()
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Errorf("call %d acknowledged in a lost transaction", i)
		}
	}
	if got := rows(t, db); got[100] || got[102] {
		t.Errorf("rows of a lost transaction: %v", got)
	}
}

// brokenAt is a caller's own error type, carrying what only that caller
// can make sense of (as eventbus's batch error carries an index into the
// caller's batch).
type brokenAt struct{ at int }

func (e *brokenAt) Error() string { return fmt.Sprintf("event %d of my batch failed", e.at) }

// TestALostGroupHandsNoCallAnothersError: when one call's fn loses the
// group's transaction and returns an error of its own type, that call gets
// it back, and the other calls fail with an error that does not match it
// (errors.As): they must not take another caller's error for theirs.
func TestALostGroupHandsNoCallAnothersError(t *testing.T) {
	db := groupDB(t)
	release := queueBehind(t, db)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			errs[i] = db.InTx(context.Background(), func(tx *sql.Tx) error {
				if i == 1 {
					// Ends the transaction, as SQLite does itself when a
					// statement is interrupted (its context cancelled).
					if _, err := tx.Exec(`ROLLBACK`); err != nil {
						return err
					}
					return &brokenAt{at: 9}
				}
				_, err := tx.Exec(`INSERT INTO t (n) VALUES (?)`, 200+i)
				return err
			})
		})
		waitQueued(t, db, i+1) // in order: 0 runs before 1, 2 after
	}
	release()
	wg.Wait()
	for i, err := range errs {
		var b *brokenAt
		switch {
		case err == nil:
			t.Errorf("call %d acknowledged in a lost transaction", i)
		case i == 1 && (!errors.As(err, &b) || b.at != 9):
			t.Errorf("the call that lost the transaction got %v, want its own error", err)
		case i != 1 && errors.As(err, &b):
			t.Errorf("call %d got the other call's error as its own: %v", i, err)
		}
	}
}

// TestACallThatGaveUpWhileQueuedNeverRuns: a context that ends while its
// call waits for the lock returns its error and its fn never runs.
func TestACallThatGaveUpWhileQueuedNeverRuns(t *testing.T) {
	db := groupDB(t)
	release := queueBehind(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	done := make(chan error, 1)
	go func() {
		done <- db.InTx(ctx, func(tx *sql.Tx) error { ran = true; return nil })
	}()
	waitQueued(t, db, 1)
	cancel()
	release()
	if err := <-done; !errors.Is(err, context.Canceled) || ran {
		t.Errorf("err %v, fn ran %v", err, ran)
	}
}

// TestAPanicInAGroupIsTheCallersAlone: a fn that panics in a group panics
// in its own caller's goroutine; the others commit.
func TestAPanicInAGroupIsTheCallersAlone(t *testing.T) {
	db := groupDB(t)
	release := queueBehind(t, db)
	errs := make([]error, 3)
	var recovered any
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					recovered = p
				}
			}()
			errs[i] = db.InTx(context.Background(), func(tx *sql.Tx) error {
				if i == 1 {
					panic("boom")
				}
				_, err := tx.Exec(`INSERT INTO t (n) VALUES (?)`, 200+i)
				return err
			})
		})
		waitQueued(t, db, i+1)
	}
	release()
	wg.Wait()
	if recovered != "boom" || errs[0] != nil || errs[2] != nil {
		t.Errorf("recovered %v, errs %v", recovered, errs)
	}
	if got := rows(t, db); !got[200] || got[201] || !got[202] {
		t.Errorf("rows %v", got)
	}
}
