package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/kitx"
)

// copying stands for auth.Authenticate and the like: the request it hands on
// is a copy, so a mux inside sets the pattern on the copy only.
func copying(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), struct{ k int }{}, 1)))
	})
}

// kitServer is a go-kit server with the options every service uses.
func kitServer() http.Handler {
	return kithttp.NewServer(
		func(context.Context, any) (any, error) { return map[string]string{"ok": "yes"}, nil },
		func(context.Context, *http.Request) (any, error) { return nil, nil },
		kitx.EncodeJSONResponse, kitx.ServerOptions()...)
}

// city nests muxes the way the standalone binary does: a subtree per
// district, a district router with the district id in its patterns, and
// the service's own mux with the templates.
func city() http.Handler {
	service := http.NewServeMux()
	service.Handle("GET /api/v1/districts/{district}/guards/{id}", kitServer())
	service.Handle("POST /api/v1/districts/{district}/guards/{id}/leave", kitServer())
	service.Handle("/", kitx.NotFoundHandler())
	district := http.NewServeMux()
	district.Handle("GET /api/v1/districts/jingkai/meetings", copying(kitServer()))
	district.Handle("/", kitx.DistrictOnly("jingkai", kitx.ErrNotFound, service))
	// Like HQ's, without a catch-all: another method is the mux's own 405.
	hq := http.NewServeMux()
	hq.Handle("GET /api/v1/hq/summary", kitServer())
	outer := http.NewServeMux()
	outer.Handle("/api/v1/districts/{district}/", district)
	outer.Handle("/api/v1/hq/", hq)
	// A subtree someone wrapped in kitx.Route: the inner handlers override it.
	auth := http.NewServeMux()
	auth.Handle("POST /api/v1/auth/login", kitServer())
	auth.Handle("/", kitx.NotFoundHandler())
	outer.Handle("/api/v1/auth/", kitx.RouteHandler(auth))
	outer.Handle("GET /api/v1/openapi.json", kitx.RouteHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})))
	outer.HandleFunc("GET /api/v1/unrecorded", func(w http.ResponseWriter, _ *http.Request) {})
	outer.Handle("/", kitx.NotFoundHandler())
	return copying(outer)
}

func TestHTTPMiddlewareLogsTheRouteOfTheInnermostHandler(t *testing.T) {
	plain := http.NewServeMux()
	plain.HandleFunc("GET /v1/companies/{id}", func(w http.ResponseWriter, _ *http.Request) {})
	plain.Handle("/v1/", copying(http.NotFoundHandler()))
	plain.HandleFunc("GET /v2/companies", func(w http.ResponseWriter, _ *http.Request) {})
	for _, tc := range []struct {
		name, method, path string
		h                  http.Handler
		want               string
		status             int
	}{
		{"A go-kit route three muxes deep behind a copying middleware is named by its template.", "GET", "/api/v1/districts/jingkai/guards/g-1", city(), "GET /api/v1/districts/{district}/guards/{id}", 200},
		{"A POST route is named with its method.", "POST", "/api/v1/districts/jingkai/guards/g-1/leave", city(), "POST /api/v1/districts/{district}/guards/{id}/leave", 200},
		{"A route of the district router is named by the inner server's pattern.", "GET", "/api/v1/districts/jingkai/meetings", city(), "GET /api/v1/districts/jingkai/meetings", 200},
		{"An unknown path inside a service is unmatched.", "GET", "/api/v1/districts/jingkai/nope", city(), kitx.RouteUnmatched, 404},
		{"A known path with another method is unmatched, not the subtree that handed it on.", "DELETE", "/api/v1/hq/summary", city(), kitx.RouteUnmatched, 405},
		{"A plain handler wrapped in kitx.Route behind a copying middleware is named.", "GET", "/api/v1/openapi.json", city(), "GET /api/v1/openapi.json", 200},
		{"A plain handler nobody records behind a copying middleware is unmatched, never empty.", "GET", "/api/v1/unrecorded", city(), kitx.RouteUnmatched, 200},
		{"A route under a subtree wrapped in kitx.Route is named by the route.", "POST", "/api/v1/auth/login", city(), "POST /api/v1/auth/login", 200},
		{"An unknown path under a subtree wrapped in kitx.Route is unmatched, not the subtree.", "GET", "/api/v1/auth/nope", city(), kitx.RouteUnmatched, 404},
		{"An unknown path of the outer mux is unmatched.", "GET", "/elsewhere", city(), kitx.RouteUnmatched, 404},
		{"A mux directly inside the middleware names its route without help.", "GET", "/v1/companies/c-1", plain, "GET /v1/companies/{id}", 200},
		{"A subtree pattern directly inside the middleware is no route.", "GET", "/v1/else", plain, kitx.RouteUnmatched, 404},
		{"Another method on a mux directly inside the middleware is unmatched.", "POST", "/v2/companies", plain, kitx.RouteUnmatched, 405},
		{"A handler that is no mux has no route.", "GET", "/x", http.NotFoundHandler(), kitx.RouteUnmatched, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			rr := httptest.NewRecorder()
			HTTPMiddleware(tc.h, NewLogger(&buf, slog.LevelInfo)).ServeHTTP(rr, httptest.NewRequest(tc.method, tc.path, nil))
			if rr.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rr.Code, tc.status, rr.Body)
			}
			var line struct {
				Msg   string `json:"msg"`
				Route string `json:"route"`
			}
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line.Msg != "http request" {
				t.Fatalf("access log %q: %v", buf.String(), err)
			}
			if line.Route != tc.want {
				t.Fatalf("route %q, want %q", line.Route, tc.want)
			}
		})
	}
}

func TestHTTPMiddlewareNamesTheSpanByTheInnermostRoute(t *testing.T) {
	rec := useRecorder(t)
	HTTPMiddleware(city(), slog.New(slog.DiscardHandler)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/districts/jingkai/guards/g-1", nil))
	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Name() != "GET /api/v1/districts/{district}/guards/{id}" {
		t.Fatalf("spans %v", spans)
	}
}
