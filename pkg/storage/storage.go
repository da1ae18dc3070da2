// Package storage opens a service's own database and migrates it.
//
// Two engines: SQLite (modernc.org/sqlite, pure Go), the default, a file
// per service; and PostgreSQL (pgx v5 through database/sql), a schema per
// service, chosen by a DSN (-db.dsn, see Open). SQL in the services stays
// portable behind Dialect: write `?` placeholders and standard SQL (INSERT …
// ON CONFLICT DO NOTHING works on both engines), call Rebind before running
// a query, and keep engine-specific DDL in per-dialect migration folders
// (migrations/sqlite, migrations/postgres).
package storage

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
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

// Config configures a service's database: SQLite by default, PostgreSQL
// when DSN is set.
type Config struct {
	// DSN, when set, is the PostgreSQL database the service's tables live
	// in (in a schema of their own, see Open) instead of a SQLite file:
	// postgres://user:password@host:5432/db?sslmode=… or key=value pairs.
	DSN string
	// Synchronous is SQLite's synchronous pragma: "full" (every commit is on
	// disk before it is acknowledged) or "normal" (WAL: survives a killed
	// process, may lose the last commits on power loss).
	Synchronous string
	// BusyTimeout is how long a writer waits for the lock.
	BusyTimeout time.Duration
}

// RegisterFlags registers the flags of Config under prefix.
func (c *Config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	fs.StringVar(&c.DSN, prefix+"db.dsn", "", "PostgreSQL connection string (postgres://user@host:5432/db); the service's tables go in a schema of their own there. Empty: the SQLite file at -db.path")
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
	if c.DSN != "" {
		if _, err := pgx.ParseConfig(c.DSN); err != nil {
			return fmt.Errorf("%w: %w", ErrBadDSN, err)
		}
	}
	return nil
}

// Open opens the database of cfg: the PostgreSQL database cfg.DSN names,
// in schema SchemaName(name), when cfg.DSN is set; otherwise the SQLite
// file at path. name is the database's name in metrics, e.g.
// "jingkai.membership".
func Open(ctx context.Context, path string, cfg Config, name string) (*DB, error) {
	if cfg.DSN != "" {
		return OpenPostgres(ctx, cfg.DSN, SchemaName(name))
	}
	return OpenSQLite(ctx, path, cfg)
}

// DB is an open database and its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
	// Path is the SQLite file, or on PostgreSQL the server, database and
	// schema (no password) for messages.
	Path string
	// Schema is the PostgreSQL schema of the tables ("" on SQLite).
	Schema string
	// pg is the PostgreSQL connection's configuration (nil on SQLite),
	// for the connections Listen opens beside the pool.
	pg *pgx.ConnConfig

	stmts sync.Map // rebound query → *sql.Stmt
	// txStmts holds, for each transaction InTx runs, the statements Stmt
	// has bound to it (*sql.Tx → *txStmts), so a query run again in the
	// same transaction reuses its binding.
	txStmts sync.Map
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
	// (GroupCommits).
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
	p, err := db.migrations(fsys, dir, table)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("storage: migrate %s: %w", dir, err)
	}
	return nil
}

// MigrationVersions returns the versions of the migrations in fsys under
// dir/<dialect>, ascending: the steps MigrateUpTo and MigrateDownTo take.
func (db *DB) MigrationVersions(fsys fs.FS, dir, table string) ([]int64, error) {
	p, err := db.migrations(fsys, dir, table)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, s := range p.ListSources() {
		out = append(out, s.Version)
	}
	return out, nil
}

// MigrateUpTo applies the migrations of fsys (as Migrate) up to and
// including version.
func (db *DB) MigrateUpTo(ctx context.Context, fsys fs.FS, dir, table string, version int64) error {
	p, err := db.migrations(fsys, dir, table)
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("storage: migrate %s up to %d: %w", dir, version, err)
	}
	return nil
}

// MigrateDownTo runs the down sections of the applied migrations of fsys
// newer than version, newest first (0: every one). No service runs it: a
// node only ever migrates up. It is for the tests that prove each down
// undoes its up (pkg/storage/storagetest), so a release can be rolled back
// by hand with goose.
func (db *DB) MigrateDownTo(ctx context.Context, fsys fs.FS, dir, table string, version int64) error {
	p, err := db.migrations(fsys, dir, table)
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("storage: migrate %s down to %d: %w", dir, version, err)
	}
	return nil
}

// migrations returns the goose provider of the migrations in fsys under
// dir/<dialect>, recording versions in table.
func (db *DB) migrations(fsys fs.FS, dir, table string) (*goose.Provider, error) {
	if _, err := fs.Stat(fsys, dir+"/"+db.Dialect.Name()); err != nil {
		return nil, fmt.Errorf("storage: no %s migrations in %s (this owner of tables does not run on %s yet): %w", db.Dialect.Name(), dir, db.Dialect.Name(), err)
	}
	sub, err := fs.Sub(fsys, dir+"/"+db.Dialect.Name())
	if err != nil {
		return nil, fmt.Errorf("storage: migrations %s: %w", dir, err)
	}
	store, err := database.NewStore(db.Dialect.Goose(), table)
	if err != nil {
		return nil, fmt.Errorf("storage: goose store: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithStore(store), goose.WithDisableGlobalRegistry(true)}
	if db.Dialect == Postgres {
		// Replicas of a node share its schema and start together: an
		// advisory lock per (schema, version table) lets one migrate while
		// the others wait, then find nothing left to do.
		h := fnv.New64a()
		_, _ = h.Write([]byte(db.Schema + "." + table))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("storage: goose lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider("", db.DB, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("storage: goose provider: %w", err)
	}
	return p, nil
}

// Stmt returns query (with `?` placeholders) prepared on the database and
// bound to tx. Statements are prepared once per connection and reused, so a
// hot path does not pay SQLite's parser on every call (it was 40% of an
// event's apply time).
//
// In a transaction of InTx the statement is also bound to tx once:
// tx.StmtContext makes a new transaction-specific statement on every call
// (a lock of the statement, a search of the connections it was prepared
// on, one more statement for the transaction to close: ~4 µs), which a
// replay applying thousands of events per transaction paid per statement.
func (db *DB) Stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	q := db.Rebind(query)
	bound, _ := db.txStmts.Load(tx)
	if bound != nil {
		if st := bound.(*txStmts).get(q); st != nil {
			return st, nil
		}
	}
	st, err := db.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	txst := tx.StmtContext(ctx, st)
	if bound != nil {
		bound.(*txStmts).put(q, txst)
	}
	return txst, nil
}

// Prepared returns query (with `?` placeholders) prepared on the database,
// outside any transaction, from the same cache as Stmt: for a hot read
// that runs on its own (the relay's look at its outbox after every
// write), which would otherwise pay SQLite's parser every time. The
// statement belongs to db; do not close it.
func (db *DB) Prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	return db.prepared(ctx, db.Rebind(query))
}

// prepared is Prepared for a query already rebound.
func (db *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if v, ok := db.stmts.Load(q); ok {
		return v.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(q, st); loaded {
		_ = st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// txStmts is the statements bound to one transaction (DB.txStmts). The
// transaction closes them when it ends.
type txStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (t *txStmts) get(q string) *sql.Stmt {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[q]
}

func (t *txStmts) put(q string, st *sql.Stmt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[q] = st
}

// bindStmts makes Stmt keep the statements it binds to tx until unbind
// (called once tx has committed or rolled back).
func (db *DB) bindStmts(tx *sql.Tx) (unbind func()) {
	db.txStmts.Store(tx, &txStmts{m: map[string]*sql.Stmt{}})
	return func() { db.txStmts.Delete(tx) }
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

// Savepoint runs fn in a savepoint of tx: if fn fails, what it wrote is
// undone and tx stays usable, on both engines (PostgreSQL aborts the whole
// transaction on a failed statement otherwise). Use it around a statement
// whose failure the caller handles and carries on from, such as an insert
// that may hit a unique constraint.
func Savepoint(ctx context.Context, tx *sql.Tx, fn func() error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT storage_try"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT storage_try"); rerr != nil {
			return errors.Join(err, rerr)
		}
		_, _ = tx.ExecContext(ctx, "RELEASE SAVEPOINT storage_try")
		return err
	}
	_, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT storage_try")
	return err
}

// Rebind rewrites `?` placeholders for the database's dialect.
func (db *DB) Rebind(query string) string { return db.Dialect.Rebind(query) }

// IsUniqueViolation reports whether err is a unique-constraint failure
// (SQLite's "UNIQUE constraint failed", PostgreSQL's unique_violation).
//
// On PostgreSQL a failed statement aborts its transaction: a store that
// goes on after one (tries an insert, and on a conflict does something
// else in the same transaction) must run the insert in a savepoint
// (Savepoint) so that it fails alone.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}
