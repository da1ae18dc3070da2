package messaging_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/messaging"
)

// TestOpenAPIDocument fails when the committed openapi.json is not what
// the route tables generate (make openapi rewrites it), or does not
// describe the routes and the policy table as every service's must.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	testutil.CheckDocument(t, messaging.OpenAPIDocument(), messaging.API())
}
