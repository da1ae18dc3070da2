package membership_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/membership"
)

// TestOpenAPIDocumentIsGenerated fails when the committed openapi.json is
// not what the route table generates (make openapi rewrites it).
func TestOpenAPIDocumentIsGenerated(t *testing.T) {
	t.Parallel()
	testutil.CheckGenerated(t, membership.OpenAPIDocument(), membership.API())
}

// TestOpenAPIDocumentsRoutesAndAuthorization checks openapi.json against
// the routes the service serves and the policy table: OpenAPI 3.x JSON,
// every route documented and nothing else, a bearer scheme required at the
// document level and inherited (never overridden) by every operation, a 401
// and a 403 on each, and each operation naming exactly the roles (with
// their scope) that Policy allows on it, in its description and in
// x-guildhall-roles.
func TestOpenAPIDocumentsRoutesAndAuthorization(t *testing.T) {
	t.Parallel()
	var routes []testutil.Route
	for _, rt := range membership.Routes() {
		routes = append(routes, testutil.Route{Method: rt.Method, Path: rt.Pattern, Endpoint: rt.Endpoint})
	}
	if len(routes) == 0 {
		t.Fatal("membership.Routes() is empty")
	}
	testutil.CheckOpenAPI(t, membership.OpenAPIDocument(), routes, membership.Policy(),
		testutil.RequireInheritedSecurity(), testutil.RequireRolesText(), testutil.RequireRolesExtension())
}
