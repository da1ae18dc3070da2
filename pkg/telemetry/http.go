package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds an incoming request id; longer ones are replaced.
const maxRequestIDLen = 128

// requestIDKey is the context key of the request id.
type requestIDKey struct{}

// ErrPanic is the error answered when a handler panics; the panic value and
// stack go to the log, never to the client: errs.ErrInternal, the id of
// every failure that is not the caller's.
var ErrPanic = errs.ErrInternal

// RequestIDFromContext returns the request id HTTPMiddleware put in ctx, or
// "" if there is none.
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ContextWithRequestID returns ctx carrying request id id, for code that
// starts work outside an HTTP request (consumers, jobs) and wants ids in logs.
func ContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// HTTPMiddleware wraps h with, outermost first: a request id (the caller's
// X-Request-Id if it is short and printable, else a new random one; echoed in
// the response and put in the context), a server span continuing any W3C
// trace context of the request, an access-log line (method, path, route,
// status, bytes, duration, request id, trace id) and panic recovery that
// answers 500 with the errs JSON body and logs the stack. Bodies and query
// strings are never logged or traced: they may carry personal data. The
// path is, with any national-ID-shaped segment redacted (RedactIDNumbers):
// a client may well put an ID number in a URL.
//
// The route is the pattern of the handler that served the request, however
// deeply its mux is nested: what the handlers recorded in the request's
// route slot (kitx.WithRouteSlot: every go-kit server, kitx.Route,
// kitx.NotFoundHandler), else the pattern of a mux h itself is (unless it
// is a subtree pattern ending in "/", which only hands the request on),
// else kitx.RouteUnmatched. It also names the span.
func HTTPMiddleware(h http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Path and method are the client's text; the route is ours.
		path, method := RedactIDNumbers(r.URL.Path), RedactIDNumbers(r.Method)
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		setSecurityHeaders(w.Header(), r)
		ctx := ContextWithRequestID(r.Context(), id)
		ctx, recordedRoute := kitx.WithRouteSlot(ctx)
		ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(r.Header))
		ctx, span := otel.Tracer(instrumentationName).Start(ctx, method,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				attribute.String("http.request.method", method),
				attribute.String("url.path", path),
				attribute.String("guildhall.request_id", id),
			))
		defer span.End()
		r = r.WithContext(ctx)

		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					// net/http's own signal to abort the response quietly.
					panic(p)
				}
				logger.ErrorContext(ctx, "panic serving request",
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()),
					"method", method, "path", path, "request_id", id)
				span.SetStatus(codes.Error, "panic")
				if !rec.wroteHeader {
					errs.WriteHTTPRequest(rec, r, ErrPanic)
				}
			}
			status := rec.statusCode()
			route := routeOf(recordedRoute(), r)
			if route != kitx.RouteUnmatched {
				name := route
				if !strings.Contains(name, " ") {
					name = method + " " + name // a pattern without a method
				}
				span.SetName(name)
				span.SetAttributes(attribute.String("http.route", route))
			}
			span.SetAttributes(attribute.Int("http.response.status_code", status))
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			attrs := []any{
				"method", method,
				"path", path,
				"route", route,
				"status", status,
				"bytes", rec.bytes,
				"duration", time.Since(start),
				"request_id", id,
			}
			if sc := span.SpanContext(); sc.HasTraceID() {
				attrs = append(attrs, "trace_id", sc.TraceID().String())
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			logger.Log(ctx, level, "http request", attrs...)
		}()
		h.ServeHTTP(rec, r)
	})
}

// routeOf is the route of a request served by HTTPMiddleware: the one the
// handlers recorded, else the pattern a mux directly inside the middleware
// matched (http.ServeMux sets r.Pattern in place), unless that is a
// subtree ("/api/v1/districts/") that handed the request to an inner mux
// which matched nothing.
func routeOf(recorded string, r *http.Request) string {
	if recorded != "" {
		return recorded
	}
	if r.Pattern != "" && !strings.HasSuffix(r.Pattern, "/") {
		return r.Pattern
	}
	return kitx.RouteUnmatched
}

// validRequestID accepts ids of visible ASCII up to maxRequestIDLen, so a
// caller cannot inject line breaks or megabytes into logs.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := range len(id) {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

// WriteHeader records the status.
func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status = code
		s.wroteHeader = true
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and the bytes written.
func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wroteHeader {
		s.WriteHeader(http.StatusOK)
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Flush forwards to the underlying writer when it can flush (streaming).
func (s *statusRecorder) Flush() {
	if !s.wroteHeader {
		s.WriteHeader(http.StatusOK)
	}
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// statusCode is the status sent, 200 if the handler wrote nothing.
func (s *statusRecorder) statusCode() int {
	if !s.wroteHeader {
		return http.StatusOK
	}
	return s.status
}

// setSecurityHeaders sets the headers every response carries. The API
// answers JSON, so the content security policy allows nothing at all; a page
// served later (the console) sets its own policy over this one. A response
// to an authenticated request is personal and never cached.
func setSecurityHeaders(h http.Header, r *http.Request) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	if r.Header.Get("Authorization") != "" {
		h.Set("Cache-Control", "no-store")
	}
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}
