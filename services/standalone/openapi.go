package standalone

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/guildhall/guildhall/pkg/telemetry"
)

// serviceDoc is one service's OpenAPI document and the prefix its component
// names get when they clash with another service's different definition.
type serviceDoc struct {
	prefix string
	raw    []byte
}

// mergeOpenAPI joins the OpenAPI documents of the services linked into this
// process into one: paths and components are united. Services own their
// schema names, so when two define the same name differently (HQ's Company
// row is not membership's Company) the later one is renamed with its
// prefix and its references rewritten. Two services serving the same path
// is a build mistake and is reported.
func mergeOpenAPI(docs ...serviceDoc) ([]byte, error) {
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
	for i, sd := range docs {
		raw, err := renameClashes(sd, components)
		if err != nil {
			return nil, fmt.Errorf("standalone: openapi document %d: %w", i, err)
		}
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
		// Services share tag names (membership and meetings both have
		// "audit"); a document lists each tag once.
		if ts, ok := doc["tags"].([]any); ok {
			for _, t := range ts {
				name, _ := t.(map[string]any)["name"].(string)
				if !slices.ContainsFunc(tags, func(o any) bool { n, _ := o.(map[string]any)["name"].(string); return n == name }) {
					tags = append(tags, t)
				}
			}
		}
	}
	merged["paths"] = paths
	merged["components"] = components
	// Every service authenticates the same way (a bearer JWT, defined alike
	// in each document); login and the JWKS opt out per operation.
	if _, ok := components["securitySchemes"]["bearerAuth"]; ok {
		merged["security"] = []any{map[string]any{"bearerAuth": []any{}}}
	}
	if len(tags) > 0 {
		merged["tags"] = tags
	}
	return json.MarshalIndent(merged, "", "  ")
}

// renameClashes rewrites the components of sd that clash with a different
// definition already merged to "<prefix><Name>", references included.
func renameClashes(sd serviceDoc, merged map[string]map[string]any) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(sd.raw, &doc); err != nil {
		return nil, err
	}
	comps, _ := doc["components"].(map[string]any)
	renames := map[string]string{} // old ref → new ref
	for section, v := range comps {
		defs, _ := v.(map[string]any)
		for name, def := range defs {
			prev, ok := merged[section][name]
			if !ok {
				continue
			}
			a, _ := json.Marshal(prev)
			b, _ := json.Marshal(def)
			if string(a) == string(b) {
				continue
			}
			if sd.prefix == "" {
				return nil, fmt.Errorf("component %s/%s clashes and the document has no prefix", section, name)
			}
			delete(defs, name)
			defs[sd.prefix+name] = def
			ref := "#/components/" + section + "/"
			renames[ref+name] = ref + sd.prefix + name
		}
	}
	rewriteRefs(doc, renames)
	return json.Marshal(doc)
}

// rewriteRefs replaces every "$ref" value found in renames, in place.
func rewriteRefs(v any, renames map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && k == "$ref" {
				if n, ok := renames[s]; ok {
					t[k] = n
				}
				continue
			}
			rewriteRefs(e, renames)
		}
	case []any:
		for _, e := range t {
			rewriteRefs(e, renames)
		}
	}
}

func (c *City) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	docs := districtDocs()
	if c.hq != nil {
		docs = append(docs, serviceDoc{prefix: "HQ", raw: c.hq.OpenAPI()})
	}
	if c.accounts != nil {
		docs = append(docs, serviceDoc{prefix: "Accounts", raw: c.accounts.OpenAPI()})
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
	}
	// The admin routes are linked only where this listener serves them.
	if c.cfg.AdminAddr == telemetry.AdminOnAPIListener {
		links["metrics"], links["health"], links["ready"] = "/metrics", "/healthz", "/readyz"
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
