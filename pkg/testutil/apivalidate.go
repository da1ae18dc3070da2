package testutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/guildhall/guildhall/pkg/apidoc"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// APIValidator checks HTTP exchanges against an OpenAPI document with
// kin-openapi's openapi3filter, so a test that goes through it fails when
// the document and the server disagree:
//
//   - every response of a documented operation must match it: a status the
//     operation documents (or its default), and a body of that status's
//     schema — a field the document does not list, a missing required
//     field, a wrong type, enum or format all fail;
//   - every request the server accepted (status below 400) must match its
//     operation: parameters, body, and no query parameter the operation
//     does not document (a request the server refused may be as wrong as
//     the test meant it to be);
//   - a request for a path and method the document does not describe must
//     be refused (404 or 405) with the API's error body: a success there is
//     an undocumented route.
//
// Routes are matched with http.ServeMux, as the services match them, so a
// static segment wins over a {wildcard} exactly as in production.
type APIValidator struct {
	doc     *openapi3.T
	mux     *http.ServeMux
	allowed []string
	errRef  *openapi3.SchemaRef

	mu       sync.Mutex
	seen     map[string]int
	problems []string
}

// matchKey carries the match a validator's ServeMux handler fills in.
type matchKey struct{}

type match struct {
	path, method string
	item         *openapi3.PathItem
	op           *openapi3.Operation
	params       map[string]string
}

// NewAPIValidator loads doc (JSON) for validating exchanges. Requests for
// the paths in undocumented (exact paths, e.g. "/api/v1/openapi.json") are
// let through unchecked: they are served outside the API.
func NewAPIValidator(doc []byte, undocumented ...string) (*APIValidator, error) {
	csvAsText.Do(func() {
		// Files (imports, exports): the documents say a string of bytes.
		for _, ct := range []string{"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"} {
			openapi3filter.RegisterBodyDecoder(ct, textBody)
		}
	})
	d, err := apidoc.Load(doc)
	if err != nil {
		return nil, err
	}
	if err := d.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("testutil: the document is not valid OpenAPI: %w", err)
	}
	v := &APIValidator{doc: d, mux: http.NewServeMux(), allowed: undocumented, seen: map[string]int{}}
	if d.Components != nil {
		if s, ok := d.Components.Schemas[apidoc.ErrorSchema]; ok {
			v.errRef = s
		}
	}
	for _, path := range d.Paths.InMatchingOrder() {
		item := d.Paths.Value(path)
		for method, op := range item.Operations() {
			names := pathParamNames(path)
			v.mux.HandleFunc(method+" "+path, func(_ http.ResponseWriter, r *http.Request) {
				m, _ := r.Context().Value(matchKey{}).(*match)
				if m == nil {
					return
				}
				m.path, m.method, m.item, m.op = path, method, item, op
				m.params = map[string]string{}
				for _, n := range names {
					m.params[n] = r.PathValue(n)
				}
			})
		}
	}
	return v, nil
}

// csvAsText makes openapi3filter read a text/csv body as the string the
// documents say it is: the server parses the rows itself and reports a bad
// one in the import's error report, so a row kin-openapi's strict CSV
// reader refuses is no mismatch with the document.
var csvAsText sync.Once

func textBody(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	return string(b), err
}

var pathParamRE = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

func pathParamNames(path string) []string {
	var out []string
	for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
		out = append(out, m[1])
	}
	return out
}

// Check validates one exchange and returns what is wrong with it (nil when
// it matches the document).
func (v *APIValidator) Check(req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) error {
	if slices.Contains(v.allowed, req.URL.Path) {
		return nil
	}
	m := &match{}
	probe := req.Clone(context.WithValue(req.Context(), matchKey{}, m))
	probe.Body = http.NoBody
	v.mux.ServeHTTP(httptest.NewRecorder(), probe)
	name := req.Method + " " + req.URL.Path
	if m.op == nil {
		if status < 400 {
			return fmt.Errorf("%s answered %d, but the document describes no such operation", name, status)
		}
		// Refused by routing (404, 405) or before it (414, 431): the
		// error body all the same.
		return v.checkErrorBody(name, status, header, respBody)
	}
	opName := m.method + " " + m.path
	v.mu.Lock()
	v.seen[opName]++
	v.mu.Unlock()

	route := &routers.Route{Spec: v.doc, Path: m.path, PathItem: m.item, Method: m.method, Operation: m.op}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	// The field and the reason; the schema and value dumps kin-openapi
	// adds by default bury them.
	opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		return fmt.Sprintf("at /%s: %s (value %v)", strings.Join(err.JSONPointer(), "/"), err.Reason, short(err.Value))
	})
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: m.params, Route: route, Options: opts}
	var problems []error
	if status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			problems = append(problems, fmt.Errorf("the request the server accepted does not match the document: %w", err))
		}
		if err := undocumentedQuery(m, req); err != nil {
			problems = append(problems, err)
		}
	}
	if status >= 400 {
		if err := errorIDDocumented(m.op, status, respBody); err != nil {
			problems = append(problems, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header, Options: opts,
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		problems = append(problems, fmt.Errorf("the %d response does not match the document: %w", status, err))
	}
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("%s (operation %s): %w", name, opName, err)
	}
	return nil
}

// undocumentedQuery refuses a query parameter the operation does not list.
func undocumentedQuery(m *match, req *http.Request) error {
	known := map[string]bool{}
	for _, ps := range []openapi3.Parameters{m.item.Parameters, m.op.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				known[p.Value.Name] = true
			}
		}
	}
	var extra []string
	for _, k := range slices.Sorted(maps.Keys(req.URL.Query())) {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		return fmt.Errorf("the server accepted query parameters the document does not list: %s", strings.Join(extra, ", "))
	}
	return nil
}

// checkErrorBody checks a refusal outside any documented operation: a JSON
// body of the document's Error schema.
func (v *APIValidator) checkErrorBody(name string, status int, header http.Header, body []byte) error {
	if v.errRef == nil || v.errRef.Value == nil || (status == http.StatusMethodNotAllowed && len(body) == 0) {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if mt != "application/json" {
		return fmt.Errorf("%s answered %d with Content-Type %q, not the JSON error body", name, status, header.Get("Content-Type"))
	}
	val, err := decodeJSON(body)
	if err != nil {
		return fmt.Errorf("%s answered %d with a body that is not JSON: %w", name, status, err)
	}
	if err := v.errRef.Value.VisitJSON(val); err != nil {
		return fmt.Errorf("%s answered %d with a body that is not the error body: %w", name, status, err)
	}
	return nil
}

// Seen returns how many exchanges each documented operation ("METHOD
// /path") had.
func (v *APIValidator) Seen() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return maps.Clone(v.seen)
}

// record keeps a problem for Problems and reports it to t, if any.
func (v *APIValidator) record(t testing.TB, err error) {
	if err == nil {
		return
	}
	v.mu.Lock()
	v.problems = append(v.problems, err.Error())
	v.mu.Unlock()
	if t != nil {
		t.Errorf("openapi: %v", err)
	}
}

// Problems returns every problem found so far.
func (v *APIValidator) Problems() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.problems)
}

// Transport returns a RoundTripper that sends each request with next (nil:
// http.DefaultTransport) and checks the exchange, reporting problems to t
// (t may be nil: Problems collects them).
func (v *APIValidator) Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		var reqBody []byte
		if req.Body != nil && req.Body != http.NoBody {
			b, err := io.ReadAll(req.Body)
			_ = req.Body.Close()
			if err != nil {
				return nil, err
			}
			reqBody = b
			req = req.Clone(req.Context())
			req.Body = io.NopCloser(bytes.NewReader(b))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		}
		resp, err := next.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if err != nil {
			return resp, err
		}
		v.record(t, v.Check(req, reqBody, resp.StatusCode, resp.Header, body))
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Handler returns next wrapped so that each exchange it serves is checked,
// reporting problems to t (t may be nil: Problems collects them).
func (v *APIValidator) Handler(t testing.TB, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqBody []byte
		if r.Body != nil {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			reqBody = b
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		// The original request, as the client sent it: the handler may
		// change r (path values, context) as it serves.
		sent := r.Clone(r.Context())
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		v.record(t, v.Check(sent, reqBody, rec.Code, rec.Header(), rec.Body.Bytes()))
	})
}

func decodeJSON(b []byte) (any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// CheckGenerated fails t unless committed (a service's openapi.json) is
// exactly what the generator makes of api today: the document is a
// generated artefact, and `make openapi` rewrites it.
func CheckGenerated(t testing.TB, committed []byte, api kitx.API) {
	t.Helper()
	want, err := apidoc.Generate(api)
	if err != nil {
		t.Fatalf("generate the %s document: %v", api.Service, err)
	}
	if !bytes.Equal(committed, want) {
		t.Errorf("the committed openapi.json of %s is not what its route table generates: run make openapi and commit the result", api.Service)
	}
}

// CheckDocument is the document test of every service (its
// openapi_test.go): committed (the service's openapi.json) must be what
// the generator makes of api today (CheckGenerated), and must describe
// api's routes and policy the way every Guildhall document does
// (CheckOpenAPI): every route documented and nothing else, the bearer
// scheme required at the document level and inherited by every protected
// operation (a public one stays anonymous), a 401 and a 403 on each, and
// each protected operation naming exactly the roles, with their scope,
// that its policy row allows, in its description and in
// x-guildhall-roles.
func CheckDocument(t testing.TB, committed []byte, api kitx.API) {
	t.Helper()
	CheckGenerated(t, committed, api)
	routes := api.RouteInfos()
	if len(routes) == 0 {
		t.Fatalf("the route table of %s is empty", api.Service)
	}
	CheckOpenAPI(t, committed, routes, kitx.Policy(api.Service, api.Routes),
		RequireInheritedSecurity(), RequireRolesText(), RequireRolesExtension())
}

// ValidatedHandler wraps h in an APIValidator of doc that reports every
// problem to t: the handler tests of a service go through it, so a request
// or response that disagrees with the document fails the test.
func ValidatedHandler(t testing.TB, doc []byte, h http.Handler) http.Handler {
	t.Helper()
	v, err := NewAPIValidator(doc)
	if err != nil {
		t.Fatal(err)
	}
	return v.Handler(t, h)
}

// short prints a value for an error message, cut to 80 characters.
func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// errorIDDocumented checks that an error response's id is one the
// operation documents for its status (apidoc.ErrorIDsExtension), or one
// any operation may answer (its default response's).
func errorIDDocumented(op *openapi3.Operation, status int, body []byte) error {
	var b struct {
		Error struct {
			ID string `json:"id"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil || b.Error.ID == "" {
		return nil // the schema check reports a body that is no error body
	}
	var listed []string
	for _, key := range []string{strconv.Itoa(status), "default"} {
		r := op.Responses.Value(key)
		if r == nil || r.Value == nil {
			continue
		}
		ids, _ := r.Value.Extensions[apidoc.ErrorIDsExtension].([]any)
		for _, id := range ids {
			if s, ok := id.(string); ok {
				if s == b.Error.ID {
					return nil
				}
				listed = append(listed, s)
			}
		}
	}
	return fmt.Errorf("the %d response has the error id %s, which the operation does not document for that status (it lists %s)",
		status, b.Error.ID, strings.Join(listed, ", "))
}
