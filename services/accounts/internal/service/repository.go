package service

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Repository is the storage of the accounts. Reads go straight to it;
// every write goes through Tx, so an account's row and its audit row
// commit together.
type Repository interface {
	Queries
	// Tx runs fn in one write transaction; if fn fails, nothing is
	// written.
	Tx(ctx context.Context, fn func(q Queries) error) error
}

// Queries reads and writes the accounts tables, inside or outside a
// transaction.
type Queries interface {
	// ByUsername returns the account named username; false if there is
	// none.
	ByUsername(ctx context.Context, username string) (Row, bool, error)
	// ByID returns an account; ErrAccountNotFound if there is none.
	ByID(ctx context.Context, id string) (Row, error)
	// List returns up to limit accounts after cursor (an id), in id order:
	// UUIDv7 ids sort by creation time, so pages are stable under inserts.
	List(ctx context.Context, cursor string, limit int) ([]Account, error)
	// Count returns the number of accounts.
	Count(ctx context.Context) (int64, error)
	// OtherEnabledAdmins counts the enabled hq-admin accounts other than id.
	OtherEnabledAdmins(ctx context.Context, id string) (int64, error)
	// Insert adds a with its password hash; ErrUsernameTaken if the
	// username is.
	Insert(ctx context.Context, a Account, hash string) error
	// Update writes a's role, scope and state if the stored version is
	// still prev; it reports false when another write got there first.
	Update(ctx context.Context, a Account, prev int64) (bool, error)
	// SetPassword replaces an account's password hash and counts a new
	// version.
	SetPassword(ctx context.Context, id, hash string, at time.Time) error
	// InsertAudit appends a row to the audit log.
	InsertAudit(ctx context.Context, e audit.Entry) error
	// ListAudit lists audit rows, newest first; the cursor is the last id.
	ListAudit(ctx context.Context, f audit.Filter, page kitx.Page) ([]audit.Entry, string, error)
}

// Row is an account as stored, with its password hash.
type Row struct {
	Account
	Hash string
}
