package accounts

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
)

// TestOpenAPIDocumentIsGenerated fails when the committed openapi.json is
// not what the route table generates (make openapi rewrites it).
func TestOpenAPIDocumentIsGenerated(t *testing.T) {
	t.Parallel()
	testutil.CheckGenerated(t, OpenAPIDocument(), API())
}

// TestOpenAPIDocumentsEveryRoute checks openapi.json against the routes the
// handler serves and the policy table: OpenAPI 3.x JSON, every route
// documented and nothing else, a bearer scheme required at the document
// level and inherited by every protected operation (login and JWKS are
// public and must stay anonymous), a 401 and a 403 on each, and each
// operation naming exactly the roles its policy row allows.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	var routes []testutil.Route
	for _, rt := range Routes() {
		r := testutil.Route{Method: rt.Method, Path: rt.Pattern, Public: rt.Public}
		if !rt.Public {
			r.Endpoint = rt.Endpoint
		}
		routes = append(routes, r)
	}
	if len(routes) == 0 {
		t.Fatal("Routes() is empty")
	}
	testutil.CheckOpenAPI(t, OpenAPIDocument(), routes, Policy(),
		testutil.RequireInheritedSecurity(), testutil.RequireRolesText(), testutil.RequireRolesExtension())
}
