package apidoc_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/apidoc"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Thing is a response body: every field without omitempty is required.
type Thing struct {
	ID       string     `json:"id"`
	Status   string     `json:"status" enum:"applied,active"`
	DueOn    string     `json:"due_on,omitempty" format:"date"`
	At       time.Time  `json:"at"`
	Gone     *time.Time `json:"gone"`
	Parts    []Part     `json:"parts"`
	Labels   []string   `json:"labels" enum:"red,green"`
	Role     auth.Role  `json:"role"`
	Extra    *Part      `json:"extra"`
	internal string     //lint:ignore U1000 an unexported field the schema must leave out
	Secret   string     `json:"-"`
}

// Part is a nested struct: its own component.
type Part struct {
	N int `json:"n" doc:"how many"`
}

// ThingInput is a request body: only fields tagged required are.
type ThingInput struct {
	Status string   `json:"status" enum:"applied,active" required:"true"`
	Title  *string  `json:"title"`
	Tags   []string `json:"tags"`
	Old    string   `json:"old" deprecated:"true"`
}

var errThingGone = errs.E(errs.NotFound, "thing.not_found", "no such thing")

func api() kitx.API {
	admins := auth.Rule{Roles: map[auth.Role]auth.Scope{auth.RoleHQAdmin: auth.ScopeAny, auth.RoleDistrictAdmin: auth.ScopeDistrict}}
	return kitx.API{
		Service: "svc", Title: "Things", Version: "v1", Description: "Things of a district.",
		Tags: []kitx.Tag{{Name: "things"}},
		Routes: []kitx.Route{
			{Name: "create_thing", Method: "POST", Path: "/api/v1/districts/{district}/things", Summary: "Create a thing", Tag: "things",
				Request: ThingInput{}, Response: Thing{}, Status: 201, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
				Rule: admins},
			{Name: "list_things", Method: "GET", Path: "/api/v1/districts/{district}/things", Summary: "List things", Tag: "things",
				Response: kitx.ListResponse[Thing]{}, Paged: true, Params: []kitx.Param{kitx.Query("status", "only these", "applied", "active")},
				Rule: admins},
			{Name: "update_thing", Method: "PATCH", Path: "/api/v1/districts/{district}/things/{id}", Summary: "Change a thing", Tag: "things",
				Request: ThingInput{}, Response: Thing{}, IfMatch: true, Errors: []*errs.Error{errThingGone}, Rule: admins},
			{Name: "ping", Method: "GET", Path: "/api/v1/ping", Summary: "Ping", Public: true, Response: Part{}},
		},
		Enums: []kitx.Enum{{Type: auth.Role(""), Values: []string{"hq-admin", "guard"}}},
	}
}

// doc generates api() and decodes it into a generic map for the checks.
func doc(t *testing.T) map[string]any {
	t.Helper()
	raw, err := apidoc.Generate(api())
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// at walks a decoded document along keys.
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("at %v: %q is not an object (%T)", keys, k, v)
		}
		v, ok = m[k]
		if !ok {
			t.Fatalf("at %v: no %q", keys, k)
		}
	}
	return v
}

func strs(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	return out
}

func TestSchemasComeFromTheGoTypes(t *testing.T) {
	t.Parallel()
	d := doc(t)
	thing := at(t, d, "components", "schemas", "Thing")
	props := at(t, thing, "properties").(map[string]any)
	for _, name := range []string{"internal", "Secret", "-"} {
		if _, ok := props[name]; ok {
			t.Errorf("Thing documents %q, which JSON never writes", name)
		}
	}
	cases := []struct {
		name string
		got  any
		want any
	}{
		{"A response's required fields are those without omitempty.", strs(at(t, thing, "required")),
			[]string{"at", "extra", "gone", "id", "labels", "parts", "role", "status"}},
		{"A nil pointer to a struct may be null around its $ref.", at(t, props, "extra", "nullable"), true},
		{"The nullable struct is still its component.", at(t, props, "extra", "allOf").([]any)[0], map[string]any{"$ref": "#/components/schemas/Part"}},
		{"A response closes its object.", at(t, thing, "additionalProperties"), false},
		{"An enum tag gives the values.", strs(at(t, props, "status", "enum")), []string{"applied", "active"}},
		{"A format tag gives the format.", at(t, props, "due_on", "format"), "date"},
		{"time.Time is a date-time.", at(t, props, "at", "format"), "date-time"},
		{"A pointer is nullable.", at(t, props, "gone", "nullable"), true},
		{"A slice's enum is its elements'.", strs(at(t, props, "labels", "items", "enum")), []string{"red", "green"}},
		{"A named type's enum comes from the API's Enums.", strs(at(t, props, "role", "enum")), []string{"hq-admin", "guard"}},
		{"A nested struct is its own component.", at(t, props, "parts", "items", "$ref"), "#/components/schemas/Part"},
		{"A doc tag describes the field.", at(t, d, "components", "schemas", "Part", "properties", "n", "description"), "how many"},
		{"A request's slice may be null: encoding/json takes it.", at(t, d, "components", "schemas", "ThingInput", "properties", "tags", "nullable"), true},
		{"A response's slice may not: the service writes [].", at(t, props, "parts").(map[string]any)["nullable"] == nil, true},
		{"A deprecated tag marks the field deprecated.", at(t, d, "components", "schemas", "ThingInput", "properties", "old", "deprecated"), true},
		{"A request's required fields are those tagged required.", strs(at(t, d, "components", "schemas", "ThingInput", "required")), []string{"status"}},
		{"A list response is named after its element.", at(t, d, "paths", "/api/v1/districts/{district}/things", "get", "responses", "200", "content", "application/json", "schema", "$ref"), "#/components/schemas/ThingList"},
		{"The error body is generated from errs.Body.", strs(at(t, d, "components", "schemas", "ErrorDetail", "required")), []string{"id", "message"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, _ := json.Marshal(c.got)
			b, _ := json.Marshal(c.want)
			if !bytes.Equal(a, b) {
				t.Errorf("got %s, want %s", a, b)
			}
		})
	}
}

func TestOperationsCarryRolesParametersAndErrorIDs(t *testing.T) {
	t.Parallel()
	d := doc(t)
	create := at(t, d, "paths", "/api/v1/districts/{district}/things", "post")
	update := at(t, d, "paths", "/api/v1/districts/{district}/things/{id}", "patch")
	list := at(t, d, "paths", "/api/v1/districts/{district}/things", "get")
	ping := at(t, d, "paths", "/api/v1/ping", "get")
	paramNames := func(op any) []string {
		var out []string
		for _, p := range op.(map[string]any)["parameters"].([]any) {
			out = append(out, p.(map[string]any)["in"].(string)+":"+p.(map[string]any)["name"].(string))
		}
		return out
	}
	cases := []struct {
		name string
		ok   bool
		what any
	}{
		{"The operationId is the policy row.", at(t, create, "operationId") == "svc.create_thing", at(t, create, "operationId")},
		{"The allowed roles are in x-guildhall-roles.", at(t, create, "x-guildhall-roles", "district-admin") == "district", at(t, create, "x-guildhall-roles")},
		{"The allowed roles are in the description, in auth.Roles order.", strings.Contains(at(t, create, "description").(string), "Allowed roles: hq-admin (any), district-admin (district)."), at(t, create, "description")},
		{"A create documents its Idempotency-Key.", slices.Contains(paramNames(create), "header:Idempotency-Key"), paramNames(create)},
		{"A PATCH documents If-Match and its path id.", slices.Contains(paramNames(update), "header:If-Match") && slices.Contains(paramNames(update), "path:id"), paramNames(update)},
		{"A list documents paging and its filters.", slices.Equal(paramNames(list), []string{"path:district", "query:page_size", "query:page_token", "query:status"}), paramNames(list)},
		{"A PATCH answers 412 request.etag_stale.", strings.Contains(at(t, update, "responses", "412", "description").(string), "request.etag_stale"), at(t, update, "responses")},
		{"A route's own errors are listed under their status.", strings.Contains(at(t, update, "responses", "404", "description").(string), "thing.not_found"), at(t, update, "responses", "404")},
		{"A status's error ids are listed for validators in x-error-ids.", slices.Contains(strs(at(t, update, "responses", "404", "x-error-ids")), "thing.not_found"), at(t, update, "responses", "404")},
		{"The default response lists the ids any operation may answer.", slices.Contains(strs(at(t, ping, "responses", "default", "x-error-ids")), "storage.unavailable"), nil},
		{"Every protected operation documents 401 with the token ids.", strings.Contains(at(t, list, "responses", "401", "description").(string), "auth.token_missing"), at(t, list, "responses", "401")},
		{"A body route documents 415.", at(t, create, "responses", "415") != nil, nil},
		{"A create answers its own status with its Location.", at(t, create, "responses", "201", "headers", "Location") != nil, nil},
		{"A public operation needs no token.", len(at(t, ping, "security").([]any)) == 0, at(t, ping, "security")},
		{"Every operation has a default error response.", at(t, ping, "responses", "default", "content", "application/json", "schema", "$ref") == "#/components/schemas/Error", nil},
	}
	for _, c := range cases {
		if !c.ok {
			t.Errorf("%s (got %v)", c.name, c.what)
		}
	}
	if got := strs(at(t, at(t, d, "security").([]any)[0], "bearerAuth")); len(got) != 0 {
		t.Errorf("document security %v, want bearerAuth with no scopes", got)
	}
}

func TestGenerateIsDeterministicAndValid(t *testing.T) {
	t.Parallel()
	a, err := apidoc.Generate(api())
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b, err := apidoc.Generate(api())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("two generations of the same API differ")
		}
	}
	if err := apidoc.Validate(a); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(a, []byte(`\u003c`)) {
		t.Error("the document escapes < for HTML")
	}
}

func TestGenerateRefusesWhatADocumentCannotSay(t *testing.T) {
	t.Parallel()
	admins := auth.Rule{Roles: map[auth.Role]auth.Scope{auth.RoleHQAdmin: auth.ScopeAny}}
	type Thing struct {
		Other string `json:"other"`
	}
	cases := []struct {
		name   string
		routes []kitx.Route
		want   string
	}{
		{"Two types of one name are refused.", []kitx.Route{
			{Name: "a", Method: "GET", Path: "/a", Response: api().Routes[0].Response, Rule: admins},
			{Name: "b", Method: "GET", Path: "/b", Response: Thing{}, Rule: admins}}, "two types named Thing"},
		{"A type that is a request and a response with different required fields is refused.", []kitx.Route{
			{Name: "a", Method: "POST", Path: "/a", Request: Part{}, Response: Part{}, Rule: admins}}, "both a request and a response"},
		{"A table without routes is refused.", nil, "no routes"},
		{"A route without a policy row is refused.", []kitx.Route{{Name: "a", Method: "GET", Path: "/a"}}, "allows no role"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := apidoc.Generate(kitx.API{Service: "svc", Title: "x", Version: "v1", Routes: c.routes})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Generate = %v, want an error saying %q", err, c.want)
			}
		})
	}
}
