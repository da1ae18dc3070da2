package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3/database"
)

// PostgreSQL. A service's tables live in a schema of their own (search_path
// set on every connection), so several services, or several districts'
// services, can share one database without their tables (or their goose
// version tables) meeting. The driver is pgx's database/sql adapter, so a
// store keeps *sql.DB and *sql.Tx and the same SQL: `?` placeholders,
// rebound to $n here.

type postgresDialect struct{}

func (postgresDialect) Name() string            { return "postgres" }
func (postgresDialect) Goose() database.Dialect { return database.DialectPostgres }

// Rebind rewrites each `?` outside string literals, quoted identifiers and
// comments into $1, $2, … in order.
func (postgresDialect) Rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch c {
		case '\'', '"':
			// Copy the literal or identifier through its closing quote (a
			// doubled quote inside it is an escaped one and stays inside).
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(query))
			b.WriteString(query[i:end])
			i = end - 1
		case '-':
			if i+1 < len(query) && query[i+1] == '-' {
				j := strings.IndexByte(query[i:], '\n')
				if j < 0 {
					j = len(query) - i
				}
				b.WriteString(query[i : i+j])
				i += j - 1
				continue
			}
			b.WriteByte(c)
		case '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Postgres is the dialect of PostgreSQL databases.
var Postgres Dialect = postgresDialect{}

// schemaPattern is what OpenPostgres accepts as a schema name: an unquoted
// PostgreSQL identifier that needs no quoting.
var schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// SchemaName turns a database's name (e.g. "jingkai.membership", the name
// its metrics carry) into the schema its tables live in on PostgreSQL
// ("jingkai_membership"): lower case, every other character an underscore.
func SchemaName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "s_" + s
	}
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// ErrBadDSN reports a -db.dsn that is not a PostgreSQL connection string.
var ErrBadDSN = errors.New("storage: db.dsn is not a PostgreSQL connection string (postgres://user@host:port/db or key=value pairs)")

// OpenPostgres connects to the PostgreSQL database dsn names, creates
// schema in it if missing and returns a DB whose every connection has
// search_path = schema: the service's tables, and its goose tables, are
// created and found there.
func OpenPostgres(ctx context.Context, dsn, schema string) (*DB, error) {
	if !schemaPattern.MatchString(schema) {
		return nil, fmt.Errorf("storage: schema %q: want lower-case letters, digits and underscores", schema)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDSN, err)
	}
	// Create the schema on a connection of its own, before search_path
	// names it (a search_path naming a missing schema is silently empty).
	conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return nil, fmt.Errorf("storage: connect %s: %w", redact(cfg), err)
	}
	_, err = conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema)
	_ = conn.Close(ctx)
	// (schema matched schemaPattern: nothing in it needs quoting.)
	if err != nil && !isPgCode(err, "42P06", "23505") { // two nodes creating it at once
		return nil, fmt.Errorf("storage: create schema %s: %w", schema, err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	// Bounded, so a node never holds more than its share of the server's
	// max_connections; idle ones are closed so a quiet node holds few.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("storage: connect %s: %w", redact(cfg), err)
	}
	return &DB{DB: db, Dialect: Postgres, Path: redact(cfg) + "#" + schema, Schema: schema, pg: cfg}, nil
}

// redact names the server and database of cfg without its password.
func redact(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// isPgCode reports whether err is a PostgreSQL error with one of codes
// (SQLSTATE).
func isPgCode(err error, codes ...string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	for _, c := range codes {
		if pe.Code == c {
			return true
		}
	}
	return false
}

// pgRefused reports whether err is PostgreSQL refusing a write for lack of
// resources (disk_full, class 53 otherwise: out of memory, too many
// connections) or the server being unreachable (connection exceptions,
// class 08, and a failed connect): the client's to retry later, like
// SQLite's full disk.
func pgRefused(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "08") || pe.Code == "57P03" // cannot_connect_now
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.Is(err, sql.ErrConnDone)
}

// Listen calls fn with the payload of every NOTIFY on channel until ctx
// ends, on a connection of its own (reconnecting, after a pause, when it
// drops: notifications sent meanwhile are lost, which is why a listener
// keeps a poll of its own). On a database that is not PostgreSQL it returns
// at once: only PostgreSQL has notifications. ready, if not nil, is called
// each time the LISTEN is in place (a listener re-reads then what it may
// have missed); failed, if not nil, with every error that dropped it.
func (db *DB) Listen(ctx context.Context, channel string, ready func(), fn func(payload string), failed func(error)) {
	if db.pg == nil {
		return
	}
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, channel, ready, fn)
		if ctx.Err() != nil {
			return
		}
		if failed != nil {
			failed(err)
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (db *DB) listenOnce(ctx context.Context, channel string, ready func(), fn func(string)) error {
	conn, err := pgx.ConnectConfig(ctx, db.pg.Copy())
	if err != nil {
		return err
	}
	defer func() {
		// Bounded: a server that went away must not hold the caller.
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	if ready != nil {
		ready()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}
