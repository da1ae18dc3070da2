package accounts

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
)

// TestOpenAPIDocumentsEveryRoute checks openapi.json against the routes the
// handler serves and the policy table: OpenAPI 3.x JSON, every route
// documented and nothing else, every protected operation declaring the
// bearer requirement itself (the document has no global one, login and
// JWKS are public and must stay anonymous), a 401 and a 403 on each, and a
// policy row behind each.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var routes []testutil.Route
	for _, rt := range Routes() {
		r := testutil.Route{Method: rt.Method, Path: Prefix + rt.Path, Public: rt.Public}
		if !rt.Public {
			r.Endpoint = rt.PolicyKey()
		}
		routes = append(routes, r)
	}
	if len(routes) == 0 {
		t.Fatal("Routes() is empty")
	}
	testutil.CheckOpenAPI(t, OpenAPIDocument(), routes, Policy(), testutil.RequireOperationSecurity())
}
