// Package console serves the web console: the single-page application
// built from this directory (npm run build, committed in dist/ so that a
// Go build needs no Node.js) and embedded in every binary that links it.
//
// The console talks only to the public API with the user's token; this
// package serves files and nothing else. Any path that is not a file of
// the build gets index.html, so the console's own routes (/city,
// /districts/jingkai, a meeting's check-in link) load from a bookmark or a
// QR code; the caller mounts it below its /api/ routes.
package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed all:dist
var dist embed.FS

// files is the build, rooted at dist/.
var files = func() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist/ exists
	}
	return sub
}()

// contentSecurityPolicy allows only the console's own scripts and the API
// on the same origin. Element Plus and ECharts set inline styles, hence
// style-src 'unsafe-inline'; no inline script is ever allowed.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Handler serves the console. Hashed build assets (/assets/…) are cached
// for a year; index.html is revalidated on every load, so a new build is
// picked up at the next page load. Text assets are sent gzip-compressed to
// clients that accept it (compressed once, on first request).
func Handler() http.Handler { return &handler{cache: map[string]*entry{}} }

type handler struct {
	mu    sync.Mutex
	cache map[string]*entry
}

// entry is what is derived from one file once: its ETag (a hash of the
// content: the embedded files have no modification time) and its gzip.
type entry struct {
	etag string
	gz   []byte
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	b, err := fs.ReadFile(files, name)
	if name == "" || err != nil {
		if strings.HasPrefix(name, "assets/") {
			// A missing asset is a stale page asking for an old build's
			// chunk: a 404 lets it fail visibly rather than parse HTML as JS.
			http.NotFound(w, r)
			return
		}
		name = "index.html"
		if b, err = fs.ReadFile(files, name); err != nil {
			http.Error(w, "the console is not built", http.StatusNotFound)
			return
		}
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		hd.Set("Content-Type", ct)
	}
	if strings.HasPrefix(name, "assets/") {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	hd.Add("Vary", "Accept-Encoding")
	e := h.entry(name, b)
	etag := e.etag
	if compressible(name) && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		b, etag = e.gz, etag[:len(etag)-1]+`-gz"`
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

func compressible(name string) bool {
	switch path.Ext(name) {
	case ".js", ".css", ".html", ".svg", ".json", ".txt":
		return true
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

func (h *handler) entry(name string, b []byte) *entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, ok := h.cache[name]; ok {
		return e
	}
	sum := sha256.Sum256(b)
	e := &entry{etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	if compressible(name) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		e.gz = buf.Bytes()
	}
	h.cache[name] = e
	return e
}
