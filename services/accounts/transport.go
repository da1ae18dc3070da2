package accounts

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

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

// Route is one HTTP route of the package, as the matrix tests walk them.
type Route struct {
	// Method is the HTTP method.
	Method string
	// Pattern is the full path pattern, e.g. "/api/v1/auth/accounts/{id}".
	Pattern string
	// Endpoint is the route's row in Policy, e.g. "accounts.get_account";
	// the row a public route would have, were it protected.
	Endpoint string
	// Public routes (login, JWKS) are open to anonymous callers and have
	// no policy row; every other route is checked against Policy.
	Public bool
}

// Routes lists every route the handler serves, from the route table, for
// the OpenAPI test and the city-wide authorization matrix.
func Routes() []Route {
	var out []Route
	for _, r := range routeTable(nil, nil) {
		out = append(out, Route{Method: r.Method, Pattern: r.Path, Endpoint: r.PolicyKey(ServiceName), Public: r.Public})
	}
	return out
}

// Policy returns the policy table of this package's endpoints: account
// management is hq-admin's alone; /me is open to every authenticated role.
// It is read from the route table, built fresh on each call so no caller
// can change another's table.
func Policy() auth.Policy { return kitx.Policy(ServiceName, routeTable(nil, nil)) }

// admin is the row of the management routes: hq-admin's alone.
func admin() auth.Rule {
	return auth.Rule{Roles: map[auth.Role]auth.Scope{auth.RoleHQAdmin: auth.ScopeAny}}
}

// everyone is the row of /me: every authenticated role.
func everyone() auth.Rule {
	r := auth.Rule{Roles: map[auth.Role]auth.Scope{}}
	for _, role := range auth.Roles {
		r.Roles[role] = auth.ScopeAny
	}
	return r
}

// routeTable is THE table of the accounts routes: every route once, with
// its request and response types (the OpenAPI document is generated from
// them), its policy row, its decoder and its endpoint. s and jwks may be
// nil: the document generator and the tests read the table without a
// service, and nothing in a row is called until a request arrives.
func routeTable(s *service, jwks []byte) []kitx.Route {
	p := func(path string) string { return Prefix + path }
	accountFields := []*errs.Error{ErrRoleInvalid, ErrDistrictInvalid, ErrScopeMismatch, ErrScopeFieldTooLong}
	return []kitx.Route{
		{Name: EndpointLogin, Method: "POST", Path: p("/login"), Tag: "auth", Public: true,
			Summary: "Sign in with a username and password; returns a bearer token",
			Description: "Failed logins are limited per minute (429 auth.too_many_attempts with Retry-After): 5 per account from one " +
				"address, 20 per account from all addresses, 100 per address over all accounts. A wrong password, an unknown " +
				"username and a disabled account all answer 401 auth.login_failed.",
			Request: LoginInput{}, Response: loginResponse{}, ResponseHeaders: []string{"Cache-Control"},
			Errors: []*errs.Error{ErrLoginFailed, auth.ErrTooManyAttempts},
			Decode: func(ctx context.Context, r *http.Request) (any, error) {
				var in LoginInput
				if err := kitx.DecodeJSON(r, &in); err != nil {
					return nil, err
				}
				return loginRequest{Input: in, RemoteIP: remoteIPFromContext(ctx)}, nil
			},
			Endpoint: func(ctx context.Context, request any) (any, error) {
				req := request.(loginRequest)
				token, exp, err := s.Login(ctx, req.Input, req.RemoteIP)
				if err != nil {
					return loginResponse{err: err}, nil
				}
				return loginResponse{Token: token, ExpiresAt: exp.UTC().Format(time.RFC3339)}, nil
			}},
		{Name: EndpointJWKS, Method: "GET", Path: p("/jwks.json"), Tag: "auth", Public: true,
			Summary:  "The issuer's public keys (JWK set), to verify its tokens",
			Response: jwkSet{}, ResponseContentType: "application/jwk-set+json",
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/jwk-set+json")
				w.Header().Set("Cache-Control", "public, max-age=300")
				w.Header().Set("X-Content-Type-Options", "nosniff")
				_, _ = w.Write(jwks)
			})},
		{Name: EndpointMe, Method: "GET", Path: p("/me"), Tag: "auth", Summary: "Who the token says you are",
			Response: meResponse{}, Rule: everyone(),
			Decode: func(context.Context, *http.Request) (any, error) { return struct{}{}, nil },
			Endpoint: func(ctx context.Context, _ any) (any, error) {
				p, err := auth.RequirePrincipal(ctx)
				if err != nil {
					return nil, err
				}
				d := p.Districts
				if d == nil {
					d = []string{}
				}
				return meResponse{Subject: p.Subject, Role: p.Role, Districts: d, Company: p.Company, Guard: p.Guard}, nil
			}},
		{Name: EndpointCreateAccount, Method: "POST", Path: p("/accounts"), Tag: "accounts", Summary: "Create an account",
			Request: CreateInput{}, Response: Account{}, Status: http.StatusCreated, ResponseHeaders: []string{"Location", "ETag", "Cache-Control"},
			Errors: append([]*errs.Error{ErrUsernameInvalid, ErrUsernameTaken, ErrPasswordTooShort, ErrPasswordTooLong}, accountFields...),
			Rule:   admin(),
			Decode: func(_ context.Context, r *http.Request) (any, error) {
				var in CreateInput
				err := kitx.DecodeJSON(r, &in)
				return in, err
			},
			Endpoint: func(ctx context.Context, request any) (any, error) {
				a, err := s.Create(ctx, request.(CreateInput))
				return accountResponse{Account: a, created: err == nil, err: err}, nil
			}},
		{Name: EndpointListAccounts, Method: "GET", Path: p("/accounts"), Tag: "accounts", Summary: "List the accounts",
			Response: kitx.ListResponse[Account]{}, Paged: true, Rule: admin(),
			Decode: func(_ context.Context, r *http.Request) (any, error) {
				p, err := kitx.ParsePage(r)
				return listRequest{Page: p}, err
			},
			Endpoint: func(ctx context.Context, request any) (any, error) {
				items, next, err := s.List(ctx, request.(listRequest).Page)
				return listResponse{Items: items, NextPageToken: kitx.PageToken(next), err: err}, nil
			}},
		{Name: EndpointGetAccount, Method: "GET", Path: p("/accounts/{id}"), Tag: "accounts", Summary: "Read an account",
			Response: Account{}, ResponseHeaders: []string{"ETag", "Cache-Control"}, Errors: []*errs.Error{ErrAccountNotFound}, Rule: admin(),
			Decode: func(_ context.Context, r *http.Request) (any, error) {
				return idRequest{ID: r.PathValue("id")}, nil
			},
			Endpoint: func(ctx context.Context, request any) (any, error) {
				a, err := s.Get(ctx, request.(idRequest).ID)
				return accountResponse{Account: a, err: err}, nil
			}},
		{Name: EndpointUpdateAccount, Method: "PATCH", Path: p("/accounts/{id}"), Tag: "accounts",
			Summary: "Change an account's role, scope or disabled flag",
			Description: "Fields absent or null stay as they are. The resulting role and scope must fit together, so changing the " +
				"role usually changes the scope in the same request (e.g. \"districts\": [] when promoting to hq-admin). Disabling " +
				"or re-scoping an account ends its tokens on the next request.",
			Request: UpdateInput{}, Response: Account{}, IfMatch: true, ResponseHeaders: []string{"ETag", "Cache-Control"},
			Errors: append([]*errs.Error{ErrAccountNotFound, ErrLastAdmin, ErrUpdateEmpty}, accountFields...), Rule: admin(),
			Decode: func(_ context.Context, r *http.Request) (any, error) {
				pre, in, err := kitx.DecodeUpdate[UpdateInput](r)
				if err != nil {
					return nil, err
				}
				return updateRequest{ID: r.PathValue("id"), IfMatch: pre, Input: in}, nil
			},
			Endpoint: func(ctx context.Context, request any) (any, error) {
				req := request.(updateRequest)
				a, err := s.Update(ctx, req.ID, req.IfMatch, req.Input)
				return accountResponse{Account: a, err: err}, nil
			}},
		{Name: EndpointResetPassword, Method: "POST", Path: p("/accounts/{id}/password"), Tag: "accounts", Summary: "Set a new password",
			Request: PasswordInput{}, Status: http.StatusNoContent,
			Errors: []*errs.Error{ErrAccountNotFound, ErrPasswordTooShort, ErrPasswordTooLong}, Rule: admin(),
			Decode: func(_ context.Context, r *http.Request) (any, error) {
				var in PasswordInput
				if err := kitx.DecodeJSON(r, &in); err != nil {
					return nil, err
				}
				return passwordRequest{ID: r.PathValue("id"), Input: in}, nil
			},
			Endpoint: func(ctx context.Context, request any) (any, error) {
				req := request.(passwordRequest)
				return noContentResponse{err: s.ResetPassword(ctx, req.ID, req.Input)}, nil
			}},
	}
}

// API describes the accounts routes for their OpenAPI document
// (pkg/apidoc): the route table, read without a service.
func API() kitx.API {
	roles := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		roles[i] = string(r)
	}
	return kitx.API{
		Service: ServiceName, Title: "Guildhall accounts API", Version: "v1",
		Description: "The guildhall binary's built-in sign-in and its local accounts. Production deployments sign in through " +
			"an external OIDC issuer instead and do not serve these routes. Login and the JWKS are public; every other route " +
			"needs a bearer token that counts only while its account is enabled and has the role and scope it names.",
		Tags: []kitx.Tag{
			{Name: "auth", Description: "Signing in and the issuer's keys"},
			{Name: "accounts", Description: "Account management (hq-admin)"},
		},
		Routes: routeTable(nil, nil),
		Enums:  []kitx.Enum{{Type: auth.Role(""), Values: roles}},
	}
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

// SchemaName names the type in the OpenAPI document.
func (loginResponse) SchemaName() string { return "LoginResponse" }

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

// jwkSet is the JWKS document, for the OpenAPI document: the keys are the
// issuer's public JWKs (RFC 7517).
type jwkSet struct {
	Keys []map[string]any `json:"keys"`
}

// SchemaName names the type in the OpenAPI document.
func (jwkSet) SchemaName() string { return "JWKSet" }

func (r noContentResponse) Failed() error   { return r.err }
func (r noContentResponse) StatusCode() int { return http.StatusNoContent }

// SchemaName names the type in the OpenAPI document.
func (meResponse) SchemaName() string { return "Principal" }

type meResponse struct {
	Subject   string    `json:"subject"`
	Role      auth.Role `json:"role"`
	Districts []string  `json:"districts"`
	Company   string    `json:"company"`
	Guard     string    `json:"guard"`
}

// ---- HTTP ----

// newHTTPHandler serves the chained route table under Prefix. Requests
// are authenticated with verifier unless an outer auth.Authenticate has
// already decided them.
func newHTTPHandler(routes []kitx.Route, verifier auth.Verifier, trustProxy bool, logger *slog.Logger) http.Handler {
	errLog := errorLogger{logger}
	// Business errors travel in Failer responses, which the server's error
	// handler never sees; log the unexpected ones here.
	encode := func(ctx context.Context, w http.ResponseWriter, response any) error {
		if f, ok := response.(kitx.Failer); ok && f.Failed() != nil {
			errLog.Handle(ctx, f.Failed())
		}
		return kitx.EncodeJSONResponse(ctx, w, response)
	}
	mux := http.NewServeMux()
	kitx.MountWith(mux, routes, encode,
		kithttp.ServerErrorHandler(errLog),
		kithttp.ServerBefore(func(ctx context.Context, r *http.Request) context.Context {
			return withRemoteIP(ctx, kitx.ClientIP(r, trustProxy))
		}),
	)
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
