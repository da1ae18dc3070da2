// Package apidoc generates a service's OpenAPI 3 document from its route
// table (kitx.API): one operation per route, with JSON schemas generated
// from the Go request and response types by kin-openapi's openapi3gen, the
// allowed roles of each route's policy row, and its error responses with
// their stable ids. The generated document is committed next to the
// service (openapi.json, `make openapi`), embedded and served by it; a test
// in each service and `make verify` fail when the committed file differs
// from what the code generates.
//
// It is its own package, apart from pkg/kitx, so that only the generator
// and the tests link kin-openapi: the binaries serve the committed file.
//
// Schemas follow encoding/json: a field's name is its json tag, "-" fields
// are left out, embedded structs are flattened. On top of the types, struct
// tags add what Go cannot say:
//
//	enum:"applied,active"    the values a string (or each string of a slice) takes
//	format:"date"            a string format (date, date-time, email, uuid…)
//	pattern:"^[a-z]+$"       a regular expression the string matches
//	required:"true"          a request field the service refuses to do without
//	nullable:"true"          a field that may be null on the wire (a nil slice)
//	doc:"…"                  the field's description
//	deprecated:"true"        a field kept for compatibility (say its replacement in doc)
//
// In a response every field without omitempty (or omitzero) is required:
// encoding/json always writes it. Every object schema forbids properties it
// does not list, requests (the decoder refuses unknown fields) and responses
// alike, so a field the type does not declare fails validation.
package apidoc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// OpenAPIVersion is the version of the documents this package writes.
const OpenAPIVersion = "3.0.3"

// BearerScheme names the security scheme of the bearer JWT.
const BearerScheme = "bearerAuth"

// ErrorSchema is the component name of the API's error body.
const ErrorSchema = "Error"

// Generate returns the OpenAPI 3 document of api as indented JSON with a
// final newline: the bytes `make openapi` writes. The same api always gives
// the same bytes.
func Generate(api kitx.API) ([]byte, error) {
	doc, err := Document(api)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("apidoc: %s: %w", api.Service, err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("apidoc: %s: %w", api.Service, err)
	}
	buf.WriteByte('\n')
	// encoding/json escapes <, > and & for HTML; a document is no HTML
	// page, and its readers should see the characters.
	out := bytes.ReplaceAll(buf.Bytes(), []byte(`\u003c`), []byte("<"))
	out = bytes.ReplaceAll(out, []byte(`\u003e`), []byte(">"))
	return bytes.ReplaceAll(out, []byte(`\u0026`), []byte("&")), nil
}

// Document builds the OpenAPI 3 document of api and validates it (every
// reference resolves, every schema is well formed).
func Document(api kitx.API) (*openapi3.T, error) {
	if len(api.Routes) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoRoutes, api.Service)
	}
	if err := kitx.CheckRoutes(api.Service, api.Routes, false); err != nil {
		return nil, fmt.Errorf("apidoc: %w", err)
	}
	g := newGenerator(api)
	doc := &openapi3.T{
		OpenAPI: OpenAPIVersion,
		Info: &openapi3.Info{
			Title:       api.Title,
			Version:     api.Version,
			Description: strings.TrimSpace(api.Description + "\n\n" + commonDescription),
		},
		Paths:    openapi3.NewPaths(),
		Security: openapi3.SecurityRequirements{{BearerScheme: []string{}}},
		Components: &openapi3.Components{
			SecuritySchemes: openapi3.SecuritySchemes{BearerScheme: &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
				Type: "http", Scheme: "bearer", BearerFormat: "JWT",
				Description: "A JWT from the configured OIDC issuer (or the standalone binary's own issuer) carrying role, districts, company and guard claims.",
			}}},
		},
	}
	for _, t := range api.Tags {
		doc.Tags = append(doc.Tags, &openapi3.Tag{Name: t.Name, Description: t.Description})
	}
	errRef, err := g.response(errs.Body{})
	if err != nil {
		return nil, err
	}
	for _, r := range api.Routes {
		op, err := g.operation(api.Service, r, errRef)
		if err != nil {
			return nil, fmt.Errorf("apidoc: %s route %s: %w", api.Service, r.Name, err)
		}
		item := doc.Paths.Value(r.Path)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(r.Path, item)
		}
		item.SetOperation(r.Method, op)
	}
	schemas, err := g.schemas()
	if err != nil {
		return nil, err
	}
	doc.Components.Schemas = schemas
	// A round trip through the loader resolves every $ref, so a dangling
	// one (a type that produced no component) is an error here, not in a
	// client's code generator.
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("apidoc: %s: %w", api.Service, err)
	}
	if err := Validate(raw); err != nil {
		return nil, fmt.Errorf("apidoc: %s: %w", api.Service, err)
	}
	return doc, nil
}

// Validate loads an OpenAPI document and checks it: every reference
// resolves and the document is valid OpenAPI 3.
func Validate(raw []byte) error {
	loaded, err := Load(raw)
	if err != nil {
		return err
	}
	return loaded.Validate(context.Background())
}

// Load parses an OpenAPI document and resolves its references.
func Load(raw []byte) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("apidoc: load: %w", err)
	}
	return doc, nil
}

// ErrorIDsExtension is the extension of an error response that lists the
// stable error ids the operation answers with that status (the default
// response: those any operation may answer). testutil.APIValidator holds
// every error response to it.
const ErrorIDsExtension = "x-error-ids"

// AnyOperationErrorIDs are the errors any operation may answer, whatever
// its route: the server's limits before routing, a full disk, a failure
// of the server itself, a request that timed out or was given up.
var AnyOperationErrorIDs = []string{
	"internal", "request.canceled", "request.headers_too_large", "request.timeout",
	"request.too_many_query_parameters", "request.uri_too_long", "storage.unavailable",
}

// commonDescription is what every document says about the refusals every
// operation shares.
const commonDescription = "Every operation but the public ones needs `Authorization: Bearer <JWT>` " +
	"(401 auth.token_missing, auth.token_invalid or auth.token_expired otherwise; authentication comes " +
	"before the request is read, so an anonymous caller learns nothing of how its request would be judged) " +
	"and is checked against the service's policy table: a role or scope that is not allowed gets 403 " +
	"auth.forbidden, cross-district access included — never a silently empty list. Each operation lists " +
	"its allowed roles with their scope (x-guildhall-roles): any = city-wide; district = the caller's " +
	"districts; company = the caller's own company; self = a guard's own record. Errors are " +
	"`{\"error\": {\"id\", \"message\", \"field\"}}` with a stable id. Request bodies must be sent as " +
	"Content-Type: application/json (charset utf-8 or none), else 415 request.unsupported_media_type; " +
	"their strings must be valid UTF-8 without NUL or other control characters than tab and line breaks " +
	"(400 request.invalid_utf8, request.nul_character, request.control_character; names and titles take " +
	"no tab or line break either), no key may appear twice in an object (400 request.duplicate_key) and " +
	"no field the schema does not list is accepted (400 request.unknown_field); the error's field is the " +
	"JSON path, e.g. action_items[1].title. Any operation: a URL over 8 KiB is 414 request.uri_too_long, " +
	"headers over 64 KiB are 431 request.headers_too_large, more than 100 query parameters are 400 " +
	"request.too_many_query_parameters, a full disk is 503 storage.unavailable with Retry-After."

// mode says which side of the wire a schema describes: it decides which
// fields are required.
type mode int

const (
	requestMode mode = iota
	responseMode
)

// generator turns Go types into component schemas, one openapi3gen
// generator per side so that a type's required fields follow its side.
type generator struct {
	api   kitx.API
	sides [2]*side
	names map[string]reflect.Type
	enums map[reflect.Type][]string
	err   error
}

type side struct {
	gen     *openapi3gen.Generator
	schemas openapi3.Schemas
}

func newGenerator(api kitx.API) *generator {
	g := &generator{api: api, names: map[string]reflect.Type{}, enums: map[reflect.Type][]string{}}
	for _, e := range api.Enums {
		g.enums[reflect.TypeOf(e.Type)] = e.Values
	}
	for m := range g.sides {
		g.sides[m] = &side{
			schemas: openapi3.Schemas{},
			gen: openapi3gen.NewGenerator(
				openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{
					ExportComponentSchemas: true, ExportTopLevelSchema: true, ExportGenerics: true,
				}),
				openapi3gen.CreateTypeNameGenerator(g.typeName),
				openapi3gen.SchemaCustomizer(g.customizer(mode(m))),
			),
		}
	}
	return g
}

// schemaRef returns the schema of v's type on side m, adding the
// components it needs.
func (g *generator) schemaRef(m mode, v any) (*openapi3.SchemaRef, error) {
	s := g.sides[m]
	ref, err := s.gen.NewSchemaRefForValue(v, s.schemas)
	if err != nil {
		return nil, fmt.Errorf("schema of %T: %w", v, err)
	}
	if g.err != nil {
		return nil, g.err
	}
	if ref == nil {
		return nil, fmt.Errorf("schema of %T: the type has no JSON form", v)
	}
	return ref, nil
}

func (g *generator) request(v any) (*openapi3.SchemaRef, error) {
	return g.schemaRef(requestMode, v)
}

func (g *generator) response(v any) (*openapi3.SchemaRef, error) {
	return g.schemaRef(responseMode, v)
}

// schemas merges both sides' components. A type described on both sides
// must come out the same (its required fields differ otherwise): one name,
// one schema.
func (g *generator) schemas() (openapi3.Schemas, error) {
	out := openapi3.Schemas{}
	for _, s := range g.sides {
		for _, name := range slices.Sorted(maps.Keys(s.schemas)) {
			def := s.schemas[name]
			if prev, ok := out[name]; ok {
				a, _ := json.Marshal(prev)
				b, _ := json.Marshal(def)
				if !bytes.Equal(a, b) {
					return nil, fmt.Errorf("apidoc: %s: type %s is both a request and a response body, with different required fields; give the request its own type", g.api.Service, name)
				}
			}
			out[name] = def
		}
	}
	return out, nil
}

var (
	errBodyType      = reflect.TypeFor[errs.Body]()
	errBodyErrorType = reflect.TypeFor[errs.BodyError]()
	timeType         = reflect.TypeFor[time.Time]()
	genericArgs      = regexp.MustCompile(`^([A-Za-z0-9_]+)\[(.*)\]$`)
)

// SchemaNamer is implemented by a type whose component name is not its Go
// name (audit.Entry is AuditEntry: "Entry" says nothing in a service's
// document).
type SchemaNamer interface {
	SchemaName() string
}

// typeName names a type's component: its Go name, "<Elem>List" for a
// kitx.ListResponse[Elem] ("<Elem>Items" for a kitx.ItemsResponse), and Error / ErrorDetail for the error body. Two
// types of one name (from different packages) are an error: a document
// cannot tell them apart.
func (g *generator) typeName(t reflect.Type) string {
	name := t.Name()
	if n, ok := reflect.Zero(t).Interface().(SchemaNamer); ok && t.Kind() == reflect.Struct {
		name = n.SchemaName()
	}
	switch t {
	case errBodyType:
		name = ErrorSchema
	case errBodyErrorType:
		name = ErrorSchema + "Detail"
	default:
		if m := genericArgs.FindStringSubmatch(name); m != nil {
			arg := m[2]
			if i := strings.LastIndex(arg, "."); i >= 0 {
				arg = arg[i+1:]
			}
			switch m[1] {
			case "ListResponse":
				name = arg + "List"
			case "ItemsResponse":
				name = arg + "Items"
			default:
				name = arg + m[1]
			}
		}
	}
	if name == "" {
		return ""
	}
	if prev, ok := g.names[name]; ok && prev != t && g.err == nil {
		g.err = fmt.Errorf("apidoc: %s: two types named %s (%s and %s): rename one", g.api.Service, name, prev, t)
	}
	g.names[name] = t
	return name
}

// customizer applies the struct tags and the API's enums to the schema of
// a field (or of a root type: name "_root", no tag).
func (g *generator) customizer(m mode) openapi3gen.SchemaCustomizerFn {
	return func(_ string, t reflect.Type, tag reflect.StructTag, s *openapi3.Schema) error {
		if vals, ok := g.enums[t]; ok {
			s.Enum = strEnum(vals)
		}
		if t.Kind() == reflect.Struct && t != timeType {
			// A struct becomes a shared component: field tags (which
			// belong to one use) stay off it.
			objectRules(m, t, s)
			return nil
		}
		return fieldTags(tag, s)
	}
}

// objectRules closes an object schema (no property it does not list) and
// marks its required properties.
func objectRules(m mode, t reflect.Type, s *openapi3.Schema) {
	if s.Properties == nil {
		// An empty struct is an empty object.
		s.Type = &openapi3.Types{"object"}
		s.Properties = openapi3.Schemas{}
	}
	no := false
	s.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	var req []string
	for _, f := range jsonFields(t) {
		// A nil pointer to a struct is written as null (unless omitempty
		// leaves it out). The struct is a shared component, and in OpenAPI
		// 3.0 nothing may sit beside a $ref: null is allowed around it.
		// encoding/json takes null for a slice or a map (it leaves it
		// nil), so a request may send it; a response is held to [] or {}.
		if m == requestMode && f.nilable {
			if p := s.Properties[f.name]; p != nil && p.Ref == "" && p.Value != nil {
				p.Value.Nullable = true
			}
		}
		if f.nullableRef {
			if p := s.Properties[f.name]; p != nil && p.Ref != "" {
				s.Properties[f.name] = &openapi3.SchemaRef{Value: &openapi3.Schema{Nullable: true, AllOf: openapi3.SchemaRefs{p}}}
			}
		}
		switch {
		case f.tag.Get("required") == "true":
			req = append(req, f.name)
		case m == responseMode && !f.omitEmpty:
			req = append(req, f.name)
		}
	}
	sort.Strings(req)
	s.Required = req
}

// fieldTags applies a field's struct tags to its schema.
func fieldTags(tag reflect.StructTag, s *openapi3.Schema) error {
	if s.Type.Is("array") {
		// openapi3gen hands the elements of a slice the field's tag too:
		// enum, format and pattern describe each element, not the array.
		if tag.Get("nullable") == "true" {
			s.Nullable = true
		}
		return nil
	}
	target := s
	if v, ok := tag.Lookup("enum"); ok {
		target.Enum = strEnum(strings.Split(v, ","))
	}
	if v, ok := tag.Lookup("format"); ok {
		target.Format = v
	}
	if v, ok := tag.Lookup("pattern"); ok {
		if _, err := regexp.Compile(v); err != nil {
			return fmt.Errorf("pattern %q: %w", v, err)
		}
		target.Pattern = v
	}
	if v, ok := tag.Lookup("doc"); ok {
		s.Description = v
	}
	if tag.Get("deprecated") == "true" {
		s.Deprecated = true
	}
	if tag.Get("nullable") == "true" {
		s.Nullable = true
	}
	if tag.Get("deprecated") == "true" {
		s.Deprecated = true
	}
	return nil
}

func strEnum(vals []string) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}

// jsonField is one field of a struct's JSON form.
type jsonField struct {
	name      string
	omitEmpty bool
	tag       reflect.StructTag
	// nullableRef marks a pointer to a struct (time.Time aside) that JSON
	// writes as null when nil.
	nullableRef bool
	// nilable marks a slice or a map.
	nilable bool
}

// jsonFields lists the fields encoding/json writes for t, embedded structs
// flattened, in the same way openapi3gen reads them.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		jt := f.Tag.Get("json")
		if jt == "-" {
			continue
		}
		name, opts, _ := strings.Cut(jt, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFields(ft)...)
				continue
			}
		}
		if !f.IsExported() || jt == "" {
			// openapi3gen documents only fields with a json tag.
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := false
		for o := range strings.SplitSeq(opts, ",") {
			if o == "omitempty" || o == "omitzero" {
				omit = true
			}
		}
		ptrStruct := f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct && f.Type.Elem() != timeType
		k := f.Type.Kind()
		out = append(out, jsonField{name: name, omitEmpty: omit, tag: f.Tag, nullableRef: ptrStruct && !omit,
			nilable: (k == reflect.Slice && f.Type.Elem().Kind() != reflect.Uint8) || k == reflect.Map})
	}
	return out
}

// operation builds the operation of one route.
func (g *generator) operation(service string, r kitx.Route, errRef *openapi3.SchemaRef) (*openapi3.Operation, error) {
	op := &openapi3.Operation{
		OperationID: r.PolicyKey(service),
		Summary:     r.Summary,
		Responses:   openapi3.NewResponses(),
	}
	if r.Tag != "" {
		op.Tags = []string{r.Tag}
	}
	desc := strings.TrimSpace(r.Description)
	if r.Public {
		op.Security = &openapi3.SecurityRequirements{}
		desc = strings.TrimSpace(desc + "\n\nPublic: no token needed.")
	} else {
		roles := map[string]any{}
		var parts []string
		for _, role := range auth.Roles {
			if s := r.Rule.Roles[role]; s != auth.ScopeDeny {
				roles[string(role)] = s.String()
				parts = append(parts, string(role)+" ("+s.String()+")")
			}
		}
		op.Extensions = map[string]any{"x-guildhall-roles": roles}
		desc = strings.TrimSpace(desc + "\n\nAllowed roles: " + strings.Join(parts, ", ") + ".")
	}
	op.Description = desc

	params, err := parameters(r)
	if err != nil {
		return nil, err
	}
	op.Parameters = params

	if r.Request != nil {
		body, err := g.requestBody(r)
		if err != nil {
			return nil, err
		}
		op.RequestBody = body
	}
	ok, err := g.success(r)
	if err != nil {
		return nil, err
	}
	op.Responses.Set(strconv.Itoa(r.SuccessStatus()), &openapi3.ResponseRef{Value: ok})
	if r.AltStatus != 0 {
		d := http.StatusText(r.AltStatus)
		op.Responses.Set(strconv.Itoa(r.AltStatus), &openapi3.ResponseRef{Value: &openapi3.Response{Description: &d, Content: ok.Content}})
	}
	for status, ids := range errorIDs(r) {
		text := http.StatusText(status)
		if text == "" {
			text = "Error"
		}
		d := text + ": " + strings.Join(ids, ", ") + "."
		op.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: &openapi3.Response{
			Description: &d,
			Content:     openapi3.NewContentWithJSONSchemaRef(errRef),
			Extensions:  map[string]any{ErrorIDsExtension: ids},
		}})
	}
	d := "Any other refusal or failure any operation may answer: " + strings.Join(AnyOperationErrorIDs, ", ") + "."
	op.Responses.Set("default", &openapi3.ResponseRef{Value: &openapi3.Response{
		Description: &d,
		Content:     openapi3.NewContentWithJSONSchemaRef(errRef),
		Extensions:  map[string]any{ErrorIDsExtension: AnyOperationErrorIDs},
	}})
	return op, nil
}

// pathParam matches a {name} of a ServeMux pattern ({name...} included).
var pathParam = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_]*)(\.\.\.)?\}`)

// pathDescriptions are the words for the path parameters every service
// uses.
var pathDescriptions = map[string]string{
	"district": "the district's id, e.g. jingkai",
}

func parameters(r kitx.Route) (openapi3.Parameters, error) {
	var out openapi3.Parameters
	declared := map[string]kitx.Param{}
	for _, p := range r.Params {
		declared[p.In+":"+p.Name] = p
	}
	for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
		p := openapi3.NewPathParameter(m[1]).WithSchema(openapi3.NewStringSchema())
		p.Description = pathDescriptions[m[1]]
		if d, ok := declared["path:"+m[1]]; ok {
			p.Description = d.Description
		}
		out = append(out, &openapi3.ParameterRef{Value: p})
	}
	if r.Paged {
		size := openapi3.NewIntegerSchema().WithMin(1).WithMax(kitx.MaxPageSize)
		size.Default = kitx.DefaultPageSize
		ps := openapi3.NewQueryParameter("page_size").WithSchema(size)
		ps.Description = "items per page (1–500, default 50); 400 request.page_size_invalid otherwise"
		pt := openapi3.NewQueryParameter("page_token").WithSchema(openapi3.NewStringSchema())
		pt.Description = "the next_page_token of the previous page; 400 request.page_token_invalid for one this list did not issue"
		out = append(out, &openapi3.ParameterRef{Value: ps}, &openapi3.ParameterRef{Value: pt})
	}
	if r.IdempotencyKey {
		p := openapi3.NewHeaderParameter("Idempotency-Key").WithSchema(openapi3.NewStringSchema().WithMaxLength(200))
		p.Description = "the same key and body within 24 h returns the first result and writes nothing new; the same key with another body is 422"
		out = append(out, &openapi3.ParameterRef{Value: p})
	}
	if r.IfMatch {
		p := openapi3.NewHeaderParameter("If-Match").WithSchema(openapi3.NewStringSchema())
		p.Description = "the etag of the resource as last read: 412 request.etag_stale unless it is the current version (a version never issued, such as \"0\", included); absent or *: the update is unconditional; a value that is not a version is 400 request.if_match_invalid"
		out = append(out, &openapi3.ParameterRef{Value: p})
	}
	for _, p := range r.Params {
		in := p.In
		if in == "" {
			in = "query"
		}
		if in == "path" {
			if !strings.Contains(r.Path, "{"+p.Name+"}") {
				return nil, fmt.Errorf("path parameter %s is not in %s", p.Name, r.Path)
			}
			continue
		}
		var s *openapi3.Schema
		switch p.Type {
		case "", "string":
			s = openapi3.NewStringSchema()
			s.Format = p.Format
		case "integer":
			s = openapi3.NewIntegerSchema()
			if p.Min != 0 {
				s = s.WithMin(float64(p.Min))
			}
		case "boolean":
			s = openapi3.NewBoolSchema()
		default:
			return nil, fmt.Errorf("parameter %s: unknown type %q", p.Name, p.Type)
		}
		if len(p.Enum) > 0 {
			s.Enum = strEnum(p.Enum)
		}
		param := &openapi3.Parameter{Name: p.Name, In: in, Description: p.Description, Required: p.Required, Schema: s.NewRef()}
		out = append(out, &openapi3.ParameterRef{Value: param})
	}
	return out, nil
}

func (g *generator) requestBody(r kitx.Route) (*openapi3.RequestBodyRef, error) {
	ct := r.RequestContentType
	var schema *openapi3.SchemaRef
	if ct == "" || ct == "application/json" {
		ct = "application/json"
		ref, err := g.request(r.Request)
		if err != nil {
			return nil, err
		}
		schema = ref
	} else {
		schema = openapi3.NewStringSchema().NewRef()
	}
	return &openapi3.RequestBodyRef{Value: &openapi3.RequestBody{
		Required: !r.OptionalBody,
		Content:  openapi3.NewContentWithSchemaRef(schema, mediaTypes(ct)),
	}}, nil
}

func (g *generator) success(r kitx.Route) (*openapi3.Response, error) {
	d := http.StatusText(r.SuccessStatus())
	resp := &openapi3.Response{Description: &d}
	if r.Response != nil {
		ct := r.ResponseContentType
		if ct == "" {
			ct = "application/json"
		}
		schema, err := g.response(r.Response)
		if err != nil {
			return nil, err
		}
		if ct != "application/json" && !strings.HasSuffix(ct, "+json") {
			// A file (an export, a template): bytes, not a JSON value.
			schema = openapi3.NewStringSchema().WithFormat("binary").NewRef()
		}
		resp.Content = openapi3.NewContentWithSchemaRef(schema, mediaTypes(ct))
	}
	for _, h := range r.ResponseHeaders {
		if resp.Headers == nil {
			resp.Headers = openapi3.Headers{}
		}
		resp.Headers[h] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Schema: openapi3.NewStringSchema().NewRef(), Description: headerDescriptions[h],
		}}}
	}
	return resp, nil
}

// mediaTypes splits a route's content type, which may list several
// ("text/csv, application/vnd…sheet": a body or download in either).
func mediaTypes(ct string) []string {
	var out []string
	for _, t := range strings.Split(ct, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

var headerDescriptions = map[string]string{
	"Content-Disposition": "attachment; the file's name, with an RFC 6266 filename* for non-ASCII names",
	"ETag":                "the resource's version, for If-Match",
	"Location":            "where the created resource is read",
	"Cache-Control":       "no-store: the response holds a secret",
}

// errorIDs groups the stable error ids a route can answer by their HTTP
// status: the ones every route of its kind answers (authentication and
// authorization, body decoding, paging, If-Match) and its own.
func errorIDs(r kitx.Route) map[int][]string {
	var all []*errs.Error
	if !r.Public {
		all = append(all, auth.ErrTokenMissing, auth.ErrTokenInvalid, auth.ErrTokenExpired, auth.ErrForbidden)
	}
	if r.Request != nil && (r.RequestContentType == "" || r.RequestContentType == "application/json") {
		all = append(all, kitx.ErrUnsupportedMediaType, kitx.ErrBodyTooLarge, kitx.ErrBodyMalformed,
			kitx.ErrUnknownField, kitx.ErrWrongType, kitx.ErrTrailingData, kitx.ErrInvalidUTF8,
			kitx.ErrNULCharacter, kitx.ErrControlCharacter, kitx.ErrDuplicateKey)
		if !r.OptionalBody {
			all = append(all, kitx.ErrBodyEmpty)
		}
	}
	if r.Paged {
		all = append(all, kitx.ErrPageSize, kitx.ErrPageToken)
	}
	if r.IfMatch {
		all = append(all, kitx.ErrIfMatchInvalid, kitx.ErrEtagStale)
	}
	all = append(all, r.Errors...)
	out := map[int][]string{}
	for _, e := range all {
		if e == nil {
			continue
		}
		status, body := errs.HTTP(e)
		if !slices.Contains(out[status], body.Error.ID) {
			out[status] = append(out[status], body.Error.ID)
		}
	}
	for s := range out {
		sort.Strings(out[s])
	}
	return out
}

// ErrNoRoutes is returned for an API without routes.
var ErrNoRoutes = errors.New("apidoc: no routes")
