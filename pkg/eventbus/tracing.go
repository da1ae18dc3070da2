package eventbus

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the tracer of the event bus's spans.
const tracerName = "github.com/guildhall/guildhall/pkg/eventbus"

// One trace runs from the HTTP write to every consumer's apply: Publish
// stores the writer's traceparent in the outbox row; the relay continues it
// with a producer span per message and sends that span's traceparent in the
// message's headers; each consumer continues it with its apply span. A
// relay batch and a consumer batch (many events in one transaction) are
// spans of their own that link every event's trace, as they belong to none.

// contextOf returns the span context a traceparent carries (invalid for
// an empty or malformed one).
func contextOf(traceparent string) trace.SpanContext {
	if traceparent == "" {
		return trace.SpanContext{}
	}
	ctx := otel.GetTextMapPropagator().Extract(context.Background(), propagation.MapCarrier{"traceparent": traceparent})
	return trace.SpanContextFromContext(ctx)
}

// publishSpans starts the relay's spans for a batch of rows about to be
// written to topic: the batch span, linked to every row's trace, and a
// producer span per row that has a trace, child of the row's writer. It
// sets each message's traceparent header to its producer span. end ends
// them all, recording err.
func publishSpans(ctx context.Context, topic string, rows []outboxRow, msgs []kafka.Message) (end func(err error)) {
	tracer := otel.Tracer(tracerName)
	links := make([]trace.Link, 0, len(rows))
	for _, o := range rows {
		if sc := contextOf(o.traceparent); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{attribute.String("messaging.message.id", o.eventID)}})
		}
	}
	// The batch span starts a trace of its own (not the relay loop's).
	_, batch := tracer.Start(trace.ContextWithSpanContext(ctx, trace.SpanContext{}), "eventbus.publish-batch "+topic,
		trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindInternal), trace.WithLinks(links...),
		trace.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.destination.name", topic),
			attribute.Int("messaging.batch.message_count", len(rows))))
	spans := make([]trace.Span, 0, len(rows))
	for i, o := range rows {
		sc := contextOf(o.traceparent)
		if !sc.IsValid() {
			continue
		}
		pctx, span := tracer.Start(trace.ContextWithRemoteSpanContext(ctx, sc), "eventbus.send "+o.eventType,
			trace.WithSpanKind(trace.SpanKindProducer),
			trace.WithLinks(trace.Link{SpanContext: batch.SpanContext()}),
			trace.WithAttributes(
				attribute.String("messaging.system", "kafka"),
				attribute.String("messaging.destination.name", topic),
				attribute.String("messaging.message.id", o.eventID),
				attribute.Int64("guildhall.outbox.seq", o.seq),
			))
		carrier := propagation.MapCarrier{}
		otel.GetTextMapPropagator().Inject(pctx, carrier)
		if tp := carrier["traceparent"]; tp != "" {
			setHeader(&msgs[i], "traceparent", tp)
		}
		spans = append(spans, span)
	}
	return func(err error) {
		for _, s := range append(spans, batch) {
			if err != nil {
				s.RecordError(err)
				s.SetStatus(codes.Error, "publish failed")
			}
			s.End()
		}
	}
}

// setHeader sets (or adds) the header key of m.
func setHeader(m *kafka.Message, key, value string) {
	for i := range m.Headers {
		if m.Headers[i].Key == key {
			m.Headers[i].Value = []byte(value)
			return
		}
	}
	m.Headers = append(m.Headers, kafka.Header{Key: key, Value: []byte(value)})
}

// batchSpan starts the span of a consumer's batch: one transaction
// applying many events, linked to each event's trace.
func (c *Consumer) batchSpan(ctx context.Context, msgs []kafka.Message) (context.Context, trace.Span) {
	links := make([]trace.Link, 0, len(msgs))
	for _, m := range msgs {
		for _, h := range m.Headers {
			if h.Key == "traceparent" {
				if sc := contextOf(string(h.Value)); sc.IsValid() {
					links = append(links, trace.Link{SpanContext: sc})
				}
			}
		}
	}
	return c.tracer.Start(ctx, "eventbus.apply-batch "+c.cfg.Topic,
		trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindConsumer), trace.WithLinks(links...),
		trace.WithAttributes(attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.destination.name", c.cfg.Topic),
			attribute.String("messaging.consumer.group.name", c.cfg.GroupID),
			attribute.Int("messaging.batch.message_count", len(msgs))))
}

// observeWithTrace records v on obs with the trace id of msg's trace as
// its exemplar (when it has a sampled one), so a slow apply on a dashboard
// leads to its trace.
func observeWithTrace(obs prometheus.Observer, msg Message, v float64) {
	if eo, ok := obs.(prometheus.ExemplarObserver); ok {
		if sc := contextOf(msg.Headers["traceparent"]); sc.IsValid() && sc.IsSampled() {
			eo.ObserveWithExemplar(v, prometheus.Labels{"trace_id": sc.TraceID().String()})
			return
		}
	}
	obs.Observe(v)
}
