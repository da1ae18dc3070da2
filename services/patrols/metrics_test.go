package patrols

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// TestDispatchSamplesCarryTheirTrace: a response time observed under a
// sampled span has that span's trace id as its exemplar, so the slow
// acceptance on the dispatch panel links to its trace; the verdicts count
// due and breached apart.
func TestDispatchSamplesCarryTheirTrace(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := newDispatchMetrics(reg, "jingkai")
	tid := trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	m.Observe(trace.ContextWithSpanContext(context.Background(), sc), "accept", "urgent", 45*time.Second)
	m.Due("accept", "urgent", true)
	m.Due("arrive", "urgent", false)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var exemplar string
	counts := map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			if h := mt.GetHistogram(); h != nil && mf.GetName() == "guildhall_dispatch_time_to_accept_seconds" {
				for _, b := range h.GetBucket() {
					if e := b.GetExemplar(); e != nil {
						for _, lp := range e.GetLabel() {
							if lp.GetName() == "trace_id" {
								exemplar = lp.GetValue()
							}
						}
					}
				}
			}
			if c := mt.GetCounter(); c != nil {
				stage := ""
				for _, lp := range mt.GetLabel() {
					if lp.GetName() == "stage" {
						stage = lp.GetValue()
					}
				}
				counts[mf.GetName()+" "+stage] = c.GetValue()
			}
		}
	}
	if exemplar != tid.String() {
		t.Errorf("accept exemplar trace_id %q, want %s", exemplar, tid)
	}
	for k, want := range map[string]float64{
		"guildhall_dispatch_due_total accept": 1, "guildhall_dispatch_due_total arrive": 1,
		"guildhall_dispatch_target_breaches_total accept": 1, "guildhall_dispatch_target_breaches_total arrive": 0,
	} {
		if counts[k] != want {
			t.Errorf("%s = %v, want %v", k, counts[k], want)
		}
	}
}
