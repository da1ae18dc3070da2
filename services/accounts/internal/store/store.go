// Package store is the accounts service's database adapter (SQLite or
// PostgreSQL, one SQL text for both): it implements service.Repository over
// the accounts database.
package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/versioned"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
)

// Migrations holds the accounts tables, per dialect.
//
//go:embed migrations
var Migrations embed.FS

// MigrationsTable is the goose version table of the accounts migrations,
// separate from any other owner's tables in the same database.
const MigrationsTable = "goose_accounts"

// Migrate applies the accounts tables to db, then the audit log's
// (audit.Migrate). The accounts migrations come first: the second turns
// the audit log of databases made before pkg/audit owned it (account_id)
// into pkg/audit's (resource, resource_id), which audit.Migrate then
// finds and indexes.
func Migrate(ctx context.Context, db *storage.DB) error {
	if err := db.Migrate(ctx, Migrations, "migrations", MigrationsTable); err != nil {
		return err
	}
	return audit.Migrate(ctx, db)
}

// Store implements service.Repository. Writes run in one transaction of
// storage.DB.InTx, so an account's row and its audit row commit together.
type Store struct {
	queries
}

// New returns the store over db (migrated with Migrate).
func New(db *storage.DB) *Store { return &Store{newQueries(db.Querier())} }

var _ service.Repository = (*Store)(nil)

// Tx implements service.Repository.
func (s *Store) Tx(ctx context.Context, fn func(q service.Queries) error) error {
	return s.DB.InTx(ctx, func(tx *sql.Tx) error { return fn(newQueries(s.DB.TxQuerier(tx))) })
}

// queries implements service.Queries on the database or a transaction.
type queries struct {
	storage.Querier
	audit.Store
}

func newQueries(q storage.Querier) queries { return queries{Querier: q, Store: audit.NewStore(q)} }

const accountColumns = `id, username, password_hash, role, districts, company, guard, disabled, created_at, updated_at, version`

func scanAccount(s storage.Scanner) (service.Row, error) {
	var (
		r                service.Row
		districts        string
		created, updated string
		role             string
	)
	if err := s.Scan(&r.ID, &r.Username, &r.Hash, &role, &districts, &r.Company, &r.Guard, &r.Disabled, &created, &updated, &r.Version); err != nil {
		return service.Row{}, err
	}
	r.Role = auth.Role(role)
	if err := json.Unmarshal([]byte(districts), &r.Districts); err != nil {
		return service.Row{}, fmt.Errorf("accounts: districts of %s: %w", r.ID, err)
	}
	if r.Districts == nil {
		r.Districts = []string{}
	}
	var err error
	if r.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
		return service.Row{}, fmt.Errorf("accounts: created_at of %s: %w", r.ID, err)
	}
	if r.UpdatedAt, err = time.Parse(time.RFC3339Nano, updated); err != nil {
		return service.Row{}, fmt.Errorf("accounts: updated_at of %s: %w", r.ID, err)
	}
	return r, nil
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func districtsJSON(d []string) string {
	if d == nil {
		d = []string{}
	}
	b, _ := json.Marshal(d) // a []string always marshals
	return string(b)
}

// ByUsername implements service.Queries.
func (q queries) ByUsername(ctx context.Context, username string) (service.Row, bool, error) {
	r, err := scanAccount(q.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return service.Row{}, false, nil
	}
	return r, err == nil, err
}

// ByID implements service.Queries.
func (q queries) ByID(ctx context.Context, id string) (service.Row, error) {
	r, err := scanAccount(q.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return service.Row{}, service.ErrAccountNotFound
	}
	return r, err
}

// List implements service.Queries.
func (q queries) List(ctx context.Context, cursor string, limit int) ([]service.Account, error) {
	rows, err := q.Query(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id > ? ORDER BY id LIMIT ?`, cursor, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []service.Account{}
	for rows.Next() {
		r, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r.Account)
	}
	return out, rows.Err()
}

// Count implements service.Queries.
func (q queries) Count(ctx context.Context) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
	return n, err
}

// OtherEnabledAdmins implements service.Queries.
func (q queries) OtherEnabledAdmins(ctx context.Context, id string) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE role = ? AND NOT disabled AND id <> ?`, string(auth.RoleHQAdmin), id).Scan(&n)
	return n, err
}

// Insert implements service.Queries. A taken username is
// ErrUsernameTaken, and the transaction stays usable (storage.Querier.Try:
// on PostgreSQL the failed insert would otherwise abort it).
func (q queries) Insert(ctx context.Context, a service.Account, hash string) error {
	err := q.Try(ctx, func() error {
		_, err := q.Exec(ctx, `INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Username, hash, string(a.Role), districtsJSON(a.Districts), a.Company, a.Guard, a.Disabled,
			ts(a.CreatedAt), ts(a.UpdatedAt), a.Version)
		return err
	})
	if storage.IsUniqueViolation(err) {
		return service.ErrUsernameTaken.Wrap(err)
	}
	return err
}

// WriteAccount implements service.Queries.
func (q queries) WriteAccount(ctx context.Context, r service.Row) error {
	res, err := q.Exec(ctx, `UPDATE accounts SET password_hash = ?, role = ?, districts = ?, company = ?, guard = ?, disabled = ?,
		updated_at = ?, version = ? WHERE id = ? AND version = ?`,
		r.Hash, string(r.Role), districtsJSON(r.Districts), r.Company, r.Guard, r.Disabled, ts(r.UpdatedAt), r.Version, r.ID, r.Version-1)
	return versioned.Written(res, err, "account")
}
