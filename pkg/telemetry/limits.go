package telemetry

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// The request limits of every Guildhall listener. They are enforced by
// NewServer's handler, which answers with the API's JSON error body; net/http
// itself only stops reading at HardHeaderBytes, far above them.
const (
	// MaxURIBytes bounds the request target (path and query): 414.
	MaxURIBytes = 8 << 10
	// MaxHeaderBytes bounds the header fields, Host included, each counted
	// as "Name: value\r\n": 431.
	MaxHeaderBytes = 64 << 10
	// MaxQueryParams bounds the parameters of a query string: 400. No list
	// takes more than a handful of filters.
	MaxQueryParams = 100
	// HardHeaderBytes is the http.Server's MaxHeaderBytes: net/http reads
	// no more than this (plus 4 KiB of buffer) of a request line and
	// headers and answers 431 itself. JSONErrorListener gives that answer
	// the JSON body too.
	HardHeaderBytes = 1 << 20
)

// Stable error ids of the server's own limits and of the requests net/http
// refuses before any handler runs.
var (
	ErrURITooLong       = errs.E(errs.URITooLong, "request.uri_too_long", "the URL is longer than 8 KiB")
	ErrHeadersTooLarge  = errs.E(errs.HeadersTooLarge, "request.headers_too_large", "the request headers are larger than 64 KiB")
	ErrTooManyQueryArgs = errs.E(errs.Invalid, "request.too_many_query_parameters", "the query string has more than 100 parameters")
)

// limitRequests answers requests over MaxURIBytes, MaxHeaderBytes or
// MaxQueryParams with their JSON errors, and serves the rest with next
// through a writer that turns net/http's plain-text errors into JSON.
func limitRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case len(r.RequestURI) > MaxURIBytes:
			errs.WriteHTTPRequest(w, r, ErrURITooLong)
			return
		case headerBytes(r) > MaxHeaderBytes:
			errs.WriteHTTPRequest(w, r, ErrHeadersTooLarge)
			return
		case queryParams(r.URL.RawQuery) > MaxQueryParams:
			errs.WriteHTTPRequest(w, r, ErrTooManyQueryArgs)
			return
		}
		next.ServeHTTP(&jsonErrorWriter{ResponseWriter: w, lang: errs.Negotiate(r.Header.Values("Accept-Language")...)}, r)
	})
}

// headerBytes is the size of r's header block as sent: each field as
// "Name: value\r\n", and the Host header that net/http moves to r.Host.
func headerBytes(r *http.Request) int {
	n := len("Host: \r\n") + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + len(": \r\n")
		}
	}
	return n
}

// queryParams counts the parameters of a raw query ("a=1&b=2" is 2), empty
// ones included: it is a bound, not a parse.
func queryParams(raw string) int {
	if raw == "" {
		return 0
	}
	return strings.Count(raw, "&") + 1
}

// jsonErrorWriter turns a plain-text error response (http.Error: what
// ServeMux answers for an unknown path, 404, or a known path with another
// method, 405, and what any library handler answers) into the API's JSON
// error body, keeping its status and headers (Allow). The plain text is
// dropped, never echoed: it may say more than a client should read.
type jsonErrorWriter struct {
	http.ResponseWriter
	// lang is the language the request's Accept-Language asks for
	// (errs.Negotiate): the JSON body's message is in it.
	lang        string
	wroteHeader bool
	swallow     bool
}

// WriteHeader implements http.ResponseWriter.
func (w *jsonErrorWriter) WriteHeader(code int) {
	if w.wroteHeader {
		w.ResponseWriter.WriteHeader(code) // net/http logs the superfluous call
		return
	}
	w.wroteHeader = true
	h := w.Header()
	if code < 400 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.swallow = true
	eb := plainErrorBody(code)
	eb.Error.Message = errs.Localize(w.lang, eb.Error.ID, eb.Error.Message)
	body, _ := json.Marshal(eb)
	body = append(body, '\n')
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Content-Language", w.lang)
	h.Add("Vary", "Accept-Language")
	w.ResponseWriter.WriteHeader(code)
	_, _ = w.ResponseWriter.Write(body)
}

// Write implements http.ResponseWriter.
func (w *jsonErrorWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush forwards to the underlying writer (streaming responses).
func (w *jsonErrorWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *jsonErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// The ids of net/http's own refusals (see plainErrorBody) that no handler
// answers.
var (
	// ErrMalformedRequest is a request line or header net/http cannot parse.
	ErrMalformedRequest = errs.E(errs.Invalid, "request.malformed", "malformed HTTP request")
	// ErrTransferEncoding is a Transfer-Encoding net/http does not know.
	ErrTransferEncoding = errs.E(errs.NotImplemented, "request.transfer_encoding_unsupported", "unsupported transfer encoding")
	// ErrHTTPVersion is an HTTP version net/http does not speak.
	ErrHTTPVersion = errs.E(errs.HTTPVersionNotSupported, "request.http_version_unsupported", "unsupported HTTP version")
	// ErrUnavailable is a 503 a library handler wrote in plain text.
	ErrUnavailable = errs.E(errs.Unavailable, "unavailable", "the service is unavailable; try again")
	// ErrRejected is any other 4xx a library handler wrote in plain text;
	// its status is the handler's, its message names it.
	ErrRejected = errs.E(errs.Invalid, "request.rejected", "the request was refused (the status says why)")
)

// plainErrorBody is the JSON error for a plain-text error of status code.
// The ids are the API's own for the same conditions.
func plainErrorBody(code int) errs.Body {
	var id, msg string
	switch code {
	case http.StatusNotFound:
		id, msg = kitx.ErrNotFound.ID, kitx.ErrNotFound.Message
	case http.StatusMethodNotAllowed:
		id, msg = kitx.ErrMethod.ID, kitx.ErrMethod.Message
	case http.StatusRequestEntityTooLarge:
		id, msg = kitx.ErrBodyTooLarge.ID, "the request body is too large"
	case http.StatusRequestHeaderFieldsTooLarge:
		id, msg = ErrHeadersTooLarge.ID, "the request headers are larger than net/http's limit of 1 MiB"
	case http.StatusBadRequest:
		id, msg = ErrMalformedRequest.ID, ErrMalformedRequest.Message
	case http.StatusNotImplemented:
		id, msg = ErrTransferEncoding.ID, ErrTransferEncoding.Message
	case http.StatusHTTPVersionNotSupported:
		id, msg = ErrHTTPVersion.ID, ErrHTTPVersion.Message
	case http.StatusServiceUnavailable:
		id, msg = ErrUnavailable.ID, ErrUnavailable.Message
	default:
		if code >= 500 {
			id, msg = errs.ErrInternal.ID, errs.ErrInternal.Message
		} else {
			id, msg = ErrRejected.ID, "the request was refused ("+strings.ToLower(http.StatusText(code))+")"
		}
	}
	return errs.Body{Error: errs.BodyError{ID: id, Message: msg}}
}

// JSONErrorListener wraps ln so that the responses net/http writes straight
// to the connection, before any handler runs, carry the API's JSON error
// body like every other error: 431 for a header block over
// HardHeaderBytes, 400 for a malformed request line or header, 501 for an
// unknown transfer encoding, 505 for an unknown protocol version. net/http
// writes each of those as one plain-text write of a fixed form
// ("HTTP/1.1 <status>\r\nContent-Type: text/plain; charset=utf-8\r\n
// Connection: close\r\n\r\n<text>"), which no handler's response matches
// (handlers' responses carry a Date header); that write is replaced by the
// JSON one. Serve the plain listener (TLS, if any, terminates in front).
func JSONErrorListener(ln net.Listener) net.Listener { return jsonErrorListener{ln} }

type jsonErrorListener struct{ net.Listener }

// Accept implements net.Listener.
func (l jsonErrorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonErrorConn{Conn: c}, nil
}

// jsonErrorConn is a connection whose canned net/http errors are JSON.
type jsonErrorConn struct{ net.Conn }

// Write implements net.Conn.
func (c *jsonErrorConn) Write(p []byte) (int, error) {
	if out, ok := rewriteCannedError(p); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite half-closes the connection as net/http does before it hangs
// up on a request it refused (so the client reads the answer instead of a
// reset).
func (c *jsonErrorConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// cannedHeaders is what net/http's server writes after the status line of
// the errors it answers itself (net/http server.go, "errorHeaders").
const cannedHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// maxCannedBytes bounds the writes rewriteCannedError looks at: net/http's
// canned errors are short.
const maxCannedBytes = 512

// rewriteCannedError returns the JSON response for p when p is one of
// net/http's canned plain-text error responses.
func rewriteCannedError(p []byte) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	if len(p) > maxCannedBytes || !bytes.HasPrefix(p, []byte(proto)) {
		return nil, false
	}
	i := bytes.Index(p, []byte(cannedHeaders))
	if i < 0 {
		return nil, false
	}
	status, text := p[len(proto):i], p[i+len(cannedHeaders):]
	if len(status) < 5 || status[3] != ' ' || bytes.ContainsAny(status, "\r\n") || bytes.ContainsAny(text, "\r\n") {
		return nil, false
	}
	code, err := strconv.Atoi(string(status[:3]))
	if err != nil || code < 400 || code > 599 {
		return nil, false
	}
	b := plainErrorBody(code)
	// "400 Bad Request: invalid header name": net/http's detail is one of
	// its own fixed phrases, never the client's bytes.
	if _, detail, ok := bytes.Cut(status, []byte(": ")); ok && code == http.StatusBadRequest {
		b.Error.Message += ": " + string(detail)
	}
	body, _ := json.Marshal(b)
	body = append(body, '\n')
	var out bytes.Buffer
	out.WriteString(proto + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	out.WriteString("Content-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n")
	out.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n")
	out.Write(body)
	return out.Bytes(), true
}
