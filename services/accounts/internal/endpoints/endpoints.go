// Package endpoints turns the accounts Service into go-kit endpoints: one
// maker per route of the service's route table (routes.go at the module
// root), each taking a typed request and returning a response that carries
// business errors in Failed() (go-kit's addsvc pattern), so they do not
// trip circuit breakers and the transport maps them once.
package endpoints

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
)

// MakeLoginEndpoint returns the endpoint of the route login.
func MakeLoginEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(LoginRequest)
		token, exp, err := svc.Login(ctx, req.Input, req.RemoteIP)
		if err != nil {
			return LoginResponse{err: err}, nil
		}
		return LoginResponse{Token: token, ExpiresAt: exp.UTC().Format(time.RFC3339)}, nil
	}
}

// MakeMeEndpoint returns the endpoint of the route me: the principal the
// request's token stands for.
func MakeMeEndpoint() endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		p, err := auth.RequirePrincipal(ctx)
		if err != nil {
			return nil, err
		}
		d := p.Districts
		if d == nil {
			d = []string{}
		}
		return MeResponse{Subject: p.Subject, Role: p.Role, Districts: d, Company: p.Company, Guard: p.Guard}, nil
	}
}

// MakeCreateAccountEndpoint returns the endpoint of the route
// create_account; the new account's Location is under base.
func MakeCreateAccountEndpoint(svc service.Service, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := svc.Create(ctx, request.(service.CreateInput))
		r := AccountResponse{Account: a, err: err}
		if err == nil {
			r.location = base + "/accounts/" + a.ID
		}
		return r, nil
	}
}

// MakeListAccountsEndpoint returns the endpoint of the route list_accounts.
func MakeListAccountsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		items, next, err := svc.List(ctx, request.(kitx.ListRequest[struct{}]).Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetAccountEndpoint returns the endpoint of the route get_account.
func MakeGetAccountEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := svc.Get(ctx, request.(kitx.IDRequest).ID)
		return AccountResponse{Account: a, err: err}, nil
	}
}

// MakeUpdateAccountEndpoint returns the endpoint of the route
// update_account.
func MakeUpdateAccountEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(kitx.UpdateRequest[service.UpdateInput])
		a, err := svc.Update(ctx, req.ID, req.IfMatch, req.Input)
		return AccountResponse{Account: a, err: err}, nil
	}
}

// MakeResetPasswordEndpoint returns the endpoint of the route
// reset_password.
func MakeResetPasswordEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(PasswordRequest)
		return noContentResponse{err: svc.ResetPassword(ctx, req.ID, req.Input)}, nil
	}
}

// LoginRequest is a login and the client address it came from (for the
// limiter and the logs).
type LoginRequest struct {
	Input    service.LoginInput
	RemoteIP string
}

// LogValue keeps the password out of any log line the request ends up in.
func (r LoginRequest) LogValue() slog.Value { return r.Input.LogValue() }

// PasswordRequest is a new password for the account ID.
type PasswordRequest struct {
	ID    string
	Input service.PasswordInput
}

// LogValue keeps the password out of any log line the request ends up in.
func (PasswordRequest) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// LoginResponse is a signed token and its expiry (RFC 3339).
type LoginResponse struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	err       error
}

// Failed implements kitx.Failer.
func (r LoginResponse) Failed() error { return r.err }

// Headers keeps the token out of caches.
func (r LoginResponse) Headers() http.Header {
	return http.Header{"Cache-Control": {"no-store"}}
}

// AccountResponse is one account with its ETag, never cached; a create's
// has its Location and status 201.
type AccountResponse struct {
	service.Account
	location string
	err      error
}

// Failed implements kitx.Failer.
func (r AccountResponse) Failed() error { return r.err }

// StatusCode implements kitx.StatusCoder.
func (r AccountResponse) StatusCode() int {
	if r.location != "" {
		return http.StatusCreated
	}
	return http.StatusOK
}

// Headers implements kitx.Headerer.
func (r AccountResponse) Headers() http.Header {
	h := http.Header{"Etag": {kitx.ETag(r.Version)}, "Cache-Control": {"no-store"}}
	if r.location != "" {
		h.Set("Location", r.location)
	}
	return h
}

type noContentResponse struct{ err error }

func (r noContentResponse) Failed() error   { return r.err }
func (r noContentResponse) StatusCode() int { return http.StatusNoContent }

// MeResponse is the principal a token stands for.
type MeResponse struct {
	Subject   string    `json:"subject"`
	Role      auth.Role `json:"role"`
	Districts []string  `json:"districts"`
	Company   string    `json:"company"`
	Guard     string    `json:"guard"`
}

// SchemaName names the type in the OpenAPI document.
func (MeResponse) SchemaName() string { return "Principal" }

// JWKSet is the JWKS document, for the OpenAPI document: the keys are the
// issuer's public JWKs (RFC 7517).
type JWKSet struct {
	Keys []map[string]any `json:"keys"`
}
