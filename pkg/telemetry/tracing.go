package telemetry

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Sentinel errors of TracingConfig.Validate.
var (
	// ErrTracingSampleRatio means the sample ratio is outside [0, 1].
	ErrTracingSampleRatio = errors.New("telemetry: tracing sample ratio must be between 0 and 1")
	// ErrTracingEndpoint means the OTLP endpoint is neither host:port nor an
	// http(s) URL.
	ErrTracingEndpoint = errors.New("telemetry: tracing OTLP endpoint must be host:port or an http(s) URL")
)

// DefaultServiceName is the resource service.name when none is configured.
const DefaultServiceName = "guildhall"

// TracingConfig configures the OpenTelemetry tracer provider.
type TracingConfig struct {
	// OTLPEndpoint is the OTLP/gRPC collector, host:port or URL; empty
	// disables export (spans are still created so trace context propagates).
	OTLPEndpoint string
	// Insecure sends to the collector without TLS.
	Insecure bool
	// SampleRatio is the fraction of new traces sampled; a sampled parent
	// always wins (parent-based sampling).
	SampleRatio float64
	// ServiceName is the resource's service.name.
	ServiceName string
}

// RegisterFlags registers the tracing flags, each name prefixed with prefix:
// tracing.otlp-endpoint, tracing.insecure, tracing.sample-ratio and
// tracing.service-name.
func (c *TracingConfig) RegisterFlags(prefix string, fs *flag.FlagSet) {
	fs.StringVar(&c.OTLPEndpoint, prefix+"tracing.otlp-endpoint", "", "OTLP/gRPC collector endpoint (host:port or URL); empty disables trace export.")
	fs.BoolVar(&c.Insecure, prefix+"tracing.insecure", false, "Send traces to the collector without TLS.")
	fs.Float64Var(&c.SampleRatio, prefix+"tracing.sample-ratio", 1, "Fraction of new traces to sample, 0 to 1.")
	fs.StringVar(&c.ServiceName, prefix+"tracing.service-name", DefaultServiceName, "service.name of the traces this process emits.")
}

// Validate checks the sample ratio and the endpoint's shape.
func (c *TracingConfig) Validate() error {
	if c.SampleRatio < 0 || c.SampleRatio > 1 || c.SampleRatio != c.SampleRatio {
		return fmt.Errorf("%w: got %v", ErrTracingSampleRatio, c.SampleRatio)
	}
	if c.OTLPEndpoint == "" {
		return nil
	}
	if strings.Contains(c.OTLPEndpoint, "://") {
		u, err := url.Parse(c.OTLPEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: %q", ErrTracingEndpoint, c.OTLPEndpoint)
		}
		return nil
	}
	if _, port, err := net.SplitHostPort(c.OTLPEndpoint); err != nil || port == "" {
		return fmt.Errorf("%w: %q", ErrTracingEndpoint, c.OTLPEndpoint)
	}
	return nil
}

// SetupTracing installs a global OpenTelemetry tracer provider and the W3C
// tracecontext + baggage propagator. With an OTLPEndpoint, spans are batched
// to it over gRPC; without one the provider has no exporter, so spans exist
// (and their context propagates across HTTP and Kafka) but go nowhere.
// shutdown flushes and stops the provider; call it on the way out of main.
func SetupTracing(ctx context.Context, cfg TracingConfig) (shutdown func(context.Context) error, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	name := cfg.ServiceName
	if name == "" {
		name = DefaultServiceName
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", name)))
	if err != nil {
		return nil, fmt.Errorf("telemetry: tracing resource: %w", err)
	}
	var exp sdktrace.SpanExporter
	if cfg.OTLPEndpoint != "" {
		var eopts []otlptracegrpc.Option
		if strings.Contains(cfg.OTLPEndpoint, "://") {
			eopts = append(eopts, otlptracegrpc.WithEndpointURL(cfg.OTLPEndpoint))
		} else {
			eopts = append(eopts, otlptracegrpc.WithEndpoint(cfg.OTLPEndpoint))
		}
		if cfg.Insecure {
			eopts = append(eopts, otlptracegrpc.WithInsecure())
		}
		// The gRPC connection is made lazily, so an absent collector does not
		// stop the process from starting; export errors go to otel's handler.
		if exp, err = otlptracegrpc.New(ctx, eopts...); err != nil {
			return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
		}
	}
	opts := providerOptions(res, cfg.SampleRatio, exp)
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}

// providerOptions are the tracer provider's options: res, parent-based
// sampling at ratio and, when exp is not nil, batched export to exp through
// RedactingExporter, so no attribute, event or name carries a national ID
// number to the collector.
func providerOptions(res *resource.Resource, ratio float64, exp sdktrace.SpanExporter) []sdktrace.TracerProviderOption {
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	}
	if exp != nil {
		opts = append(opts, sdktrace.WithBatcher(RedactingExporter(exp)))
	}
	return opts
}
