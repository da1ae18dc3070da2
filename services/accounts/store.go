package accounts

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/storage"
)

//go:embed migrations
var migrations embed.FS

// MigrationTable is the goose version table of this package's migrations,
// separate from any other owner's tables in the same database.
const MigrationTable = "goose_accounts"

// store is the SQL of the accounts database. Writes take a *sql.Tx from
// storage.DB.InTx so the account row and its audit row commit together.
type store struct {
	db *storage.DB
}

func migrate(ctx context.Context, db *storage.DB) error {
	return db.Migrate(ctx, migrations, "migrations", MigrationTable)
}

const accountColumns = `id, username, password_hash, role, districts, company, guard, disabled, created_at, updated_at, version`

// row is an account as stored, with its password hash.
type row struct {
	Account
	hash string
}

type scanner interface{ Scan(dest ...any) error }

func scanAccount(s scanner) (row, error) {
	var (
		r                row
		districts        string
		created, updated string
		disabled         int64
		role             string
	)
	if err := s.Scan(&r.ID, &r.Username, &r.hash, &role, &districts, &r.Company, &r.Guard, &disabled, &created, &updated, &r.Version); err != nil {
		return row{}, err
	}
	r.Role = auth.Role(role)
	r.Disabled = disabled != 0
	if err := json.Unmarshal([]byte(districts), &r.Districts); err != nil {
		return row{}, fmt.Errorf("accounts: districts of %s: %w", r.ID, err)
	}
	if r.Districts == nil {
		r.Districts = []string{}
	}
	var err error
	if r.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
		return row{}, fmt.Errorf("accounts: created_at of %s: %w", r.ID, err)
	}
	if r.UpdatedAt, err = time.Parse(time.RFC3339Nano, updated); err != nil {
		return row{}, fmt.Errorf("accounts: updated_at of %s: %w", r.ID, err)
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

// byUsername reads an account by username outside a transaction (login).
func (s *store) byUsername(ctx context.Context, username string) (row, bool, error) {
	r, err := scanAccount(s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT `+accountColumns+` FROM accounts WHERE username = ?`), username))
	if errors.Is(err, sql.ErrNoRows) {
		return row{}, false, nil
	}
	return r, err == nil, err
}

// byID reads an account outside a transaction.
func (s *store) byID(ctx context.Context, id string) (row, error) {
	r, err := scanAccount(s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT `+accountColumns+` FROM accounts WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return row{}, ErrAccountNotFound
	}
	return r, err
}

// byIDTx reads an account inside a write transaction.
func (s *store) byIDTx(ctx context.Context, tx *sql.Tx, id string) (row, error) {
	r, err := scanAccount(s.db.QueryRowTx(ctx, tx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return row{}, ErrAccountNotFound
	}
	return r, err
}

// list returns up to limit accounts after cursor (an id), in id order:
// UUIDv7 ids sort by creation time, so pages are stable under inserts.
func (s *store) list(ctx context.Context, cursor string, limit int) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT `+accountColumns+` FROM accounts WHERE id > ? ORDER BY id LIMIT ?`), cursor, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Account{}
	for rows.Next() {
		r, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r.Account)
	}
	return out, rows.Err()
}

func (s *store) countTx(ctx context.Context, tx *sql.Tx) (int64, error) {
	var n int64
	err := s.db.QueryRowTx(ctx, tx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
	return n, err
}

// count reads the number of accounts outside a transaction.
func (s *store) count(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
	return n, err
}

// otherEnabledAdmins counts the enabled hq-admin accounts other than id.
func (s *store) otherEnabledAdmins(ctx context.Context, tx *sql.Tx, id string) (int64, error) {
	var n int64
	err := s.db.QueryRowTx(ctx, tx, `SELECT COUNT(*) FROM accounts WHERE role = ? AND disabled = 0 AND id <> ?`, string(auth.RoleHQAdmin), id).Scan(&n)
	return n, err
}

func (s *store) insert(ctx context.Context, tx *sql.Tx, a Account, hash string) error {
	_, err := s.db.ExecTx(ctx, tx, `INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Username, hash, string(a.Role), districtsJSON(a.Districts), a.Company, a.Guard, boolInt(a.Disabled),
		ts(a.CreatedAt), ts(a.UpdatedAt), a.Version)
	if storage.IsUniqueViolation(err) {
		return ErrUsernameTaken.Wrap(err)
	}
	return err
}

// update writes a's role, scope and state if the stored version is still
// prev; it reports false when another write got there first.
func (s *store) update(ctx context.Context, tx *sql.Tx, a Account, prev int64) (bool, error) {
	res, err := s.db.ExecTx(ctx, tx, `UPDATE accounts SET role = ?, districts = ?, company = ?, guard = ?, disabled = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`,
		string(a.Role), districtsJSON(a.Districts), a.Company, a.Guard, boolInt(a.Disabled), ts(a.UpdatedAt), a.Version, a.ID, prev)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *store) setPassword(ctx context.Context, tx *sql.Tx, id, hash string, at time.Time) error {
	_, err := s.db.ExecTx(ctx, tx, `UPDATE accounts SET password_hash = ?, updated_at = ?, version = version + 1 WHERE id = ?`, hash, ts(at), id)
	return err
}

// AuditEntry is one row of the accounts audit log: who wrote which account,
// when, from where, and the names (never the values) of the fields written.
type AuditEntry struct {
	ID            int64     `json:"id"`
	At            time.Time `json:"at"`
	Subject       string    `json:"subject"`
	Role          string    `json:"role"`
	Scope         string    `json:"scope"`
	Action        string    `json:"action"`
	AccountID     string    `json:"account_id"`
	FieldsChanged []string  `json:"fields_changed"`
	RequestID     string    `json:"request_id"`
	RemoteIP      string    `json:"remote_ip"`
}

func (s *store) insertAudit(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	if e.FieldsChanged == nil {
		e.FieldsChanged = []string{}
	}
	fields, err := json.Marshal(e.FieldsChanged)
	if err != nil {
		return err
	}
	_, err = s.db.ExecTx(ctx, tx, `INSERT INTO audit_log (at, subject, role, scope, action, account_id, fields_changed, request_id, remote_ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ts(e.At), e.Subject, e.Role, e.Scope, e.Action, e.AccountID, string(fields), e.RequestID, e.RemoteIP)
	return err
}

// audit returns the audit rows of accountID ("" for all), oldest first.
func (s *store) audit(ctx context.Context, accountID string) ([]AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT id, at, subject, role, scope, action, account_id, fields_changed, request_id, remote_ip FROM audit_log WHERE ? = '' OR account_id = ? ORDER BY id`), accountID, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var (
			e         AuditEntry
			at, field string
		)
		if err := rows.Scan(&e.ID, &at, &e.Subject, &e.Role, &e.Scope, &e.Action, &e.AccountID, &field, &e.RequestID, &e.RemoteIP); err != nil {
			return nil, err
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(field), &e.FieldsChanged); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
