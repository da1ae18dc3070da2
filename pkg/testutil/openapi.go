// Package testutil holds helpers shared by the services' tests, so a check
// every service makes is written (and fixed) once.
package testutil

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// BearerScheme is the name of the security scheme every Guildhall document
// declares for its JWT bearer tokens.
const BearerScheme = "bearerAuth"

// Route is one route a service serves, as the OpenAPI document must
// describe it: a service's Routes() (kitx.API.RouteInfos) passes as is.
type Route = kitx.RouteInfo

// Option adds a service-specific rule to CheckOpenAPI.
type Option func(*options)

type options struct {
	globalBearer   bool
	inherit        bool
	declare        bool
	rolesText      bool
	rolesExtension bool
}

// RequireGlobalBearer makes the document-level security exactly one
// requirement naming BearerScheme.
func RequireGlobalBearer() Option {
	return func(o *options) { o.globalBearer = true }
}

// RequireInheritedSecurity makes every protected operation inherit the
// document-level bearer requirement: an operation that carries its own
// security is an error (a copy can drift from the global one). It implies
// RequireGlobalBearer.
func RequireInheritedSecurity() Option {
	return func(o *options) { o.inherit, o.globalBearer = true, true }
}

// RequireOperationSecurity makes every protected operation declare its own
// security, exactly one requirement naming BearerScheme, whatever the
// document-level security says.
func RequireOperationSecurity() Option {
	return func(o *options) { o.declare = true }
}

// RequireRolesText makes each protected operation's description contain
// "Allowed roles: hq-admin (any), district-admin (district)." listing, in
// auth.Roles order, every role its policy row does not deny, with its scope.
func RequireRolesText() Option {
	return func(o *options) { o.rolesText = true }
}

// RequireRolesExtension makes each protected operation carry
// x-guildhall-roles, a map from role to scope equal to the non-denied part
// of its policy row, and a description that names every allowed role.
func RequireRolesExtension() Option {
	return func(o *options) { o.rolesExtension = true }
}

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// pathFields are the path item keys that are not operations.
var pathFields = []string{"summary", "description", "servers", "parameters", "$ref"}

type operation struct {
	Description string                     `json:"description"`
	Responses   map[string]json.RawMessage `json:"responses"`
	// Security stays nil when the key is absent and is a non-nil empty
	// slice for "security": [], which is how a document marks an
	// operation anonymous.
	Security *[]map[string][]string `json:"security"`
	Roles    json.RawMessage        `json:"x-guildhall-roles"`
}

// CheckOpenAPI reports through t.Errorf every way doc disagrees with the
// routes a service serves and the policy that guards them: doc must be JSON
// of OpenAPI 3.x with an http bearer scheme named BearerScheme; every route
// must be documented and every documented operation served (and a path item
// holds nothing but operations and the standard path fields); every
// protected operation must require the bearer token, document 401 and 403
// and have a row in policy (when policy is not nil); a public operation must
// not require a token. opts add the per-service rules (document-level
// security, how operations carry it, how allowed roles are written). It
// never calls t.Fatal, so one run lists every problem.
func CheckOpenAPI(t testing.TB, doc []byte, routes []Route, policy auth.Policy, opts ...Option) {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var d struct {
		OpenAPI    string                                `json:"openapi"`
		Security   *[]map[string][]string                `json:"security"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct{ Type, Scheme string } `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Errorf("openapi.json is not JSON: %v", err)
		return
	}
	if !strings.HasPrefix(d.OpenAPI, "3.") {
		t.Errorf("openapi version %q, want 3.x", d.OpenAPI)
	}
	if s, ok := d.Components.SecuritySchemes[BearerScheme]; !ok || s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("securitySchemes.%s = %+v, want an http bearer scheme", BearerScheme, s)
	}
	globalBearer := d.Security != nil && isBearer(*d.Security)
	if o.globalBearer && !globalBearer {
		t.Errorf("document security %v, want exactly [{%s: []}]", deref(d.Security), BearerScheme)
	}

	served := map[string]bool{}
	for _, rt := range routes {
		method := strings.ToLower(rt.Method)
		name := strings.ToUpper(rt.Method) + " " + rt.Path
		if served[method+" "+rt.Path] {
			t.Errorf("route %s is listed twice", name)
			continue
		}
		served[method+" "+rt.Path] = true
		raw, ok := d.Paths[rt.Path][method]
		if !ok {
			t.Errorf("route %s is not in openapi.json", name)
			continue
		}
		var op operation
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Errorf("%s: operation is not an OpenAPI operation: %v", name, err)
			continue
		}
		if rt.Public {
			checkPublic(t, name, op, d.Security)
			continue
		}
		checkProtected(t, name, op, globalBearer, o)
		checkRoles(t, name, rt.Endpoint, op, policy, o)
	}

	// And the document describes nothing the service does not serve.
	for _, path := range slices.Sorted(maps.Keys(d.Paths)) {
		for _, key := range slices.Sorted(maps.Keys(d.Paths[path])) {
			switch {
			case slices.Contains(httpMethods, key):
				if !served[key+" "+path] {
					t.Errorf("openapi.json documents %s %s, which the service does not serve", strings.ToUpper(key), path)
				}
			case !slices.Contains(pathFields, key):
				t.Errorf("openapi.json path %s has %q, neither an operation nor a path field", path, key)
			}
		}
	}
}

// checkPublic: an anonymous operation must not end up requiring a token,
// either by its own security or by inheriting the document's.
func checkPublic(t testing.TB, name string, op operation, global *[]map[string][]string) {
	t.Helper()
	effective := global
	if op.Security != nil {
		effective = op.Security
	}
	if effective != nil && len(*effective) > 0 && !slices.ContainsFunc(*effective, func(r map[string][]string) bool { return len(r) == 0 }) {
		t.Errorf("%s is public but its security %v requires a token", name, *effective)
	}
}

// checkProtected: the bearer token is required (as the options say it must
// be carried) and 401 and 403 are documented.
func checkProtected(t testing.TB, name string, op operation, globalBearer bool, o options) {
	t.Helper()
	switch {
	case o.inherit && op.Security != nil:
		t.Errorf("%s overrides the bearer requirement with %v", name, *op.Security)
	case o.declare && (op.Security == nil || !isBearer(*op.Security)):
		t.Errorf("%s security = %v, want exactly [{%s: []}]", name, deref(op.Security), BearerScheme)
	case op.Security == nil && !globalBearer:
		t.Errorf("%s requires no bearer token (no security, and the document's is not bearer)", name)
	case op.Security != nil && !isBearer(*op.Security):
		t.Errorf("%s security = %v, want exactly [{%s: []}]", name, *op.Security, BearerScheme)
	}
	for _, code := range []string{"401", "403"} {
		if op.Responses[code] == nil {
			t.Errorf("%s documents no %s", name, code)
		}
	}
}

// checkRoles compares the documented allowed roles with the policy row.
func checkRoles(t testing.TB, name, endpoint string, op operation, policy auth.Policy, o options) {
	t.Helper()
	if policy == nil {
		return
	}
	row, ok := policy[endpoint]
	if !ok {
		t.Errorf("%s: endpoint %q has no policy row", name, endpoint)
		return
	}
	if o.rolesText {
		var parts []string
		for _, r := range auth.Roles {
			if s := row.Roles[r]; s != auth.ScopeDeny {
				parts = append(parts, string(r)+" ("+s.String()+")")
			}
		}
		want := "Allowed roles: " + strings.Join(parts, ", ") + "."
		if !strings.Contains(op.Description, want) {
			t.Errorf("%s: description %q does not say %q", name, op.Description, want)
		}
	}
	if o.rolesExtension {
		want := map[string]string{}
		for role, scope := range row.Roles {
			if scope != auth.ScopeDeny {
				want[string(role)] = scope.String()
			}
		}
		var got map[string]string
		if len(op.Roles) > 0 {
			if err := json.Unmarshal(op.Roles, &got); err != nil {
				t.Errorf("%s: x-guildhall-roles is not a map of role to scope: %v", name, err)
				return
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: x-guildhall-roles = %v, the policy row %v", name, got, want)
		}
		for _, role := range slices.Sorted(maps.Keys(want)) {
			if !strings.Contains(op.Description, role) {
				t.Errorf("%s: description does not name the allowed role %s", name, role)
			}
		}
	}
}

// isBearer reports whether a security list is exactly one requirement
// naming BearerScheme.
func isBearer(sec []map[string][]string) bool {
	if len(sec) != 1 {
		return false
	}
	// A null list (bearerAuth: null) is not a requirement.
	return sec[0][BearerScheme] != nil
}

// deref prints an absent security list as "absent" rather than "[]", which
// would read as the explicit anonymous list.
func deref(sec *[]map[string][]string) string {
	if sec == nil {
		return "absent"
	}
	return fmt.Sprint(*sec)
}
