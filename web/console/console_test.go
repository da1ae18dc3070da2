package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// anAsset returns the path of one built JavaScript chunk.
func anAsset(t *testing.T) string {
	t.Helper()
	entries, err := fs.ReadDir(files, "assets")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".js") {
			return "/assets/" + e.Name()
		}
	}
	t.Fatal("no .js asset in the build")
	return ""
}

// TestIndexServedForEveryPageRoute: the console's own routes load from a
// bookmark or a QR code, so every path that is not a build file is the
// application's index.html, revalidated on every load.
func TestIndexServedForEveryPageRoute(t *testing.T) {
	h := Handler()
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/city", "/districts/jingkai/companies/0193", "/login?next=%2Fcity", "/../../etc/passwd"} {
		rec := get(t, h, "GET", p, nil)
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), index) {
			t.Errorf("GET %s: %d, body is the index: %v", p, rec.Code, bytes.Equal(rec.Body.Bytes(), index))
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache (a new build must load at once)", p, cc)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
	}
}

// TestSecurityHeaders: no inline script, no framing, no sniffing, on
// every response.
func TestSecurityHeaders(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/", anAsset(t)} {
		rec := get(t, h, "GET", p, nil)
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") ||
			regexp.MustCompile(`script-src[^;]*unsafe-inline`).MatchString(csp) || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP %q", p, csp)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: headers %v", p, rec.Header())
		}
	}
}

// TestIndexHasNoInlineScript: the CSP forbids inline scripts, so the
// build must not need one (a page that needs one would be blank).
func TestIndexHasNoInlineScript(t *testing.T) {
	index, _ := fs.ReadFile(files, "index.html")
	for _, m := range regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`).FindAllSubmatch(index, -1) {
		if !bytes.Contains(m[1], []byte("src=")) || len(bytes.TrimSpace(m[2])) > 0 {
			t.Errorf("inline script in index.html: %s", m[0])
		}
	}
}

// TestAssetsCachedCompressedAndRevalidated: hashed chunks are immutable,
// sent gzip to a client that takes it (and plain to one that does not),
// and a matching ETag gets 304.
func TestAssetsCachedCompressedAndRevalidated(t *testing.T) {
	h := Handler()
	p := anAsset(t)
	raw, _ := fs.ReadFile(files, strings.TrimPrefix(p, "/"))
	plain := get(t, h, "GET", p, nil)
	if plain.Code != http.StatusOK || !bytes.Equal(plain.Body.Bytes(), raw) || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("plain GET %s: %d, encoding %q", p, plain.Code, plain.Header().Get("Content-Encoding"))
	}
	if cc := plain.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control %q", cc)
	}
	if ct := plain.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("Content-Type %q", ct)
	}
	gz := get(t, h, "GET", p, map[string]string{"Accept-Encoding": "br, gzip"})
	if gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip not sent: %v", gz.Header())
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if !bytes.Equal(got, raw) {
		t.Fatal("the gzip body is not the asset")
	}
	if gz.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Error("the gzip and plain bodies share an ETag")
	}
	if no := get(t, h, "GET", p, map[string]string{"Accept-Encoding": "gzip;q=0"}); no.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that refuses it")
	}
	again := get(t, h, "GET", p, map[string]string{"If-None-Match": plain.Header().Get("ETag")})
	if again.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", again.Code)
	}
}

// TestMissingAssetIs404: a page of an older build asking for a chunk that
// no longer exists gets a 404, not index.html parsed as JavaScript.
func TestMissingAssetIs404(t *testing.T) {
	if rec := get(t, Handler(), "GET", "/assets/gone-0000.js", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("%d, want 404", rec.Code)
	}
}

// TestOnlyGetAndHead: the console is files; a write to it is refused.
func TestOnlyGetAndHead(t *testing.T) {
	h := Handler()
	if rec := get(t, h, "POST", "/", nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
	if rec := get(t, h, "HEAD", "/", nil); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}
