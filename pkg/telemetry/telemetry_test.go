package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/guildhall/guildhall/pkg/errs"
)

// failingResponse carries a business error like the services' responses.
type failingResponse struct{ Err error }

func (r failingResponse) Failed() error { return r.Err }

func TestNewLoggerWritesJSON(t *testing.T) {
	var buf bytes.Buffer
	logger := NewLogger(&buf, slog.LevelInfo)
	logger.Debug("hidden")
	logger.Info("hello", "district", "jiangan")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want 1 line (debug dropped), got %q", buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("log line is not JSON: %v: %s", err, lines[0])
	}
	if rec["msg"] != "hello" || rec["district"] != "jiangan" || rec["level"] != "INFO" {
		t.Fatalf("unexpected record %v", rec)
	}
}

func TestNewRegistryHasRuntimeCollectors(t *testing.T) {
	reg := NewRegistry()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var goroutines bool
	for _, mf := range mfs {
		if mf.GetName() == "go_goroutines" {
			goroutines = true
		}
	}
	if !goroutines {
		t.Fatal("go_goroutines missing from NewRegistry")
	}
	if reg == prometheus.DefaultRegisterer {
		t.Fatal("NewRegistry returned the default registry")
	}
}

func TestEndpointMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := NewEndpointMetrics(reg)
	ok := m.Middleware("membership", "jiangan", "get_company")(func(context.Context, any) (any, error) {
		return "ok", nil
	})
	business := m.Middleware("membership", "jiangan", "hire_guard")(func(context.Context, any) (any, error) {
		return failingResponse{Err: errs.InvalidField("guard.id_number_invalid", "id_number", "bad")}, nil
	})
	transport := m.Middleware("membership", "jiangan", "hire_guard")(func(context.Context, any) (any, error) {
		return nil, errors.New("disk on fire")
	})
	ctx := context.Background()
	for range 2 {
		if _, err := ok(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if resp, err := business(ctx, nil); err != nil || resp.(failingResponse).Err == nil {
		t.Fatal("middleware changed the response")
	}
	if _, err := transport(ctx, nil); err == nil {
		t.Fatal("middleware swallowed the error")
	}

	want := `
# HELP guildhall_endpoint_errors_total Endpoint requests that failed, by the stable error id of the API error body.
# TYPE guildhall_endpoint_errors_total counter
guildhall_endpoint_errors_total{district="jiangan",endpoint="hire_guard",error_id="guard.id_number_invalid",service="membership"} 1
guildhall_endpoint_errors_total{district="jiangan",endpoint="hire_guard",error_id="internal",service="membership"} 1
# HELP guildhall_endpoint_requests_total Endpoint requests by outcome: success, or the error kind (invalid, not_found, internal, …).
# TYPE guildhall_endpoint_requests_total counter
guildhall_endpoint_requests_total{district="jiangan",endpoint="get_company",outcome="success",service="membership"} 2
guildhall_endpoint_requests_total{district="jiangan",endpoint="hire_guard",outcome="internal",service="membership"} 1
guildhall_endpoint_requests_total{district="jiangan",endpoint="hire_guard",outcome="invalid",service="membership"} 1
guildhall_endpoint_requests_total{district="jiangan",endpoint="hire_guard",outcome="success",service="membership"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"guildhall_endpoint_requests_total", "guildhall_endpoint_errors_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "guildhall_endpoint_request_duration_seconds"); n != 2 {
		t.Fatalf("duration series = %d, want 2", n)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != "guildhall_endpoint_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "endpoint" {
					counts[l.GetValue()] = m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	if counts["get_company"] != 2 || counts["hire_guard"] != 2 {
		t.Fatalf("duration sample counts %v, want 2 each", counts)
	}
}

func TestOutcome(t *testing.T) {
	for err, want := range map[error]string{
		nil:                            OutcomeSuccess,
		errs.E(errs.NotFound, "x", ""): "not_found",
		context.Canceled:               "canceled",
		context.DeadlineExceeded:       "timeout",
		errors.New("boom"):             "internal",
	} {
		if got := Outcome(err); got != want {
			t.Errorf("Outcome(%v) = %q, want %q", err, got, want)
		}
	}
}

// useRecorder installs a span recorder as the global tracer provider for the
// test and restores the previous globals afterwards.
func useRecorder(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
	})
	return rec
}

func TestTracingMiddleware(t *testing.T) {
	rec := useRecorder(t)
	ep := TracingMiddleware("membership", "hire_guard")(func(context.Context, any) (any, error) {
		return failingResponse{Err: errs.E(errs.Conflict, "guard.already_employed", "")}, nil
	})
	if _, err := ep(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	okEP := TracingMiddleware("membership", "get_guard")(func(context.Context, any) (any, error) { return 1, nil })
	if _, err := okEP(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	if spans[0].Name() != "membership.hire_guard" || spans[0].Status().Code != codes.Error || spans[0].Status().Description != "guard.already_employed" {
		t.Fatalf("failed span: name %q status %+v", spans[0].Name(), spans[0].Status())
	}
	if spans[1].Name() != "membership.get_guard" || spans[1].Status().Code == codes.Error {
		t.Fatalf("ok span: name %q status %+v", spans[1].Name(), spans[1].Status())
	}
}

func TestTracingConfig(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var c TracingConfig
	c.RegisterFlags("", fs)
	if err := fs.Parse([]string{"-tracing.otlp-endpoint=collector:4317", "-tracing.sample-ratio=0.25", "-tracing.insecure"}); err != nil {
		t.Fatal(err)
	}
	if c.OTLPEndpoint != "collector:4317" || c.SampleRatio != 0.25 || !c.Insecure || c.ServiceName != DefaultServiceName {
		t.Fatalf("parsed %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  TracingConfig
		want error
	}{
		{TracingConfig{SampleRatio: 1.5}, ErrTracingSampleRatio},
		{TracingConfig{SampleRatio: -0.1}, ErrTracingSampleRatio},
		{TracingConfig{SampleRatio: 1, OTLPEndpoint: "collector"}, ErrTracingEndpoint},
		{TracingConfig{SampleRatio: 1, OTLPEndpoint: "ftp://collector:21"}, ErrTracingEndpoint},
		{TracingConfig{SampleRatio: 1, OTLPEndpoint: "https://collector:4317"}, nil},
	} {
		if err := tc.cfg.Validate(); !errors.Is(err, tc.want) {
			t.Errorf("Validate(%+v) = %v, want %v", tc.cfg, err, tc.want)
		}
	}
}

func TestSetupTracing(t *testing.T) {
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })
	ctx := context.Background()

	shutdown, err := SetupTracing(ctx, TracingConfig{SampleRatio: 1, ServiceName: "hq"})
	if err != nil {
		t.Fatal(err)
	}
	_, span := otel.Tracer("test").Start(ctx, "x")
	if !span.SpanContext().IsSampled() {
		t.Error("span from the installed provider is not sampled")
	}
	span.End()
	h := http.Header{}
	otel.GetTextMapPropagator().Inject(otelContext(span), propagation.HeaderCarrier(h))
	if h.Get("traceparent") == "" {
		t.Error("global propagator did not inject traceparent")
	}
	if err := shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	// An endpoint nobody listens on: setup must neither block nor fail,
	// since the collector may start after the service. Nothing is exported,
	// so shutdown returns at once.
	shutdown, err = SetupTracing(ctx, TracingConfig{SampleRatio: 0.5, OTLPEndpoint: "127.0.0.1:1", Insecure: true})
	if err != nil {
		t.Fatalf("SetupTracing with an absent collector: %v", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	if _, err := SetupTracing(ctx, TracingConfig{SampleRatio: 2}); !errors.Is(err, ErrTracingSampleRatio) {
		t.Fatalf("invalid config: %v", err)
	}
}

func TestReadyz(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "guildhall_test_total", Help: "t"}))
	var healthy atomic.Bool
	healthy.Store(true)
	mux := http.NewServeMux()
	AdminRoutes(mux, reg, map[string]Check{
		"etcd": func(context.Context) error { return nil },
		"kafka": func(context.Context) error {
			if healthy.Load() {
				return nil
			}
			return errors.New("no brokers reachable")
		},
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"ready"`) {
		t.Fatalf("/readyz healthy = %d %s", code, body)
	}
	healthy.Store(false)
	code, body := get("/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz unhealthy = %d", code)
	}
	var rr ReadyResponse
	if err := json.Unmarshal([]byte(body), &rr); err != nil {
		t.Fatal(err)
	}
	if rr.Status != "unavailable" || rr.Failures["kafka"] != "no brokers reachable" || len(rr.Failures) != 1 {
		t.Fatalf("/readyz body %+v", rr)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "guildhall_test_total 0") {
		t.Fatalf("/metrics = %d %s", code, body)
	}
}

func TestReadyzCheckIgnoringContextTimesOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	release := make(chan struct{})
	defer close(release)
	start := time.Now()
	failures := runChecks(ctx, map[string]Check{
		"stuck": func(context.Context) error { <-release; return nil },
	})
	if failures["stuck"] == "" || time.Since(start) > 2*time.Second {
		t.Fatalf("stuck check: failures %v after %v", failures, time.Since(start))
	}
}

func TestNewServerTimeouts(t *testing.T) {
	s := NewServer(":0", http.NotFoundHandler())
	if s.ReadHeaderTimeout != 5*time.Second || s.ReadTimeout != 30*time.Second ||
		s.WriteTimeout != 60*time.Second || s.IdleTimeout != 120*time.Second || s.MaxHeaderBytes != HardHeaderBytes {
		t.Fatalf("server %+v", s)
	}
}

func TestHTTPMiddlewareRequestID(t *testing.T) {
	var buf bytes.Buffer
	logger := NewLogger(&buf, slog.LevelInfo)
	var seen string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/guards/{id}", func(w http.ResponseWriter, r *http.Request) {
		seen = RequestIDFromContext(r.Context())
		w.WriteHeader(http.StatusTeapot)
	})
	h := HTTPMiddleware(mux, logger)

	req := httptest.NewRequest("GET", "/v1/guards/g1?id_number=11010519491231002X", nil)
	req.Header.Set(RequestIDHeader, "req-abc-123")
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	if got := rr.Header().Get(RequestIDHeader); got != "req-abc-123" || seen != "req-abc-123" {
		t.Fatalf("echoed %q, context %q", got, seen)
	}
	if rr.Code != http.StatusTeapot {
		t.Fatalf("status %d", rr.Code)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("access log %q: %v", buf.String(), err)
	}
	if line["status"] != float64(418) || line["path"] != "/v1/guards/g1" || line["request_id"] != "req-abc-123" ||
		line["route"] != "GET /v1/guards/{id}" || line["method"] != "GET" {
		t.Fatalf("access log %v", line)
	}
	if strings.Contains(buf.String(), "11010519491231002X") {
		t.Fatal("query string with personal data reached the log")
	}

	// Absent or hostile ids are replaced by a generated one.
	for _, in := range []string{"", "bad\nid", strings.Repeat("a", 200)} {
		req := httptest.NewRequest("GET", "/v1/guards/g2", nil)
		if in != "" {
			req.Header[RequestIDHeader] = []string{in}
		}
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		got := rr.Header().Get(RequestIDHeader)
		if len(got) != 32 || got == in || seen != got {
			t.Errorf("request id for %q: header %q, context %q", in, got, seen)
		}
	}
}

func TestHTTPMiddlewareSpan(t *testing.T) {
	rec := useRecorder(t)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/companies", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	h := HTTPMiddleware(mux, slog.New(slog.DiscardHandler))
	req := httptest.NewRequest("POST", "/v1/companies", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	if s.Name() != "POST /v1/companies" || s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		s.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("span %q trace %s parent %s", s.Name(), s.SpanContext().TraceID(), s.Parent().SpanID())
	}
}

func TestHTTPMiddlewarePanic(t *testing.T) {
	var buf bytes.Buffer
	logger := NewLogger(&buf, slog.LevelInfo)
	h := HTTPMiddleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal state")
	}), logger)
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 500 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var eb errs.Body
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error.ID != "internal" {
		t.Fatalf("body %s: %v", body, err)
	}
	for _, leak := range []string{"secret", "goroutine", ".go:"} {
		if strings.Contains(string(body), leak) {
			t.Fatalf("response leaks %q: %s", leak, body)
		}
	}
	if !strings.Contains(buf.String(), "secret internal state") || !strings.Contains(buf.String(), `"status":500`) {
		t.Fatalf("log missing the panic or the 500 access line: %s", buf.String())
	}
}

// TestHTTPMiddlewarePanicAnswersInTheRequestsLanguage: the panic's 500 is
// the one error every reader gets, so it follows Accept-Language like the
// handlers' errors do.
func TestHTTPMiddlewarePanicAnswersInTheRequestsLanguage(t *testing.T) {
	h := HTTPMiddleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }), slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(h)
	defer srv.Close()
	zh, _ := errs.ChineseMessage("internal")
	for lang, want := range map[string]string{errs.Chinese: zh, errs.English: errs.ErrInternal.Message} {
		req, _ := http.NewRequest("GET", srv.URL+"/boom", nil)
		req.Header.Set("Accept-Language", lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb errs.Body
		err = json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 500 || eb.Error.ID != "internal" || eb.Error.Message != want ||
			resp.Header.Get("Content-Language") != lang {
			t.Fatalf("%s: %d %+v %q (%v), want message %q", lang, resp.StatusCode, eb.Error, resp.Header.Get("Content-Language"), err, want)
		}
	}
}

// otelContext returns a context carrying span.
func otelContext(span interface{ SpanContext() oteltrace.SpanContext }) context.Context {
	return oteltrace.ContextWithSpanContext(context.Background(), span.SpanContext())
}

func TestHTTPMiddlewareSetsSecurityHeaders(t *testing.T) {
	h := HTTPMiddleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}), slog.New(slog.DiscardHandler))
	for _, withToken := range []bool{false, true} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/hq/summary", nil)
		if withToken {
			req.Header.Set("Authorization", "Bearer x")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		for k, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "no-referrer",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		} {
			if got := rec.Header().Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if got := rec.Header().Get("Cache-Control"); (got == "no-store") != withToken {
			t.Errorf("authenticated=%v: Cache-Control %q", withToken, got)
		}
	}
}
