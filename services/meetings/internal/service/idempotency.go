package service

// Idempotency keys of the service's creates.

import (
	"context"

	"github.com/guildhall/guildhall/pkg/idempotency"
)

// IdempotencyTTL is how long an Idempotency-Key replays its first result.
const IdempotencyTTL = idempotency.TTL

// storable is a result whose stored idempotent form differs from the
// response (secrets removed).
type storable interface{ forStorage() any }

// ExpireIdempotencyKeys deletes keys older than IdempotencyTTL.
func (s *Meetings) ExpireIdempotencyKeys(ctx context.Context) (int64, error) {
	return s.repo.ExpireIdempotency(ctx, s.now().Add(-IdempotencyTTL))
}

// idempotent runs a create once per (scope, key) through pkg/idempotency:
// the first result is stored with the key in the create's transaction and
// replayed for the same request within IdempotencyTTL; the same key with a
// different request is refused.
func idempotent[T any](ctx context.Context, s *Meetings, scope, key string, in any, create func(q Queries) (T, []Change, error)) (T, error) {
	req := idempotency.Request{Scope: scope, Key: key, In: in, Now: s.now}
	return idempotency.Do(ctx, s.repo, s.repo.Tx, req, create, storedForm[T])
}

// storedForm is the form of v the idempotency record keeps: forStorage's
// for a storable result, v itself otherwise.
func storedForm[T any](v T) any {
	if st, ok := any(v).(storable); ok {
		return st.forStorage()
	}
	return v
}
