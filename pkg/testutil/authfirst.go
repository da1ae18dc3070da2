package testutil

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// CheckAuthenticatesFirst sends every protected route of h an anonymous
// request (no principal in its context, no Authorization header) that is
// wrong in every other way it can be — a malformed body of the wrong media
// type, out-of-range query parameters, an If-Match that is no version —
// and fails t unless each is answered 401 auth.token_missing: a service
// authenticates before it reads the request, so an anonymous caller learns
// nothing of how its request would have been judged. Paths are filled as
// FuzzRequests fills them ({district} with district).
func CheckAuthenticatesFirst(t *testing.T, h http.Handler, routes []Route, district string) {
	t.Helper()
	const query = "?page_size=0&page_token=%21&overdue=maybe&periods=x&version=-1&since=yesterday&term=x"
	for _, rt := range routes {
		if rt.Public {
			continue
		}
		name := strings.ToUpper(rt.Method) + " " + rt.Path
		req := httptest.NewRequest(strings.ToUpper(rt.Method), fillPath(rt.Path, district, "x")+query, strings.NewReader("{"))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("If-Match", `"x"`)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var body struct {
			Error struct{ ID string } `json:"error"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusUnauthorized || body.Error.ID != "auth.token_missing" {
			t.Errorf("%s, anonymous with a bad request: %d %s, want 401 auth.token_missing before the request is read", name, w.Code, strings.TrimSpace(w.Body.String()))
		}
	}
}

// CheckCovers fails t for every route of method that none of paths (the
// concrete paths a table test sends, e.g. "/api/v1/districts/jingkai/guards/g1")
// reaches, as http.ServeMux matches them: a test meant to hold for every
// PATCH, say, then fails when a route is added without a case.
func CheckCovers(t *testing.T, routes []Route, method string, paths []string) {
	t.Helper()
	mux := http.NewServeMux()
	want := map[string]bool{}
	for _, rt := range routes {
		if strings.EqualFold(rt.Method, method) {
			want[rt.Path] = false
			mux.HandleFunc(strings.ToUpper(method)+" "+rt.Path, func(http.ResponseWriter, *http.Request) {})
		}
	}
	for _, p := range paths {
		if _, pattern := mux.Handler(httptest.NewRequest(strings.ToUpper(method), p, nil)); pattern != "" {
			want[strings.TrimPrefix(pattern, strings.ToUpper(method)+" ")] = true
		}
	}
	for path, covered := range want {
		if !covered {
			t.Errorf("%s %s has no case in this test: add one", strings.ToUpper(method), path)
		}
	}
}
