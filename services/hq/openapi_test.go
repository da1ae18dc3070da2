package hq

import (
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
)

// TestOpenAPIDocumentsRoutesAndAuthorization checks the document against
// the routes the handler serves and the policy table: OpenAPI 3.x JSON,
// every route documented and nothing else (one path may carry several
// methods: GET and PUT /api/v1/hq/convention), the bearer scheme and global
// security, every operation declaring the bearer requirement itself, a 401
// and a 403 on each, and each operation's x-guildhall-roles equal to its
// row, every allowed role named in its description.
func TestOpenAPIDocumentsRoutesAndAuthorization(t *testing.T) {
	t.Parallel()
	var routes []testutil.Route
	for _, r := range Routes() {
		method, path, ok := strings.Cut(r.Pattern, " ")
		if !ok {
			t.Errorf("route pattern %q has no method", r.Pattern)
			continue
		}
		routes = append(routes, testutil.Route{Method: method, Path: path, Endpoint: r.Endpoint})
	}
	if len(routes) == 0 {
		t.Fatal("Routes() is empty")
	}
	testutil.CheckOpenAPI(t, openAPI, routes, Policy(),
		testutil.RequireGlobalBearer(), testutil.RequireOperationSecurity(), testutil.RequireRolesExtension())
}
