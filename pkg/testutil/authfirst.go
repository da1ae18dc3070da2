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
