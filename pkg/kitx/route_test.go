package kitx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// tokens is a Verifier that knows two tokens: "admin" (hq-admin) and
// "guard" (a guard of jingkai).
type tokens struct{}

func (tokens) Verify(_ context.Context, raw string) (auth.Principal, error) {
	switch raw {
	case "admin":
		return auth.Principal{Subject: "a", Role: auth.RoleHQAdmin}, nil
	case "guard":
		return auth.Principal{Subject: "g", Role: auth.RoleGuard, Districts: []string{"jingkai"}, Company: "c1", Guard: "g1"}, nil
	}
	return auth.Principal{}, auth.ErrTokenInvalid
}

type thingInput struct {
	Name string `json:"name"`
}

// table is a two-route service: a protected create that decodes a JSON
// body and a public ping. decoded counts the create's decoder calls.
func table(decoded *atomic.Int32) []kitx.Route {
	return []kitx.Route{
		{
			Name: "create_thing", Method: "POST", Path: "/api/v1/things", Summary: "Create a thing",
			Request: thingInput{}, Response: thingInput{}, Status: http.StatusCreated,
			Rule: auth.Rule{Roles: map[auth.Role]auth.Scope{auth.RoleHQAdmin: auth.ScopeAny}},
			Decode: func(_ context.Context, r *http.Request) (any, error) {
				decoded.Add(1)
				return kitx.DecodeBody[thingInput](r)
			},
			Endpoint: func(_ context.Context, req any) (any, error) {
				return kitx.Created(req.(thingInput), "/api/v1/things/1", "", http.StatusCreated, nil), nil
			},
		},
		{
			Name: "ping", Method: "GET", Path: "/api/v1/ping", Summary: "Ping", Public: true, Response: thingInput{},
			Decode:   func(context.Context, *http.Request) (any, error) { return nil, nil },
			Endpoint: func(context.Context, any) (any, error) { return kitx.One(thingInput{Name: "pong"}, "", nil), nil },
		},
	}
}

// serve chains and mounts the table behind auth.Authenticate, recording
// the outcome instrumentation saw per endpoint.
func serve(t *testing.T, routes []kitx.Route, seen map[string][]string) http.Handler {
	t.Helper()
	instrument := func(service, name string) endpoint.Middleware {
		return func(next endpoint.Endpoint) endpoint.Endpoint {
			return func(ctx context.Context, req any) (any, error) {
				resp, err := next(ctx, req)
				outcome := "success"
				if err != nil {
					outcome = err.Error()
				}
				seen[service+"."+name] = append(seen[service+"."+name], outcome)
				return resp, err
			}
		}
	}
	chained, err := kitx.Chain("svc", routes, instrument)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	kitx.Mount(mux, chained)
	return auth.Authenticate(tokens{})(mux)
}

func do(h http.Handler, method, path, token, contentType, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func errorID(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var b struct {
		Error struct{ ID string } `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	return b.Error.ID
}

func TestMountAuthenticatesBeforeItDecodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, token, contentType, body string
		status                         int
		id                             string
		decodes                        bool
	}{
		{"An anonymous request with a malformed body is refused 401, its body unread.", "", "application/json", "{", 401, "auth.token_missing", false},
		{"An anonymous request with a body of the wrong media type is refused 401, not 415.", "", "text/plain", "x", 401, "auth.token_missing", false},
		{"A forged token gets 401 auth.token_invalid before the body is read.", "forged", "application/json", "{", 401, "auth.token_invalid", false},
		{"An authenticated caller the row does not allow is decoded, then refused 403.", "guard", "application/json", `{"name":"x"}`, 403, "auth.forbidden", true},
		{"An allowed caller's malformed body is judged: 400.", "admin", "application/json", "{", 400, "request.body_malformed", true},
		{"An allowed caller's good request is served.", "admin", "application/json", `{"name":"x"}`, 201, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var decoded atomic.Int32
			seen := map[string][]string{}
			h := serve(t, table(&decoded), seen)
			w := do(h, "POST", "/api/v1/things", c.token, c.contentType, c.body)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if c.id != "" && errorID(t, w) != c.id {
				t.Errorf("error id %q, want %q", errorID(t, w), c.id)
			}
			if got := decoded.Load() > 0; got != c.decodes {
				t.Errorf("decoder called: %v, want %v", got, c.decodes)
			}
			// Instrumentation is outermost: it sees the endpoint's
			// refusals (401, 403) too. A decoding error never reaches
			// the endpoint.
			if want := c.status != 400; (len(seen["svc.create_thing"]) == 1) != want {
				t.Errorf("instrumentation saw %v, want one outcome: %v", seen["svc.create_thing"], want)
			}
		})
	}
}

func TestMountServesPublicRoutesWithoutAToken(t *testing.T) {
	t.Parallel()
	var decoded atomic.Int32
	h := serve(t, table(&decoded), map[string][]string{})
	if w := do(h, "GET", "/api/v1/ping", "", "", ""); w.Code != 200 || !strings.Contains(w.Body.String(), "pong") {
		t.Fatalf("public route: %d %s", w.Code, w.Body)
	}
}

func TestPolicyHasOneRowPerProtectedRoute(t *testing.T) {
	t.Parallel()
	var decoded atomic.Int32
	p := kitx.Policy("svc", table(&decoded))
	if len(p) != 1 || p["svc.create_thing"].Roles[auth.RoleHQAdmin] != auth.ScopeAny {
		t.Fatalf("policy %v, want one row svc.create_thing", p)
	}
}

func TestRouteInfosListTheTableInOrder(t *testing.T) {
	t.Parallel()
	var decoded atomic.Int32
	got := kitx.API{Service: "svc", Routes: table(&decoded)}.RouteInfos()
	want := []kitx.RouteInfo{
		{Method: "POST", Path: "/api/v1/things", Endpoint: "svc.create_thing"},
		{Method: "GET", Path: "/api/v1/ping", Endpoint: "svc.ping", Public: true},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("RouteInfos = %+v, want %+v", got, want)
	}
}

func TestTargetsAtPassesTheKindAndTheRequest(t *testing.T) {
	t.Parallel()
	type kind int
	resolve := kitx.Targets[kind](func(_ context.Context, k kind, req any) auth.Target {
		return auth.Target{District: "jingkai", Company: fmt.Sprint(k), Guard: kitx.ResourceID(req)}
	})
	got := resolve.At(7)(context.Background(), kitx.IDRequest{ID: "g1"})
	if want := (auth.Target{District: "jingkai", Company: "7", Guard: "g1"}); got != want {
		t.Fatalf("target %+v, want %+v", got, want)
	}
	if id := kitx.ResourceID(struct{}{}); id != "" {
		t.Fatalf("ResourceID of a request naming nothing = %q", id)
	}
}

func TestErrorsListTheRoutesOwnThenTheCommonOnes(t *testing.T) {
	t.Parallel()
	own, more, common := errs.E(errs.Invalid, "a.own", "own"), errs.E(errs.Conflict, "a.more", "more"), errs.E(errs.NotFound, "a.common", "common")
	of := kitx.CommonErrors(common)
	create := of.With(more)
	ids := func(es []*errs.Error) (out []string) {
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	if got := ids(of(own)); !slices.Equal(got, []string{"a.own", "a.common"}) {
		t.Errorf("of = %v", got)
	}
	if got := ids(create(own)); !slices.Equal(got, []string{"a.own", "a.more", "a.common"}) {
		t.Errorf("create = %v", got)
	}
	if got := ids(of()); !slices.Equal(got, []string{"a.common"}) {
		t.Errorf("no own errors = %v", got)
	}
}

func TestCheckRoutesRefusesATableThatCannotBeServed(t *testing.T) {
	t.Parallel()
	allow := auth.Rule{Roles: map[auth.Role]auth.Scope{auth.RoleHQAdmin: auth.ScopeAny}}
	noop := func(context.Context, any) (any, error) { return nil, nil }
	dec := func(context.Context, *http.Request) (any, error) { return nil, nil }
	cases := []struct {
		name   string
		routes []kitx.Route
		built  bool
		want   string
	}{
		{"A name used twice is refused.", []kitx.Route{
			{Name: "a", Method: "GET", Path: "/x", Rule: allow}, {Name: "a", Method: "GET", Path: "/y", Rule: allow}}, false, "used twice"},
		{"A pattern used twice is refused.", []kitx.Route{
			{Name: "a", Method: "GET", Path: "/x", Rule: allow}, {Name: "b", Method: "GET", Path: "/x", Rule: allow}}, false, "used twice"},
		{"A protected route whose row allows nobody is refused.", []kitx.Route{
			{Name: "a", Method: "GET", Path: "/x"}}, false, "allows no role"},
		{"A row with a scope its role cannot have is refused.", []kitx.Route{
			{Name: "a", Method: "GET", Path: "/x", Rule: auth.Rule{Roles: map[auth.Role]auth.Scope{auth.RolePolice: auth.ScopeSelf}}}}, false, "cannot have scope"},
		{"A built route without an endpoint is refused.", []kitx.Route{
			{Name: "a", Method: "GET", Path: "/x", Rule: allow, Decode: dec}}, true, "no endpoint"},
		{"A lower-case method is refused.", []kitx.Route{
			{Name: "a", Method: "get", Path: "/x", Rule: allow, Decode: dec, Endpoint: noop}}, true, "upper case"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := kitx.CheckRoutes("svc", c.routes, c.built)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CheckRoutes = %v, want an error saying %q", err, c.want)
			}
		})
	}
	var decoded atomic.Int32
	if err := kitx.CheckRoutes("svc", table(&decoded), true); err != nil {
		t.Fatalf("a good table: %v", err)
	}
}
