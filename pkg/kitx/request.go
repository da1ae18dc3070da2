package kitx

import (
	"context"
	"net/http"
)

// The decoded requests every service's routes share: a resource named by
// the path, a PATCH of it, an action on it, a list. ID is the path's {id},
// SubID its {sub} (a part under the resource: a minute entry of a meeting,
// say), empty where the path has none. Each implements ResourceID, which
// the services' authorizers read the target from.

// IDRequest names one resource.
type IDRequest struct {
	ID, SubID string
}

// ResourceID returns the id the request names.
func (r IDRequest) ResourceID() string { return r.ID }

// UpdateRequest is a PATCH: the resource, the If-Match precondition
// (unset: unconditional) and the fields.
type UpdateRequest[T any] struct {
	ID, SubID string
	IfMatch   Precondition
	Input     T
}

// ResourceID returns the id of the resource the PATCH changes.
func (r UpdateRequest[T]) ResourceID() string { return r.ID }

// ActionRequest is a POST on one resource (a status change, a check-in…).
type ActionRequest[T any] struct {
	ID, SubID string
	Input     T
}

// ResourceID returns the id of the resource the action acts on.
func (r ActionRequest[T]) ResourceID() string { return r.ID }

// ListRequest is a list query, under a resource (ID) or not: its filter
// and its page.
type ListRequest[F any] struct {
	ID     string
	Filter F
	Page   Page
}

// ResourceID returns the id of the resource the list is under.
func (r ListRequest[F]) ResourceID() string { return r.ID }

// DecodeIDRequest is the decoder of a route that names a resource and
// takes no body.
func DecodeIDRequest(_ context.Context, r *http.Request) (any, error) {
	return IDRequest{ID: r.PathValue("id"), SubID: r.PathValue("sub")}, nil
}

// DecodeNone is the decoder of a route that reads nothing of the request
// beyond its path's district (the node's own).
func DecodeNone(context.Context, *http.Request) (any, error) { return struct{}{}, nil }

// DecodeUpdateRequest is the decoder of a PATCH: If-Match and a JSON body
// of T.
func DecodeUpdateRequest[T any](_ context.Context, r *http.Request) (any, error) {
	pre, in, err := DecodeUpdate[T](r)
	if err != nil {
		return nil, err
	}
	return UpdateRequest[T]{ID: r.PathValue("id"), SubID: r.PathValue("sub"), IfMatch: pre, Input: in}, nil
}

// DecodeActionRequest is the decoder of an action: a JSON body of T.
func DecodeActionRequest[T any](_ context.Context, r *http.Request) (any, error) {
	in, err := DecodeBody[T](r)
	if err != nil {
		return nil, err
	}
	return ActionRequest[T]{ID: r.PathValue("id"), SubID: r.PathValue("sub"), Input: in}, nil
}

// IdempotencyKeyHeader is the header a client sets to make a create safe to
// retry (pkg/idempotency replays the first result).
const IdempotencyKeyHeader = "Idempotency-Key"

// Idempotent is embedded in the input of a create: the request's
// Idempotency-Key header, which DecodeCreate and DecodeCreateUnder fill.
// It is no part of the JSON body.
type Idempotent struct {
	// IdempotencyKey is the header's value ("" when the client sent none).
	IdempotencyKey string `json:"-"`
}

// SetIdempotencyKey implements Keyed.
func (k *Idempotent) SetIdempotencyKey(v string) { k.IdempotencyKey = v }

// Keyed is what the input of a create implements (by embedding Idempotent)
// to take the request's Idempotency-Key.
type Keyed interface{ SetIdempotencyKey(string) }

// DecodeCreate is the decoder of a create: a JSON body of T and its
// Idempotency-Key header (PT is *T, inferred: DecodeCreate[Input]).
func DecodeCreate[T any, PT interface {
	*T
	Keyed
}](_ context.Context, r *http.Request) (any, error) {
	in, err := DecodeBody[T](r)
	if err != nil {
		return nil, err
	}
	PT(&in).SetIdempotencyKey(r.Header.Get(IdempotencyKeyHeader))
	return in, nil
}

// DecodeCreateUnder is the decoder of a create under the path's resource
// (an agenda item of the meeting {id}, say): the ActionRequest of a JSON
// body of T with its Idempotency-Key header.
func DecodeCreateUnder[T any, PT interface {
	*T
	Keyed
}](_ context.Context, r *http.Request) (any, error) {
	in, err := DecodeBody[T](r)
	if err != nil {
		return nil, err
	}
	PT(&in).SetIdempotencyKey(r.Header.Get(IdempotencyKeyHeader))
	return ActionRequest[T]{ID: r.PathValue("id"), SubID: r.PathValue("sub"), Input: in}, nil
}
