package service

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/versioned"
)

// Repository is the storage of the accounts. Reads go straight to it;
// every write goes through Tx (versioned.Update, through
// versioned.WithoutEvents, for a change to an account), so an account's
// row and its audit row commit together.
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
	// WriteAccount stores r (its role, scope, state and password hash)
	// over the stored account of version r.Version-1, and is
	// kitx.ErrEtagStale where that is not the stored version. It is the
	// Write of the accounts row: the service changes an account through
	// versioned.Update, never directly.
	WriteAccount(ctx context.Context, r Row) error

	audit.Queries
}

// Edit is what an update's closure reports: the change's audit row, or
// nothing (the zero Edit) when it changed nothing. Accounts publish no
// events.
type Edit = versioned.Edit[versioned.NoEvent]

// accounts is the versioned row of an account, as stored with its
// password hash.
var accounts = versioned.Row[Queries, Row]{
	Get:       Queries.ByID,
	Write:     Queries.WriteAccount,
	Version:   func(r *Row) *int64 { return &r.Version },
	UpdatedAt: func(r *Row) *time.Time { return &r.UpdatedAt },
}

// Row is an account as stored, with its password hash.
type Row struct {
	Account
	Hash string
}
