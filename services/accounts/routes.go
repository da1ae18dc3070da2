package accounts

import (
	"net/http"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/accounts/internal/endpoints"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
	t "github.com/guildhall/guildhall/services/accounts/internal/transport"
)

// Prefix is the path prefix of every accounts route.
const Prefix = t.Prefix

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

// routeTable is THE table of the accounts routes: every route once, with
// its request and response types (the OpenAPI document is generated from
// them), its policy row, its decoder and its endpoint. svc and jwks may be
// nil: the document generator and the tests read the table without a
// service, and nothing in a row is called until a request arrives.
//
// The policy: login and the JWKS are public; account management is
// hq-admin's alone; /me is open to every authenticated role.
func routeTable(svc service.Service, jwks []byte) []kitx.Route {
	p := func(path string) string { return Prefix + path }
	accountFields := []*errs.Error{service.ErrRoleInvalid, service.ErrDistrictInvalid, service.ErrScopeMismatch, service.ErrScopeFieldTooLong}
	return []kitx.Route{
		{Name: EndpointLogin, Method: "POST", Path: p("/login"), Tag: "auth", Public: true,
			Summary: "Sign in with a username and password; returns a bearer token",
			Description: "Failed logins are limited per minute (429 auth.too_many_attempts with Retry-After): 5 per account from one " +
				"address, 20 per account from all addresses, 100 per address over all accounts. A wrong password, an unknown " +
				"username and a disabled account all answer 401 auth.login_failed.",
			Request: service.LoginInput{}, Response: endpoints.LoginResponse{}, ResponseHeaders: []string{"Cache-Control"},
			Errors: []*errs.Error{service.ErrLoginFailed, auth.ErrTooManyAttempts},
			Decode: t.DecodeLogin, Endpoint: endpoints.MakeLoginEndpoint(svc)},
		{Name: EndpointJWKS, Method: "GET", Path: p("/jwks.json"), Tag: "auth", Public: true,
			Summary:  "The issuer's public keys (JWK set), to verify its tokens",
			Response: endpoints.JWKSet{}, ResponseContentType: "application/jwk-set+json",
			Handler: t.JWKSHandler(jwks)},
		{Name: EndpointMe, Method: "GET", Path: p("/me"), Tag: "auth", Summary: "Who the token says you are",
			Response: endpoints.MeResponse{}, Rule: everyone(),
			Decode: t.DecodeNone, Endpoint: endpoints.MakeMeEndpoint()},
		{Name: EndpointCreateAccount, Method: "POST", Path: p("/accounts"), Tag: "accounts", Summary: "Create an account",
			Request: service.CreateInput{}, Response: service.Account{}, Status: http.StatusCreated, ResponseHeaders: []string{"Location", "ETag", "Cache-Control"},
			Errors: append([]*errs.Error{service.ErrUsernameInvalid, service.ErrUsernameTaken, service.ErrPasswordTooShort, service.ErrPasswordTooLong,
				service.ErrScopeUnknown, service.ErrDirectoryUnavailable}, accountFields...),
			Rule: admin(), Decode: t.DecodeCreate, Endpoint: endpoints.MakeCreateAccountEndpoint(svc, Prefix)},
		{Name: EndpointListAccounts, Method: "GET", Path: p("/accounts"), Tag: "accounts", Summary: "List the accounts",
			Response: kitx.ListResponse[service.Account]{}, Paged: true, Rule: admin(),
			Decode: t.DecodeList, Endpoint: endpoints.MakeListAccountsEndpoint(svc)},
		{Name: EndpointGetAccount, Method: "GET", Path: p("/accounts/{id}"), Tag: "accounts", Summary: "Read an account",
			Response: service.Account{}, ResponseHeaders: []string{"ETag", "Cache-Control"}, Errors: []*errs.Error{service.ErrAccountNotFound}, Rule: admin(),
			Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetAccountEndpoint(svc)},
		{Name: EndpointUpdateAccount, Method: "PATCH", Path: p("/accounts/{id}"), Tag: "accounts",
			Summary: "Change an account's role, scope or disabled flag",
			Description: "Fields absent or null stay as they are. The resulting role and scope must fit together, so changing the " +
				"role usually changes the scope in the same request (e.g. \"districts\": [] when promoting to hq-admin). Disabling " +
				"or re-scoping an account ends its tokens on the next request. A new scope must name what exists, as at creation " +
				"(account.scope_unknown; account.directory_unavailable when that cannot be checked).",
			Request: service.UpdateInput{}, Response: service.Account{}, IfMatch: true, ResponseHeaders: []string{"ETag", "Cache-Control"},
			Errors: append([]*errs.Error{service.ErrAccountNotFound, service.ErrLastAdmin, service.ErrUpdateEmpty,
				service.ErrScopeUnknown, service.ErrDirectoryUnavailable}, accountFields...), Rule: admin(),
			Decode: kitx.DecodeUpdateRequest[service.UpdateInput], Endpoint: endpoints.MakeUpdateAccountEndpoint(svc)},
		{Name: EndpointResetPassword, Method: "POST", Path: p("/accounts/{id}/password"), Tag: "accounts", Summary: "Set a new password",
			Request: service.PasswordInput{}, Status: http.StatusNoContent,
			Errors: []*errs.Error{service.ErrAccountNotFound, service.ErrPasswordTooShort, service.ErrPasswordTooLong}, Rule: admin(),
			Decode: t.DecodePassword, Endpoint: endpoints.MakeResetPasswordEndpoint(svc)},
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
