package meetings_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/services/meetings"
	"github.com/guildhall/guildhall/services/meetings/internal/endpoints"
	"github.com/guildhall/guildhall/services/meetings/internal/transport"
)

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(meetings.OpenAPIDocument(), &doc); err != nil {
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

// TestOpenAPIDocumentsAuthorization: a bearer security scheme applies to
// every operation, each documents 401 and 403, and each names exactly the
// roles (with their scope) that Policy allows on it.
func TestOpenAPIDocumentsAuthorization(t *testing.T) {
	type op struct {
		Description string         `json:"description"`
		Responses   map[string]any `json:"responses"`
		Security    []any          `json:"security"`
	}
	var doc struct {
		Security   []map[string][]string    `json:"security"`
		Paths      map[string]map[string]op `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct{ Type, Scheme string } `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(meetings.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	if s := doc.Components.SecuritySchemes["bearerAuth"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Fatalf("bearerAuth scheme %+v", s)
	}
	if len(doc.Security) != 1 || doc.Security[0]["bearerAuth"] == nil {
		t.Fatalf("document security %v", doc.Security)
	}
	policy := meetings.Policy()
	for _, rt := range meetings.Routes() {
		o, ok := doc.Paths[rt.Pattern][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s undocumented", rt.Method, rt.Pattern)
			continue
		}
		if o.Security != nil {
			t.Errorf("%s %s overrides the bearer requirement", rt.Method, rt.Pattern)
		}
		for _, code := range []string{"401", "403"} {
			if o.Responses[code] == nil {
				t.Errorf("%s %s documents no %s", rt.Method, rt.Pattern, code)
			}
		}
		var parts []string
		for _, r := range auth.Roles {
			if s := policy[rt.Endpoint].Roles[r]; s != auth.ScopeDeny {
				parts = append(parts, string(r)+" ("+s.String()+")")
			}
		}
		want := "Allowed roles: " + strings.Join(parts, ", ") + "."
		if !strings.Contains(o.Description, want) {
			t.Errorf("%s %s: description %q does not say %q", rt.Method, rt.Pattern, o.Description, want)
		}
	}
}
