package testutil

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
)

// FuzzRequests is a fuzz target over every route of a service's handler:
// each input picks a route, fills its path wildcards ({district} with
// district, the others with a fuzzed segment), and sends a fuzzed query,
// Content-Type, If-Match and body as principal p (hq-admin reaches every
// decoder; nil sends no principal). Whatever the input, the handler must
// not panic and must not answer 5xx, an error must be the API's JSON error
// body with a stable id, and every answer must be JSON (or empty for 204).
//
// bodies seed the corpus (a typical body per route makes the fuzzer start
// from requests that pass decoding and reach validation).
func FuzzRequests(f *testing.F, h http.Handler, routes []Route, district string, p *auth.Principal, bodies ...string) {
	f.Helper()
	if len(routes) == 0 {
		f.Fatal("no routes to fuzz")
	}
	seeds := append([]string{"", "{}", "null", "[]", `{"name":""}`}, bodies...)
	for i := range routes {
		for _, b := range seeds {
			f.Add(uint8(i), "x", "", uint8(0), "", []byte(b))
		}
	}
	f.Add(uint8(0), "%00", "page_size=0&page_token=%ff", uint8(1), `W/"0"`, []byte("{\"a\":1,\"a\":2}"))
	contentTypes := []string{"application/json", "text/csv", "", "application/json; charset=latin1", "text/plain"}
	f.Fuzz(func(t *testing.T, route uint8, segment, query string, ct uint8, ifMatch string, body []byte) {
		rt := routes[int(route)%len(routes)]
		path := fillPath(rt.Path, district, segment)
		target := path
		if query != "" {
			target += "?" + query
		}
		// A target no request line can carry (a client library refuses to
		// send it, a server to read it) is no test of the handler.
		if strings.ContainsFunc(target, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			return
		}
		req, err := http.NewRequest(strings.ToUpper(rt.Method), "http://guildhall.test"+target, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.RequestURI = req.URL.RequestURI()
		req.RemoteAddr = "192.0.2.1:1234"
		if c := contentTypes[int(ct)%len(contentTypes)]; c != "" {
			req.Header.Set("Content-Type", c)
		}
		if ifMatch != "" && validHeaderValue(ifMatch) {
			req.Header.Set("If-Match", ifMatch)
		}
		if p != nil {
			req = req.WithContext(auth.WithPrincipal(req.Context(), *p))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkFuzzResponse(t, req, rec)
	})
}

func checkFuzzResponse(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	where := req.Method + " " + req.URL.RequestURI()
	if rec.Code >= 500 {
		t.Fatalf("%s: %d %s", where, rec.Code, rec.Body)
	}
	if rec.Code == http.StatusNoContent {
		return
	}
	// ServeMux sends a path with "." or ".." segments to its clean form.
	if rec.Code == http.StatusTemporaryRedirect || rec.Code == http.StatusMovedPermanently {
		if rec.Header().Get("Location") == "" {
			t.Fatalf("%s: %d without a Location", where, rec.Code)
		}
		return
	}
	// A download (an export, a template) answers its file: an attachment,
	// never sniffed.
	if rec.Code == http.StatusOK && strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment") &&
		rec.Header().Get("X-Content-Type-Options") == "nosniff" {
		return
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/jwk-set+json") {
		t.Fatalf("%s: %d with Content-Type %q: %s", where, rec.Code, ct, rec.Body)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s: %d with a body that is not JSON: %q", where, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		var b struct {
			Error struct {
				ID      string `json:"id"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Error.ID == "" || b.Error.Message == "" || b.Error.ID == "internal" {
			t.Fatalf("%s: %d without the API's error body: %s", where, rec.Code, rec.Body)
		}
	}
}

// fillPath replaces {district} with district and every other wildcard with
// segment, path-escaped.
func fillPath(pattern, district, segment string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:i])
		if name := pattern[i+1 : i+j]; name == "district" {
			b.WriteString(url.PathEscape(district))
		} else {
			b.WriteString(url.PathEscape(segment))
		}
		pattern = pattern[i+j+1:]
	}
}

// validHeaderValue reports whether net/http would send v as a header value.
func validHeaderValue(v string) bool {
	for i := range len(v) {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
