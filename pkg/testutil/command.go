package testutil

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
)

// OIDC is an OpenID Connect issuer as a service binary sees it in its
// tests: a local signing key whose public half is served as a JWKS over
// loopback http, as an external issuer's key set would be, counting the
// fetches.
type OIDC struct {
	*auth.LocalIssuer
	// Issuer and Audience are the iss and aud of its tokens.
	Issuer, Audience string
	// JWKS serves the key set.
	JWKS    *httptest.Server
	fetches atomic.Int64
}

// NewOIDC starts an issuer of tokens for audience, stopped when the test
// ends.
func NewOIDC(t testing.TB, issuer, audience string) *OIDC {
	t.Helper()
	li, err := auth.NewLocalIssuer(t.TempDir(), issuer, audience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	o := &OIDC{LocalIssuer: li, Issuer: issuer, Audience: audience}
	o.JWKS = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		o.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(li.JWKS())
	}))
	t.Cleanup(o.JWKS.Close)
	return o
}

// Token issues a token of p.
func (o *OIDC) Token(t testing.TB, p auth.Principal) string {
	t.Helper()
	tok, _, err := o.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Flags are the -auth.oidc.* flags that make a service binary accept the
// issuer's tokens.
func (o *OIDC) Flags() []string {
	return []string{"-auth.oidc.issuer=" + o.Issuer, "-auth.oidc.audience=" + o.Audience, "-auth.oidc.jwks-url=" + o.JWKS.URL}
}

// Fetches is how often the key set was fetched.
func (o *OIDC) Fetches() int64 { return o.fetches.Load() }

// RunFunc is a service binary's runMain: it parses args (and the
// environment through lookup), logs to stderr, calls ready with its
// listeners' addresses once they accept, and runs until ctx ends.
type RunFunc func(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer, ready func(api, admin string)) error

// Command is a service binary's runMain running in the test, as main
// runs it, on random loopback ports.
type Command struct {
	t testing.TB
	// API and Admin are clients of its API and admin listeners.
	API, Admin *Client
	// Log is what it wrote to stderr (its JSON log).
	Log *SyncBuffer

	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// StartCommand runs run with args (after -http.addr=127.0.0.1:0 and
// -admin.addr=127.0.0.1:0) and an empty environment, and returns once its
// listeners accept; the test fails if it ends before. Stop, or the end of
// the test, shuts it down.
func StartCommand(t testing.TB, run RunFunc, args ...string) *Command {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Command{t: t, Log: &SyncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	addrs := make(chan [2]string, 1)
	args = append([]string{"-http.addr=127.0.0.1:0", "-admin.addr=127.0.0.1:0"}, args...)
	go func() {
		c.done <- run(ctx, args, func(string) (string, bool) { return "", false }, c.Log,
			func(api, admin string) { addrs <- [2]string{api, admin} })
	}()
	select {
	case a := <-addrs:
		c.API, c.Admin = NewClient(t, "http://"+a[0]), NewClient(t, "http://"+a[1])
	case err := <-c.done:
		cancel()
		t.Fatalf("the command ended before it listened: %v\n%s", err, c.Log.String())
	case <-time.After(time.Minute):
		cancel()
		t.Fatal("the command did not listen within a minute")
	}
	t.Cleanup(func() {
		if !c.stopped {
			c.Stop()
		}
	})
	return c
}

// Stop shuts the command down as SIGTERM would and fails the test unless
// it ends cleanly within 20 s with both listeners closed.
func (c *Command) Stop() {
	c.t.Helper()
	c.stopped = true
	c.cancel()
	select {
	case err := <-c.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			c.t.Errorf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		c.t.Fatal("no graceful shutdown within 20 s")
	}
	for _, cl := range []*Client{c.API, c.Admin} {
		if _, err := Send(context.Background(), nil, "GET", cl.URL+"/healthz", nil); err == nil {
			c.t.Errorf("%s still answers after shutdown", cl.URL)
		}
	}
}

// CheckAdminListener checks the split of the two listeners every service
// binary keeps: /healthz, /readyz and /metrics answer on the admin
// listener without a token (readyz once the node is ready), the API
// listener refuses them with the API's JSON 404 with token and without,
// and the admin listener serves no API path (apiPath, e.g.
// "/api/v1/hq/summary").
func (c *Command) CheckAdminListener(t testing.TB, token, apiPath string) {
	t.Helper()
	for _, p := range []string{"/healthz", "/metrics"} {
		if r := c.Admin.Do("GET", p, nil); r.Status != http.StatusOK {
			t.Errorf("admin %s: %d %s", p, r.Status, r.Body)
		}
	}
	var last Response
	Eventually(t, "/readyz on the admin listener", func() bool {
		last = c.Admin.Do("GET", "/readyz", nil)
		return last.Status == http.StatusOK
	})
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		for _, tok := range []string{"", token} {
			if r := c.API.As(tok).Do("GET", p, nil); r.Status != http.StatusNotFound || r.ErrorID() != "route.not_found" {
				t.Errorf("API listener %s (token %t): %d %s, want the JSON 404", p, tok != "", r.Status, r.Body)
			}
		}
	}
	if r := c.Admin.As(token).Do("GET", apiPath, nil); r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), `"route.not_found"`) {
		t.Errorf("the admin listener served %s: %d %s", apiPath, r.Status, r.Body)
	}
}
