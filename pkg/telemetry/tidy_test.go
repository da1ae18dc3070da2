package telemetry

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/testutil"
)

// idValuer is a LogValuer, resolved before keys are compared.
type idValuer string

func (v idValuer) LogValue() slog.Value { return slog.StringValue("id-" + string(v)) }

func TestTidyHandler(t *testing.T) {
	var nilErr error
	var nilPtr *struct{ X int }
	for _, tc := range []struct {
		name string
		log  func(l *slog.Logger)
		want string // the record after "time" and "level"
	}{
		{"A component added by the caller and again by the constructor is written once, with the constructor's value in the caller's place.",
			func(l *slog.Logger) {
				l.With("node", "jingkai", "component", "meetings-consumer", "service", "membership").
					With("component", "consumer", "topic", "gh.jingkai.meetings.v1").Info("waiting for topic")
			},
			`"msg":"waiting for topic","node":"jingkai","component":"consumer","service":"membership","topic":"gh.jingkai.meetings.v1"`},
		{"A key of the record itself overrides the logger's.",
			func(l *slog.Logger) { l.With("district", "jingkai").Info("m", "district", "caidian", "n", 1) },
			`"msg":"m","district":"caidian","n":1`},
		{"A key repeated within one record is written once, with its last value.",
			func(l *slog.Logger) { l.Info("m", "a", 1, "b", 2, "a", 3) },
			`"msg":"m","a":3,"b":2`},
		{"A nil error is dropped.",
			func(l *slog.Logger) { l.Info("waiting for topic", "topic", "t", "err", nilErr) },
			`"msg":"waiting for topic","topic":"t"`},
		{"A nil pointer, slice or map is dropped; a real error is kept.",
			func(l *slog.Logger) {
				l.Info("m", "p", nilPtr, "s", []string(nil), "mp", map[string]int(nil), "err", errors.New("boom"), "empty", "")
			},
			`"msg":"m","err":"boom","empty":""`},
		{"A later nil does not remove an earlier value.",
			func(l *slog.Logger) { l.With("err", errors.New("first")).Info("m", "err", nilErr) },
			`"msg":"m","err":"first"`},
		{"Keys in a group are compared within the group only.",
			func(l *slog.Logger) { l.With("a", 1).WithGroup("g").With("a", 2, "b", 1).Info("m", "a", 3) },
			`"msg":"m","a":1,"g":{"a":3,"b":1}`},
		{"A group attribute is tidied inside.",
			func(l *slog.Logger) { l.Info("m", slog.Group("req", "id", 1, "err", nilErr, "id", 2)) },
			`"msg":"m","req":{"id":2}`},
		{"A group left without attributes is not written.",
			func(l *slog.Logger) { l.WithGroup("g").Info("m", "err", nilErr) },
			`"msg":"m"`},
		{"An inline group's attributes join the level around it.",
			func(l *slog.Logger) { l.With("a", 1).Info("m", slog.Group("", "a", 2, "b", 3)) },
			`"msg":"m","a":2,"b":3`},
		{"Attributes named like the record's own keys are renamed.",
			func(l *slog.Logger) { l.Info("m", "msg", "other", "level", "district", "time", 3) },
			`"msg":"m","attr.msg":"other","attr.level":"district","attr.time":3`},
		{"In a group, the record's own key names are free.",
			func(l *slog.Logger) { l.Info("m", slog.Group("g", "msg", "x")) },
			`"msg":"m","g":{"msg":"x"}`},
		{"LogValuers are resolved before keys are compared.",
			func(l *slog.Logger) { l.With("id", idValuer("a")).Info("m", "id", idValuer("b")) },
			`"msg":"m","id":"id-b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.log(NewLogger(&buf, slog.LevelInfo))
			line := strings.TrimSpace(buf.String())
			_, rest, ok := strings.Cut(line, `"level":"INFO",`)
			if !ok || rest != tc.want+"}" {
				t.Fatalf("got  %s\nwant …%s}", line, tc.want)
			}
			if p := testutil.LogLineProblems([]byte(line)); len(p) > 0 {
				t.Fatalf("problems %q in %s", p, line)
			}
		})
	}
}

func TestTidyHandlerLoggersDoNotShareState(t *testing.T) {
	var buf bytes.Buffer
	base := NewLogger(&buf, slog.LevelInfo).With("a", 1)
	g := base.WithGroup("g")
	x, y := g.With("x", 1), g.With("y", 2)
	base.With("b", 2).Info("one")
	base.Info("two")
	x.Info("three")
	y.Info("four")
	want := []string{
		`"msg":"one","a":1,"b":2}`,
		`"msg":"two","a":1}`,
		`"msg":"three","a":1,"g":{"x":1}}`,
		`"msg":"four","a":1,"g":{"y":2}}`,
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %q", lines)
	}
	for i, l := range lines {
		if !strings.HasSuffix(l, want[i]) {
			t.Errorf("line %d: got %s, want …%s", i, l, want[i])
		}
	}
}

func TestTidyHandlerKeepsRedacting(t *testing.T) {
	var buf bytes.Buffer
	NewLogger(&buf, slog.LevelInfo).With("path", "/guards/420106198803141236").Info("m", "path", "/guards/420106198803141236/leave")
	if s := buf.String(); strings.Contains(s, "420106198803141236") || strings.Count(s, `"path"`) != 1 {
		t.Fatalf("got %s", s)
	}
}

// BenchmarkAccessLine measures one access-log record through NewLogger's
// handlers, with and without TidyHandler.
func BenchmarkAccessLine(b *testing.B) {
	for _, tc := range []struct {
		name string
		h    slog.Handler
	}{
		{"tidy", RedactingHandler(TidyHandler(slog.NewJSONHandler(io.Discard, nil)))},
		{"json-only", RedactingHandler(slog.NewJSONHandler(io.Discard, nil))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			l := slog.New(tc.h).With("service", "membership", "district", "jingkai")
			b.ReportAllocs()
			for b.Loop() {
				l.Info("http request", "method", "GET", "path", "/api/v1/districts/jingkai/guards/g-1",
					"route", "GET /api/v1/districts/{district}/guards/{id}", "status", 200, "bytes", 512,
					"duration", time.Millisecond, "request_id", "0123456789abcdef0123456789abcdef", "trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")
			}
		})
	}
}
