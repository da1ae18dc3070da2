// Package errs holds the typed errors every Guildhall service returns and the
// one table that maps them to HTTP statuses and the JSON error body of API.md.
//
// An Error has a Kind (which decides the status), a stable ID that users may
// script against (never rename one), and optionally the request field at fault.
package errs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Kind classifies an error; the transport maps each kind to one HTTP status.
type Kind int

// The kinds of error a service can return.
const (
	Internal Kind = iota
	Invalid
	NotFound
	Conflict
	Forbidden
	Unauthenticated
	Unavailable
	PreconditionFailed
	TooLarge
	Unprocessable
	TooManyRequests
	// UnsupportedMediaType is a request body in a format the endpoint does
	// not take (415): JSON endpoints take only application/json.
	UnsupportedMediaType
	// URITooLong is a request line over the server's URL limit (414).
	URITooLong
	// HeadersTooLarge is a request whose header fields exceed the
	// server's limit (431).
	HeadersTooLarge
	// MethodNotAllowed is a known path asked with a method it does not
	// take (405, with Allow).
	MethodNotAllowed
	// NotImplemented is a request in a form the server does not implement,
	// such as an unknown transfer encoding (501).
	NotImplemented
	// HTTPVersionNotSupported is a request in an HTTP version the server
	// does not speak (505).
	HTTPVersionNotSupported
	// Timeout is a request that ran out of time on the server (504).
	Timeout
	// Canceled is a request its client gave up (499, nginx's "client
	// closed request": nobody reads the answer, the access log does).
	Canceled
)

var kindNames = map[Kind]string{
	Internal:           "internal",
	Invalid:            "invalid",
	NotFound:           "not_found",
	Conflict:           "conflict",
	Forbidden:          "forbidden",
	Unauthenticated:    "unauthenticated",
	Unavailable:        "unavailable",
	PreconditionFailed: "precondition_failed",
	TooLarge:           "too_large",
	Unprocessable:      "unprocessable",
	TooManyRequests:    "too_many_requests",

	UnsupportedMediaType: "unsupported_media_type",
	URITooLong:           "uri_too_long",
	HeadersTooLarge:      "headers_too_large",

	MethodNotAllowed:        "method_not_allowed",
	NotImplemented:          "not_implemented",
	HTTPVersionNotSupported: "http_version_not_supported",
	Timeout:                 "timeout",
	Canceled:                "canceled",
}

// String returns the kind's name.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a domain error with a stable ID and, for validation errors, the
// field at fault.
type Error struct {
	Kind    Kind
	ID      string // stable slug, e.g. "guard.id_number_invalid"
	Field   string // request field at fault, snake_case; empty if none
	Message string // human-readable; safe to show to the caller
	Err     error  // cause; never shown to the caller
	// AliasOf is set on the sentinel of a deprecated id (see Alias): the
	// id that replaced it, which errors.Is and the API answer use.
	AliasOf string
}

// Error implements error.
func (e *Error) Error() string {
	msg := e.ID
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Field != "" {
		msg += " (field " + e.Field + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E declares the stable id id, an error of the given kind that means
// message, and returns its sentinel. Every id is declared once, as a
// package-level variable, and registered with its kind and meaning (see
// Registry); an error returned from a function body reuses a sentinel
// (Wrap, WithField), it never declares one.
func E(kind Kind, id, message string) *Error {
	return declare(&Error{Kind: kind, ID: id, Message: message})
}

// EField declares id like E, for an error that always names the same
// request field (a conflict on credit_code, a bad Idempotency-Key header),
// so the registry lists the field too.
func EField(kind Kind, id, field, message string) *Error {
	return declare(&Error{Kind: kind, ID: id, Field: field, Message: message})
}

// InvalidField declares id like E, an Invalid error naming the field at
// fault.
func InvalidField(id, field, message string) *Error {
	return declare(&Error{Kind: Invalid, ID: id, Field: field, Message: message})
}

// Wrap attaches a cause to a copy of e.
func (e *Error) Wrap(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// WithField returns a copy of e naming the field at fault.
func (e *Error) WithField(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// Alias returns the sentinel of a deprecated id, old, that names the same
// error as canonical. An id is never renamed once clients may script
// against it; when two ids turn out to mean one thing, one stays and the
// other becomes its alias: errors.Is matches the alias with every error of
// canonical's id (and the other way round), and an alias that reaches the
// API is answered with canonical's id. Declare it next to canonical with a
// Deprecated comment saying since when.
func Alias(old string, canonical *Error) *Error {
	a := *canonical
	a.ID, a.AliasOf = old, canonical.id()
	return declare(&a)
}

// id is the id the error stands for: the canonical id of an alias.
func (e *Error) id() string {
	if e.AliasOf != "" {
		return e.AliasOf
	}
	return e.ID
}

// Is reports whether target is an *Error with the same ID (an alias
// counting as the id it names), so sentinels declared with E can be matched
// with errors.Is after WithField or Wrap.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.id() == e.id() && t.id() != ""
}

// KindOf returns the kind of err, Internal if it carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// IsKind reports whether err carries kind k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// statusOf is the one Kind → HTTP status table.
var statusOf = map[Kind]int{
	Internal:           http.StatusInternalServerError,
	Invalid:            http.StatusBadRequest,
	NotFound:           http.StatusNotFound,
	Conflict:           http.StatusConflict,
	Forbidden:          http.StatusForbidden,
	Unauthenticated:    http.StatusUnauthorized,
	Unavailable:        http.StatusServiceUnavailable,
	PreconditionFailed: http.StatusPreconditionFailed,
	TooLarge:           http.StatusRequestEntityTooLarge,
	Unprocessable:      http.StatusUnprocessableEntity,
	TooManyRequests:    http.StatusTooManyRequests,

	UnsupportedMediaType: http.StatusUnsupportedMediaType,
	URITooLong:           http.StatusRequestURITooLong,
	HeadersTooLarge:      http.StatusRequestHeaderFieldsTooLarge,

	MethodNotAllowed:        http.StatusMethodNotAllowed,
	NotImplemented:          http.StatusNotImplemented,
	HTTPVersionNotSupported: http.StatusHTTPVersionNotSupported,
	Timeout:                 http.StatusGatewayTimeout,
	Canceled:                499,
}

// The errors HTTP answers for what carries no id of its own.
var (
	// ErrInternal is any failure that is not the caller's and carries no
	// id of its own: an error without a Kind, a panic. An Internal error
	// with its own id (hq.read_model) is answered with that id, which the
	// OpenAPI documents list for the route, and with ErrInternal's
	// message: its cause goes to the log, never to the client.
	ErrInternal = E(Internal, "internal", "internal error")
	// ErrTimeout is a request whose context ran out of time.
	ErrTimeout = E(Timeout, "request.timeout", "the request took too long")
	// ErrCanceled is a request whose client went away.
	ErrCanceled = E(Canceled, "request.canceled", "the request was canceled")
)

// Body is the JSON error body of every API response that fails.
type Body struct {
	Error BodyError `json:"error"`
}

// BodyError is the inner object of Body.
type BodyError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// HTTP returns the status and body for err. Errors without a Kind become a
// 500 with a generic message: causes (SQL errors, stack traces) never leak.
// A context deadline is ErrTimeout (504), a canceled context ErrCanceled
// (499).
func HTTP(err error) (int, Body) {
	var e *Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, context.DeadlineExceeded):
		e = ErrTimeout
	case errors.Is(err, context.Canceled):
		e = ErrCanceled
	default:
		e = ErrInternal
	}
	msg := e.Message
	if msg == "" {
		msg = e.Kind.String()
	}
	if e.Kind == Internal {
		msg = ErrInternal.Message
	}
	return statusOf[e.Kind], Body{Error: BodyError{ID: e.id(), Message: msg, Field: e.Field}}
}

// WriteHTTP writes err as a JSON error response.
func WriteHTTP(w http.ResponseWriter, err error) {
	status, body := HTTP(err)
	if d, ok := RetryAfterOf(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds(d)))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
