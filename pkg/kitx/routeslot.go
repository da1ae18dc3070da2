package kitx

import (
	"context"
	"net/http"
	"sync/atomic"
)

// RouteUnmatched is the route of a request that no route pattern matched:
// an unknown path, a known path with another method, a district this node
// does not serve.
const RouteUnmatched = "unmatched"

// The route of a request is the ServeMux pattern of the handler that
// finally served it ("GET /api/v1/districts/{district}/guards/{id}"). The
// access log (telemetry.HTTPMiddleware) sits outside every mux, and the
// muxes of a process are nested (the standalone binary's, the district
// router, each service's own), each matching on a copy of the request that
// an auth or context middleware made, so the outermost request never sees
// the innermost pattern. Instead the access log puts a slot in the
// request's context (WithRouteSlot), and the handlers fill it: every go-kit
// server through ServerOptions (RecordRoute), other handlers on a mux
// through RouteHandler, NotFoundHandler with RouteUnmatched. The last one to
// write wins: an inner handler runs after the outer ones.

type routeKey struct{}

type routeSlot struct{ pattern atomic.Pointer[string] }

// WithRouteSlot returns ctx carrying an empty route slot, and a function
// that returns what was recorded in it ("" if nothing was).
func WithRouteSlot(ctx context.Context) (context.Context, func() string) {
	s := &routeSlot{}
	return context.WithValue(ctx, routeKey{}, s), func() string {
		if p := s.pattern.Load(); p != nil {
			return *p
		}
		return ""
	}
}

// SetRoute records pattern as the route of the request ctx belongs to,
// replacing what an outer handler recorded. Without a slot (no access log
// around the handler) it does nothing; so does an empty pattern.
func SetRoute(ctx context.Context, pattern string) {
	if s, ok := ctx.Value(routeKey{}).(*routeSlot); ok && pattern != "" {
		s.pattern.Store(&pattern)
	}
}

// RecordRoute is the go-kit ServerBefore function that records the pattern
// the mux in front of the server matched (r.Pattern). ServerOptions
// includes it, so every go-kit route of every service is named in the
// access log.
func RecordRoute(ctx context.Context, r *http.Request) context.Context {
	SetRoute(ctx, r.Pattern)
	return ctx
}

// RouteHandler wraps h, a handler registered on a ServeMux that is not a go-kit
// server (an OpenAPI document, an index page), so that it records the
// pattern it was matched by before serving.
func RouteHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r.Context(), r.Pattern)
		h.ServeHTTP(w, r)
	})
}
