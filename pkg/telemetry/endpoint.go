package telemetry

import (
	"context"
	"errors"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// instrumentationName names the tracer of this package's spans.
const instrumentationName = "github.com/guildhall/guildhall/pkg/telemetry"

// OutcomeSuccess is the outcome label of a request that returned no error.
const OutcomeSuccess = "success"

// EndpointMetrics is go-kit instrumenting middleware on client_golang:
// request count by outcome, errors by error id, and duration per endpoint.
// Build one per process on its registry and share it between every service
// in the process; the service and district labels tell them apart.
type EndpointMetrics struct {
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewEndpointMetrics registers the endpoint metrics on reg (nil: not
// registered, for tests that do not look at them):
// guildhall_endpoint_requests_total{service,district,endpoint,outcome},
// guildhall_endpoint_errors_total{service,district,endpoint,error_id} and the
// histogram guildhall_endpoint_request_duration_seconds{service,district,endpoint}.
// It panics if they are already registered on reg, like promauto: one
// EndpointMetrics per registry.
func NewEndpointMetrics(reg prometheus.Registerer) *EndpointMetrics {
	f := promauto.With(reg)
	return &EndpointMetrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "guildhall_endpoint_requests_total",
			Help: "Endpoint requests by outcome: success, or the error kind (invalid, not_found, internal, …).",
		}, []string{"service", "district", "endpoint", "outcome"}),
		errors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "guildhall_endpoint_errors_total",
			Help: "Endpoint requests that failed, by the stable error id of the API error body.",
		}, []string{"service", "district", "endpoint", "error_id"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "guildhall_endpoint_request_duration_seconds",
			Help:    "Time spent in the endpoint, including business failures.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"service", "district", "endpoint"}),
	}
}

// For returns the endpoint middleware of every endpoint a process serves
// for district ("" for HQ, whose endpoints are city-wide): these metrics
// outermost, so that refused requests are counted like any other outcome,
// then tracing.
func (m *EndpointMetrics) For(district string) func(service, name string) endpoint.Middleware {
	return func(service, name string) endpoint.Middleware {
		return endpoint.Chain(m.Middleware(service, district, name), TracingMiddleware(service, name))
	}
}

// Middleware returns a go-kit endpoint middleware counting and timing every
// call of the named endpoint. The outcome comes from the returned error or,
// when there is none, from the response's Failed() error (kitx.Failer), so
// business errors carried in responses are counted too.
func (m *EndpointMetrics) Middleware(service, district, endpointName string) endpoint.Middleware {
	// Resolve the label sets once: the hot path then only touches counters.
	duration := m.duration.WithLabelValues(service, district, endpointName)
	success := m.requests.WithLabelValues(service, district, endpointName, OutcomeSuccess)
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			start := time.Now()
			response, err := next(ctx, request)
			ObserveWithTrace(ctx, duration, time.Since(start).Seconds())
			if failure := Failure(response, err); failure != nil {
				m.requests.WithLabelValues(service, district, endpointName, Outcome(failure)).Inc()
				_, body := errs.HTTP(failure)
				m.errors.WithLabelValues(service, district, endpointName, body.Error.ID).Inc()
			} else {
				success.Inc()
			}
			return response, err
		}
	}
}

// Failure returns err if it is not nil, else the business error of a
// response implementing kitx.Failer, else nil.
func Failure(response any, err error) error {
	if err != nil {
		return err
	}
	if f, ok := response.(kitx.Failer); ok {
		return f.Failed()
	}
	return nil
}

// Outcome returns the metric outcome of err: OutcomeSuccess for nil,
// "canceled" and "timeout" for context errors, else the errs kind name.
func Outcome(err error) string {
	var e *errs.Error
	switch {
	case err == nil:
		return OutcomeSuccess
	case errors.As(err, &e):
		return e.Kind.String()
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default:
		return errs.Internal.String()
	}
}

// TracingMiddleware returns a go-kit endpoint middleware wrapping each call
// in an OpenTelemetry span named "<service>.<endpoint>" from the global
// tracer provider (see SetupTracing). A failure, returned or carried in the
// response, is recorded on the span with error status and its error id.
func TracingMiddleware(service, endpointName string) endpoint.Middleware {
	name := service + "." + endpointName
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			// Look the provider up per call so SetupTracing may run after wiring.
			ctx, span := otel.Tracer(instrumentationName).Start(ctx, name,
				trace.WithSpanKind(trace.SpanKindInternal),
				trace.WithAttributes(
					attribute.String("guildhall.service", service),
					attribute.String("guildhall.endpoint", endpointName),
				))
			defer span.End()
			response, err := next(ctx, request)
			if failure := Failure(response, err); failure != nil {
				_, body := errs.HTTP(failure)
				span.SetAttributes(attribute.String("error.id", body.Error.ID), attribute.String("error.type", Outcome(failure)))
				span.RecordError(failure)
				span.SetStatus(codes.Error, body.Error.ID)
			}
			return response, err
		}
	}
}

// ObserveWithTrace records v on obs with the trace id of ctx's span as its
// exemplar when that span is sampled, so a slow request on a latency panel
// links to its trace (exemplars are served in the OpenMetrics format, which
// Prometheus asks /metrics for).
func ObserveWithTrace(ctx context.Context, obs prometheus.Observer, v float64) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && sc.IsSampled() {
		if eo, ok := obs.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(v, prometheus.Labels{"trace_id": sc.TraceID().String()})
			return
		}
	}
	obs.Observe(v)
}
