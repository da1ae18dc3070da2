package auth

import (
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
)

// The stable error ids of this package. Messages never echo the token: it is
// a credential, and error bodies end up in client logs.
var (
	// ErrTokenMissing means the request carried no bearer token.
	ErrTokenMissing = errs.E(errs.Unauthenticated, "auth.token_missing", "this request needs an Authorization: Bearer token")
	// ErrTokenInvalid means the token is malformed, badly signed, from the
	// wrong issuer or audience, not yet valid, or carries a role or scope
	// that does not fit.
	ErrTokenInvalid = errs.E(errs.Unauthenticated, "auth.token_invalid", "the bearer token is not valid")
	// ErrTokenExpired means the token was valid but its exp has passed.
	ErrTokenExpired = errs.E(errs.Unauthenticated, "auth.token_expired", "the bearer token has expired; sign in again")
	// ErrForbidden means the caller's role or scope does not allow the
	// endpoint on this target. Cross-district access is this error, never an
	// empty result.
	ErrForbidden = errs.E(errs.Forbidden, "auth.forbidden", "you are not allowed to do this here")
	// ErrNoPolicy means the endpoint has no row in the policy table; the
	// table fails closed so a forgotten row denies instead of allowing.
	ErrNoPolicy = errs.E(errs.Forbidden, "auth.no_policy", "this endpoint is not open to any role")
	// ErrTooManyAttempts means too many failed logins for the account or the
	// client address within the window; it carries the wait (errs.RetryAfter).
	ErrTooManyAttempts = errs.E(errs.TooManyRequests, "auth.too_many_attempts", "too many failed sign-in attempts; try again later")
)

// RetryAfter returns the wait carried by err (see LoginLimiter.Attempt):
// the errs.RetryAfter delay, which the transport sends as Retry-After.
func RetryAfter(err error) (time.Duration, bool) { return errs.RetryAfterOf(err) }
