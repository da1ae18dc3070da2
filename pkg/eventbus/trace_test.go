package eventbus

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/testutil"
)

// TestAWriteItsOutboxRowItsMessageAndEveryApplyAreOneTrace follows one
// write through the outbox, the relay and two consumers (HQ's and another
// district service's) with an in-memory exporter: the relay's producer
// span is a child of the write, each consumer's apply a child of that
// producer span, so all are one trace; the relay's batch and a consumer's
// batch link every event's trace; the apply histogram's exemplar names it.
func TestAWriteItsOutboxRowItsMessageAndEveryApplyAreOneTrace(t *testing.T) {
	// Until the test ends; then TestMain's provider, which the other tests
	// record with, comes back.
	exp, tp := testutil.RecordSpans(t)

	b := startBroker(t, devstack.BrokerConfig{Partitions: 1})
	db := newDB(t, "membership")
	ob := newOutbox(t, db, "north", "membership")
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)

	// The HTTP write: one span, three events of one aggregate in three
	// transactions (as the service writes them).
	wctx, write := tp.Tracer("test").Start(context.Background(), "POST /api/v1/districts/north/guards")
	addEvents(t, wctx, ob, []string{"g1"}, 0, 3)
	write.End()
	root := write.SpanContext()

	r := newRelay(t, RelayConfig{Brokers: []string{b.Addr}, Outbox: ob, Metrics: m, BatchSize: 10})
	run(t, r.Run)
	waitFor(t, 10*time.Second, "backlog drained", func() bool { return backlog(t, ob) == 0 })

	// Two consumers of the topic start after all three are on it, so each
	// applies them as one batch.
	for _, group := range []string{"guildhall-hq", "meetings-north"} {
		cdb := newDB(t, group)
		countingSchema(t, cdb)
		cfg := ConsumerConfig{Brokers: []string{b.Addr}, Topic: ob.Topic(), GroupID: group, DB: cdb, Handler: countingHandler, Metrics: m}
		c := newConsumer(t, cfg)
		run(t, c.Run)
		waitFor(t, 20*time.Second, group+" applied the events", func() bool { d, _ := appliedCounts(t, cdb); return d == 3 })
	}

	spans := exp.GetSpans()
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	var sends, applies int
	appliesBy := map[string]int{}
	for _, s := range spans {
		switch {
		case s.SpanKind == trace.SpanKindProducer:
			sends++
			if s.SpanContext.TraceID() != root.TraceID() || s.Parent.SpanID() != root.SpanID() {
				t.Errorf("producer span %q is not a child of the write: trace %s parent %s", s.Name, s.SpanContext.TraceID(), s.Parent.SpanID())
			}
		case s.SpanKind == trace.SpanKindConsumer && s.Name == "eventbus.apply GuardLeft":
			applies++
			parent, ok := byID[s.Parent.SpanID()]
			if s.SpanContext.TraceID() != root.TraceID() || !ok || parent.SpanKind != trace.SpanKindProducer {
				t.Errorf("apply span is not a child of a producer span of the write's trace: trace %s parent %s", s.SpanContext.TraceID(), s.Parent.SpanID())
			}
			for _, a := range s.Attributes {
				if a.Key == "messaging.consumer.group.name" {
					appliesBy[a.Value.AsString()]++
				}
			}
		}
	}
	if sends != 3 || applies != 6 || appliesBy["guildhall-hq"] != 3 || appliesBy["meetings-north"] != 3 {
		t.Fatalf("%d producer spans, %d apply spans (%v); want 3 and 3 per consumer", sends, applies, appliesBy)
	}
	linked := func(prefix string) int {
		n := 0
		for _, s := range spans {
			if len(s.Name) >= len(prefix) && s.Name[:len(prefix)] == prefix {
				for _, l := range s.Links {
					if l.SpanContext.TraceID() == root.TraceID() {
						n++
					}
				}
			}
		}
		return n
	}
	if n := linked("eventbus.publish-batch "); n != 3 {
		t.Errorf("the relay's batch spans link %d events of the write's trace, want 3", n)
	}
	if n := linked("eventbus.apply-batch "); n < 2 {
		t.Errorf("the consumers' batch spans link %d events of the write's trace, want every batched one", n)
	}

	// The apply histogram carries the trace id as an exemplar.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() != "guildhall_eventbus_apply_duration_seconds" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			for _, bk := range metric.GetHistogram().GetBucket() {
				for _, l := range bk.GetExemplar().GetLabel() {
					if l.GetName() == "trace_id" && l.GetValue() == root.TraceID().String() {
						found = true
					}
				}
			}
		}
	}
	if !found {
		t.Error("no exemplar of guildhall_eventbus_apply_duration_seconds names the write's trace id")
	}
}
