package accounts

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Prefix is the path prefix of every route of this package.
const Prefix = "/api/v1/auth"

// ServiceName prefixes the package's endpoint names in the policy table
// and in the instrumentation middleware.
const ServiceName = "accounts"

// Endpoint names, the keys of Policy ("accounts.<name>").
const (
	EndpointLogin         = "login"
	EndpointJWKS          = "jwks"
	EndpointMe            = "me"
	EndpointCreateAccount = "create_account"
	EndpointListAccounts  = "list_accounts"
	EndpointGetAccount    = "get_account"
	EndpointUpdateAccount = "update_account"
	EndpointResetPassword = "reset_password"
)

// Route is one HTTP route of the package.
type Route struct {
	// Method is the HTTP method.
	Method string
	// Path is relative to Prefix, with {id} wildcards.
	Path string
	// Name is the endpoint name, without the "accounts." prefix.
	Name string
	// Public routes (login, JWKS) are open to anonymous callers and have
	// no policy row; every other route is checked against Policy.
	Public bool
}

// PolicyKey returns the route's key in Policy: "accounts.<name>".
func (r Route) PolicyKey() string { return ServiceName + "." + r.Name }

// Routes lists every route the handler serves, for the OpenAPI test and
// the city-wide authorization matrix.
func Routes() []Route {
	return []Route{
		{"POST", "/login", EndpointLogin, true},
		{"GET", "/jwks.json", EndpointJWKS, true},
		{"GET", "/me", EndpointMe, false},
		{"POST", "/accounts", EndpointCreateAccount, false},
		{"GET", "/accounts", EndpointListAccounts, false},
		{"GET", "/accounts/{id}", EndpointGetAccount, false},
		{"PATCH", "/accounts/{id}", EndpointUpdateAccount, false},
		{"POST", "/accounts/{id}/password", EndpointResetPassword, false},
	}
}

// Policy returns the policy table of this package's endpoints: account
// management is hq-admin's alone; /me is open to every authenticated role.
// It is built fresh on each call so no caller can change another's table.
func Policy() auth.Policy {
	admin := func() auth.Rule { return auth.Rule{Roles: map[auth.Role]auth.Scope{auth.RoleHQAdmin: auth.ScopeAny}} }
	everyone := auth.Rule{Roles: map[auth.Role]auth.Scope{}}
	for _, r := range auth.Roles {
		everyone.Roles[r] = auth.ScopeAny
	}
	p := auth.Policy{ServiceName + "." + EndpointMe: everyone}
	for _, name := range []string{EndpointCreateAccount, EndpointListAccounts, EndpointGetAccount, EndpointUpdateAccount, EndpointResetPassword} {
		p[ServiceName+"."+name] = admin()
	}
	return p
}

// ---- requests and responses ----

type idRequest struct{ ID string }

type listRequest struct{ Page kitx.Page }

type updateRequest struct {
	ID      string
	IfMatch kitx.Precondition
	Input   UpdateInput
}

type passwordRequest struct {
	ID    string
	Input PasswordInput
}

// LogValue keeps the password out of any log line the request ends up in.
func (passwordRequest) LogValue() slog.Value { return slog.StringValue("[redacted]") }

type loginRequest struct {
	Input    LoginInput
	RemoteIP string
}

// LogValue keeps the password out of any log line the request ends up in.
func (r loginRequest) LogValue() slog.Value { return r.Input.LogValue() }

type loginResponse struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	err       error
}

func (r loginResponse) Failed() error { return r.err }

// Headers keeps the token out of caches.
func (r loginResponse) Headers() http.Header {
	return http.Header{"Cache-Control": {"no-store"}}
}

type accountResponse struct {
	Account
	created bool
	err     error
}

func (r accountResponse) Failed() error { return r.err }

func (r accountResponse) StatusCode() int {
	if r.created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (r accountResponse) Headers() http.Header {
	h := http.Header{"Etag": {kitx.ETag(r.Version)}, "Cache-Control": {"no-store"}}
	if r.created {
		h.Set("Location", Prefix+"/accounts/"+r.ID)
	}
	return h
}

type listResponse struct {
	Items         []Account `json:"items"`
	NextPageToken string    `json:"next_page_token"`
	err           error
}

func (r listResponse) Failed() error { return r.err }

type noContentResponse struct{ err error }

func (r noContentResponse) Failed() error   { return r.err }
func (r noContentResponse) StatusCode() int { return http.StatusNoContent }

type meResponse struct {
	Subject   string    `json:"subject"`
	Role      auth.Role `json:"role"`
	Districts []string  `json:"districts"`
	Company   string    `json:"company"`
	Guard     string    `json:"guard"`
}

// ---- endpoints ----

type endpoints struct {
	Login, Me, Create, List, Get, Update, ResetPassword endpoint.Endpoint
}

func makeEndpoints(s *service, policy auth.Policy, instrument func(service, endpoint string) endpoint.Middleware) endpoints {
	wrap := func(name string, public bool, e endpoint.Endpoint) endpoint.Endpoint {
		if !public {
			// The policy check sits inside instrumentation so metrics see
			// the 401s and 403s too.
			e = auth.Middleware(policy, ServiceName+"."+name, nil)(e)
		}
		if instrument != nil {
			if m := instrument(ServiceName, name); m != nil {
				e = m(e)
			}
		}
		return e
	}
	return endpoints{
		Login: wrap(EndpointLogin, true, func(ctx context.Context, request any) (any, error) {
			req := request.(loginRequest)
			token, exp, err := s.Login(ctx, req.Input, req.RemoteIP)
			if err != nil {
				return loginResponse{err: err}, nil
			}
			return loginResponse{Token: token, ExpiresAt: exp.UTC().Format(time.RFC3339)}, nil
		}),
		Me: wrap(EndpointMe, false, func(ctx context.Context, _ any) (any, error) {
			p, err := auth.RequirePrincipal(ctx)
			if err != nil {
				return nil, err
			}
			d := p.Districts
			if d == nil {
				d = []string{}
			}
			return meResponse{Subject: p.Subject, Role: p.Role, Districts: d, Company: p.Company, Guard: p.Guard}, nil
		}),
		Create: wrap(EndpointCreateAccount, false, func(ctx context.Context, request any) (any, error) {
			a, err := s.Create(ctx, request.(CreateInput))
			return accountResponse{Account: a, created: err == nil, err: err}, nil
		}),
		List: wrap(EndpointListAccounts, false, func(ctx context.Context, request any) (any, error) {
			items, next, err := s.List(ctx, request.(listRequest).Page)
			return listResponse{Items: items, NextPageToken: kitx.PageToken(next), err: err}, nil
		}),
		Get: wrap(EndpointGetAccount, false, func(ctx context.Context, request any) (any, error) {
			a, err := s.Get(ctx, request.(idRequest).ID)
			return accountResponse{Account: a, err: err}, nil
		}),
		Update: wrap(EndpointUpdateAccount, false, func(ctx context.Context, request any) (any, error) {
			req := request.(updateRequest)
			a, err := s.Update(ctx, req.ID, req.IfMatch, req.Input)
			return accountResponse{Account: a, err: err}, nil
		}),
		ResetPassword: wrap(EndpointResetPassword, false, func(ctx context.Context, request any) (any, error) {
			req := request.(passwordRequest)
			return noContentResponse{err: s.ResetPassword(ctx, req.ID, req.Input)}, nil
		}),
	}
}

// ---- HTTP ----

// newHTTPHandler serves the endpoints and the issuer's JWKS under Prefix.
// Requests are authenticated with verifier unless an outer auth.Authenticate
// has already decided them.
func newHTTPHandler(set endpoints, jwks []byte, verifier auth.Verifier, trustProxy bool, logger *slog.Logger) http.Handler {
	opts := kitx.ServerOptions(
		kithttp.ServerErrorHandler(errorLogger{logger}),
		kithttp.ServerBefore(func(ctx context.Context, r *http.Request) context.Context {
			return withRemoteIP(ctx, kitx.ClientIP(r, trustProxy))
		}),
	)
	errLog := errorLogger{logger}
	// Business errors travel in Failer responses, which the server's error
	// handler never sees; log the unexpected ones here.
	encode := func(ctx context.Context, w http.ResponseWriter, response any) error {
		if f, ok := response.(kitx.Failer); ok && f.Failed() != nil {
			errLog.Handle(ctx, f.Failed())
		}
		return kitx.EncodeJSONResponse(ctx, w, response)
	}
	server := func(e endpoint.Endpoint, dec kithttp.DecodeRequestFunc) http.Handler {
		return kithttp.NewServer(e, dec, encode, opts...)
	}
	handlers := map[string]http.Handler{
		EndpointLogin: server(set.Login, func(ctx context.Context, r *http.Request) (any, error) {
			var in LoginInput
			if err := kitx.DecodeJSON(r, &in); err != nil {
				return nil, err
			}
			return loginRequest{Input: in, RemoteIP: remoteIPFromContext(ctx)}, nil
		}),
		EndpointJWKS: kitx.Route(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/jwk-set+json")
			w.Header().Set("Cache-Control", "public, max-age=300")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			_, _ = w.Write(jwks)
		})),
		EndpointMe: server(set.Me, func(context.Context, *http.Request) (any, error) { return struct{}{}, nil }),
		EndpointCreateAccount: server(set.Create, func(_ context.Context, r *http.Request) (any, error) {
			var in CreateInput
			err := kitx.DecodeJSON(r, &in)
			return in, err
		}),
		EndpointListAccounts: server(set.List, func(_ context.Context, r *http.Request) (any, error) {
			p, err := kitx.ParsePage(r)
			return listRequest{Page: p}, err
		}),
		EndpointGetAccount: server(set.Get, func(_ context.Context, r *http.Request) (any, error) {
			return idRequest{ID: r.PathValue("id")}, nil
		}),
		EndpointUpdateAccount: server(set.Update, func(_ context.Context, r *http.Request) (any, error) {
			pre, in, err := kitx.DecodeUpdate[UpdateInput](r)
			if err != nil {
				return nil, err
			}
			return updateRequest{ID: r.PathValue("id"), IfMatch: pre, Input: in}, nil
		}),
		EndpointResetPassword: server(set.ResetPassword, func(_ context.Context, r *http.Request) (any, error) {
			var in PasswordInput
			if err := kitx.DecodeJSON(r, &in); err != nil {
				return nil, err
			}
			return passwordRequest{ID: r.PathValue("id"), Input: in}, nil
		}),
	}
	mux := http.NewServeMux()
	for _, rt := range Routes() {
		mux.Handle(rt.Method+" "+Prefix+rt.Path, handlers[rt.Name])
	}
	mux.Handle("/", kitx.NotFoundHandler())
	// An outer auth.Authenticate that already decided the request is final
	// (Authenticate runs once per request): a token it refused is never
	// verified again here.
	return auth.Authenticate(verifier)(mux)
}

// errorLogger logs unexpected errors; rejected requests at debug. Errors
// never carry a password: the service's errors are the stable ids above.
type errorLogger struct{ logger *slog.Logger }

func (l errorLogger) Handle(ctx context.Context, err error) {
	if errs.KindOf(err) == errs.Internal && !errors.Is(err, context.Canceled) {
		l.logger.ErrorContext(ctx, "accounts request failed", "err", err)
		return
	}
	l.logger.DebugContext(ctx, "accounts request rejected", "err", err)
}
