package storage

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
)

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"migrations/sqlite/00001_init.sql": {Data: []byte(`-- +goose Up
CREATE TABLE thing (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, parent INTEGER REFERENCES thing(id));
-- +goose Down
DROP TABLE thing;
`)},
	}
}

func open(t *testing.T) *DB {
	t.Helper()
	db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "x", "t.db"), Config{Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background(), testFS(), "migrations", "goose_test"); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestOpenSetsPragmas(t *testing.T) {
	db := open(t)
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q %v", mode, err)
	}
	var fk int
	if err := db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys %d %v", fk, err)
	}
	if _, err := db.Exec("INSERT INTO thing (name, parent) VALUES ('a', 999)"); err == nil {
		t.Fatal("foreign key not enforced")
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := open(t)
	if err := db.Migrate(context.Background(), testFS(), "migrations", "goose_test"); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if err := db.Migrate(context.Background(), testFS(), "nope", "goose_test"); err == nil {
		t.Fatal("missing folder accepted")
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	db := open(t)
	boom := errors.New("boom")
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		if _, err := tx.Exec("INSERT INTO thing (name) VALUES ('x')"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	var n int
	_ = db.QueryRow("SELECT count(*) FROM thing").Scan(&n)
	if n != 0 {
		t.Fatalf("rolled-back row visible: %d", n)
	}
	err = db.InTx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec("INSERT INTO thing (name) VALUES ('x')")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec("INSERT INTO thing (name) VALUES ('x')")
	if !IsUniqueViolation(err) {
		t.Fatalf("want unique violation, got %v", err)
	}
}

func TestConcurrentWritersQueueInsteadOfFailing(t *testing.T) {
	db := open(t)
	var wg sync.WaitGroup
	errc := make(chan error, 200)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				errc <- db.InTx(context.Background(), func(tx *sql.Tx) error {
					var n int
					if err := tx.QueryRow("SELECT count(*) FROM thing").Scan(&n); err != nil {
						return err
					}
					_, err := tx.Exec("INSERT INTO thing (name) VALUES (?)", string(rune('a'+w))+"-"+string(rune('A'+i)))
					return err
				})
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("writer failed: %v", err)
		}
	}
	var n int
	_ = db.QueryRow("SELECT count(*) FROM thing").Scan(&n)
	if n != 200 {
		t.Fatalf("rows %d", n)
	}
}

func TestValidateRejectsUnknownSynchronous(t *testing.T) {
	c := Config{Synchronous: "sometimes"}
	if !errors.Is(c.Validate(), ErrBadSynchronous) {
		t.Fatal("bad synchronous accepted")
	}
}

func TestCachedStatementsWorkAcrossTransactions(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := db.ExecTx(ctx, tx, "INSERT INTO thing (name) VALUES (?)", "n"+string(rune('a'+i))); err != nil {
				return err
			}
			var n int
			if err := db.QueryRowTx(ctx, tx, "SELECT count(*) FROM thing WHERE name = ?", "n"+string(rune('a'+i))).Scan(&n); err != nil || n != 1 {
				return errors.Join(err, errors.New("row not visible in its own transaction"))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A rolled-back transaction leaves the cached statements usable.
	_ = db.InTx(ctx, func(tx *sql.Tx) error {
		_, _ = db.ExecTx(ctx, tx, "INSERT INTO thing (name) VALUES (?)", "rolled-back")
		return errors.New("roll back")
	})
	var n int
	if err := db.QueryRow("SELECT count(*) FROM thing").Scan(&n); err != nil || n != 20 {
		t.Fatalf("rows %d %v", n, err)
	}
	if err := db.InTx(ctx, func(tx *sql.Tx) error {
		return db.QueryRowTx(ctx, tx, "SELECT nope FROM thing").Scan(&n)
	}); err == nil {
		t.Fatal("a bad query did not fail")
	}
}

// TestStmtBindsOncePerTransaction: within a transaction of InTx a query's
// statement is bound to the transaction once and reused (rebinding cost
// ~4 µs a statement); a later transaction gets its own binding, and none
// is kept once its transaction ended, alone or in a group.
func TestStmtBindsOncePerTransaction(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	const q = "INSERT INTO thing (name) VALUES (?)"
	var first *sql.Stmt
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		a, err := db.Stmt(ctx, tx, q)
		if err != nil {
			return err
		}
		b, err := db.Stmt(ctx, tx, q)
		if err != nil {
			return err
		}
		if a != b {
			t.Error("the same query was bound to the transaction twice")
		}
		first = a
		_, err = b.ExecContext(ctx, "once")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		st, err := db.Stmt(ctx, tx, q)
		if err != nil {
			return err
		}
		if st == first {
			t.Error("a statement bound to an ended transaction was reused")
		}
		_, err = st.ExecContext(ctx, "twice")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A group: several InTx at once share one transaction.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := db.ExecTx(ctx, tx, q, "g"+string(rune('a'+i)))
				return err
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	left := 0
	db.txStmts.Range(func(any, any) bool { left++; return true })
	if left != 0 {
		t.Fatalf("%d transactions' statements kept after they ended", left)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM thing").Scan(&n); err != nil || n != 10 {
		t.Fatalf("rows %d %v", n, err)
	}
}
