package telemetry

import (
	"github.com/guildhall/guildhall/pkg/testutil"

	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// The ID numbers of these tests: a resident ID with an X check character,
// one with a digit, and an old-style 15-digit one.
const (
	residentIDX = "11010519491231002X"
	residentID  = "420106198803141236"
	oldID       = "420106880314123"
	uuidSegment = "0193a1b2-4c5d-7e6f-8a9b-0c1d2e3f4a5b"
)

func TestRedactIDNumbers(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"An ID number as a path segment is redacted.":                     {"/api/v1/districts/jingkai/guards/" + residentID, "/api/v1/districts/jingkai/guards/" + Redacted},
		"A lower-case x check character is still an ID number.":           {"/guards/11010519491231002x/leave", "/guards/" + Redacted + "/leave"},
		"A 15-digit old-style ID number is redacted.":                     {"/guards/" + oldID, "/guards/" + Redacted},
		"An ID number in a query value is redacted.":                      {"id_number=" + residentIDX + "&q=" + oldID, "id_number=" + Redacted + "&q=" + Redacted},
		"An ID number quoted inside a sentence is redacted.":              {"guard " + residentID + ": not found", "guard " + Redacted + ": not found"},
		"Several ID numbers are all redacted.":                            {residentID + "," + residentIDX, Redacted + "," + Redacted},
		"An ID number next to Chinese text is redacted.":                  {"身份证" + residentID + "号", "身份证" + Redacted + "号"},
		"A UUID path segment is left alone.":                              {"/guards/" + uuidSegment, "/guards/" + uuidSegment},
		"A hex request id with a long run of digits is left alone.":       {"a123456789012345678b9c0d1e2f3a4b", "a123456789012345678b9c0d1e2f3a4b"},
		"A 16-digit number is not an ID number.":                          {"1234567890123456", "1234567890123456"},
		"17 digits and a letter other than X are not an ID number.":       {"42010619880314123A", "42010619880314123A"},
		"Digits glued to letters are one token and not an ID number.":     {"id" + residentID, "id" + residentID},
		"A phone number, a timestamp and a short id are left alone.":      {"13800138000 2026-11-27T07:08:28Z g-1", "13800138000 2026-11-27T07:08:28Z g-1"},
		"The empty string stays empty.":                                   {"", ""},
		"An X before the 17 digits does not make an 18-character ID.":     {"X42010619880314123", "X42010619880314123"},
		"A 19-digit nanosecond timestamp is not an ID number.":            {"1764227308443000000", "1764227308443000000"},
		"An ID number at the very start and end of the text is redacted.": {residentID, Redacted},
	} {
		t.Run(name, func(t *testing.T) {
			if got := RedactIDNumbers(tc.in); got != tc.want {
				t.Errorf("RedactIDNumbers(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// captureHandler is a slog handler keeping every record, with the
// attributes of WithAttrs, as "key=value" strings.
type captureHandler struct {
	mu      *sync.Mutex
	records *[][]string
	attrs   []slog.Attr
}

func newCaptureHandler() *captureHandler {
	return &captureHandler{mu: &sync.Mutex{}, records: &[][]string{}}
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	rec := []string{"msg=" + r.Message}
	add := func(a slog.Attr) bool { rec = append(rec, a.Key+"="+a.Value.Resolve().String()); return true }
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.records = append(*h.records, rec)
	return nil
}

func (h *captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *captureHandler) WithGroup(string) slog.Handler { return h }

func (h *captureHandler) all() [][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]string(nil), *h.records...)
}

// attr returns the value of key in rec, "" if absent.
func attr(rec []string, key string) string {
	for _, kv := range rec {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// useMemoryExporter installs a tracer provider exporting synchronously to
// an in-memory exporter for the test.
func useMemoryExporter(t *testing.T) *tracetest.InMemoryExporter {
	t.Helper()
	exp, _ := testutil.RecordSpans(t)
	return exp
}

// spanTexts lists every text an exported span carries: name, attributes,
// status, events and their attributes.
func spanTexts(s tracetest.SpanStub) []string {
	out := []string{"name=" + s.Name, "status=" + s.Status.Description}
	kvs := append([]attribute.KeyValue(nil), s.Attributes...)
	for _, ev := range s.Events {
		out = append(out, "event="+ev.Name)
		kvs = append(kvs, ev.Attributes...)
	}
	for _, l := range s.Links {
		kvs = append(kvs, l.Attributes...)
	}
	for _, kv := range kvs {
		out = append(out, string(kv.Key)+"="+kv.Value.String())
	}
	return out
}

// TestHTTPMiddlewareKeepsIDNumbersOutOfLogsAndSpans sends requests with an
// ID number in the path and in the query (one of them panicking, so the
// error log line is covered too) through HTTPMiddleware with a plain
// capturing handler — not NewLogger's redacting one, so the middleware
// itself must redact — and an in-memory span exporter, and looks for the
// number in every record and span.
func TestHTTPMiddlewareKeepsIDNumbersOutOfLogsAndSpans(t *testing.T) {
	exp := useMemoryExporter(t)
	logs := newCaptureHandler()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/districts/{district}/guards/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "boom" || strings.HasPrefix(r.PathValue("id"), "420") {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /panic/{id}", func(http.ResponseWriter, *http.Request) { panic("handler failed") })
	h := HTTPMiddleware(mux, slog.New(logs))

	for _, target := range []string{
		"/api/v1/districts/jingkai/guards/" + residentID + "?id_number=" + residentIDX + "&old=" + oldID,
		"/api/v1/districts/jingkai/guards/" + oldID,
		"/panic/" + residentID + "?q=" + residentID,
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
	}
	records := logs.all()
	if len(records) != 4 { // three access lines and the panic's error line
		t.Fatalf("got %d log records, want 4: %q", len(records), records)
	}
	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("got %d spans, want 3", len(spans))
	}
	var texts []string
	for _, rec := range records {
		texts = append(texts, rec...)
	}
	for _, s := range spans {
		texts = append(texts, spanTexts(s)...)
	}
	for _, text := range texts {
		for _, id := range []string{residentID, residentIDX, oldID} {
			if strings.Contains(text, id) {
				t.Errorf("ID number %s reached the logs or traces: %s", id, text)
			}
		}
	}
	if got, want := attr(records[0], "path"), "/api/v1/districts/jingkai/guards/"+Redacted; got != want {
		t.Errorf("access log path = %q, want %q", got, want)
	}
	if got := attr(records[0], "route"); got != "GET /api/v1/districts/{district}/guards/{id}" {
		t.Errorf("access log route = %q", got)
	}
	if got := spanAttr(spans[0], "url.path"); got != "/api/v1/districts/jingkai/guards/"+Redacted {
		t.Errorf("span url.path = %q", got)
	}
	if attr(records[2], "msg") != "panic serving request" || attr(records[2], "path") != "/panic/"+Redacted {
		t.Errorf("panic log line %q", records[2])
	}

	// A UUID segment is an ordinary id: logged and traced as it is.
	exp.Reset()
	path := "/api/v1/districts/jingkai/guards/" + uuidSegment
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path+"?page_size=5", nil))
	records = logs.all()
	if got := attr(records[len(records)-1], "path"); got != path {
		t.Errorf("access log path of a UUID = %q, want %q", got, path)
	}
	if spans := exp.GetSpans(); len(spans) != 1 || spanAttr(spans[0], "url.path") != path {
		t.Errorf("span url.path of a UUID: %v", spans)
	}
}

func spanAttr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// TestNewLoggerRedactsIDNumbersInEveryRecord logs the way the services do —
// an id taken from a URL, an error quoting its input, pre-attached and
// grouped attributes, a struct — and checks that the JSON lines hold no ID
// number while ordinary ids stay readable.
func TestNewLoggerRedactsIDNumbersInEveryRecord(t *testing.T) {
	var buf bytes.Buffer
	logger := NewLogger(&buf, slog.LevelDebug).With("guard", residentID)
	logger.Info("membership call "+residentID, "method", "GetGuard", "id", residentIDX,
		"err", fmt.Errorf("guard %s: %w", oldID, errors.New("not found")),
		slog.Group("req", "path", "/guards/"+residentID),
		"input", struct{ IDNumber string }{residentID},
		"ids", []string{residentIDX},
		"request_id", "a123456789012345678b9c0d1e2f3a4b", "company", uuidSegment, "count", 420106198803141236)
	logger.WithGroup("g").Debug("plain", "id", uuidSegment)
	out := buf.String()
	for _, id := range []string{residentID, residentIDX, oldID} {
		if strings.Contains(out, id) {
			t.Errorf("ID number %s reached the log:\n%s", id, out)
		}
	}
	for _, keep := range []string{"a123456789012345678b9c0d1e2f3a4b", uuidSegment, `"method":"GetGuard"`, `"IDNumber":"` + Redacted + `"`, `"path":"/guards/` + Redacted + `"`} {
		if !strings.Contains(out, keep) {
			t.Errorf("log lost %s:\n%s", keep, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("got %d lines, want 2:\n%s", n, out)
	}
}

// TestTracerProviderExportsRedactedSpans builds the provider the way
// SetupTracing does, with an in-memory exporter in place of OTLP, and
// records an ID number in every place a span has text.
func TestTracerProviderExportsRedactedSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(providerOptions(resource.Empty(), 1, exp)...)
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tr := tp.Tracer("test")
	ctx := context.Background()

	_, linked := tr.Start(ctx, "linked")
	linked.End()
	_, span := tr.Start(ctx, "GET /guards/"+residentID,
		oteltrace.WithLinks(oteltrace.Link{SpanContext: linked.SpanContext(), Attributes: []attribute.KeyValue{attribute.String("why", residentID)}}))
	span.SetAttributes(
		attribute.String("url.path", "/guards/"+residentID),
		attribute.String("url.query", "id_number="+residentIDX),
		attribute.StringSlice("ids", []string{"ok", oldID}),
		attribute.String("guardian.company", uuidSegment),
		attribute.Int("count", 3),
	)
	span.RecordError(fmt.Errorf("guard %s not found", residentID))
	span.AddEvent("looked up "+residentIDX, oteltrace.WithAttributes(attribute.String("id", oldID)))
	span.SetStatus(codes.Error, "no guard "+residentID)
	span.End()
	_, clean := tr.Start(ctx, "GET /guards/{id}", oteltrace.WithAttributes(attribute.String("url.path", "/guards/"+uuidSegment)))
	clean.End()
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("exported %d spans, want 3", len(spans))
	}
	for _, s := range spans {
		for _, text := range spanTexts(s) {
			for _, id := range []string{residentID, residentIDX, oldID} {
				if strings.Contains(text, id) {
					t.Errorf("span %q exported ID number %s: %s", s.Name, id, text)
				}
			}
		}
	}
	got := spans[1]
	if got.Name != "GET /guards/"+Redacted || spanAttr(got, "guardian.company") != uuidSegment || spanAttr(got, "count") != "3" {
		t.Errorf("redacted span lost what it should keep: %q %v", got.Name, got.Attributes)
	}
	if len(got.Events) != 2 || len(got.Links) != 1 || got.Status.Code != codes.Error {
		t.Errorf("redacted span lost events, links or status: %+v", got)
	}
	if spanAttr(spans[2], "url.path") != "/guards/"+uuidSegment {
		t.Errorf("a clean span was changed: %v", spans[2].Attributes)
	}
}

// BenchmarkRedactIDNumbers measures the cost every access-log line pays:
// a path without an ID number (the fast path, no allocation) and one with.
func BenchmarkRedactIDNumbers(b *testing.B) {
	for name, path := range map[string]string{
		"clean":     "/api/v1/districts/jingkai/guards/" + uuidSegment + "/trainings",
		"id-number": "/api/v1/districts/jingkai/guards/" + residentID + "/trainings",
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = RedactIDNumbers(path)
			}
		})
	}
}
