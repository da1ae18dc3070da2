package telemetry

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
)

// productionServer serves h over a real listener with the configuration
// the binaries use: NewServer's limits and handler, behind the
// JSONErrorListener that Serve puts on every listener.
func productionServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = NewServer("", h)
	srv.Listener = JSONErrorListener(srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// apiMux is a small API: one GET route, and handlers that answer the way
// library code does (http.Error, plain text).
func apiMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/ok", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	mux.HandleFunc("GET /api/v1/fails", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "sql: database is locked at /var/lib/guildhall", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = io.WriteString(w, "up 1\n")
	})
	return mux
}

// checkJSONError fails unless resp is status with the API's error body of
// id.
func checkJSONError(t *testing.T, resp *http.Response, status int, id string) errs.Body {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q: %s", ct, raw)
	}
	var b errs.Body
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("body is not the JSON error body: %q", raw)
	}
	if b.Error.ID != id || b.Error.Message == "" {
		t.Fatalf("error %+v, want id %s", b.Error, id)
	}
	return b
}

func TestServerLimitsAnswerJSONOverARealListener(t *testing.T) {
	srv := productionServer(t, apiMux())
	base := srv.URL + "/api/v1/ok"
	params := func(n int) string { return strings.TrimSuffix(strings.Repeat("a=1&", n), "&") }
	headers := func(n, size int) http.Header {
		h := http.Header{}
		for i := range n {
			h.Set("X-Filler-"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)), strings.Repeat("v", size))
		}
		return h
	}
	cases := []struct {
		name   string
		url    string
		header http.Header
		status int
		id     string // "" for a success
	}{
		{"A 70 KB URL is 414 request.uri_too_long.", base + "?q=" + strings.Repeat("a", 70<<10), nil, 414, "request.uri_too_long"},
		{"A URL just over 8 KiB is 414.", srv.URL + "/api/v1/" + strings.Repeat("p", MaxURIBytes), nil, 414, "request.uri_too_long"},
		{"A URL just under 8 KiB is served.", base + "?q=" + strings.Repeat("a", MaxURIBytes-len("/api/v1/ok?q=")), nil, 200, ""},
		{"A 100 KB header is 431 request.headers_too_large.", base, http.Header{"X-Big": {strings.Repeat("a", 100<<10)}}, 431, "request.headers_too_large"},
		{"Many headers over 64 KiB together are 431.", base, headers(70, 1<<10), 431, "request.headers_too_large"},
		{"Headers under 64 KiB together are served.", base, headers(50, 1<<10), 200, ""},
		{"101 query parameters are 400.", base + "?" + params(101), nil, 400, "request.too_many_query_parameters"},
		{"100 query parameters are served.", base + "?" + params(100), nil, 200, ""},
		{"An unknown path is ServeMux's 404, as JSON.", srv.URL + "/nope", nil, 404, "route.not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", c.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range c.header {
				req.Header[k] = vs
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if c.id == "" {
				if raw, _ := io.ReadAll(resp.Body); resp.StatusCode != c.status || string(raw) != `{"ok":true}` {
					t.Fatalf("%d %s", resp.StatusCode, raw)
				}
				return
			}
			checkJSONError(t, resp, c.status, c.id)
		})
	}
}

func TestPlainTextErrorsOfHandlersBecomeJSON(t *testing.T) {
	srv := productionServer(t, apiMux())
	t.Run("A known path with another method is ServeMux's 405, as JSON with Allow.", func(t *testing.T) {
		resp, err := srv.Client().Post(srv.URL+"/api/v1/ok", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkJSONError(t, resp, 405, "route.method_not_allowed")
		if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") {
			t.Fatalf("Allow %q", allow)
		}
	})
	t.Run("An http.Error 500 is the JSON internal error, without its text.", func(t *testing.T) {
		resp, err := srv.Client().Get(srv.URL + "/api/v1/fails")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := checkJSONError(t, resp, 500, "internal")
		if strings.Contains(b.Error.Message, "sql") || strings.Contains(b.Error.Message, "/var") {
			t.Fatalf("the plain text leaked: %+v", b)
		}
	})
	t.Run("A plain-text success (metrics) passes untouched.", func(t *testing.T) {
		resp, err := srv.Client().Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(raw) != "up 1\n" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("%d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
		}
	})
}

// rawExchange writes req on a new connection to srv (while reading, so a
// request the server stops reading cannot block the test) and returns the
// response.
func rawExchange(t *testing.T, srv *httptest.Server, req string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	// A deadline only so that a broken server fails the test instead of
	// hanging it; nothing here measures time.
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		_, _ = io.WriteString(conn, req) // fails once the server hangs up on a refused request
	}()
	t.Cleanup(func() { _ = conn.Close(); <-wrote })
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func TestNetHTTPsOwnRefusalsAreJSON(t *testing.T) {
	srv := productionServer(t, apiMux())
	cases := []struct {
		name, request string
		status        int
		id, message   string
	}{
		{"A header block past net/http's 1 MiB cap is 431 as JSON.",
			"GET /api/v1/ok HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", HardHeaderBytes+8<<10) + "\r\n\r\n",
			431, "request.headers_too_large", "1 MiB"},
		{"A header name with a space is 400 as JSON.",
			"GET /api/v1/ok HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400, "request.malformed", "invalid header name"},
		{"A request without Host is 400 as JSON.",
			"GET /api/v1/ok HTTP/1.1\r\n\r\n", 400, "request.malformed", "missing required Host header"},
		{"An unknown transfer encoding is 501 as JSON.",
			"POST /api/v1/ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: rot13\r\n\r\n", 501, "request.transfer_encoding_unsupported", "transfer encoding"},
		{"An unknown HTTP version is 505 as JSON.",
			"GET /api/v1/ok HTTP/9.1\r\nHost: x\r\n\r\n", 505, "request.http_version_unsupported", "version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := rawExchange(t, srv, c.request)
			b := checkJSONError(t, resp, c.status, c.id)
			if !strings.Contains(b.Error.Message, c.message) {
				t.Fatalf("message %q, want it to say %q", b.Error.Message, c.message)
			}
		})
	}
}

func TestRewriteCannedErrorLeavesOtherWritesAlone(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]string{
		"a handler's plain-text 400 (it has a Date)": "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Mon, 01 Dec 2026 00:00:00 GMT\r\nConnection: close\r\n\r\nno",
		"a success":         "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n200 OK",
		"a body chunk":      "431 Request Header Fields Too Large",
		"a long write":      "HTTP/1.1 400 Bad Request" + cannedHeaders + strings.Repeat("x", maxCannedBytes),
		"a multi-line body": "HTTP/1.1 400 Bad Request" + cannedHeaders + "a\r\nb",
	} {
		if out, ok := rewriteCannedError([]byte(p)); ok {
			t.Errorf("%s rewritten to %q", name, out)
		}
	}
	out, ok := rewriteCannedError([]byte("HTTP/1.1 431 Request Header Fields Too Large" + cannedHeaders + "431 Request Header Fields Too Large"))
	if !ok || !strings.HasPrefix(string(out), "HTTP/1.1 431 Request Header Fields Too Large\r\n") || !strings.Contains(string(out), `"id":"request.headers_too_large"`) {
		t.Fatalf("canned 431: %v %q", ok, out)
	}
}

// TestRefusalsBeforeAnyHandlerFollowAcceptLanguage holds the listener's own
// answers (the limits, a library's plain-text error) to the
// language negotiation every handler's error follows: a Chinese reader gets
// the catalogue's Chinese text with the same id, an English one the
// English text.
func TestRefusalsBeforeAnyHandlerFollowAcceptLanguage(t *testing.T) {
	srv := productionServer(t, apiMux())
	cases := []struct {
		name, path, id string
		status         int
	}{
		{"URI too long", "/api/v1/ok?q=" + strings.Repeat("a", MaxURIBytes), "request.uri_too_long", 414},
		{"too many query parameters", "/api/v1/ok?" + strings.TrimSuffix(strings.Repeat("a=1&", 101), "&"), "request.too_many_query_parameters", 400},
		{"ServeMux's plain-text 404", "/nope", "route.not_found", 404},
	}
	for _, c := range cases {
		for _, lang := range []string{errs.Chinese, errs.English} {
			t.Run(c.name+" in "+lang, func(t *testing.T) {
				req, err := http.NewRequest("GET", srv.URL+c.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Accept-Language", lang)
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b := checkJSONError(t, resp, c.status, c.id)
				zh, ok := errs.ChineseMessage(c.id)
				if !ok {
					t.Fatalf("no Chinese text for %s", c.id)
				}
				if got := b.Error.Message == zh; got != (lang == errs.Chinese) {
					t.Fatalf("message %q for Accept-Language %s (Chinese text %q)", b.Error.Message, lang, zh)
				}
				if cl := resp.Header.Get("Content-Language"); cl != lang {
					t.Fatalf("Content-Language %q, want %q", cl, lang)
				}
			})
		}
	}
}
