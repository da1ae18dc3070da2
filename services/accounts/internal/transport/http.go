// Package transport serves the accounts endpoints over HTTP/JSON with
// go-kit, under /api/v1/auth.
package transport

import (
	"context"
	"log/slog"
	"net/http"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/accounts/internal/endpoints"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
)

// Prefix is the path prefix of every accounts route.
const Prefix = "/api/v1/auth"

// Options tunes the HTTP handler.
type Options struct {
	// TrustProxy takes the client address (for the login limiter and the
	// audit log) from the last X-Forwarded-For entry (kitx.ClientIP)
	// instead of the connection's peer. Set it only behind a proxy that
	// sets that header: anyone else can forge it.
	TrustProxy bool
}

// NewHTTPHandler serves the chained route table (kitx.Chain) under
// Prefix. Requests are authenticated with verifier unless an outer
// auth.Authenticate has already decided them. Every request's context
// carries its client address (audit.WithRemoteIP).
func NewHTTPHandler(routes []kitx.Route, verifier auth.Verifier, logger *slog.Logger, o Options) http.Handler {
	errLog := kitx.ErrorLogger{Logger: logger, Service: "accounts"}
	// Business errors travel in Failer responses, which the server's error
	// handler never sees; log the unexpected ones here. Errors never carry
	// a password: the service's errors are its stable ids.
	encode := func(ctx context.Context, w http.ResponseWriter, response any) error {
		if f, ok := response.(kitx.Failer); ok && f.Failed() != nil {
			errLog.Handle(ctx, f.Failed())
		}
		return kitx.EncodeJSONResponse(ctx, w, response)
	}
	mux := http.NewServeMux()
	kitx.MountWith(mux, routes, encode, kithttp.ServerErrorHandler(errLog), audit.RecordRemoteIP(o.TrustProxy))
	mux.Handle("/", kitx.NotFoundHandler())
	// An outer auth.Authenticate that already decided the request is final
	// (Authenticate runs once per request): a token it refused is never
	// verified again here.
	return auth.Authenticate(verifier)(mux)
}

// JWKSHandler serves the issuer's public keys, jwks (a JWK set, RFC 7517);
// caches may keep them five minutes.
func JWKSHandler(jwks []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(jwks)
	})
}

// DecodeLogin decodes the request of its route (see the route table).
func DecodeLogin(ctx context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.LoginInput](r)
	if err != nil {
		return nil, err
	}
	return endpoints.LoginRequest{Input: in, RemoteIP: audit.RemoteIPFromContext(ctx)}, nil
}

// DecodeNone decodes the request of its route (see the route table).
func DecodeNone(context.Context, *http.Request) (any, error) { return struct{}{}, nil }

// DecodeCreate decodes the request of its route (see the route table).
func DecodeCreate(_ context.Context, r *http.Request) (any, error) {
	return kitx.DecodeBody[service.CreateInput](r)
}

// DecodeList decodes the request of its route (see the route table).
func DecodeList(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	return kitx.ListRequest[struct{}]{Page: p}, err
}

// DecodePassword decodes the request of its route (see the route table).
func DecodePassword(_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[service.PasswordInput](r)
	if err != nil {
		return nil, err
	}
	return endpoints.PasswordRequest{ID: r.PathValue("id"), Input: in}, nil
}
