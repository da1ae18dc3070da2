package audit

import (
	"context"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
)

// Queries is the audit log's part of a service's queries, what a Store
// implements: a service's Queries interface embeds it, and its store's
// queries embed a Store.
type Queries interface {
	Inserter
	Lister
}

// Store is the audit log as a service's store keeps it: the Table of the
// service's database (created by Migrate), read and written through Q, the
// database or the transaction of the write an entry records. Log, on the
// service's side, records and lists through it.
type Store struct {
	Q storage.Querier
}

var _ Queries = Store{}

// NewStore returns the audit log of the database or transaction q.
func NewStore(q storage.Querier) Store { return Store{Q: q} }

// InsertAudit implements Inserter (Insert).
func (s Store) InsertAudit(ctx context.Context, e Entry) error { return Insert(ctx, s.Q, Table, e) }

// ListAudit implements Lister (List): entries come newest first (id DESC);
// the page cursor is the id of the last entry returned.
func (s Store) ListAudit(ctx context.Context, f Filter, p kitx.Page) ([]Entry, string, error) {
	return List(ctx, s.Q, Table, f, p)
}
