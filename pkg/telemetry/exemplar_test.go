package telemetry

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/trace"
)

// TestObserveWithTraceLabelsTheSampleWithItsTraceID: a sampled span's
// trace id becomes the histogram's exemplar; an unsampled one adds none.
func TestObserveWithTraceLabelsTheSampleWithItsTraceID(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	for _, tc := range []struct {
		flags trace.TraceFlags
		want  string
	}{{trace.FlagsSampled, tid.String()}, {0, ""}} {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h", Buckets: []float64{1}})
		ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: tc.flags}))
		ObserveWithTrace(ctx, h, 0.5)
		var m dto.Metric
		if err := h.Write(&m); err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, l := range m.GetHistogram().GetBucket()[0].GetExemplar().GetLabel() {
			if l.GetName() == "trace_id" {
				got = l.GetValue()
			}
		}
		if got != tc.want || m.GetHistogram().GetSampleCount() != 1 {
			t.Errorf("flags %v: exemplar trace_id %q (count %d), want %q", tc.flags, got, m.GetHistogram().GetSampleCount(), tc.want)
		}
	}
}
