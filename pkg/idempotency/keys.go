package idempotency

import (
	"context"
	"time"

	"github.com/guildhall/guildhall/pkg/storage"
)

// Queries is the idempotency keys' part of a service's queries, what Keys
// implements: a service's Queries interface embeds it, and its store's
// queries embed a Keys.
type Queries interface {
	Getter
	Putter
	// ExpireIdempotency deletes records created before cutoff.
	ExpireIdempotency(ctx context.Context, cutoff time.Time) (int64, error)
}

// Keys is the idempotency keys as a service's store keeps them: the Table
// of the service's database (created by Migrate), read and written through
// Q, the database or the transaction of the create a key belongs to.
type Keys struct {
	Q storage.Querier
}

var _ Queries = Keys{}

// NewKeys returns the idempotency keys of the database or transaction q.
func NewKeys(q storage.Querier) Keys { return Keys{Q: q} }

// GetIdempotency implements Getter (Get).
func (k Keys) GetIdempotency(ctx context.Context, scope, key string) (Record, bool, error) {
	return Get(ctx, k.Q, Table, scope, key)
}

// PutIdempotency implements Putter (Put): an expired record under the same
// key is replaced; a live one makes it fail with a Conflict.
func (k Keys) PutIdempotency(ctx context.Context, r Record) error { return Put(ctx, k.Q, Table, r) }

// CompleteIdempotency implements Putter (Complete): the create's result
// under the key PutIdempotency reserved in the same transaction.
func (k Keys) CompleteIdempotency(ctx context.Context, scope, key string, body []byte) error {
	return Complete(ctx, k.Q, Table, scope, key, body)
}

// ExpireIdempotency implements Queries (Expire).
func (k Keys) ExpireIdempotency(ctx context.Context, cutoff time.Time) (int64, error) {
	return Expire(ctx, k.Q, Table, cutoff)
}
