package compliance_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/compliance"
)

// TestOpenAPIDocument fails when the committed openapi.json is not what
// the route table generates, or does not describe the routes and the
// policy table as every service's document must.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	testutil.CheckDocument(t, compliance.OpenAPIDocument(), compliance.API())
}
