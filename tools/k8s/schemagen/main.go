// Command schemagen writes the JSON schemas kubeconform validates the chart's
// renders against: one per kind of the Kubernetes OpenAPI (v2) document of the
// pinned release (api/openapi-spec/swagger.json of the k8s.io/kubernetes
// module) and one per served version of each CRD given, named the way
// kubeconform's "{{ .ResourceKind }}{{ .KindSuffix }}.json" template looks
// them up (deployment-apps-v1.json, service-v1.json,
// servicemonitor-monitoring-v1.json). The schemas are strict: an object with
// properties admits no others (unless the API says it preserves unknown
// fields), which is what kubeconform -strict expects of its schema variant.
//
//	schemagen -openapi swagger.json -out dir [crd.yaml ...]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

func main() {
	openapi := flag.String("openapi", "", "the Kubernetes OpenAPI v2 document (swagger.json)")
	out := flag.String("out", "", "the directory to write the schemas into")
	flag.Parse()
	if err := run(*openapi, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(openapi, out string, crds []string) error {
	if openapi == "" || out == "" {
		return errors.New("-openapi and -out are required")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	n, err := builtins(openapi, out)
	if err != nil {
		return err
	}
	m := 0
	for _, f := range crds {
		k, err := crdSchemas(f, out)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		m += k
	}
	fmt.Printf("schemagen: %d built-in and %d CRD schemas in %s\n", n, m, out)
	return nil
}

// fileName is kubeconform's name of a kind's schema: the kind lower-cased,
// then "-" and the first label of the group (none for the core group), then
// "-" and the version.
func fileName(group, version, kind string) string {
	suffix := ""
	if group != "" {
		suffix = "-" + strings.ToLower(strings.Split(group, ".")[0])
	}
	return strings.ToLower(kind) + suffix + "-" + strings.ToLower(version) + ".json"
}

const quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity"

type gvk struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

func builtins(path, out string) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return 0, err
	}
	defs := map[string]any{}
	for name, d := range doc.Definitions {
		defs[name] = d
	}
	n := 0
	for name, d := range doc.Definitions {
		kinds, _ := d["x-kubernetes-group-version-kind"].([]any)
		if len(kinds) == 0 {
			continue
		}
		// The closure of the definitions this one refers to, each made strict.
		closure := map[string]any{}
		collect(name, defs, closure)
		for k, v := range closure {
			if k == quantity {
				// A string ("100m", "1Gi") or a number; the document says "string".
				closure[k] = map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}}
				continue
			}
			closure[k] = strict(deepCopy(v))
		}
		for _, k := range kinds {
			b, _ := json.Marshal(k)
			var g gvk
			if err := json.Unmarshal(b, &g); err != nil {
				return 0, err
			}
			if g.Kind == "" || strings.HasSuffix(g.Kind, "List") || g.Kind == "WatchEvent" || g.Kind == "DeleteOptions" || g.Kind == "Status" {
				continue
			}
			s := map[string]any{"$ref": "#/definitions/" + name, "definitions": closure}
			if err := write(filepath.Join(out, fileName(g.Group, g.Version, g.Kind)), s); err != nil {
				return 0, err
			}
			n++
		}
	}
	return n, nil
}

// collect adds name and every definition it refers to, transitively.
func collect(name string, defs, into map[string]any) {
	if _, ok := into[name]; ok {
		return
	}
	d, ok := defs[name]
	if !ok {
		return
	}
	into[name] = d
	walk(d, func(m map[string]any) {
		if r, ok := m["$ref"].(string); ok {
			collect(strings.TrimPrefix(r, "#/definitions/"), defs, into)
		}
	})
}

func walk(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(v)
		for _, x := range v {
			walk(x, f)
		}
	case []any:
		for _, x := range v {
			walk(x, f)
		}
	}
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// strict rewrites a schema in place: objects with properties admit no
// others; int-or-string and quantities accept both of their forms (the
// OpenAPI document says only "string" with a format).
func strict(v any) any {
	walk(v, func(m map[string]any) {
		// Descriptions only make the files big. (A field named description
		// maps to a schema, never to a string.)
		if _, ok := m["description"].(string); ok {
			delete(m, "description")
		}
		if m["format"] == "int-or-string" || m["x-kubernetes-int-or-string"] == true {
			delete(m, "type")
			delete(m, "format")
			m["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}
		}
		if _, hasProps := m["properties"]; hasProps {
			if _, set := m["additionalProperties"]; !set && m["x-kubernetes-preserve-unknown-fields"] != true {
				m["additionalProperties"] = false
			}
		}
	})
	return v
}

func crdSchemas(path, out string) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	n := 0
	for {
		var crd struct {
			Kind string `json:"kind"`
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Served bool   `json:"served"`
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := d.Decode(&crd); errors.Is(err, io.EOF) {
			return n, nil
		} else if err != nil {
			return n, err
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			s := strict(v.Schema.OpenAPIV3Schema).(map[string]any)
			if err := write(filepath.Join(out, fileName(crd.Spec.Group, v.Name, crd.Spec.Names.Kind)), s); err != nil {
				return n, err
			}
			n++
		}
	}
}

func write(path string, s any) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
