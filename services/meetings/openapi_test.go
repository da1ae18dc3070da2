package meetings_test

import (
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/meetings"
)

// TestOpenAPIDocument fails when the committed openapi.json is not what
// the route table generates (make openapi rewrites it), or does not
// describe the routes and the policy table as testutil.CheckDocument
// says every service's document must.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	testutil.CheckDocument(t, meetings.OpenAPIDocument(), meetings.API())
}
