package testutil_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/testutil"
)

// recorder is a testing.TB that records Errorf calls instead of failing,
// so a test can assert that CheckOpenAPI fails a bad document (and why).
// The embedded nil TB makes any call CheckOpenAPI must not make (Fatal,
// Skip, ...) panic.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// policy is a two-row table: hq-admin city-wide and district-admin in its
// district may create; everyone but the guard may list.
func policy() auth.Policy {
	return auth.Policy{
		"svc.create": {Roles: map[auth.Role]auth.Scope{
			auth.RoleHQAdmin: auth.ScopeAny, auth.RoleDistrictAdmin: auth.ScopeDistrict,
			auth.RoleGuard: auth.ScopeDeny,
		}},
		"svc.list": {Roles: map[auth.Role]auth.Scope{
			auth.RoleHQAdmin: auth.ScopeAny, auth.RoleDistrictAdmin: auth.ScopeDistrict,
			auth.RoleCompanyAdmin: auth.ScopeCompany, auth.RolePolice: auth.ScopeDistrict,
		}},
	}
}

func routes() []testutil.Route {
	return []testutil.Route{
		{Method: "POST", Path: "/api/v1/things", Endpoint: "svc.create"},
		{Method: "GET", Path: "/api/v1/things", Endpoint: "svc.list"},
		{Method: "POST", Path: "/api/v1/login", Public: true},
	}
}

// goodDoc returns a document that satisfies every rule and every option, as
// a map a case can break before marshalling.
func goodDoc() map[string]any {
	bearer := []any{map[string]any{"bearerAuth": []any{}}}
	protected := func(desc string, roles map[string]any) map[string]any {
		return map[string]any{
			"description":       desc,
			"security":          bearer,
			"x-guildhall-roles": roles,
			"responses":         map[string]any{"200": map[string]any{}, "401": map[string]any{}, "403": map[string]any{}},
		}
	}
	return map[string]any{
		"openapi":  "3.0.3",
		"security": bearer,
		"components": map[string]any{"securitySchemes": map[string]any{
			"bearerAuth": map[string]any{"type": "http", "scheme": "bearer"},
		}},
		"paths": map[string]any{
			"/api/v1/things": map[string]any{
				"parameters": []any{},
				"post": protected("Creates. Allowed roles: hq-admin (any), district-admin (district).",
					map[string]any{"hq-admin": "any", "district-admin": "district"}),
				"get": protected("Lists. Allowed roles: hq-admin (any), district-admin (district), company-admin (company), police (district).",
					map[string]any{"hq-admin": "any", "district-admin": "district", "company-admin": "company", "police": "district"}),
			},
			"/api/v1/login": map[string]any{
				"post": map[string]any{"security": []any{}, "responses": map[string]any{"200": map[string]any{}}},
			},
		},
	}
}

func op(d map[string]any, path, method string) map[string]any {
	return d["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
}

func check(t *testing.T, doc any, rs []testutil.Route, opts ...testutil.Option) []string {
	t.Helper()
	var raw []byte
	switch d := doc.(type) {
	case []byte:
		raw = d
	default:
		var err error
		if raw, err = json.Marshal(d); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	testutil.CheckOpenAPI(rec, raw, rs, policy(), opts...)
	return rec.errs
}

func TestCheckOpenAPIPassesAGoodDocument(t *testing.T) {
	t.Parallel()
	// The good document carries both the inherited-looking global security
	// and per-operation security, so every option but
	// RequireInheritedSecurity applies; a second copy without operation
	// security checks that one.
	all := []testutil.Option{testutil.RequireGlobalBearer(), testutil.RequireOperationSecurity(),
		testutil.RequireRolesText(), testutil.RequireRolesExtension()}
	if errs := check(t, goodDoc(), routes(), all...); len(errs) != 0 {
		t.Errorf("a good document failed: %q", errs)
	}
	d := goodDoc()
	delete(op(d, "/api/v1/things", "post"), "security")
	delete(op(d, "/api/v1/things", "get"), "security")
	if errs := check(t, d, routes(), testutil.RequireInheritedSecurity(), testutil.RequireRolesText()); len(errs) != 0 {
		t.Errorf("a good inheriting document failed: %q", errs)
	}
	// Without a global requirement, per-operation bearer is enough.
	d = goodDoc()
	delete(d, "security")
	if errs := check(t, d, routes(), testutil.RequireOperationSecurity()); len(errs) != 0 {
		t.Errorf("a good per-operation document failed: %q", errs)
	}
}

func TestCheckOpenAPIFailsEachRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		doc   func() any
		rs    []testutil.Route
		opts  []testutil.Option
		error string // a substring of the one error expected
	}{
		{name: "A document that is not JSON fails.",
			doc: func() any { return []byte("{not json") }, error: "not JSON"},
		{name: "A Swagger 2 document fails.",
			doc: func() any { d := goodDoc(); d["openapi"] = "2.0"; return d }, error: `version "2.0"`},
		{name: "A document without the bearer scheme fails.",
			doc: func() any {
				d := goodDoc()
				d["components"] = map[string]any{"securitySchemes": map[string]any{"bearerAuth": map[string]any{"type": "apiKey"}}}
				return d
			}, error: "securitySchemes.bearerAuth"},
		{name: "A route that is not documented fails.",
			doc:   goodDocAny,
			rs:    append(routes(), testutil.Route{Method: "DELETE", Path: "/api/v1/things", Endpoint: "svc.create"}),
			error: "DELETE /api/v1/things is not in openapi.json"},
		{name: "A route listed twice fails.",
			doc: goodDocAny, rs: append(routes(), routes()[0]), error: "listed twice"},
		{name: "An operation the service does not serve fails.",
			doc: goodDocAny, rs: routes()[1:], error: "documents POST /api/v1/things, which the service does not serve"},
		{name: "A path item key that is neither operation nor field fails.",
			doc: func() any {
				d := goodDoc()
				d["paths"].(map[string]any)["/api/v1/login"].(map[string]any)["gett"] = map[string]any{}
				return d
			}, error: `has "gett"`},
		{name: "An operation that is not an object fails.",
			doc: func() any {
				d := goodDoc()
				d["paths"].(map[string]any)["/api/v1/login"].(map[string]any)["post"] = "login"
				return d
			}, error: "not an OpenAPI operation"},
		{name: "A protected operation without 401 fails.",
			doc: func() any {
				d := goodDoc()
				delete(op(d, "/api/v1/things", "get")["responses"].(map[string]any), "401")
				return d
			}, error: "GET /api/v1/things documents no 401"},
		{name: "A protected operation without 403 fails.",
			doc: func() any {
				d := goodDoc()
				delete(op(d, "/api/v1/things", "post")["responses"].(map[string]any), "403")
				return d
			}, error: "POST /api/v1/things documents no 403"},
		{name: "A protected operation marked anonymous fails.",
			doc: func() any {
				d := goodDoc()
				op(d, "/api/v1/things", "get")["security"] = []any{}
				return d
			}, error: "GET /api/v1/things security = []"},
		{name: "A protected operation with no security of its own and none global fails.",
			doc: func() any {
				d := goodDoc()
				delete(d, "security")
				delete(op(d, "/api/v1/things", "get"), "security")
				return d
			}, error: "GET /api/v1/things requires no bearer token"},
		{name: "A public operation that requires the token fails.",
			doc: func() any {
				d := goodDoc()
				delete(op(d, "/api/v1/login", "post"), "security")
				return d
			}, error: "POST /api/v1/login is public"},
		{name: "RequireGlobalBearer fails a document without global security.",
			doc:  func() any { d := goodDoc(); delete(d, "security"); return d },
			opts: []testutil.Option{testutil.RequireGlobalBearer()}, error: "document security absent"},
		{name: "RequireGlobalBearer fails a null bearer requirement.",
			doc: func() any {
				d := goodDoc()
				d["security"] = []any{map[string]any{"bearerAuth": nil}}
				return d
			},
			opts: []testutil.Option{testutil.RequireGlobalBearer()}, error: "document security"},
		{name: "RequireInheritedSecurity fails an operation with its own security.",
			doc: func() any {
				d := goodDoc()
				delete(op(d, "/api/v1/things", "post"), "security")
				return d
			},
			opts: []testutil.Option{testutil.RequireInheritedSecurity()}, error: "GET /api/v1/things overrides the bearer requirement"},
		{name: "RequireOperationSecurity fails an operation that inherits.",
			doc: func() any {
				d := goodDoc()
				delete(op(d, "/api/v1/things", "post"), "security")
				return d
			},
			opts: []testutil.Option{testutil.RequireOperationSecurity()}, error: "POST /api/v1/things security = absent"},
		{name: "A protected route without a policy row fails.",
			doc:   goodDocAny,
			rs:    []testutil.Route{{Method: "GET", Path: "/api/v1/things", Endpoint: "svc.nope"}, routes()[0], routes()[2]},
			error: `endpoint "svc.nope" has no policy row`},
		{name: "RequireRolesText fails a description that lists a role the policy denies.",
			doc: func() any {
				d := goodDoc()
				op(d, "/api/v1/things", "post")["description"] = "Allowed roles: hq-admin (any), district-admin (district), guard (self)."
				return d
			},
			opts: []testutil.Option{testutil.RequireRolesText()}, error: `does not say "Allowed roles: hq-admin (any), district-admin (district)."`},
		{name: "RequireRolesText fails a description with the wrong scope.",
			doc: func() any {
				d := goodDoc()
				op(d, "/api/v1/things", "post")["description"] = "Allowed roles: hq-admin (any), district-admin (any)."
				return d
			},
			opts: []testutil.Option{testutil.RequireRolesText()}, error: "POST /api/v1/things: description"},
		{name: "RequireRolesExtension fails x-guildhall-roles that differ from the row.",
			doc: func() any {
				d := goodDoc()
				op(d, "/api/v1/things", "post")["x-guildhall-roles"] = map[string]any{"hq-admin": "any"}
				return d
			},
			opts: []testutil.Option{testutil.RequireRolesExtension()}, error: "x-guildhall-roles = map[hq-admin:any]"},
		{name: "RequireRolesExtension fails a missing x-guildhall-roles.",
			doc: func() any {
				d := goodDoc()
				delete(op(d, "/api/v1/things", "get"), "x-guildhall-roles")
				return d
			},
			opts: []testutil.Option{testutil.RequireRolesExtension()}, error: "GET /api/v1/things: x-guildhall-roles = map[]"},
		{name: "RequireRolesExtension fails x-guildhall-roles that are not a map.",
			doc: func() any {
				d := goodDoc()
				op(d, "/api/v1/things", "get")["x-guildhall-roles"] = []any{"hq-admin"}
				return d
			},
			opts: []testutil.Option{testutil.RequireRolesExtension()}, error: "not a map of role to scope"},
		{name: "RequireRolesExtension fails a description that does not name an allowed role.",
			doc: func() any {
				d := goodDoc()
				op(d, "/api/v1/things", "get")["description"] = "Lists things for hq-admin, district-admin and company-admin."
				return d
			},
			opts: []testutil.Option{testutil.RequireRolesExtension()}, error: "does not name the allowed role police"},
	}
	for _, tt := range tests {
		rs := tt.rs
		if rs == nil {
			rs = routes()
		}
		errs := check(t, tt.doc(), rs, tt.opts...)
		if len(errs) != 1 || !strings.Contains(errs[0], tt.error) {
			t.Errorf("%s\n  errors %q, want exactly one containing %q", tt.name, errs, tt.error)
		}
	}
}

func goodDocAny() any { return goodDoc() }
