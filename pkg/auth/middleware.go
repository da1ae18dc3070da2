package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-kit/kit/endpoint"
)

// authFailureKey carries why a request that presented a token has no
// principal, so the endpoint middleware can answer with the right id.
type authFailureKey struct{}

// Authenticate is the HTTP middleware that reads "Authorization: Bearer
// <token>", verifies it with v and puts the Principal in the request
// context. It never answers by itself: a request without a token, or with a
// bad one, goes on without a principal (the verification error is kept in
// the context), and the endpoint middleware (Middleware, or
// RequirePrincipal in a plain handler) answers 401 with auth.token_missing,
// auth.token_invalid or auth.token_expired. That way /healthz, /metrics,
// the OpenAPI document and the login endpoint stay open, while every
// endpoint with a policy row fails closed. It never logs the token.
//
// Authentication happens once per request: when an outer Authenticate has
// already decided (a principal, or the reason there is none), an inner one
// passes the request on untouched. An inner handler can therefore never
// accept a token the outer, stricter verifier refused (a disabled account's,
// say) by verifying it again with a more lenient one.
func Authenticate(v Verifier) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if Authenticated(r.Context()) {
				next.ServeHTTP(w, r)
				return
			}
			raw, err := bearer(r.Header)
			if err == nil && raw == "" {
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authFailureKey{}, ErrTokenMissing)))
				return
			}
			ctx := r.Context()
			if err == nil {
				var p Principal
				if p, err = v.Verify(ctx, raw); err == nil {
					next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, p)))
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, authFailureKey{}, err)))
		})
	}
}

// Authenticated reports whether Authenticate has already run for the
// request of ctx, whatever it decided.
func Authenticated(ctx context.Context) bool {
	if _, ok := FromContext(ctx); ok {
		return true
	}
	err, _ := ctx.Value(authFailureKey{}).(error)
	return err != nil
}

// bearer returns the token of the Authorization header: "" with no header,
// ErrTokenInvalid for another scheme, an empty token or several headers.
func bearer(h http.Header) (string, error) {
	vals := h.Values("Authorization")
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", ErrTokenInvalid
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	// The scheme is case-insensitive (RFC 9110 §11.1).
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", ErrTokenInvalid
	}
	if token = strings.TrimSpace(token); token == "" {
		return "", ErrTokenInvalid
	}
	return token, nil
}

// RequirePrincipal returns the request's principal, or the 401 error that
// explains its absence: the verification error Authenticate recorded
// (auth.token_invalid, auth.token_expired) or auth.token_missing.
func RequirePrincipal(ctx context.Context) (Principal, error) {
	if p, ok := FromContext(ctx); ok {
		return p, nil
	}
	if err, ok := ctx.Value(authFailureKey{}).(error); ok && err != nil {
		return Principal{}, err
	}
	return Principal{}, ErrTokenMissing
}

// Middleware is the go-kit endpoint middleware that enforces p on the named
// endpoint ("service.endpoint"): no principal → 401 (RequirePrincipal),
// then Decide on the target the service extracts from the decoded request
// (403 auth.forbidden or auth.no_policy). target may be nil for endpoints
// that act on nothing scoped (an empty Target: only city-wide callers pass
// scoped rows). The endpoint is not called when the check fails.
func Middleware(p Policy, name string, target func(ctx context.Context, request any) Target) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			pr, err := RequirePrincipal(ctx)
			if err != nil {
				return nil, err
			}
			var t Target
			if target != nil {
				t = target(ctx, request)
			}
			if err := p.Decide(pr, name, t); err != nil {
				return nil, err
			}
			return next(ctx, request)
		}
	}
}
