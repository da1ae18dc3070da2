package kitx

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
)

// Route is one row of a service's route table: everything about one HTTP
// route is declared here once. The transport mounts it (Mount), the
// endpoint middleware is applied from it (Chain), the policy table is read
// from it (Policy), the authorization-matrix tests walk it, and the OpenAPI
// document is generated from it (pkg/apidoc). A service builds its table
// with a function that may be called without a service (nil collaborators),
// so that tests and the document generator can read it: nothing in a row is
// called until a request arrives.
type Route struct {
	// Name is the endpoint's name within the service, e.g. "get_guard": its
	// name in metrics and traces, and (as "<service>.<name>") its policy
	// row and its OpenAPI operationId.
	Name string
	// Method is the HTTP method, upper case.
	Method string
	// Path is the full http.ServeMux path pattern, e.g.
	// "/api/v1/districts/{district}/guards/{id}".
	Path string
	// Summary is the operation's one-line summary; Description, if set,
	// says more (the generator adds the allowed roles to it).
	Summary, Description string
	// Tag groups the operation in the document.
	Tag string

	// Request is the zero value of the JSON request body's Go type (nil:
	// the route takes no body). Its schema is generated from the type.
	Request any
	// RequestContentType is the body's media type, or several separated by
	// commas; "" is application/json.
	// A non-JSON body is documented as a string.
	RequestContentType string
	// OptionalBody marks a body the route also accepts empty.
	OptionalBody bool
	// Params are the route's query and header parameters (path parameters
	// are read from Path).
	Params []Param
	// Paged adds the page_size and page_token query parameters.
	Paged bool
	// IdempotencyKey documents the Idempotency-Key header of a create.
	IdempotencyKey bool
	// IfMatch documents the If-Match header of a conditional update.
	IfMatch bool

	// Status is the success status; 0 is 200.
	Status int
	// AltStatus, if set, is a second success status the route may answer
	// with the same body (patrols' duplicate scan: 200 beside an accepted
	// scan's 201), for the document.
	AltStatus int
	// Response is the zero value of the success body's Go type, as it is
	// written on the wire (nil: no body, e.g. a 204).
	Response any
	// ResponseContentType is the success body's media type, or several
	// separated by commas (a download in either format); "" is
	// application/json.
	ResponseContentType string
	// ResponseHeaders are the headers the success response sets (ETag,
	// Location…), for the document.
	ResponseHeaders []string

	// Public routes (login, the JWKS) are open to anonymous callers: no
	// policy row, no authentication check, no bearer requirement.
	Public bool
	// Rule is the route's row of the service's policy table: the scope
	// each allowed role has. A role not in it is denied.
	Rule auth.Rule
	// Target tells the authorization middleware what a decoded request
	// acts on (nil: an empty target, which only city-wide callers match).
	Target func(ctx context.Context, request any) auth.Target
	// Errors are the stable error ids the route can answer beyond the ones
	// every route of its kind answers (request decoding, authentication,
	// authorization), for the document.
	Errors []*errs.Error

	// Decode reads the request (never called for a caller without a
	// principal on a protected route: authentication comes first).
	Decode kithttp.DecodeRequestFunc
	// Endpoint serves the decoded request.
	Endpoint endpoint.Endpoint
	// Middleware, if set, wraps Endpoint inside the authorization check:
	// a route-specific rule that needs the principal (e.g. the fields a
	// company-admin may not change).
	Middleware endpoint.Middleware
	// Handler, if set, serves the route instead of a go-kit server (a
	// static document such as the JWKS); Decode and Endpoint are unused.
	Handler http.Handler
}

// Errors lists a route's error ids for its document (Route.Errors): the
// route's own, then those every route of its kind answers. A route table
// builds one from the errors all its routes can answer (CommonErrors) and
// calls it in each row.
type Errors func(own ...*errs.Error) []*errs.Error

// CommonErrors returns the Errors of a table whose every route can answer
// common (another district's path, a full disk, …).
func CommonErrors(common ...*errs.Error) Errors {
	return func(own ...*errs.Error) []*errs.Error { return append(slices.Clone(own), common...) }
}

// With returns the Errors of the routes that also answer more (a create's
// Idempotency-Key errors, say).
func (e Errors) With(more ...*errs.Error) Errors {
	return func(own ...*errs.Error) []*errs.Error { return e(append(slices.Clone(own), more...)...) }
}

// Param is one documented query or header parameter of a route.
type Param struct {
	// Name is the parameter's name, e.g. "status" or "If-Match".
	Name string
	// In is "query" (the default) or "header".
	In string
	// Description says what it does.
	Description string
	// Type is the JSON type of its value: "string" (the default),
	// "integer" or "boolean".
	Type string
	// Format is the string format, e.g. "date" or "date-time".
	Format string
	// Enum lists the values it takes, if they are a fixed set.
	Enum []string
	// Min is the least value of an integer parameter (0: none).
	Min int
	// Required marks a parameter the route cannot do without.
	Required bool
}

// Query returns a string query parameter that takes the given values (none:
// any string).
func Query(name, description string, enum ...string) Param {
	return Param{Name: name, In: "query", Description: description, Enum: enum}
}

// PolicyKey returns the route's row in the policy table of service:
// "<service>.<name>".
func (r Route) PolicyKey(service string) string { return service + "." + r.Name }

// Pattern returns the route's http.ServeMux pattern, "METHOD /path".
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// SuccessStatus returns Status, or 200 when it is unset.
func (r Route) SuccessStatus() int {
	if r.Status == 0 {
		return http.StatusOK
	}
	return r.Status
}

// Policy returns the policy table of a service's routes, keyed
// "<service>.<name>": one row per protected route.
func Policy(service string, routes []Route) auth.Policy {
	p := auth.Policy{}
	for _, r := range routes {
		if !r.Public {
			p[r.PolicyKey(service)] = r.Rule
		}
	}
	return p
}

// CheckRoutes reports the mistakes in a route table that would only show in
// traffic: a route without a name, method or path, a name or pattern used
// twice, a route with neither an endpoint nor a handler (when built with
// its service), an invalid policy row. A service calls it when it starts
// (through Chain) and in a test.
func CheckRoutes(service string, routes []Route, built bool) error {
	var problems []string
	names, patterns := map[string]bool{}, map[string]bool{}
	for _, r := range routes {
		switch {
		case r.Name == "" || r.Method == "" || !strings.HasPrefix(r.Path, "/"):
			problems = append(problems, fmt.Sprintf("route %q (%s %s) lacks a name, method or path", r.Name, r.Method, r.Path))
			continue
		case r.Method != strings.ToUpper(r.Method):
			problems = append(problems, fmt.Sprintf("route %s: method %q is not upper case", r.Name, r.Method))
		}
		if names[r.Name] {
			problems = append(problems, fmt.Sprintf("route name %q used twice", r.Name))
		}
		names[r.Name] = true
		if patterns[r.Pattern()] {
			problems = append(problems, fmt.Sprintf("pattern %q used twice", r.Pattern()))
		}
		patterns[r.Pattern()] = true
		if built && r.Handler == nil && (r.Endpoint == nil || r.Decode == nil) {
			problems = append(problems, fmt.Sprintf("route %s has no endpoint or decoder", r.Name))
		}
		if !r.Public && len(r.Rule.Roles) == 0 {
			problems = append(problems, fmt.Sprintf("route %s is protected but its policy row allows no role", r.Name))
		}
	}
	if err := Policy(service, routes).Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: route table: %s", service, strings.Join(problems, "; "))
	}
	return nil
}

// Chain applies the endpoint middleware every service applies, the same way
// everywhere, and returns the table with each route's Endpoint wrapped,
// innermost first:
//
//  1. the route's own Middleware (it may rely on the principal);
//  2. the authorization check of the route's policy row against its
//     Target (auth.Middleware: 401 without a principal, 403 when the row
//     does not allow the caller) — skipped for public routes;
//  3. instrument(service, name), if instrument is not nil (metrics and
//     tracing), outermost so that refused requests are counted and traced
//     like any other outcome.
//
// It fails on a table CheckRoutes refuses, so a node never starts with a
// route it cannot serve or guard.
func Chain(service string, routes []Route, instrument func(service, endpoint string) endpoint.Middleware) ([]Route, error) {
	if err := CheckRoutes(service, routes, true); err != nil {
		return nil, err
	}
	policy := Policy(service, routes)
	out := slices.Clone(routes)
	for i, r := range out {
		if r.Handler != nil {
			continue
		}
		e := r.Endpoint
		if r.Middleware != nil {
			e = r.Middleware(e)
		}
		if !r.Public {
			e = auth.Middleware(policy, r.PolicyKey(service), r.Target)(e)
		}
		if instrument != nil {
			if m := instrument(service, r.Name); m != nil {
				e = m(e)
			}
		}
		out[i].Endpoint = e
	}
	return out, nil
}

// Mount registers every route of a chained table on mux (a go-kit server
// per route, encoding with EncodeJSONResponse and errors through errs).
// Authentication comes before decoding: a protected route's decoder is not
// called for a request without a principal, which goes to the endpoint as an
// anonymous request for the authorization middleware to answer 401 (counted
// and traced like any refusal). So an anonymous caller learns only that it
// needs a token, never how its body or parameters would have been judged.
func Mount(mux *http.ServeMux, routes []Route, opts ...kithttp.ServerOption) {
	MountWith(mux, routes, EncodeJSONResponse, opts...)
}

// MountWith is Mount with another response encoder (one that also logs,
// say); it must write what EncodeJSONResponse writes.
func MountWith(mux *http.ServeMux, routes []Route, encode kithttp.EncodeResponseFunc, opts ...kithttp.ServerOption) {
	options := ServerOptions(opts...)
	for _, r := range routes {
		if r.Handler != nil {
			mux.Handle(r.Pattern(), RouteHandler(r.Handler))
			continue
		}
		dec := r.Decode
		if !r.Public {
			dec = authenticatedFirst(dec)
		}
		mux.Handle(r.Pattern(), kithttp.NewServer(r.Endpoint, dec, encode, options...))
	}
}

// authenticatedFirst skips decoding a request without a principal.
func authenticatedFirst(dec kithttp.DecodeRequestFunc) kithttp.DecodeRequestFunc {
	return func(ctx context.Context, r *http.Request) (any, error) {
		if _, err := auth.RequirePrincipal(ctx); err != nil {
			return Anonymous{}, nil
		}
		return dec(ctx, r)
	}
}

// Anonymous is the request a protected endpoint receives from a caller
// without a principal; the authorization middleware refuses it (401) before
// anything reads it, so no endpoint ever sees one.
type Anonymous struct{}

// API is what a service's OpenAPI document is generated from (pkg/apidoc):
// its name, its words for the reader, and its route table.
type API struct {
	// Service names the service: operationIds and policy rows are
	// "<Service>.<route name>".
	Service string
	// Title, Version and Description are the document's info.
	Title, Version, Description string
	// Tags describe the route tags, in the order the document lists them.
	Tags []Tag
	// Routes is the service's route table (built without a service is
	// enough: only the declarations are read).
	Routes []Route
	// Enums gives the values of named types whose every use is one of a
	// fixed set (e.g. auth.Role), keyed by a zero value of the type.
	Enums []Enum
}

// RouteInfo is one route of a service as its tests, the OpenAPI checks
// (pkg/testutil) and a router in front of the service read it: what the
// route table declares, without the service.
type RouteInfo struct {
	// Method is the HTTP method, upper case.
	Method string
	// Path is the full http.ServeMux path pattern, e.g.
	// "/api/v1/districts/{district}/guards/{id}".
	Path string
	// Endpoint is the route's row in the service's policy table,
	// "<service>.<name>" (for a public route, the row it would have).
	Endpoint string
	// Public routes (login, the JWKS) are open to anonymous callers and
	// have no policy row.
	Public bool
}

// RouteInfos lists the routes of the API's table, in table order.
func (a API) RouteInfos() []RouteInfo {
	out := make([]RouteInfo, 0, len(a.Routes))
	for _, r := range a.Routes {
		out = append(out, RouteInfo{Method: r.Method, Path: r.Path, Endpoint: r.PolicyKey(a.Service), Public: r.Public})
	}
	return out
}

// Tag is one tag of the document.
type Tag struct {
	Name, Description string
}

// Enum lists the values of a named type, for the document.
type Enum struct {
	// Type is a zero value of the type, e.g. auth.Role("").
	Type any
	// Values are the values it takes.
	Values []string
}

// DistrictHandler serves a district service's chained route table (Mount)
// for district, the one way every district service builds its handler: a
// request naming another district under /api/v1/districts/ gets notFound
// before any routing, so one node never answers for another's data; an
// unknown path gets the API's 404 body.
func DistrictHandler(district string, notFound error, routes []Route, opts ...kithttp.ServerOption) http.Handler {
	mux := http.NewServeMux()
	Mount(mux, routes, opts...)
	mux.Handle("/", NotFoundHandler())
	return DistrictOnly(district, notFound, mux)
}

// Targets resolves what a decoded request acts on, for the authorization
// check of a route whose target is of kind (a service's own enumeration:
// the path's company, a stored guard's company, …). A service's authorizer
// implements it; its route table takes each route's Target from At.
type Targets[K any] func(ctx context.Context, kind K, request any) auth.Target

// At returns the Target function of the routes whose target is of kind.
// The resolver is only called when a request arrives, so a table built
// without its service (a method value of a nil authorizer) can be read.
func (f Targets[K]) At(kind K) func(ctx context.Context, request any) auth.Target {
	return func(ctx context.Context, request any) auth.Target { return f(ctx, kind, request) }
}

// ResourceID returns the path's {id} a decoded request names (the shared
// request types, and a service's own that implement ResourceID() string),
// or "" when it names none.
func ResourceID(request any) string {
	if r, ok := request.(interface{ ResourceID() string }); ok {
		return r.ResourceID()
	}
	return ""
}
