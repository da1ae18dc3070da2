package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/testutil"
)

// TestWiring runs the command as main does and checks what the chart's
// console Deployment relies on: the console and its client-side routes on
// the API listener with the console's CSP, the API's JSON 404 for /api/
// paths (the ingress sends them elsewhere; one that arrives must not get a
// page), the admin split (probes and metrics only on the admin listener)
// and a graceful shutdown.
func TestWiring(t *testing.T) {
	cmd := testutil.StartCommand(t, runMain)
	cmd.CheckAdminListener(t, "", "/")

	for _, p := range []string{"/", "/districts/jingkai", "/meetings/m1/check-in"} {
		r := cmd.API.Do("GET", p, nil)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !bytes.Contains(r.Body, []byte(`<div id="app"`)) {
			t.Errorf("GET %s = %d %s, want the console's index.html", p, r.Status, r.Header.Get("Content-Type"))
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q does not keep the API on the console's origin", p, csp)
		}
	}
	for _, p := range []string{"/api/v1/hq/summary", "/api/v1/districts/jingkai/guards", "/api/"} {
		if r := cmd.API.Do("GET", p, nil); r.Status != http.StatusNotFound || r.ErrorID() != "route.not_found" {
			t.Errorf("GET %s = %d %s, want the API's JSON 404", p, r.Status, r.Body)
		}
	}
	if r := cmd.API.Do("POST", "/", "x"); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", r.Status)
	}
	if !strings.Contains(string(cmd.Admin.Do("GET", "/metrics", nil).Body), "go_goroutines") {
		t.Error("/metrics lacks the Go runtime metrics")
	}
	cmd.Stop()
}

// TestBadFlags: a wrong setting is refused at start, naming it.
func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-admin.addr=nowhere"}, "-admin.addr"},
		{[]string{"-shutdown-timeout=0s"}, "-shutdown-timeout"},
		{[]string{"-log.level=loud"}, "log"},
	} {
		var stderr bytes.Buffer
		err := runMain(context.Background(), tc.args, func(string) (string, bool) { return "", false }, &stderr, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}
