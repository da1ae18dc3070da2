// Package telemetry is the observability plumbing every Guildhall process
// shares: the slog JSON logger, a private Prometheus registry, go-kit
// endpoint metrics and tracing middleware, the OpenTelemetry tracer provider,
// the admin routes (/healthz, /readyz, /metrics) and the HTTP middleware that
// gives each request an id, a span, an access-log line and panic recovery.
package telemetry

import (
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewLogger returns a logger writing one JSON object per line to w, dropping
// records below level, with every national-ID-shaped string redacted
// (RedactingHandler), each key once per object and no null values
// (TidyHandler).
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(RedactingHandler(TidyHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))))
}

// NewRegistry returns a fresh Prometheus registry holding the Go runtime and
// process collectors. Processes use it instead of the default registry so
// that tests and the all-in-one binary never collide on global state.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}
