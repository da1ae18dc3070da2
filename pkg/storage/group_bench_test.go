package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGroupCommit inserts rows with synchronous=full through InTx
// from 1, 4, 16 and 64 goroutines and prints each rate next to the
// 1-goroutine rate of the same run: the group commit's gain with nothing
// but SQLite in the way.
func BenchmarkGroupCommit(b *testing.B) {
	const rows = 2000
	for range b.N {
		var base float64
		for _, k := range []int{1, 4, 16, 64} {
			db, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), fmt.Sprintf("g%d.db", k)), Config{Synchronous: "full"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec(`CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)`); err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			before := db.groups.Load()
			start := time.Now()
			var wg sync.WaitGroup
			for range k {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > rows {
							return
						}
						if err := db.InTx(context.Background(), func(tx *sql.Tx) error {
							_, err := tx.Exec(`INSERT INTO t (n, v) VALUES (?, ?)`, i, "保安员")
							return err
						}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			rate := rows / time.Since(start).Seconds()
			if k == 1 {
				base = rate
			}
			groups := db.groups.Load() - before
			_ = db.Close()
			b.ReportMetric(rate, fmt.Sprintf("ops/s@%d", k))
			fmt.Printf("group commit: %2d writers: %6.0f inserts/s (%d grouped commits) | 1 writer: %6.0f | ratio %.2f\n", k, rate, groups, base, rate/base)
		}
	}
}

// BenchmarkStmtInTx runs the same cached insert 1,000 times in each
// transaction of InTx (a replay's batch): ns/op is one statement, the
// transaction's commit shared by the 1,000.
func BenchmarkStmtInTx(b *testing.B) {
	db, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "s.db"), Config{Synchronous: "normal"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i += 1000 {
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			for j := i; j < i+1000 && j < b.N; j++ {
				if _, err := db.ExecTx(ctx, tx, `INSERT INTO t (n, v) VALUES (?, ?)`, j, "保安员"); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}
