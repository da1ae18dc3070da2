package standalone_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// chartService is one entry of the chart's services list (values.yaml).
type chartService struct {
	Name       string   `json:"name"`
	Prefixes   []string `json:"prefixes"`
	RegexPaths []string `json:"regexPaths"`
}

// TestTheChartRoutesEveryRouteToItsService: in Kubernetes the Ingress or
// HTTPRoute sends each /api/v1 path to a service by the prefixes and
// regexPaths of charts/guildhall/values.yaml. Every operation of every
// deployed service's OpenAPI document must reach that service, and only
// it: a route a prefix misses is a 404 in production that no in-process
// test sees.
func TestTheChartRoutesEveryRouteToItsService(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "charts", "guildhall", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Services map[string][]chartService `json:"services"`
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{"district": "/api/v1/districts/{district}", "hq": "/api/v1/hq"}
	param := regexp.MustCompile(`\{[^}]+\}`)
	// owners returns the services of role whose paths match rest (the
	// path below the role's base, with a sample value for each parameter):
	// a regexPath wins over a prefix, as the more specific rule does.
	owners := func(role, rest string) []string {
		var byRegex, byPrefix []string
		for _, s := range values.Services[role] {
			for _, re := range s.RegexPaths {
				if regexp.MustCompile("^" + re + "$").MatchString(rest) {
					byRegex = append(byRegex, s.Name)
				}
			}
			first, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
			if slices.Contains(s.Prefixes, first) {
				byPrefix = append(byPrefix, s.Name)
			}
		}
		if len(byRegex) > 0 {
			return byRegex
		}
		return byPrefix
	}
	checked := 0
	for role, list := range values.Services {
		for _, s := range list {
			doc, err := os.ReadFile(filepath.Join("..", s.Name, "openapi.json"))
			if err != nil {
				t.Fatalf("%s: %v", s.Name, err)
			}
			var api struct {
				Paths map[string]json.RawMessage `json:"paths"`
			}
			if err := json.Unmarshal(doc, &api); err != nil {
				t.Fatal(err)
			}
			for p := range api.Paths {
				rest, ok := strings.CutPrefix(p, roles[role]+"/")
				if !ok {
					continue // the service's routes of the other role
				}
				got := owners(role, "/"+param.ReplaceAllString(rest, "x1"))
				if len(got) != 1 || got[0] != s.Name {
					t.Errorf("%s (%s, %s role): the chart routes it to %v", p, s.Name, role, got)
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d routes checked: is the chart's services list read?", checked)
	}
}
