package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/guildhall/guildhall/pkg/kitx"
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
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true}))
}

// AdminPaths are the routes of the admin listener.
var AdminPaths = []string{"/healthz", "/readyz", "/metrics"}

// AdminHandler serves AdminRoutes for reg and checks, and the JSON 404 of
// kitx for every other path: the handler of a process's admin listener.
func AdminHandler(reg *prometheus.Registry, checks map[string]Check) http.Handler {
	mux := http.NewServeMux()
	AdminRoutes(mux, reg, checks)
	mux.Handle("/", kitx.NotFoundHandler())
	return mux
}

// AdminOnAPIListener is the -admin.addr value that serves the admin routes
// on the API listener instead of a listener of their own, for a setup with
// one port only (a laptop, a single-port platform). Anyone who can reach
// the API can then read the metrics.
const AdminOnAPIListener = "same"

// ErrAdminAddr means an -admin.addr is neither host:port nor
// AdminOnAPIListener.
var ErrAdminAddr = errors.New(`telemetry: -admin.addr must be host:port (e.g. :9090) or "same" (on the API listener)`)

// ValidateAdminAddr checks an -admin.addr value.
func ValidateAdminAddr(addr string) error {
	if addr == AdminOnAPIListener {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%w: got %q", ErrAdminAddr, addr)
	}
	return nil
}

// Server is one HTTP server of a process and the socket it serves.
type Server struct {
	// Name tells the servers apart in the logs: "api" or "admin".
	Name     string
	Listener net.Listener
	HTTP     *http.Server
}

// Listeners are a process's HTTP servers: the public API and, unless the
// admin routes share the API listener, the admin listener.
type Listeners struct {
	API Server
	// Admin is the admin listener; its Listener is nil when the admin
	// routes are served on the API listener (AdminOnAPIListener).
	Admin Server
}

// Listen opens the API listener on apiAddr serving api and the admin
// listener on adminAddr serving admin (AdminHandler), each with NewServer's
// limits. The API listener never answers the admin paths: api alone decides
// them (a JSON 404), so metrics and probes are reachable only where the
// admin listener is. With adminAddr AdminOnAPIListener there is one
// listener: AdminPaths go to admin, everything else to api.
func Listen(apiAddr, adminAddr string, api, admin http.Handler) (*Listeners, error) {
	if err := ValidateAdminAddr(adminAddr); err != nil {
		return nil, err
	}
	ls := &Listeners{}
	if adminAddr == AdminOnAPIListener {
		mux := http.NewServeMux()
		for _, p := range AdminPaths {
			mux.Handle(p, admin)
		}
		mux.Handle("/", api)
		api = mux
	} else {
		ln, err := net.Listen("tcp", adminAddr)
		if err != nil {
			return nil, fmt.Errorf("admin listener: %w", err)
		}
		ls.Admin = Server{Name: "admin", Listener: ln, HTTP: NewServer(adminAddr, admin)}
	}
	ln, err := net.Listen("tcp", apiAddr)
	if err != nil {
		_ = ls.Close()
		return nil, fmt.Errorf("API listener: %w", err)
	}
	ls.API = Server{Name: "api", Listener: ln, HTTP: NewServer(apiAddr, api)}
	return ls, nil
}

// APIAddr is the address the API listener is bound to.
func (ls *Listeners) APIAddr() string { return ls.API.Listener.Addr().String() }

// AdminAddr is the address the admin routes are served on: the admin
// listener's, or the API listener's when they share it.
func (ls *Listeners) AdminAddr() string {
	if ls.Admin.Listener == nil {
		return ls.APIAddr()
	}
	return ls.Admin.Listener.Addr().String()
}

// Servers are the servers to run, the API first.
func (ls *Listeners) Servers() []Server {
	out := []Server{ls.API}
	if ls.Admin.Listener != nil {
		out = append(out, ls.Admin)
	}
	return out
}

// Close closes the listeners of servers that were never started.
func (ls *Listeners) Close() error {
	var failed []error
	for _, s := range []Server{ls.API, ls.Admin} {
		if s.Listener != nil {
			if err := s.Listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				failed = append(failed, err)
			}
		}
	}
	return errors.Join(failed...)
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
