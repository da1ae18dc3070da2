package telemetry

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Redacted stands in for a national ID number in logs and traces.
const Redacted = "[redacted]"

// RedactIDNumbers returns s with every token shaped like a national ID
// number replaced by Redacted: an 18-character resident ID (17 digits and a
// digit or X/x) or a 15-digit old-style ID. A token is a maximal run of
// ASCII letters and digits, so "/guards/420106198803141236", "id=…" and
// "…, 420106198803141236." are caught, while a hex request or trace id, a
// UUID, a phone number or a timestamp is left alone: their letters, dashes
// or lengths break the shape. The check digit is deliberately not verified:
// a mistyped ID number is still someone's personal data.
//
// It is what every log line and trace attribute of the request path goes
// through (HTTPMiddleware, NewLogger's handler, SetupTracing's exporter), so
// a client that puts an ID number in a URL does not put it in the logs.
func RedactIDNumbers(s string) string {
	// Fast path: most strings hold no run of 15 digits and are returned as
	// they are, without allocating.
	first := -1
	for start := 0; start < len(s); {
		end := tokenEnd(s, start)
		if end > start && idShaped(s[start:end]) {
			first = start
			break
		}
		start = max(end, start+1)
	}
	if first < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:first])
	for start := first; start < len(s); {
		end := tokenEnd(s, start)
		if end == start {
			b.WriteByte(s[start])
			start++
			continue
		}
		if idShaped(s[start:end]) {
			b.WriteString(Redacted)
		} else {
			b.WriteString(s[start:end])
		}
		start = end
	}
	return b.String()
}

// tokenEnd returns the end of the run of ASCII letters and digits starting
// at i (i itself when s[i] is none).
func tokenEnd(s string, i int) int {
	for i < len(s) && isAlnum(s[i]) {
		i++
	}
	return i
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// idShaped reports whether tok is 17 digits and a digit or X/x, or 15
// digits.
func idShaped(tok string) bool {
	switch len(tok) {
	case 15:
		return allDigits(tok)
	case 18:
		last := tok[17]
		return allDigits(tok[:17]) && (last >= '0' && last <= '9' || last == 'X' || last == 'x')
	}
	return false
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ---- logs ----

// RedactingHandler wraps next so that every string in a record — the
// message, string attributes, errors, and the JSON of other values, in
// groups too — goes through RedactIDNumbers before next sees it. NewLogger
// installs it, so the services' own log lines (an id from a URL, an error
// that quotes its input) are covered as well as the access log.
func RedactingHandler(next slog.Handler) slog.Handler { return redactingHandler{next: next} }

type redactingHandler struct{ next slog.Handler }

// Enabled implements slog.Handler.
func (h redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle implements slog.Handler. A record with nothing to redact is
// passed on as it is.
func (h redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	msg := RedactIDNumbers(r.Message)
	changed := msg != r.Message
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		ra, ok := redactAttr(a)
		changed = changed || ok
		attrs = append(attrs, ra)
		return true
	})
	if !changed {
		return h.next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	out.AddAttrs(attrs...)
	return h.next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i], _ = redactAttr(a)
	}
	return redactingHandler{next: h.next.WithAttrs(out)}
}

// WithGroup implements slog.Handler.
func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{next: h.next.WithGroup(name)}
}

// redactAttr returns a with its value redacted and whether anything changed.
func redactAttr(a slog.Attr) (slog.Attr, bool) {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := RedactIDNumbers(v.String()); s != v.String() {
			return slog.String(a.Key, s), true
		}
	case slog.KindInt64, slog.KindUint64:
		// An ID number without the X fits an int64: 15 or 18 digits.
		if idShaped(v.String()) {
			return slog.String(a.Key, Redacted), true
		}
	case slog.KindGroup:
		group := v.Group()
		out := make([]slog.Attr, len(group))
		changed := false
		for i, g := range group {
			var ok bool
			out[i], ok = redactAttr(g)
			changed = changed || ok
		}
		if changed {
			return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}, true
		}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			// The JSON handler writes an error as its message.
			if s := RedactIDNumbers(x.Error()); s != x.Error() {
				return slog.String(a.Key, s), true
			}
		default:
			// Structs, maps, slices: redact their JSON, which is what the
			// JSON handler would write. A value that cannot be marshalled
			// is left to the handler, which reports the failure.
			raw, err := json.Marshal(x)
			if err != nil {
				break
			}
			if s := RedactIDNumbers(string(raw)); s != string(raw) {
				return slog.Any(a.Key, json.RawMessage(s)), true
			}
		}
	}
	if v.Kind() != a.Value.Kind() {
		return slog.Attr{Key: a.Key, Value: v}, false
	}
	return a, false
}

// ---- traces ----

// RedactingExporter wraps next so that every span it exports has its name,
// string attributes (and string slices), status description, event names
// and attributes (an error's exception.message) and link attributes passed
// through RedactIDNumbers. HTTPMiddleware already records only redacted
// paths; this catches whatever else reaches a span, at the one place all
// spans leave the process.
func RedactingExporter(next sdktrace.SpanExporter) sdktrace.SpanExporter {
	return redactingExporter{next: next}
}

type redactingExporter struct{ next sdktrace.SpanExporter }

// ExportSpans implements sdktrace.SpanExporter.
func (e redactingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		out[i] = redactSpan(s)
	}
	return e.next.ExportSpans(ctx, out)
}

// Shutdown implements sdktrace.SpanExporter.
func (e redactingExporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

// redactedSpan is a span with its texts redacted; the embedded interface
// supplies everything else (and the SDK's private marker method).
type redactedSpan struct {
	sdktrace.ReadOnlySpan
	name   string
	attrs  []attribute.KeyValue
	status sdktrace.Status
	events []sdktrace.Event
	links  []sdktrace.Link
}

func (s redactedSpan) Name() string                     { return s.name }
func (s redactedSpan) Attributes() []attribute.KeyValue { return s.attrs }
func (s redactedSpan) Status() sdktrace.Status          { return s.status }
func (s redactedSpan) Events() []sdktrace.Event         { return s.events }
func (s redactedSpan) Links() []sdktrace.Link           { return s.links }

// redactSpan returns s itself when it holds nothing to redact.
func redactSpan(s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	r := redactedSpan{ReadOnlySpan: s, name: RedactIDNumbers(s.Name()), status: s.Status()}
	changed := r.name != s.Name()
	var ok bool
	r.attrs, ok = redactKVs(s.Attributes())
	changed = changed || ok
	if d := RedactIDNumbers(r.status.Description); d != r.status.Description {
		r.status.Description, changed = d, true
	}
	// The span's slices are never written: the first change copies them.
	r.events = s.Events()
	eventsCopied := false
	for i, ev := range r.events {
		name := RedactIDNumbers(ev.Name)
		attrs, ok := redactKVs(ev.Attributes)
		if name == ev.Name && !ok {
			continue
		}
		if !eventsCopied {
			r.events, eventsCopied = append([]sdktrace.Event(nil), r.events...), true
		}
		r.events[i].Name, r.events[i].Attributes, changed = name, attrs, true
	}
	r.links = s.Links()
	linksCopied := false
	for i, l := range r.links {
		attrs, ok := redactKVs(l.Attributes)
		if !ok {
			continue
		}
		if !linksCopied {
			r.links, linksCopied = append([]sdktrace.Link(nil), r.links...), true
		}
		r.links[i].Attributes, changed = attrs, true
	}
	if !changed {
		return s
	}
	return r
}

// redactKVs returns kvs with string values redacted, and whether any was;
// kvs itself is never written.
func redactKVs(kvs []attribute.KeyValue) ([]attribute.KeyValue, bool) {
	var out []attribute.KeyValue
	for i, kv := range kvs {
		nv, ok := redactValue(kv.Value)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]attribute.KeyValue(nil), kvs...)
		}
		out[i] = attribute.KeyValue{Key: kv.Key, Value: nv}
	}
	if out == nil {
		return kvs, false
	}
	return out, true
}

func redactValue(v attribute.Value) (attribute.Value, bool) {
	switch v.Type() {
	case attribute.STRING:
		if s := RedactIDNumbers(v.AsString()); s != v.AsString() {
			return attribute.StringValue(s), true
		}
	case attribute.STRINGSLICE:
		in := v.AsStringSlice()
		out := make([]string, len(in))
		changed := false
		for i, s := range in {
			out[i] = RedactIDNumbers(s)
			changed = changed || out[i] != s
		}
		if changed {
			return attribute.StringSliceValue(out), true
		}
	}
	return v, false
}
