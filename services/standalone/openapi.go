package standalone

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/guildhall/guildhall/services/membership"
)

// mergeOpenAPI joins the OpenAPI documents of the services linked into this
// process into one: paths and component schemas are united, the first
// document's header (openapi version, info) wins. Two services defining the
// same path or schema differently is a build mistake and is reported.
func mergeOpenAPI(docs ...[]byte) ([]byte, error) {
	merged := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Guildhall API",
			"version":     "v1",
			"description": "The city-wide security-service association platform: every district's services and the HQ views, as served by one guildhall process.",
		},
	}
	paths := map[string]any{}
	components := map[string]map[string]any{}
	var tags []any
	for i, raw := range docs {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("standalone: openapi document %d: %w", i, err)
		}
		if p, ok := doc["paths"].(map[string]any); ok {
			for k, v := range p {
				if _, dup := paths[k]; dup {
					return nil, fmt.Errorf("standalone: openapi path %s defined twice", k)
				}
				paths[k] = v
			}
		}
		if comps, ok := doc["components"].(map[string]any); ok {
			for section, v := range comps {
				m, ok := v.(map[string]any)
				if !ok {
					continue
				}
				if components[section] == nil {
					components[section] = map[string]any{}
				}
				for name, def := range m {
					if prev, dup := components[section][name]; dup {
						a, _ := json.Marshal(prev)
						b, _ := json.Marshal(def)
						if string(a) != string(b) {
							return nil, fmt.Errorf("standalone: openapi component %s/%s defined twice, differently", section, name)
						}
					}
					components[section][name] = def
				}
			}
		}
		if t, ok := doc["tags"].([]any); ok {
			tags = append(tags, t...)
		}
	}
	merged["paths"] = paths
	merged["components"] = components
	if len(tags) > 0 {
		merged["tags"] = tags
	}
	return json.MarshalIndent(merged, "", "  ")
}

func (c *City) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	docs := [][]byte{membership.OpenAPIDocument()}
	if c.hq != nil {
		docs = append(docs, c.hq.OpenAPI())
	}
	b, err := mergeOpenAPI(docs...)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

func (c *City) serveIndex(w http.ResponseWriter, _ *http.Request) {
	districts := c.RunningDistricts()
	sort.Strings(districts)
	links := map[string]string{
		"openapi": "/api/v1/openapi.json",
		"metrics": "/metrics",
		"health":  "/healthz",
		"ready":   "/readyz",
	}
	if c.hq != nil {
		links["hq_summary"] = "/api/v1/hq/summary"
		links["hq_districts"] = "/api/v1/hq/districts"
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"name":      "guildhall",
		"districts": districts,
		"brokers":   c.brokers,
		"links":     links,
	})
}
