// Package storage opens a service's own database and migrates it.
//
// SQLite (modernc.org/sqlite, pure Go) is the only engine today. SQL in the
// services stays portable behind Dialect: write `?` placeholders and standard
// SQL (INSERT … ON CONFLICT DO NOTHING works on both engines), call Rebind
// before running a query, and keep engine-specific DDL in per-dialect
// migration folders (migrations/sqlite, migrations/postgres). PostgreSQL comes
// in a later issue through the same seam.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect hides the differences between SQL engines.
type Dialect interface {
	// Name is the folder name of this dialect's migrations, e.g. "sqlite".
	Name() string
	// Goose is the dialect goose uses for its version table.
	Goose() database.Dialect
	// Rebind rewrites `?` placeholders into the engine's form.
	Rebind(query string) string
}

type sqliteDialect struct{}

func (sqliteDialect) Name() string               { return "sqlite" }
func (sqliteDialect) Goose() database.Dialect    { return database.DialectSQLite3 }
func (sqliteDialect) Rebind(query string) string { return query }

// SQLite is the dialect of SQLite databases.
var SQLite Dialect = sqliteDialect{}

// Config configures a SQLite database.
type Config struct {
	// Synchronous is SQLite's synchronous pragma: "full" (every commit is on
	// disk before it is acknowledged) or "normal" (WAL: survives a killed
	// process, may lose the last commits on power loss).
	Synchronous string
	// BusyTimeout is how long a writer waits for the lock.
	BusyTimeout time.Duration
}

// RegisterFlags registers the flags of Config under prefix.
func (c *Config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	fs.StringVar(&c.Synchronous, prefix+"sqlite.synchronous", "full", `SQLite synchronous pragma: "full" or "normal"`)
	fs.DurationVar(&c.BusyTimeout, prefix+"sqlite.busy-timeout", 10*time.Second, "how long a SQLite writer waits for the lock")
}

// ErrBadSynchronous reports an unknown synchronous setting.
var ErrBadSynchronous = errors.New(`storage: sqlite.synchronous must be "full" or "normal"`)

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch strings.ToLower(c.Synchronous) {
	case "", "full", "normal":
	default:
		return ErrBadSynchronous
	}
	if c.BusyTimeout < 0 {
		return errors.New("storage: sqlite.busy-timeout must not be negative")
	}
	return nil
}

// DB is an open database and its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
	Path    string

	stmts sync.Map // rebound query → *sql.Stmt
	// writeMu queues this process's write transactions in Go. SQLite has
	// one writer at a time anyway; waiting here instead of in SQLite's busy
	// handler (which sleeps 1, 2, 5 … 100 ms between tries) keeps the tail
	// latency of concurrent writes near the cost of one commit. Whoever
	// holds it commits every InTx queued meanwhile as one group (group.go).
	writeMu sync.Mutex
	// queue holds the InTx calls waiting for the next group commit.
	qmu   sync.Mutex
	queue []*txRequest
	// groups counts the transactions that committed more than one InTx
	// (tests).
	groups atomic.Int64
	refusal
}

// OpenSQLite opens (creating if needed) the SQLite file at path with WAL,
// a busy timeout, foreign keys on and immediate write transactions (so two
// writers queue on the lock instead of failing on upgrade).
func OpenSQLite(ctx context.Context, path string, cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("storage: create %s: %w", dir, err)
		}
	}
	sync := strings.ToLower(cfg.Synchronous)
	if sync == "" {
		sync = "full"
	}
	busy := cfg.BusyTimeout
	if busy == 0 {
		busy = 10 * time.Second
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	return &DB{DB: db, Dialect: SQLite, Path: path}, nil
}

// Migrate applies the migrations in fsys under dir/<dialect> (for example
// "migrations/sqlite"), recording versions in table. Each owner of tables in
// a database (a service, the event bus) uses its own table so their version
// numbers never collide.
func (db *DB) Migrate(ctx context.Context, fsys fs.FS, dir, table string) error {
	sub, err := fs.Sub(fsys, dir+"/"+db.Dialect.Name())
	if err != nil {
		return fmt.Errorf("storage: migrations %s: %w", dir, err)
	}
	store, err := database.NewStore(db.Dialect.Goose(), table)
	if err != nil {
		return fmt.Errorf("storage: goose store: %w", err)
	}
	p, err := goose.NewProvider("", db.DB, sub, goose.WithStore(store), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("storage: goose provider: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("storage: migrate %s: %w", dir, err)
	}
	return nil
}

// Stmt returns query (with `?` placeholders) prepared on the database and
// bound to tx. Statements are prepared once per connection and reused, so a
// hot path does not pay SQLite's parser on every call (it was 40% of an
// event's apply time).
func (db *DB) Stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	q := db.Rebind(query)
	if v, ok := db.stmts.Load(q); ok {
		return tx.StmtContext(ctx, v.(*sql.Stmt)), nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(q, st); loaded {
		_ = st.Close()
		st = prev.(*sql.Stmt)
	}
	return tx.StmtContext(ctx, st), nil
}

// ExecTx runs a cached statement (see Stmt) in tx.
func (db *DB) ExecTx(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := db.Stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryRowTx runs a cached single-row query (see Stmt) in tx.
func (db *DB) QueryRowTx(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := db.Stmt(ctx, tx, query)
	if err != nil {
		// sql.Row cannot carry an error of ours; run the query unprepared so
		// the caller's Scan reports the same failure.
		return tx.QueryRowContext(ctx, db.Rebind(query), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// CachedTx runs queries in tx through the statement cache (see Stmt). It
// has the query methods of *sql.Tx, for stores written against those.
type CachedTx struct {
	db *DB
	tx *sql.Tx
}

// Cached wraps tx so its queries use the statement cache.
func (db *DB) Cached(tx *sql.Tx) CachedTx { return CachedTx{db: db, tx: tx} }

// ExecContext runs query (already rebound or with `?`) in the transaction.
func (c CachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.db.ExecTx(ctx, c.tx, query, args...)
}

// QueryRowContext runs a single-row query in the transaction.
func (c CachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.db.QueryRowTx(ctx, c.tx, query, args...)
}

// QueryContext runs a query in the transaction.
func (c CachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.db.Stmt(ctx, c.tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// Close closes the cached statements and the database.
func (db *DB) Close() error {
	db.stmts.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close()
		db.stmts.Delete(k)
		return true
	})
	return db.DB.Close()
}

// Rebind rewrites `?` placeholders for the database's dialect.
func (db *DB) Rebind(query string) string { return db.Dialect.Rebind(query) }

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
