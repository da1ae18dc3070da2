package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/guildhall/guildhall/pkg/errs"
)

// ErrUnavailable is a write the disk refused (full, over quota, over the
// file-size limit). It is the client's to retry, later: 503 with
// Retry-After, never a 500, and nothing was written.
var ErrUnavailable = errs.E(errs.Unavailable, "storage.unavailable", "the database cannot store data right now (its disk is full); retry later")

// RetryAfter is the delay a client is asked to wait after ErrUnavailable.
const RetryAfter = 10 * time.Second

// unreadyFor is how long readiness stays failed after the disk refused a
// write, unless a write commits again first. Long enough for a load
// balancer to notice; short enough that a node whose disk was cleaned up
// is back without a write having to succeed first.
const unreadyFor = 30 * time.Second

// MinFreeBytes is the free space below which the database's filesystem
// makes readiness fail: a node about to refuse writes says so before it
// does.
const MinFreeBytes = 4 << 20

// diskRefused reports whether err is the disk refusing a write: SQLite's
// SQLITE_FULL, a failed write (SQLITE_IOERR_WRITE, which is what a
// file-size limit gives), ENOSPC / EDQUOT / EFBIG from the OS, or on
// PostgreSQL a server out of disk (or other resources) or unreachable
// (pgRefused).
func diskRefused(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		if se.Code()&0xff == sqlite3.SQLITE_FULL || se.Code() == sqlite3.SQLITE_IOERR_WRITE {
			return true
		}
	}
	if pgRefused(err) {
		return true
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG)
}

// refused turns a write error the disk caused into ErrUnavailable (with
// RetryAfter) and records it; other errors pass unchanged.
func (db *DB) refused(err error) error {
	if !diskRefused(err) {
		return err
	}
	db.refusedAt.Store(time.Now().UnixNano())
	if m := db.metrics.Load(); m != nil {
		m.c.Inc()
	}
	return errs.RetryAfter(ErrUnavailable.Wrap(err), RetryAfter)
}

// Metrics counts the writes a process's databases refused for lack of disk.
type Metrics struct {
	refused *prometheus.CounterVec
}

// NewMetrics registers the storage metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "guildhall_storage_writes_refused_total",
		Help: "Write transactions the disk refused (full, over quota or over the file-size limit); each answered 503 storage.unavailable.",
	}, []string{"db"})}
	if reg != nil {
		if err := reg.Register(m.refused); err != nil {
			return nil, fmt.Errorf("storage: metrics: %w", err)
		}
	}
	return m, nil
}

type dbMetrics struct{ c prometheus.Counter }

// Instrument counts db's refused writes in m under the label db=name (for
// example "jingkai.membership"). m may be nil.
func (db *DB) Instrument(m *Metrics, name string) {
	if m == nil {
		return
	}
	db.metrics.Store(&dbMetrics{c: m.refused.WithLabelValues(name)})
}

// Ready reports whether the database can take writes: it answers, its disk
// has not refused a write in the last 30 s (unless one committed since),
// and its filesystem has at least MinFreeBytes free.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if at := db.refusedAt.Load(); at != 0 && time.Since(time.Unix(0, at)) < unreadyFor {
		return fmt.Errorf("storage: the database refused a write %s ago: %w", time.Since(time.Unix(0, at)).Round(time.Second), ErrUnavailable)
	}
	if db.Dialect != SQLite {
		return nil // the server's disk is the server's to watch
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(db.Path), &st); err == nil {
		if free := st.Bavail * uint64(st.Bsize); free < MinFreeBytes {
			return fmt.Errorf("storage: %d bytes free on the database's filesystem: %w", free, ErrUnavailable)
		}
	}
	return nil
}

// refusal state of a DB.
type refusal struct {
	refusedAt atomic.Int64 // unix nanos of the last refused write, 0 after a commit
	metrics   atomic.Pointer[dbMetrics]
}
