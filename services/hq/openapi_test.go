package hq

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
)

// TestOpenAPIDocumentIsGenerated fails when the committed openapi.json is
// not what the route table generates (make openapi rewrites it).
func TestOpenAPIDocumentIsGenerated(t *testing.T) {
	t.Parallel()
	testutil.CheckGenerated(t, openAPI, API())
}

// TestOpenAPIDocumentsRoutesAndAuthorization checks the document against
// the routes the handler serves and the policy table: OpenAPI 3.x JSON,
// every route documented and nothing else (one path may carry several
// methods: GET and PUT /api/v1/hq/convention), a bearer scheme required at
// the document level and inherited by every operation, a 401 and a 403 on
// each, and each operation naming exactly the roles (with their scope)
// that Policy allows on it, in its description and in x-guildhall-roles.
func TestOpenAPIDocumentsRoutesAndAuthorization(t *testing.T) {
	t.Parallel()
	var routes []testutil.Route
	for _, r := range Routes() {
		routes = append(routes, testutil.Route{Method: r.Method, Path: r.Pattern, Endpoint: r.Endpoint})
	}
	if len(routes) == 0 {
		t.Fatal("Routes() is empty")
	}
	testutil.CheckOpenAPI(t, openAPI, routes, Policy(),
		testutil.RequireInheritedSecurity(), testutil.RequireRolesText(), testutil.RequireRolesExtension())
}
