package patrols_test

import (
	"flag"
	"os"
	"testing"

	"github.com/guildhall/guildhall/pkg/apidoc"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/patrols"
)

var update = flag.Bool("update", false, "rewrite openapi.json from the route table (what make openapi does)")

// TestOpenAPIDocument fails when the committed openapi.json is not what
// the route table generates, or does not describe the routes and the
// policy table as testutil.CheckDocument says every service's must.
func TestOpenAPIDocument(t *testing.T) {
	if *update {
		raw, err := apidoc.Generate(patrols.API())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("openapi.json", raw, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Skip("openapi.json rewritten; run again without -update")
	}
	testutil.CheckDocument(t, patrols.OpenAPIDocument(), patrols.API())
}
