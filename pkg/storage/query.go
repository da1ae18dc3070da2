package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
)

// TimeLayout is RFC 3339 with a fixed number of fraction digits, so stored
// timestamps compare correctly as text (created_at < cutoff): a variable
// number of digits would sort "…05Z" after "…05.1Z".
const TimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// FormatTime renders t in UTC with TimeLayout, the form every timestamp
// column holds.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a timestamp column written by FormatTime. A column that
// does not parse (empty, for a time never set) gives the zero time: the
// rows are ours, so there is nothing a caller could do with an error.
func ParseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// Execer is what *sql.DB, *sql.Tx and CachedTx have in common.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Scanner is *sql.Row or *sql.Rows, so one scan function serves a get and
// a list.
type Scanner interface{ Scan(dest ...any) error }

// Querier runs statements, rebound for DB's dialect, on the database or in
// one of its transactions (through the statement cache).
type Querier struct {
	DB *DB
	X  Execer
}

// Querier returns a Querier running on the database outside any
// transaction.
func (db *DB) Querier() Querier { return Querier{DB: db, X: db.DB} }

// TxQuerier returns a Querier running in tx, with the statements cached.
func (db *DB) TxQuerier(tx *sql.Tx) Querier { return Querier{DB: db, X: db.Cached(tx)} }

// Exec runs query, rebound, with args.
func (q Querier) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.X.ExecContext(ctx, q.DB.Rebind(query), args...)
}

// Query runs query, rebound, with args.
func (q Querier) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.X.QueryContext(ctx, q.DB.Rebind(query), args...)
}

// QueryRow runs query, rebound, with args.
func (q Querier) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.X.QueryRowContext(ctx, q.DB.Rebind(query), args...)
}

// Page appends the keyset condition (id > cursor) and limit of a list query
// ordered by id to where and args, and returns the WHERE … ORDER BY … LIMIT
// tail and the args. It asks for one row more than the page so ListRows
// knows whether there is a next page.
func Page(where []string, args []any, p kitx.Page) (string, []any) {
	if p.Cursor != "" {
		where = append(where, "id > ?")
		args = append(args, p.Cursor)
	}
	args = append(args, p.Size+1)
	return Where(where) + " ORDER BY id LIMIT ?", args
}

// Where joins conditions into a " WHERE a AND b" clause, or "" for none.
func Where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// ListRows runs a list query that asked for p.Size+1 rows (see Page) and
// returns at most p.Size items, never nil, and the cursor of the next page:
// id of the last item returned, or "" when this is the last page.
func ListRows[T any](ctx context.Context, q Querier, query string, args []any, p kitx.Page, scan func(Scanner) (T, error), id func(T) string) ([]T, string, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	items := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		items = append(items, v)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list: %w", err)
	}
	next := ""
	if len(items) > p.Size {
		items = items[:p.Size]
		next = id(items[len(items)-1])
	}
	return items, next, nil
}

// Try runs fn, a statement whose failure the caller handles and carries
// on from (an insert whose unique violation becomes a domain error, while
// an import's chunk goes on with its next row), so that the failure leaves
// q's transaction usable: on PostgreSQL, where a failed statement aborts
// the whole transaction, in a savepoint; on SQLite, which only undoes the
// statement, as is. Outside a transaction it is fn.
func (q Querier) Try(ctx context.Context, fn func() error) error {
	if _, inTx := q.X.(CachedTx); !inTx || q.DB.Dialect != Postgres {
		return fn()
	}
	if _, err := q.X.ExecContext(ctx, "SAVEPOINT storage_try"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := q.X.ExecContext(ctx, "ROLLBACK TO SAVEPOINT storage_try"); rerr != nil {
			return errors.Join(err, rerr)
		}
		_, _ = q.X.ExecContext(ctx, "RELEASE SAVEPOINT storage_try")
		return err
	}
	_, err := q.X.ExecContext(ctx, "RELEASE SAVEPOINT storage_try")
	return err
}
