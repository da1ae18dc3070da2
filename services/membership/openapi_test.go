package membership_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/services/membership"
	"github.com/guildhall/guildhall/services/membership/internal/endpoints"
	"github.com/guildhall/guildhall/services/membership/internal/transport"
)

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(membership.OpenAPIDocument(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	routes := transport.Routes(endpoints.Set{})
	documented := 0
	for _, rt := range routes {
		path := transport.Prefix + rt.Path
		ops, ok := doc.Paths[path]
		if !ok {
			t.Errorf("route %s %s is not in openapi.json", rt.Method, path)
			continue
		}
		if _, ok := ops[strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s %s has no operation in openapi.json", rt.Method, path)
			continue
		}
		documented++
	}
	// And the document describes nothing the service does not serve.
	ops := 0
	for _, p := range doc.Paths {
		for m := range p {
			if m != "parameters" {
				ops++
			}
		}
	}
	if ops != documented {
		t.Errorf("openapi.json has %d operations, the service serves %d", ops, documented)
	}
}
