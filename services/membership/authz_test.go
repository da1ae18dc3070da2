package membership_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/membership"
)

// caller is one principal of the matrix, as the test headers carry it.
type caller struct {
	label string
	p     auth.Principal
}

// headers returns the test headers that make a request carry c's principal.
func (c caller) headers() []string {
	if len(c.p.Districts) == 0 && c.p.Role != auth.RoleHQAdmin && c.p.Role != auth.RoleOps && c.p.Role != auth.RolePolice {
		panic("scoped role without districts: " + c.label)
	}
	return testutil.PrincipalHeaders(c.p, c.label)
}

// matrixFixture is a district with two companies (own = A, other = B),
// two guards in A and one in B, and an import job into A.
type matrixFixture struct {
	e                *env
	a, b             company
	ga, ga2, gb      guard
	importA, importB string
	council          string
	callers          []caller
	policy           auth.Policy
}

func newMatrixFixture(t *testing.T) *matrixFixture {
	t.Helper()
	e := newEnv(t)
	f := &matrixFixture{e: e, a: e.activeCompany(1), b: e.activeCompany(2), policy: membership.Policy()}
	f.ga, f.ga2, f.gb = e.hire(f.a.ID, 1), e.hire(f.a.ID, 2), e.hire(f.b.ID, 3)
	for _, x := range []struct {
		company string
		dst     *string
	}{{f.a.ID, &f.importA}, {f.b.ID, &f.importB}} {
		var job struct{ ID string }
		e.Must(http.StatusAccepted, "POST", "/companies/"+x.company+"/guards/imports",
			"name,id_number\n导入,"+residentID(500)+"\n", &job, "Content-Type", "text/csv")
		*x.dst = job.ID
	}
	var m struct{ ID string }
	e.Must(http.StatusCreated, "POST", "/council-members", map[string]any{"term": 1, "position": "director", "person_name": "理事甲"}, &m)
	f.council = m.ID

	own, other := []string{"jingkai"}, []string{"caidian"}
	f.callers = []caller{
		{"hq", auth.Principal{Role: auth.RoleHQAdmin}},
		{"da-own", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: own}},
		{"da-both", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"caidian", "jingkai"}}},
		{"da-other", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: other}},
		{"ca-own", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: own, Company: f.a.ID}},
		{"ca-othercompany", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: own, Company: f.b.ID}},
		{"ca-otherdistrict", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: other, Company: f.a.ID}},
		{"police-city", auth.Principal{Role: auth.RolePolice}},
		{"police-own", auth.Principal{Role: auth.RolePolice, Districts: own}},
		{"police-other", auth.Principal{Role: auth.RolePolice, Districts: other}},
		{"guard-self", auth.Principal{Role: auth.RoleGuard, Districts: own, Company: f.a.ID, Guard: f.ga.ID}},
		{"guard-colleague", auth.Principal{Role: auth.RoleGuard, Districts: own, Company: f.a.ID, Guard: f.ga2.ID}},
		{"guard-othercompany", auth.Principal{Role: auth.RoleGuard, Districts: own, Company: f.b.ID, Guard: f.gb.ID}},
		{"guard-otherdistrict", auth.Principal{Role: auth.RoleGuard, Districts: other, Company: f.a.ID, Guard: f.ga.ID}},
		{"ops", auth.Principal{Role: auth.RoleOps}},
	}
	for i := range f.callers {
		f.callers[i].p.Subject = f.callers[i].label
		if err := f.callers[i].p.Validate(); err != nil {
			t.Fatalf("%s: %v", f.callers[i].label, err)
		}
	}
	return f
}

// matrixRequest is one concrete request of a route and the target it acts
// on, as the test (not the code under test) knows it.
type matrixRequest struct {
	label       string
	method      string
	path        string
	body        any
	contentType string
	target      auth.Target
}

// requests returns the concrete requests that exercise rt. It fails the test
// for a route shape it does not know, so a new route needs a line here.
func (f *matrixFixture) requests(t *testing.T, rt membership.Route) []matrixRequest {
	t.Helper()
	rel, ok := strings.CutPrefix(rt.Path, "/api/v1/districts/{district}")
	if !ok {
		t.Fatalf("route %s %s is not under the district prefix", rt.Method, rt.Path)
	}
	district := auth.Target{District: "jingkai"}
	onA := auth.Target{District: "jingkai", Company: f.a.ID}
	onGuard := auth.Target{District: "jingkai", Company: f.a.ID, Guard: f.ga.ID}
	var body any
	ct := ""
	switch rt.Method {
	case "POST", "PATCH":
		body = map[string]any{}
	}
	if strings.HasSuffix(rel, "/status") {
		body = map[string]any{"status": "active"}
	}
	if strings.HasSuffix(rel, "/leave") {
		body = nil
	}
	if strings.HasSuffix(rel, "/imports") {
		body, ct = "name,id_number\n", "text/csv"
	}
	one := func(path string, target auth.Target) []matrixRequest {
		return []matrixRequest{{rt.Method + " " + path, rt.Method, path, body, ct, target}}
	}
	switch {
	case (rel == "/guards" || rel == "/certificates/expiring") && rt.Method == "GET":
		// A district-wide list of guards, with and without a company filter.
		return []matrixRequest{
			{"GET " + rel, "GET", rel, nil, "", district},
			{"GET " + rel + "?company_id=A", "GET", rel + "?company_id=" + f.a.ID, nil, "", onA},
			{"GET " + rel + "?company_id=B", "GET", rel + "?company_id=" + f.b.ID, nil, "", auth.Target{District: "jingkai", Company: f.b.ID}},
		}
	case rel == "/guards/search":
		return []matrixRequest{
			{"POST /guards/search", "POST", rel, map[string]any{}, "", district},
			{"POST /guards/search for A", "POST", rel, map[string]any{"company_id": f.a.ID}, "", onA},
			{"POST /guards/search for B", "POST", rel, map[string]any{"company_id": f.b.ID}, "", auth.Target{District: "jingkai", Company: f.b.ID}},
		}
	case rel == "/guards/export":
		// Like the district-wide list: a company-admin names its company.
		return []matrixRequest{
			{"GET /guards/export", "GET", "/guards/export", nil, "", district},
			{"GET /guards/export?company_id=A", "GET", "/guards/export?company_id=" + f.a.ID, nil, "", onA},
			{"GET /guards/export?company_id=B", "GET", "/guards/export?company_id=" + f.b.ID, nil, "", auth.Target{District: "jingkai", Company: f.b.ID}},
		}
	case rel == "/companies" || rel == "/council-members" || rel == "/audit" || rel == "/companies/export" || rel == "/guards/imports/template":
		return one(rel, district)
	case strings.HasPrefix(rel, "/council-members/{id}"):
		return one(strings.Replace(rel, "{id}", f.council, 1), district)
	case strings.HasPrefix(rel, "/companies/{id}"):
		return one(strings.Replace(rel, "{id}", f.a.ID, 1), onA)
	case strings.HasPrefix(rel, "/guards/{id}"):
		return one(strings.Replace(rel, "{id}", f.ga.ID, 1), onGuard)
	case rel == "/imports/{id}":
		return append(one("/imports/"+f.importA, onA),
			matrixRequest{"GET /imports/B", "GET", "/imports/" + f.importB, nil, "", auth.Target{District: "jingkai", Company: f.b.ID}})
	}
	t.Fatalf("the matrix does not know how to call %s %s: add it", rt.Method, rt.Path)
	return nil
}

// TestAuthorizationMatrix walks every route × every role (own and other
// district, own and other company, self and other guard) and checks the
// HTTP outcome against the policy table: 401 without a principal, 403
// exactly where Policy().Decide denies. It fails if a route has no row.
func TestAuthorizationMatrix(t *testing.T) {
	f := newMatrixFixture(t)
	if err := f.policy.Validate(); err != nil {
		t.Fatalf("policy table: %v", err)
	}
	routes := membership.Routes()
	if len(routes) < 21 {
		t.Fatalf("only %d routes", len(routes))
	}
	var names []string
	for _, rt := range routes {
		names = append(names, rt.Endpoint)
		if _, ok := f.policy[rt.Endpoint]; !ok {
			t.Errorf("route %s %s (%s) has no policy row", rt.Method, rt.Path, rt.Endpoint)
		}
	}
	for _, ep := range f.policy.Endpoints() {
		if !slices.Contains(names, ep) {
			t.Errorf("policy row %s names no route", ep)
		}
	}

	cells, allowed := 0, 0
	for _, rt := range routes {
		for _, rq := range f.requests(t, rt) {
			hdr := func(extra ...string) []string {
				if rq.contentType != "" {
					extra = append(extra, "Content-Type", rq.contentType)
				}
				return extra
			}
			// Without a principal: 401, whatever the route.
			r := f.e.Do(rq.method, rq.path, rq.body, hdr(testutil.AnonymousHeader, "1")...)
			if id := r.ErrorID(); r.Status != http.StatusUnauthorized || id != "auth.token_missing" {
				t.Errorf("%s without a principal: %d %s", rq.label, r.Status, r.Body)
			}
			for _, c := range f.callers {
				cells++
				want := f.policy.Decide(c.p, rt.Endpoint, rq.target)
				if want != nil && !errors.Is(want, auth.ErrForbidden) {
					t.Fatalf("%s %s: Decide: %v", c.label, rq.label, want)
				}
				r := f.e.Do(rq.method, rq.path, rq.body, hdr(c.headers()...)...)
				switch {
				case r.Status == http.StatusUnauthorized:
					t.Errorf("%s %s: 401 with a principal: %s", c.label, rq.label, r.Body)
				case want == nil && r.Status == http.StatusForbidden:
					t.Errorf("%s %s: 403, the policy allows it: %s", c.label, rq.label, r.Body)
				case want != nil && r.Status != http.StatusForbidden:
					t.Errorf("%s %s: %d, the policy denies it (403): %s", c.label, rq.label, r.Status, r.Body)
				case want != nil:
					if id := r.ErrorID(); id != "auth.forbidden" {
						t.Errorf("%s %s: error id %q", c.label, rq.label, id)
					}
				default:
					allowed++
				}
			}
		}
	}
	// The table is neither all-allow nor all-deny.
	if allowed == 0 || allowed == cells {
		t.Fatalf("%d of %d cells allowed", allowed, cells)
	}
	t.Logf("%d cells, %d allowed", cells, allowed)
}

// TestPolicyDecisionsOnPurpose pins the cells the issue spells out, so a
// change to the table that flips one of them is a deliberate test change.
func TestPolicyDecisionsOnPurpose(t *testing.T) {
	p := membership.Policy()
	own := auth.Target{District: "jingkai", Company: "A", Guard: "G"}
	district := auth.Target{District: "jingkai"}
	ca := auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "A"}
	police := auth.Principal{Role: auth.RolePolice}
	g := auth.Principal{Role: auth.RoleGuard, Districts: []string{"jingkai"}, Company: "A", Guard: "G"}
	for _, tc := range []struct {
		who      string
		p        auth.Principal
		endpoint string
		target   auth.Target
		allow    bool
	}{
		{"company-admin may not change its own status", ca, "change_company_status", own, false},
		{"company-admin may update its own company", ca, "update_company", own, true},
		{"company-admin may not list the member directory", ca, "list_companies", district, false},
		{"company-admin may not register companies", ca, "register_company", district, false},
		{"company-admin may not read audit", ca, "list_audit", district, false},
		{"company-admin hires into its own company", ca, "hire_guard", own, true},
		{"police may not read audit", police, "list_audit", district, false},
		{"police reads guards", police, "get_guard", own, true},
		{"police does not write", police, "update_guard", own, false},
		{"police does not hire", police, "hire_guard", own, false},
		{"guard reads self", g, "get_guard", own, true},
		{"guard reads own trainings", g, "list_trainings", own, true},
		{"guard may not edit self", g, "update_guard", own, false},
		{"guard may not record own training", g, "record_training", own, false},
		{"guard may not list guards", g, "list_guards", own, false},
		{"ops has no personal data", auth.Principal{Role: auth.RoleOps}, "get_guard", own, false},
		{"ops cannot read companies", auth.Principal{Role: auth.RoleOps}, "list_companies", district, false},
		{"district-admin reads its audit", auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}}, "list_audit", district, true},
	} {
		err := p.Decide(tc.p, membership.EndpointPrefix+tc.endpoint, tc.target)
		if (err == nil) != tc.allow {
			t.Errorf("%s: Decide = %v", tc.who, err)
		}
	}
}

// TestCompanyAdminStaysInsideItsCompany: another company's guard is a 403
// (and so is an unknown guard: no existence leak), the district-wide list
// needs its own company_id, and the association's fields are not its own
// to change.
func TestCompanyAdminStaysInsideItsCompany(t *testing.T) {
	f := newMatrixFixture(t)
	e := f.e
	ca := caller{"carol", auth.Principal{Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: f.a.ID}}
	forbidden := func(r testutil.Response, what, wantID string) {
		t.Helper()
		if id := r.ErrorID(); r.Status != http.StatusForbidden || id != wantID {
			t.Errorf("%s: %d %s, want 403 %s", what, r.Status, r.Body, wantID)
		}
	}
	forbidden(e.Do("GET", "/guards/"+f.gb.ID, nil, ca.headers()...), "another company's guard", "auth.forbidden")
	forbidden(e.Do("GET", "/guards/"+f.gb.ID+"/trainings", nil, ca.headers()...), "another company's trainings", "auth.forbidden")
	forbidden(e.Do("GET", "/guards/0193aaaa-0000-7000-8000-000000000000", nil, ca.headers()...), "an unknown guard", "auth.forbidden")
	forbidden(e.Do("GET", "/imports/"+f.importB, nil, ca.headers()...), "another company's import", "auth.forbidden")
	forbidden(e.Do("GET", "/imports/0193aaaa-0000-7000-8000-000000000000", nil, ca.headers()...), "an unknown import", "auth.forbidden")
	forbidden(e.Do("GET", "/guards", nil, ca.headers()...), "the guard list without company_id", "auth.forbidden")
	forbidden(e.Do("GET", "/guards?company_id="+f.b.ID, nil, ca.headers()...), "the guard list of another company", "auth.forbidden")
	forbidden(e.Do("GET", "/companies/"+f.b.ID+"/guards", nil, ca.headers()...), "another company's roster", "auth.forbidden")
	forbidden(e.Do("POST", "/companies/"+f.a.ID+"/status", map[string]any{"status": "suspended"}, ca.headers()...), "its own status", "auth.forbidden")
	for _, field := range []string{"level", "name", "licence_number"} {
		body := map[string]any{field: "x"}
		if field == "level" {
			body[field] = "president"
		}
		r := e.Do("PATCH", "/companies/"+f.a.ID, body, ca.headers()...)
		forbidden(r, "PATCH "+field, "company.field_forbidden")
		if fld := r.ErrorField(); fld != field {
			t.Errorf("PATCH %s: error field %q", field, fld)
		}
	}
	// Nothing above wrote: company A is still version 2 (register, activate).
	var a company
	e.Must(http.StatusOK, "GET", "/companies/"+f.a.ID, nil, &a)
	if a.Version != 2 || a.Status != "active" {
		t.Fatalf("company A changed: %+v", a)
	}

	// Its own company's list holds only its own guards.
	var page struct{ Items []guard }
	e.Must(http.StatusOK, "GET", "/guards?company_id="+f.a.ID, nil, &page, ca.headers()...)
	if len(page.Items) != 2 {
		t.Fatalf("own list: %d guards", len(page.Items))
	}
	for _, g := range page.Items {
		if g.CompanyID != f.a.ID {
			t.Fatalf("own list has %+v", g)
		}
	}
	// Its contact and union fields are its own to keep.
	e.Must(http.StatusOK, "PATCH", "/companies/"+f.a.ID, map[string]any{"contact_name": "王经理", "trade_union": true}, &a, ca.headers()...)
	if a.Version != 3 {
		t.Fatalf("version %d after own PATCH", a.Version)
	}
	// Admins get their ordinary 404 for an unknown guard.
	for _, c := range []caller{f.callers[0], f.callers[1]} {
		r := e.Do("GET", "/guards/0193aaaa-0000-7000-8000-000000000000", nil, c.headers()...)
		if id := r.ErrorID(); r.Status != http.StatusNotFound || id != "guard.not_found" {
			t.Errorf("%s unknown guard: %d %s", c.label, r.Status, r.Body)
		}
	}
}

// TestIDNumberIsUnmaskedOnlyForTheRolesThatNeedIt: full for hq-admin,
// police and the guard's own company-admin; masked for district-admin and
// the guard themselves — on get, list, hire and update responses.
func TestIDNumberIsUnmaskedOnlyForTheRolesThatNeedIt(t *testing.T) {
	f := newMatrixFixture(t)
	e := f.e
	full, masked := residentID(1), pii.MaskResidentID(residentID(1))
	if full == masked {
		t.Fatal("masking is a no-op")
	}
	byLabel := map[string]caller{}
	for _, c := range f.callers {
		byLabel[c.label] = c
	}
	for _, tc := range []struct {
		label string
		want  string
	}{
		{"hq", full}, {"police-city", full}, {"police-own", full}, {"ca-own", full},
		{"da-own", masked}, {"guard-self", masked},
	} {
		var g guard
		e.Must(http.StatusOK, "GET", "/guards/"+f.ga.ID, nil, &g, byLabel[tc.label].headers()...)
		if g.IDNumber != tc.want {
			t.Errorf("%s reads id_number %q, want %q", tc.label, g.IDNumber, tc.want)
		}
		// A list shows the same form.
		var page struct{ Items []guard }
		if tc.label != "guard-self" {
			e.Must(http.StatusOK, "GET", "/companies/"+f.a.ID+"/guards", nil, &page, byLabel[tc.label].headers()...)
			if i := slices.IndexFunc(page.Items, func(x guard) bool { return x.ID == f.ga.ID }); i < 0 || page.Items[i].IDNumber != tc.want {
				t.Errorf("%s lists %+v", tc.label, page.Items)
			}
		}
	}
	// A company-admin sees its own guards' numbers in full, never another
	// company's (it cannot read them at all), on writes as well as reads.
	ca := byLabel["ca-own"]
	var g guard
	e.Must(http.StatusOK, "PATCH", "/guards/"+f.ga.ID, map[string]any{"badge_service": true}, &g, ca.headers()...)
	if g.IDNumber != full {
		t.Errorf("company-admin PATCH response %q", g.IDNumber)
	}
	e.Must(http.StatusCreated, "POST", "/companies/"+f.a.ID+"/guards", map[string]any{"name": "新人", "id_number": residentID(7)}, &g,
		append(ca.headers(), "Idempotency-Key", "ca-hire")...)
	if g.IDNumber != residentID(7) {
		t.Errorf("company-admin hire response %q", g.IDNumber)
	}
	// Its replay too, although the stored result is masked.
	e.Must(http.StatusCreated, "POST", "/companies/"+f.a.ID+"/guards", map[string]any{"name": "新人", "id_number": residentID(7)}, &g,
		append(ca.headers(), "Idempotency-Key", "ca-hire")...)
	if g.IDNumber != residentID(7) {
		t.Errorf("company-admin replayed hire response %q", g.IDNumber)
	}
	da := byLabel["da-own"]
	e.Must(http.StatusOK, "POST", "/guards/"+g.ID+"/certificate", map[string]any{"certificate_number": "C-9", "issued_on": "2025-01-01"}, &g, da.headers()...)
	if g.IDNumber != pii.MaskResidentID(residentID(7)) {
		t.Errorf("district-admin certificate response %q", g.IDNumber)
	}
	// The full numbers were shown but never logged.
	assertNoIDsIn(t, "the logs", e.logs.Bytes(), []string{full, residentID(7)})
	if n := e.scanDBFiles([]string{full, residentID(7)}); n == 0 {
		t.Fatal("scanned no database bytes")
	}
}

// TestAnonymousRequestsAreRefusedBeforeTheyAreRead sends every route an
// anonymous, otherwise malformed request: 401, never a 400 that describes
// the body.
func TestAnonymousRequestsAreRefusedBeforeTheyAreRead(t *testing.T) {
	e := newEnv(t)
	routes := membership.Routes()
	testutil.CheckAuthenticatesFirst(t, e.node.Handler(), routes, "jingkai")
}
