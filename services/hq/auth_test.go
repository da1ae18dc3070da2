package hq

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/testutil"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"

	"github.com/guildhall/guildhall/services/hq/internal/endpoints"
)

// asHQAdmin puts a city-wide hq-admin principal in every request's context,
// as auth.Authenticate does for a valid token, for the tests whose subject
// is not authorization.
func asHQAdmin(h http.Handler) http.Handler {
	p := auth.Principal{Subject: "hq-admin-test", Role: auth.RoleHQAdmin}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

const (
	testIssuer   = "https://id.guildhall.test"
	testAudience = "guildhall-hq"
	// own is the district of every scoped test caller; other is not theirs.
	own   = "jingkai"
	other = "caidian"
)

// caller is one principal of the matrix, named for the failure messages.
type caller struct {
	name string
	p    auth.Principal
}

// callers covers every role, and police both city-wide and scoped.
var callers = []caller{
	{"hq-admin", auth.Principal{Subject: "u-hq", Role: auth.RoleHQAdmin}},
	{"district-admin", auth.Principal{Subject: "u-da", Role: auth.RoleDistrictAdmin, Districts: []string{own}}},
	{"company-admin", auth.Principal{Subject: "u-ca", Role: auth.RoleCompanyAdmin, Districts: []string{own}, Company: "c1"}},
	{"police city-wide", auth.Principal{Subject: "u-pc", Role: auth.RolePolice}},
	{"police scoped", auth.Principal{Subject: "u-ps", Role: auth.RolePolice, Districts: []string{own}}},
	{"guard", auth.Principal{Subject: "u-g", Role: auth.RoleGuard, Districts: []string{own}, Company: "c1", Guard: "g1"}},
	{"ops", auth.Principal{Subject: "u-ops", Role: auth.RoleOps}},
}

// request is one concrete request of a route: where, and which district
// it targets ("" for none).
type request struct {
	route    kitx.Route
	method   string
	path     string
	body     string
	district string
	// cell names the request in the explicit table: endpoint, plus own,
	// other or all where the district varies.
	cell string
}

// requests expands every route into its concrete requests: a route with
// {district} once for own and once for other; the district and conflict
// lists without a filter and with ?district=own and other.
func requests(t *testing.T) []request {
	t.Helper()
	var out []request
	for _, rt := range routeTable(nil) {
		method, path := rt.Method, rt.Path
		body := ""
		if method != http.MethodGet {
			body = matrixBody(t, rt.Name)
		}
		switch {
		case strings.Contains(path, "{district}"):
			for _, d := range []struct{ id, rel string }{{own, "own"}, {other, "other"}} {
				p := strings.ReplaceAll(path, "{district}", d.id)
				out = append(out, request{rt, method, p, body, d.id, rt.Name + " " + d.rel})
			}
		case rt.Name == endpoints.NameConflicts || rt.Name == endpoints.NameDistricts:
			out = append(out,
				request{rt, method, path, body, "", rt.Name + " all"},
				request{rt, method, path + "?district=" + own, body, own, rt.Name + " own"},
				request{rt, method, path + "?district=" + other, body, other, rt.Name + " other"})
		default:
			out = append(out, request{rt, method, path, body, "", rt.Name})
		}
		if p := out[len(out)-1].path; strings.Contains(p, "{") {
			t.Fatalf("route %s has a path parameter this test does not fill in: %s", rt.Pattern(), p)
		}
	}
	return out
}

// matrixConvention is the convention the matrix node's etcd holds; the
// matrix's PUT re-submits it, so the one allowed publication is the
// idempotent repeat and the matrix can check that nothing was written.
var matrixConvention = Convention{Version: "2025", Title: "武汉市保安行业自律公约", Text: "一、依法经营……",
	PublishedAt: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)}

// matrixBody is a valid body of the write route called name; a write route
// without one fails the test, so a new one is not walked with an empty body.
func matrixBody(t *testing.T, name string) string {
	t.Helper()
	switch name {
	case endpoints.NamePublishConvention:
		b, _ := json.Marshal(map[string]string{"version": matrixConvention.Version, "title": matrixConvention.Title,
			"text": matrixConvention.Text})
		return string(b)
	}
	t.Fatalf("write route %s has no body in the matrix", name)
	return ""
}

// allowed is the policy written out cell by cell: the decisions this test
// pins, so a change of policy.go that is not also made here fails.
//
// The district list and the district view agree: whoever may read
// /hq/districts/{d} may read /hq/districts?district={d}, and only a caller
// who may read every district's view reads the whole list.
var allowed = map[string][]string{
	"hq-admin": {"summary", "districts all", "districts own", "districts other", "district own", "district other",
		"companies own", "companies other", "conflicts all", "conflicts own", "conflicts other", "action_items own",
		"action_items other", "convention", "publish_convention", "compliance own", "compliance other", "patrols own",
		"patrols other", "notices own", "notices other", "unvisited own", "unvisited other"},
	"district-admin": {"summary", "districts own", "district own", "companies own", "conflicts own", "action_items own",
		"convention", "compliance own", "patrols own", "notices own", "unvisited own"},
	"company-admin": {"convention"},
	"police city-wide": {"summary", "districts all", "districts own", "districts other", "district own", "district other",
		"companies own", "companies other", "conflicts all", "conflicts own", "conflicts other", "action_items own",
		"action_items other", "convention", "compliance own", "compliance other", "patrols own", "patrols other",
		"notices own", "notices other", "unvisited own", "unvisited other"},
	"police scoped": {"summary", "districts own", "district own", "companies own", "conflicts own", "action_items own",
		"convention", "compliance own", "patrols own", "notices own", "unvisited own"},
	"guard": {},
	"ops":   {"summary", "districts all", "districts own", "districts other", "district own", "district other"},
}

// matrixNode is a node whose read model holds both districts and one
// person active in both, so every allowed request answers 200. With cli it
// publishes and reads the convention there (matrixConvention, which the
// caller puts); without, the convention endpoints answer 503.
func matrixNode(t *testing.T, cli *clientv3.Client) *Node {
	t.Helper()
	ctx := context.Background()
	n, err := New(ctx, Config{DBPath: filepath.Join(t.TempDir(), "hq.db"), Brokers: []string{"127.0.0.1:1"}}, Deps{Etcd: cli})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	for _, e := range []*eventsv1.Envelope{guardHired(own, "g1", "p1"), guardHired(other, "g2", "p1")} {
		if err := n.db.InTx(ctx, func(tx *sql.Tx) error { _, err := n.proj.Apply(ctx, tx, e); return err }); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// issuerServer serves n's handler behind auth.Authenticate with a local
// issuer's verifier, so the matrix runs on real signed tokens.
func issuerServer(t *testing.T, n *Node) (*httptest.Server, *auth.LocalIssuer) {
	t.Helper()
	iss, err := auth.NewLocalIssuer(t.TempDir(), testIssuer, testAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(testutil.ValidatedHandler(t, openAPI, auth.Authenticate(iss.Verifier())(n.Handler())))
	t.Cleanup(srv.Close)
	return srv, iss
}

// call GETs path with token (none if empty) and returns the status and the
// error id of the body ("" on success).
func call(t *testing.T, srv *httptest.Server, path, token string) (int, string, []byte) {
	t.Helper()
	return send(t, srv, http.MethodGet, path, "", token)
}

// send is call with any method and a JSON body (none if empty).
func send(t *testing.T, srv *httptest.Server, method, path, body, token string) (int, string, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: decode: %v", method, path, err)
	}
	var e errs.Body
	_ = json.Unmarshal(out, &e)
	return resp.StatusCode, e.Error.ID, out
}

func TestPolicyCoversEveryRoute(t *testing.T) {
	t.Parallel()
	pol := Policy()
	if err := pol.Validate(); err != nil {
		t.Fatal(err)
	}
	routes := routeTable(nil)
	var names []string
	for _, rt := range routes {
		row := rt.PolicyKey(ServiceName)
		if _, ok := pol[row]; !ok {
			t.Errorf("route %s has no policy row %q", rt.Pattern(), row)
		}
		if slices.Contains(names, row) {
			t.Errorf("route %s shares the endpoint %q with another route", rt.Pattern(), row)
		}
		names = append(names, row)
	}
	for _, e := range pol.Endpoints() {
		if !slices.Contains(names, e) {
			t.Errorf("policy row %q has no route", e)
		}
	}
	if exported := Routes(); len(exported) != len(routes) {
		t.Errorf("hq.Routes has %d routes, the handler %d", len(exported), len(routes))
	} else {
		for i, r := range exported {
			if r.Method != routes[i].Method || r.Path != routes[i].Path || r.Endpoint != routes[i].PolicyKey(ServiceName) {
				t.Errorf("hq.Routes[%d] = %+v, handler route %+v", i, r, routes[i])
			}
		}
	}
	// Every role is in the explicit table, so a new role cannot slip
	// through the matrix untested.
	for _, r := range auth.Roles {
		found := false
		for _, c := range callers {
			found = found || c.p.Role == r
		}
		if !found {
			t.Errorf("role %s has no caller in the matrix", r)
		}
	}
}

// TestAuthorizationMatrix walks every route × every role (police both
// city-wide and scoped) × own/other district with real tokens and checks
// that the answer is exactly what Policy().Decide says, that Decide says
// what the explicit table says, and that the status is 200 or 403
// auth.forbidden accordingly.
//
// The convention routes run against a real embedded etcd holding
// matrixConvention; afterwards the key must not have been written at all:
// the refused publishers never reached the service, and hq-admin's PUT
// re-submitted the current version, which writes nothing.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	env := testutil.NewEnv(t)
	ctx := env.Context()
	etcd := env.Etcd()
	seed, _ := json.Marshal(matrixConvention)
	put, err := etcd.Client.Put(ctx, ConventionKey, string(seed))
	if err != nil {
		t.Fatal(err)
	}
	n := matrixNode(t, etcd.Client)
	srv, iss := issuerServer(t, n)
	pol := Policy()
	reqs := requests(t)
	cells := map[string]bool{}
	for _, r := range reqs {
		cells[r.cell] = true
	}
	for _, c := range callers {
		for _, a := range allowed[c.name] {
			if !cells[a] {
				t.Fatalf("explicit table names %q for %s, which is no request of the matrix", a, c.name)
			}
		}
	}
	for _, c := range callers {
		token, _, err := iss.Issue(c.p)
		if err != nil {
			t.Fatalf("%s: issue: %v", c.name, err)
		}
		for _, r := range reqs {
			ctx := context.Background()
			var target auth.Target
			if r.route.Target != nil {
				target = r.route.Target(ctx, decoded(r))
			}
			decided := pol.Decide(c.p, r.route.PolicyKey(ServiceName), target)
			want := slices.Contains(allowed[c.name], r.cell)
			if (decided == nil) != want {
				t.Errorf("%s on %s: Decide = %v, the explicit table says allowed=%v", c.name, r.cell, decided, want)
			}
			status, id, body := send(t, srv, r.method, r.path, r.body, token)
			switch {
			case decided == nil && status != http.StatusOK:
				t.Errorf("%s %s %s = %d %s, want 200 (allowed)", c.name, r.method, r.path, status, id)
			case decided != nil && (status != http.StatusForbidden || id != "auth.forbidden"):
				t.Errorf("%s %s %s = %d %s, want 403 auth.forbidden", c.name, r.method, r.path, status, id)
			}
			if decided == nil && r.route.Name == endpoints.NameConvention && !strings.Contains(string(body), `"version":"2025"`) {
				t.Errorf("%s GET %s = %s, want version 2025", c.name, r.path, body)
			}
			// The district list filtered to d is d's view alone, the one
			// /hq/districts/{d} answers the same caller.
			if decided == nil && r.route.Name == endpoints.NameDistricts && r.district != "" {
				var list struct {
					Items []struct {
						District string `json:"district"`
					} `json:"items"`
				}
				if err := json.Unmarshal(body, &list); err != nil || len(list.Items) != 1 || list.Items[0].District != r.district {
					t.Errorf("%s GET %s = %s, want the one item of %s", c.name, r.path, body, r.district)
				}
			}
			// An allowed list is never silently empty: the read model holds
			// one conflict, in both districts.
			if decided == nil && r.route.Name == endpoints.NameConflicts && !strings.Contains(string(body), `"id_hash":"p1"`) {
				t.Errorf("%s GET %s = %s, want the conflict of p1", c.name, r.path, body)
			}
		}
	}
	got, err := etcd.Client.Get(ctx, ConventionKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Kvs) != 1 || got.Kvs[0].ModRevision != put.Header.Revision || string(got.Kvs[0].Value) != string(seed) {
		t.Errorf("the convention key was written during the matrix: %v (seeded at revision %d)", got.Kvs, put.Header.Revision)
	}
}

// decoded is the decoded request the middleware sees for r, built the way
// the transport builds it, so the test asks Decide about the same target.
func decoded(r request) any {
	switch r.route.Name {
	case endpoints.NameDistricts:
		return endpoints.DistrictsRequest{District: r.district}
	case endpoints.NameDistrict:
		return endpoints.DistrictRequest{District: r.district}
	case endpoints.NameCompanies:
		return endpoints.CompaniesRequest{District: r.district}
	case endpoints.NameConflicts:
		return endpoints.ConflictsRequest{District: r.district}
	case endpoints.NameActionItems:
		return endpoints.ActionItemsRequest{District: r.district}
	case endpoints.NameCompliance:
		return endpoints.ComplianceRequest{District: r.district}
	case endpoints.NamePatrols:
		return endpoints.PatrolsRequest{District: r.district}
	case endpoints.NameNotices:
		return endpoints.NoticesRequest{District: r.district}
	case endpoints.NameUnvisited:
		return endpoints.UnvisitedRequest{District: r.district}
	case endpoints.NamePublishConvention:
		return endpoints.PublishConventionRequest{}
	}
	return nil
}

func TestRequestsWithoutAValidTokenAre401(t *testing.T) {
	t.Parallel()
	n := matrixNode(t, nil)
	srv, _ := issuerServer(t, n)
	// A token signed by another issuer's key (same iss and aud, unknown
	// kid) is as good as forged.
	forger, err := auth.NewLocalIssuer(t.TempDir(), testIssuer, testAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := forger.Issue(callers[0].p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range requests(t) {
		if status, id, _ := send(t, srv, r.method, r.path, r.body, ""); status != http.StatusUnauthorized || id != "auth.token_missing" {
			t.Errorf("%s %s without a token = %d %s, want 401 auth.token_missing", r.method, r.path, status, id)
		}
		if status, id, _ := send(t, srv, r.method, r.path, r.body, "not-a-jwt"); status != http.StatusUnauthorized || id != "auth.token_invalid" {
			t.Errorf("%s %s with garbage = %d %s, want 401 auth.token_invalid", r.method, r.path, status, id)
		}
		if status, id, _ := send(t, srv, r.method, r.path, r.body, forged); status != http.StatusUnauthorized || id != "auth.token_invalid" {
			t.Errorf("%s %s with a forged token = %d %s, want 401 auth.token_invalid", r.method, r.path, status, id)
		}
	}
	// An anonymous publication with a bad body is still 401, not 400: the
	// body is judged only for a caller allowed to publish.
	if status, id, _ := send(t, srv, http.MethodPut, "/api/v1/hq/convention", `{"bogus":1}`, ""); status != http.StatusUnauthorized || id != "auth.token_missing" {
		t.Errorf("anonymous PUT convention with a bad body = %d %s, want 401 auth.token_missing", status, id)
	}
	// The handler without Authenticate in front has no principal either:
	// it fails closed rather than trusting the caller.
	bare := httptest.NewServer(n.Handler())
	defer bare.Close()
	if status, id, _ := call(t, bare, "/api/v1/hq/summary", ""); status != http.StatusUnauthorized || id != "auth.token_missing" {
		t.Errorf("bare handler = %d %s, want 401 auth.token_missing", status, id)
	}
}

func TestForbiddenRequestsNeverReachTheService(t *testing.T) {
	t.Parallel()
	// A scoped caller asking about another district is refused before the
	// lookup, so a 403 cannot tell it whether the district exists.
	n := matrixNode(t, nil)
	srv, iss := issuerServer(t, n)
	token, _, err := iss.Issue(callers[1].p) // district-admin of own
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/hq/districts/nowhere", "/api/v1/hq/districts/" + other,
		"/api/v1/hq/districts", "/api/v1/hq/districts?district=" + other, "/api/v1/hq/districts?district=nowhere",
		"/api/v1/hq/districts/nowhere/companies", "/api/v1/hq/conflicts?district=nowhere", "/api/v1/hq/conflicts"} {
		if status, id, _ := call(t, srv, path, token); status != http.StatusForbidden || id != "auth.forbidden" {
			t.Errorf("district-admin GET %s = %d %s, want 403 auth.forbidden", path, status, id)
		}
	}
	// A refused publisher's body is never judged: 403, not 400, for a
	// malformed body, an unknown field and an invalid draft alike.
	for _, body := range []string{`{`, `{"published_at":"2099-01-01T00:00:00Z"}`, `{"version":"","title":"","text":""}`} {
		if status, id, _ := send(t, srv, http.MethodPut, "/api/v1/hq/convention", body, token); status != http.StatusForbidden || id != "auth.forbidden" {
			t.Errorf("district-admin PUT convention %s = %d %s, want 403 auth.forbidden", body, status, id)
		}
	}
	// Decide agrees, and it is a 403 error, not a 404 or an empty answer.
	err = Policy().Decide(callers[1].p, "hq.conflicts", auth.Target{})
	if !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("Decide(district-admin, conflicts, no district) = %v, want auth.forbidden", err)
	}
	if status, _ := errs.HTTP(err); status != http.StatusForbidden {
		t.Errorf("status of %v = %d", err, status)
	}
}

func ExamplePolicy() {
	pol := Policy()
	da := auth.Principal{Subject: "vp-jingkai", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}}
	fmt.Println(pol.Decide(da, "hq.district", auth.Target{District: "jingkai"}) == nil)
	fmt.Println(pol.Decide(da, "hq.district", auth.Target{District: "caidian"}) == nil)
	// Output:
	// true
	// false
}
