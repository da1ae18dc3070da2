package telemetry

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ReadyTimeout bounds one run of the readiness checks.
const ReadyTimeout = 5 * time.Second

// Check is a readiness check: nil when the dependency it probes can serve.
type Check func(ctx context.Context) error

// ReadyResponse is the JSON body of /readyz.
type ReadyResponse struct {
	// Status is "ready" or "unavailable".
	Status string `json:"status"`
	// Failures maps the name of each failing check to its error message.
	Failures map[string]string `json:"failures,omitempty"`
}

// AdminRoutes adds /healthz (alive), /readyz (runs every check with a
// timeout; 503 + JSON listing failures), /metrics (promhttp for reg) to mux.
// Checks run concurrently, each bounded by ReadyTimeout, so one hung
// dependency cannot hide the state of the others.
func AdminRoutes(mux *http.ServeMux, reg *prometheus.Registry, checks map[string]Check) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		failures := runChecks(r.Context(), checks)
		if len(failures) > 0 {
			writeJSON(w, http.StatusServiceUnavailable, ReadyResponse{Status: "unavailable", Failures: failures})
			return
		}
		writeJSON(w, http.StatusOK, ReadyResponse{Status: "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
}

// runChecks runs every check concurrently under ReadyTimeout and returns the
// failures by name.
func runChecks(ctx context.Context, checks map[string]Check) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	names := make([]string, 0, len(checks))
	for name := range checks {
		names = append(names, name)
	}
	sort.Strings(names)
	results := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			done := make(chan error, 1)
			go func() { done <- checks[name](ctx) }()
			// A check that ignores ctx must not hold the probe past the
			// deadline; its goroutine finishes on its own.
			select {
			case err := <-done:
				results[i] = err
			case <-ctx.Done():
				results[i] = ctx.Err()
			}
		})
	}
	wg.Wait()
	failures := map[string]string{}
	for i, err := range results {
		if err != nil {
			failures[names[i]] = err.Error()
		}
	}
	return failures
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// NewServer returns an http.Server for h on addr with the timeouts every
// Guildhall listener uses — ReadHeaderTimeout 5s (slowloris), ReadTimeout
// 30s, WriteTimeout 60s, IdleTimeout 120s — and its request limits, each
// answered with the API's JSON error body: a URL over MaxURIBytes is 414, a
// header block over MaxHeaderBytes 431, more than MaxQueryParams query
// parameters 400. net/http's own MaxHeaderBytes is HardHeaderBytes, well
// above them, so that its plain-text 431 is reached only by requests past
// that (and JSONErrorListener makes that one JSON too). Plain-text errors of
// handlers h wraps (ServeMux's 404 and 405) become JSON as well.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           limitRequests(h),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    HardHeaderBytes,
	}
}
