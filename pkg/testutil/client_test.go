package testutil_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/testutil"
)

func TestPrincipalHeadersCarryThePrincipalWhole(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		p    auth.Principal
	}{
		{"A city-wide hq-admin.", auth.Principal{Subject: "hq", Role: auth.RoleHQAdmin}},
		{"A district-admin of two districts.", auth.Principal{Subject: "da", Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai", "caidian"}}},
		{"A company-admin of its company.", auth.Principal{Subject: "ca", Role: auth.RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1"}},
		{"A guard, itself.", auth.Principal{Subject: "g", Role: auth.RoleGuard, Districts: []string{"jingkai"}, Company: "c1", Guard: "g1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			h := testutil.PrincipalHeaders(tc.p, "")
			for i := 0; i+1 < len(h); i += 2 {
				r.Header.Set(h[i], h[i+1])
			}
			got, ok := testutil.HeaderPrincipal(r, "elsewhere")
			if !ok || !reflect.DeepEqual(got, tc.p) {
				t.Fatalf("HeaderPrincipal = %+v, %v; want %+v", got, ok, tc.p)
			}
		})
	}
}

func TestHeaderPrincipalDefaults(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/", nil)
	if p, ok := testutil.HeaderPrincipal(r, "jingkai"); !ok || p.Role != auth.RoleHQAdmin {
		t.Errorf("no test headers: %+v, %v; want an hq-admin", p, ok)
	}
	r.Header.Set(testutil.AnonymousHeader, "1")
	if p, ok := testutil.HeaderPrincipal(r, "jingkai"); ok {
		t.Errorf("anonymous: %+v", p)
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set(testutil.SubjectHeader, "da")
	r.Header.Set(testutil.RoleHeader, string(auth.RoleDistrictAdmin))
	if p, _ := testutil.HeaderPrincipal(r, "jingkai"); !reflect.DeepEqual(p.Districts, []string{"jingkai"}) {
		t.Errorf("a district-admin without districts is in %v, want the node's own", p.Districts)
	}
}

// echo answers with what it received.
func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTeapot)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"path": r.URL.Path, "auth": r.Header.Get("Authorization"), "type": r.Header.Get("Content-Type"), "body": string(b),
	})
}

func TestClientSendsWhatTheTestSays(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(echo))
	t.Cleanup(srv.Close)
	c := testutil.NewClient(t, srv.URL)
	c.Prefix = "/api/v1/districts/jingkai"
	for _, tc := range []struct {
		name, path string
		token      string
		body       any
		hdr        []string
		want       map[string]string
	}{
		{"A service path goes under the prefix.", "/guards", "", nil, nil,
			map[string]string{"path": "/api/v1/districts/jingkai/guards"}},
		{"An API path goes as it is.", "/api/v1/openapi.json", "", nil, nil,
			map[string]string{"path": "/api/v1/openapi.json"}},
		{"A value is sent as JSON, a string as it is.", "/x", "", map[string]int{"n": 1}, nil,
			map[string]string{"body": `{"n":1}`, "type": "application/json"}},
		{"A string body goes as it is.", "/x", "", "a,b", []string{"Content-Type", "text/csv"},
			map[string]string{"body": "a,b", "type": "text/csv"}},
		{"An empty header value removes the header.", "/x", "", "{}", []string{"Content-Type", ""},
			map[string]string{"body": "{}", "type": ""}},
		{"The token is the bearer.", "/x", "tok", nil, nil, map[string]string{"auth": "Bearer tok"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got map[string]string
			r := c.As(tc.token).Must(http.StatusTeapot, "POST", tc.path, tc.body, &got, tc.hdr...)
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q (%s)", k, got[k], v, r.Body)
				}
			}
		})
	}
	if c.Token != "" {
		t.Error("As changed the client it was called on")
	}
}

func TestResponseErrorBody(t *testing.T) {
	t.Parallel()
	r := testutil.Response{Body: []byte(`{"error":{"id":"guard.not_found","message":"no such guard","field":"id"}}`)}
	if r.ErrorID() != "guard.not_found" || r.ErrorField() != "id" {
		t.Errorf("ErrorID %q, ErrorField %q", r.ErrorID(), r.ErrorField())
	}
	if r := (testutil.Response{Body: []byte(`{"id":"x"}`)}); r.ErrorID() != "" {
		t.Errorf("a body that is no error body has the error id %q", r.ErrorID())
	}
}
