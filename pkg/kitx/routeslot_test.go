package kitx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/guildhall/guildhall/pkg/kitx"
)

func TestRouteSlot(t *testing.T) {
	ctx, route := kitx.WithRouteSlot(context.Background())
	if got := route(); got != "" {
		t.Fatalf("an empty slot holds %q", got)
	}
	kitx.SetRoute(ctx, "/api/v1/districts/{district}/")
	kitx.SetRoute(ctx, "GET /api/v1/districts/{district}/guards/{id}")
	kitx.SetRoute(ctx, "")
	if got := route(); got != "GET /api/v1/districts/{district}/guards/{id}" {
		t.Fatalf("the last pattern set is not the route: %q", got)
	}
	kitx.SetRoute(context.Background(), "GET /x") // no slot: nothing to do, no panic
}

func TestRouteAndNotFoundHandlerRecord(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/things/{id}", kitx.RouteHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	mux.Handle("/", kitx.NotFoundHandler())
	for path, want := range map[string]string{"/v1/things/1": "GET /v1/things/{id}", "/v1/other": kitx.RouteUnmatched} {
		ctx, route := kitx.WithRouteSlot(context.Background())
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil).WithContext(ctx))
		if got := route(); got != want {
			t.Errorf("%s: route %q, want %q", path, got, want)
		}
	}
}
