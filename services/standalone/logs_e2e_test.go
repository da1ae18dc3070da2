package standalone_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/standalone"
	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

type syncBuffer = testutil.SyncBuffer

// pathParam is a path parameter of an OpenAPI template.
var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestTheCityLogsReadableRecords runs a city with its demo at debug level,
// sends one request to every operation of its OpenAPI document (and a few
// that match none), stops it, and reads every line it logged: each is one
// JSON object with every key once and no null, and each request's access
// line names its route — the operation's template, or "unmatched".
func TestTheCityLogsReadableRecords(t *testing.T) {
	dir := t.TempDir()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var cfg standalone.Config
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{
		"-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0", "-broker.addr=127.0.0.1:0", "-data.dir=" + dir,
		"-sqlite.synchronous=normal", "-relay.election-ttl=2", "-demo.when-empty",
	}); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	city, err := standalone.Start(ctx, cfg, telemetry.NewLogger(&logs, -8 /* debug and below */), &out)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			city.Close()
		}
	})
	c := citytest.New("http://" + city.Addr())
	if err := c.LoginBootstrap(ctx, dir, out.String()); err != nil {
		t.Fatal(err)
	}

	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/openapi.json", nil, &doc); err != nil {
		t.Fatal(err)
	}
	// want maps each request id the test sends to the route its access
	// line must name.
	want := map[string]string{}
	send := func(method, path, route string) {
		t.Helper()
		id := fmt.Sprintf("logs-test-%d", len(want))
		want[id] = route
		req, err := http.NewRequestWithContext(ctx, method, c.Base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+c.Token)
		req.Header.Set(telemetry.RequestIDHeader, id)
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	var ops []string
	for tmpl, methods := range doc.Paths {
		for m := range methods {
			switch m {
			case "get", "put", "post", "delete", "patch":
				ops = append(ops, strings.ToUpper(m)+" "+tmpl)
			}
		}
	}
	sort.Strings(ops)
	if len(ops) < 40 {
		t.Fatalf("only %d operations in the OpenAPI document", len(ops))
	}
	for _, op := range ops {
		method, tmpl, _ := strings.Cut(op, " ")
		path := pathParam.ReplaceAllStringFunc(tmpl, func(p string) string {
			if p == "{district}" {
				return "jingkai"
			}
			return "no-such-" + strings.Trim(p, "{}")
		})
		send(method, path, op)
	}
	send("GET", "/api/v1/no-such-thing", kitx.RouteUnmatched)
	send("GET", "/api/v1/districts/jingkai/no-such-thing", kitx.RouteUnmatched)
	send("GET", "/api/v1/districts/atlantis/companies", kitx.RouteUnmatched)
	send("DELETE", "/api/v1/hq/summary", kitx.RouteUnmatched)
	send("GET", "/api/v1/", "GET /api/v1/{$}")
	// The web console: one route for all its pages and files.
	send("GET", "/", "/")
	send("GET", "/districts/jingkai", "/")
	send("GET", "/api/v1/openapi.json", "GET /api/v1/openapi.json")

	city.Close()
	closed = true
	raw := logs.Bytes()
	testutil.CheckLog(t, raw)

	seen := map[string]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var rec struct {
			Msg       string `json:"msg"`
			Route     string `json:"route"`
			Path      string `json:"path"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.Msg != "http request" {
			continue
		}
		if rec.Route == "" {
			t.Errorf("access line without a route: %s", line)
		}
		route, ours := want[rec.RequestID]
		if !ours {
			continue
		}
		seen[rec.RequestID]++
		if rec.Route != route {
			t.Errorf("%s: route %q, want %q", rec.Path, rec.Route, route)
		}
	}
	for id, route := range want {
		if seen[id] != 1 {
			t.Errorf("request %s (%s): %d access lines, want 1", id, route, seen[id])
		}
	}
}
