package kitx

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/guildhall/guildhall/pkg/sheet"
)

// FormatParam documents the ?format parameter of a download route.
var FormatParam = Param{Name: "format", In: "query", Description: "the file's format (default xlsx)", Enum: []string{string(sheet.XLSX), string(sheet.CSV)}}

// DownloadFormat reads a download's ?format: csv or xlsx, xlsx when
// absent, ErrFormatInvalid otherwise.
func DownloadFormat(r *http.Request) (sheet.Format, error) {
	v := r.URL.Query().Get("format")
	if v == "" {
		return sheet.XLSX, nil
	}
	f, ok := sheet.ParseFormat(v)
	if !ok {
		return "", ErrFormatInvalid
	}
	return f, nil
}

// Download is the response of a route that answers with a file (an export,
// an import template): Write produces it straight into the response body,
// so a file of any length is streamed as it is made, never held whole in
// memory. EncodeJSONResponse serves it.
//
// An error Write returns before its first byte is answered as an ordinary
// error body (a bad filter, a store that is down); one after the first
// byte aborts the connection (http.ErrAbortHandler), so that a client
// never mistakes a cut-off file for a complete one.
type Download struct {
	// Filename names the file in Content-Disposition; a non-ASCII name
	// (Chinese) is also given as RFC 6266 filename*.
	Filename string
	// ContentType is the file's media type.
	ContentType string
	// Write writes the file to w.
	Write func(w io.Writer) error
	// Err is the business error that replaced the file.
	Err error
}

// Failed implements Failer.
func (d Download) Failed() error { return d.Err }

// ContentDisposition is the Content-Disposition of an attachment named
// name: an ASCII fallback filename (non-ASCII characters become "_") and,
// when the name is not plain ASCII, filename* in UTF-8 (RFC 6266, RFC
// 5987), which every current browser prefers.
func ContentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	if ascii == name {
		return mime.FormatMediaType("attachment", map[string]string{"filename": name})
	}
	// mime.FormatMediaType writes filename* for a non-ASCII value.
	v := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if v == "" {
		return `attachment; filename="` + ascii + `"`
	}
	return `attachment; filename="` + ascii + `"; ` + strings.TrimPrefix(v, "attachment; ")
}

func (d Download) serve(ctx context.Context, w http.ResponseWriter) error {
	lw := &lazyWriter{w: w, d: d}
	err := d.Write(lw)
	if err == nil && !lw.started {
		lw.start() // an empty file is still a file
	}
	if err != nil {
		if !lw.started {
			ErrorEncoder(ctx, err, w)
			return nil
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

// lazyWriter sends the download's headers with its first byte, so that an
// error before it can still be an error response.
type lazyWriter struct {
	w       http.ResponseWriter
	d       Download
	started bool
}

func (l *lazyWriter) start() {
	l.started = true
	h := l.w.Header()
	h.Set("Content-Type", l.d.ContentType)
	h.Set("Content-Disposition", ContentDisposition(l.d.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	// Exports hold personal data: no shared cache keeps a copy.
	h.Set("Cache-Control", "no-store")
	l.w.WriteHeader(http.StatusOK)
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.start()
	}
	return l.w.Write(p)
}
