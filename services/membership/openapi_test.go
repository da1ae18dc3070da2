package membership_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/membership"
)

// TestOpenAPIDocumentsRoutesAndAuthorization checks openapi.json against
// the routes the service serves and the policy table: OpenAPI 3.x JSON,
// every route documented and nothing else, a bearer scheme required at the
// document level and inherited (never overridden) by every operation, a 401
// and a 403 on each, and each description naming exactly the roles (with
// their scope) that Policy allows on it.
func TestOpenAPIDocumentsRoutesAndAuthorization(t *testing.T) {
	var routes []testutil.Route
	for _, rt := range membership.Routes() {
		routes = append(routes, testutil.Route{Method: rt.Method, Path: rt.Pattern, Endpoint: rt.Endpoint})
	}
	if len(routes) == 0 {
		t.Fatal("membership.Routes() is empty")
	}
	testutil.CheckOpenAPI(t, membership.OpenAPIDocument(), routes, membership.Policy(),
		testutil.RequireInheritedSecurity(), testutil.RequireRolesText())
}
