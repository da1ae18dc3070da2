package idempotency

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/storage"
)

// Queries is the idempotency keys' part of a service's queries: a
// service's Queries interface embeds it, and its store's queries embed a
// Keys.
type Queries interface {
	Getter
	Putter
	// ExpireIdempotency deletes records created before cutoff.
	ExpireIdempotency(ctx context.Context, cutoff time.Time) (int64, error)
}

// Keys is a service's idempotency-key table, read and written through Q
// (the database, or the transaction of the create a key belongs to). It
// implements Queries.
type Keys struct {
	Q storage.Querier
	// Table is the table's name, a constant of the service, never input.
	Table string
}

var _ Queries = Keys{}

// keysTable is the name every district service's migrations give their
// idempotency keys.
const keysTable = "idempotency_keys"

// NewKeys returns the idempotency keys of a district service's database
// (its idempotency_keys table) through q.
func NewKeys(q storage.Querier) Keys { return Keys{Q: q, Table: keysTable} }

// GetIdempotency implements Getter (Get).
func (k Keys) GetIdempotency(ctx context.Context, scope, key string) (Record, bool, error) {
	return Get(ctx, k.Q, k.Table, scope, key)
}

// PutIdempotency implements Putter (Put): an expired record under the same
// key is replaced; a live one makes it fail with a Conflict.
func (k Keys) PutIdempotency(ctx context.Context, r Record) error { return Put(ctx, k.Q, k.Table, r) }

// CompleteIdempotency implements Putter (Complete): the create's result
// under the key PutIdempotency reserved in the same transaction.
func (k Keys) CompleteIdempotency(ctx context.Context, scope, key string, body []byte) error {
	return Complete(ctx, k.Q, k.Table, scope, key, body)
}

// ExpireIdempotency implements Queries (Expire).
func (k Keys) ExpireIdempotency(ctx context.Context, cutoff time.Time) (int64, error) {
	return Expire(ctx, k.Q, k.Table, cutoff)
}
