package standalone_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/hq"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// TestAGuardHiredThroughTheAPIIsOneTraceToHQAndCompliance follows one real
// request through the running city with an in-memory exporter: the HTTP
// server span of POST …/guards, the membership write under it, the relay's
// producer span (a descendant of the server span, through the traceparent
// the outbox row keeps), and the applies of HQ's projector and of
// compliance's consumer (children of that producer span, through the Kafka
// headers) all carry one trace id. Unlike pkg/eventbus's trace test, every
// link here is the product's own wiring: middleware, endpoint, service,
// outbox, relay, broker, consumers.
func TestAGuardHiredThroughTheAPIIsOneTraceToHQAndCompliance(t *testing.T) {
	exp, _ := testutil.RecordSpans(t)

	_, c := startCity(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	co, err := c.RegisterActiveCompany(ctx, "jingkai", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.HireGuard(ctx, "jingkai", co, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitHQ(ctx, "jingkai", func(v citytest.DistrictView) bool { return v.GuardsActive == 1 }); err != nil {
		t.Fatal(err)
	}
	guardsPath := "/api/v1/districts/jingkai/companies/" + co + "/guards"
	topic := eventbus.Topic("jingkai", "membership")

	// The applies are exported when they end, which for compliance may be
	// after HQ's figure shows: poll the exporter for the whole trace.
	var got traceOfHire
	deadline := time.Now().Add(60 * time.Second)
	for {
		got = findHireTrace(exp.GetSpans(), guardsPath, topic)
		if got.complete() || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got.server == nil {
		t.Fatalf("no server span of POST %s among %d spans", guardsPath, len(exp.GetSpans()))
	}
	if got.producer == nil {
		t.Fatalf("no producer span of GuardHired on %s in trace %s: the outbox row lost the request's trace", topic, got.server.SpanContext.TraceID())
	}
	if !got.complete() {
		t.Fatalf("trace %s: applies of GuardHired by group %v; want HQ's (%s) and compliance's", got.server.SpanContext.TraceID(), got.groups(), hqMembershipGroup)
	}
	for group, s := range got.applies {
		if s.Parent.SpanID() != got.producer.SpanContext.SpanID() {
			t.Errorf("%s's apply is a child of %s, not of the producer span %s", group, s.Parent.SpanID(), got.producer.SpanContext.SpanID())
		}
	}
}

// traceOfHire is what findHireTrace found of one hire's trace.
type traceOfHire struct {
	server, producer *tracetest.SpanStub
	applies          map[string]*tracetest.SpanStub // by consumer group
}

// hqMembershipGroup is the consumer group of HQ's consumer of jingkai's
// membership topic (a group per topic).
var hqMembershipGroup = hq.GroupIDOf(hq.DefaultGroupID, eventbus.Topic("jingkai", "membership"))

// complete reports whether HQ and compliance both applied the hire.
func (h traceOfHire) complete() bool {
	_, hqApplied := h.applies[hqMembershipGroup]
	compliance := false
	for g := range h.applies {
		compliance = compliance || strings.HasPrefix(g, "compliance-")
	}
	return h.server != nil && h.producer != nil && hqApplied && compliance
}

func (h traceOfHire) groups() []string {
	var gs []string
	for g := range h.applies {
		gs = append(gs, g)
	}
	return gs
}

// findHireTrace finds in spans the server span of the POST to guardsPath,
// the producer span of its GuardHired on topic whose chain of parents
// reaches that server span, and each consumer group's apply of it.
func findHireTrace(spans tracetest.SpanStubs, guardsPath, topic string) traceOfHire {
	var h traceOfHire
	byID := map[trace.SpanID]*tracetest.SpanStub{}
	for i := range spans {
		byID[spans[i].SpanContext.SpanID()] = &spans[i]
	}
	for i := range spans {
		s := &spans[i]
		if s.SpanKind == trace.SpanKindServer && attr(s.Attributes, "url.path") == guardsPath && attr(s.Attributes, "http.request.method") == http.MethodPost {
			h.server = s
		}
	}
	if h.server == nil {
		return h
	}
	descends := func(s *tracetest.SpanStub) bool {
		for range 64 {
			if s.SpanContext.SpanID() == h.server.SpanContext.SpanID() {
				return true
			}
			p, ok := byID[s.Parent.SpanID()]
			if !ok {
				return false
			}
			s = p
		}
		return false
	}
	for i := range spans {
		s := &spans[i]
		if s.SpanKind == trace.SpanKindProducer && s.Name == "eventbus.send GuardHired" &&
			attr(s.Attributes, "messaging.destination.name") == topic && descends(s) {
			h.producer = s
		}
	}
	if h.producer == nil {
		return h
	}
	h.applies = map[string]*tracetest.SpanStub{}
	for i := range spans {
		s := &spans[i]
		if s.SpanKind == trace.SpanKindConsumer && s.Name == "eventbus.apply GuardHired" &&
			s.SpanContext.TraceID() == h.producer.SpanContext.TraceID() {
			h.applies[attr(s.Attributes, "messaging.consumer.group.name")] = s
		}
	}
	return h
}

// attr is the value of key among kvs ("" if absent).
func attr(kvs []attribute.KeyValue, key string) string {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return fmt.Sprint(kv.Value.AsInterface())
		}
	}
	return ""
}
