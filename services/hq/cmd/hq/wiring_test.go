package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/telemetry"

	"github.com/guildhall/guildhall/services/hq"
)

// staticDistricts is a registry with a fixed list and no districts' topics
// to consume, so the wiring runs without etcd or Kafka.
type staticDistricts struct{}

func (staticDistricts) Watch(ctx context.Context, fn func([]config.District)) error {
	fn(nil)
	<-ctx.Done()
	return nil
}

const (
	testIssuer   = "https://id.guildhall.test/realms/city"
	testAudience = "guildhall-hq"
)

// oidcIssuer is an OpenID Connect issuer as HQ sees it: a signing key whose
// public half is served as a JWKS over HTTP, counting the fetches.
type oidcIssuer struct {
	*auth.LocalIssuer
	jwks    *httptest.Server
	fetches atomic.Int64
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	t.Helper()
	li, err := auth.NewLocalIssuer(t.TempDir(), testIssuer, testAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	o := &oidcIssuer{LocalIssuer: li}
	o.jwks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		o.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(li.JWKS())
	}))
	t.Cleanup(o.jwks.Close)
	return o
}

func (o *oidcIssuer) token(t *testing.T, p auth.Principal) string {
	t.Helper()
	tok, _, err := o.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// verifier is what runMain builds from the -auth.oidc.* flags.
func (o *oidcIssuer) verifier(t *testing.T) auth.Verifier {
	t.Helper()
	v, err := auth.NewJWKSVerifier(auth.OIDCConfig{Issuer: testIssuer, Audience: testAudience,
		JWKSURL: o.jwks.URL, RefreshInterval: time.Minute}, o.jwks.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWiring(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := telemetry.NewRegistry()
	cfg := hq.Config{DBPath: filepath.Join(t.TempDir(), "hq.db"), Brokers: []string{"127.0.0.1:1"}}
	idp := newOIDCIssuer(t)
	w, err := wire(ctx, cfg, telemetry.NewLogger(io.Discard, 0), reg, staticDistricts{}, nil, kafkaDeps{}, idp.verifier(t))
	if err != nil {
		t.Fatal(err)
	}
	defer w.node.Close()
	done := make(chan error, 1)
	go func() { done <- w.node.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// The listeners as runMain opens them: the API and the admin routes
	// each on a port of their own.
	ls, err := telemetry.Listen("127.0.0.1:0", "127.0.0.1:0", w.handler, w.admin)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- telemetry.Serve(ctx, telemetry.NewLogger(io.Discard, 0), ls, time.Second) }()
	defer func() { cancel(); <-served }()
	apiURL, adminURL := "http://"+ls.APIAddr(), "http://"+ls.AdminAddr()

	admin := idp.token(t, auth.Principal{Subject: "hq-1", Role: auth.RoleHQAdmin})
	at := func(root, token, path string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, root+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	getAs := func(token, path string) (int, string) { t.Helper(); return at(apiURL, token, path) }
	// The admin routes and the document are open: get and getAdmin send no
	// token.
	get := func(path string) (int, string) { t.Helper(); return getAs("", path) }
	getAdmin := func(path string) (int, string) { t.Helper(); return at(adminURL, "", path) }
	if code, _ := getAdmin("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := getAdmin("/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %s", code, body)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
	if code, body := get("/api/v1/openapi.json"); code != http.StatusOK || !strings.Contains(body, `"/api/v1/hq/summary"`) {
		t.Errorf("/api/v1/openapi.json = %d", code)
	}
	// The API needs a token: none is 401, the issuer's is let through.
	if code, body := get("/api/v1/hq/summary"); code != http.StatusUnauthorized || !strings.Contains(body, "auth.token_missing") {
		t.Errorf("/api/v1/hq/summary without a token = %d %s", code, body)
	}
	if code, body := getAs(admin, "/api/v1/hq/summary"); code != http.StatusOK || !strings.Contains(body, `"districts":0`) {
		t.Errorf("/api/v1/hq/summary = %d %s", code, body)
	}
	if idp.fetches.Load() == 0 {
		t.Error("the verifier accepted a token without fetching the issuer's JWKS")
	}
	if code, body := getAs(admin, "/api/v1/hq/districts/nowhere"); code != http.StatusNotFound || !strings.Contains(body, "district.not_found") {
		t.Errorf("/api/v1/hq/districts/nowhere = %d %s", code, body)
	}
	// The role and district claims are enforced through the JWKS path too.
	vp := idp.token(t, auth.Principal{Subject: "vp-caidian", Role: auth.RoleDistrictAdmin, Districts: []string{"caidian"}})
	if code, body := getAs(vp, "/api/v1/hq/districts/jingkai"); code != http.StatusForbidden || !strings.Contains(body, "auth.forbidden") {
		t.Errorf("district-admin of caidian on jingkai = %d %s", code, body)
	}
	ops := idp.token(t, auth.Principal{Subject: "ops-1", Role: auth.RoleOps})
	if code, body := getAs(ops, "/api/v1/hq/conflicts"); code != http.StatusForbidden || !strings.Contains(body, "auth.forbidden") {
		t.Errorf("ops on conflicts = %d %s", code, body)
	}
	// A token signed by a key the issuer does not publish is refused.
	forger, err := auth.NewLocalIssuer(t.TempDir(), testIssuer, testAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := forger.Issue(auth.Principal{Subject: "hq-1", Role: auth.RoleHQAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := getAs(forged, "/api/v1/hq/summary"); code != http.StatusUnauthorized || !strings.Contains(body, "auth.token_invalid") {
		t.Errorf("forged token = %d %s", code, body)
	}
	// The public API port refuses the admin routes with the JSON 404, token
	// or not; the admin port serves no API.
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		for _, tok := range []string{"", admin} {
			if code, body := getAs(tok, p); code != http.StatusNotFound || !strings.Contains(body, `"route.not_found"`) {
				t.Errorf("API port %s = %d %s, want the JSON 404", p, code, body)
			}
		}
	}
	if code, body := at(adminURL, admin, "/api/v1/hq/summary"); code != http.StatusNotFound || !strings.Contains(body, `"route.not_found"`) {
		t.Errorf("admin port served the API: %d %s", code, body)
	}
	_, metrics := getAdmin("/metrics")
	for _, want := range []string{
		`guildhall_endpoint_requests_total{district="",endpoint="summary",outcome="success",service="hq"} 1`,
		`guildhall_endpoint_errors_total{district="",endpoint="district",error_id="district.not_found",service="hq"} 1`,
		// Refusals are counted like any other error (metrics sit outside auth).
		`guildhall_endpoint_errors_total{district="",endpoint="summary",error_id="auth.token_missing",service="hq"} 1`,
		`guildhall_endpoint_errors_total{district="",endpoint="conflicts",error_id="auth.forbidden",service="hq"} 1`,
		`guildhall_hq_conflicts 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestRefusesToStartWithoutAuthentication(t *testing.T) {
	base := []string{"-kafka.brokers=127.0.0.1:1", "-etcd.endpoints=127.0.0.1:2", "-db.path=" + filepath.Join(t.TempDir(), "hq.db")}
	for _, tc := range []struct {
		name  string
		flags []string
		want  error
	}{
		{"No OIDC settings at all.", nil, ErrNoAuth},
		{"An issuer without an audience.", []string{"-auth.oidc.issuer=" + testIssuer}, auth.ErrOIDCAudience},
		{"No JWKS URL.", []string{"-auth.oidc.issuer=" + testIssuer, "-auth.oidc.audience=" + testAudience}, auth.ErrOIDCJWKSURL},
		{"A JWKS URL over plain http to another host.", []string{"-auth.oidc.issuer=" + testIssuer, "-auth.oidc.audience=" + testAudience,
			"-auth.oidc.jwks-url=http://id.example.com/jwks"}, auth.ErrOIDCJWKSURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The environment could configure auth; make sure it does not.
			for _, k := range []string{"GUILDHALL_AUTH_OIDC_ISSUER", "GUILDHALL_AUTH_OIDC_AUDIENCE", "GUILDHALL_AUTH_OIDC_JWKS_URL"} {
				t.Setenv(k, "")
			}
			if err := runMain(append(slices.Clone(base), tc.flags...)); !errors.Is(err, tc.want) {
				t.Errorf("runMain = %v, want %v", err, tc.want)
			}
		})
	}
	if err := runMain(append(slices.Clone(base), "-admin.addr=9090")); !errors.Is(err, telemetry.ErrAdminAddr) {
		t.Errorf("runMain with -admin.addr=9090 = %v, want telemetry.ErrAdminAddr", err)
	}
	if _, err := wire(context.Background(), hq.Config{}, nil, nil, nil, nil, kafkaDeps{}, nil); !errors.Is(err, ErrNoAuth) {
		t.Errorf("wire without a verifier = %v, want ErrNoAuth", err)
	}
}

func TestUsageDocumentsTheAuthFlags(t *testing.T) {
	fs := flag.NewFlagSet("hq", flag.ContinueOnError)
	var f Config
	f.RegisterFlags(fs)
	for _, name := range []string{"auth.oidc.issuer", "auth.oidc.audience", "auth.oidc.jwks-url", "auth.oidc.refresh-interval"} {
		if fs.Lookup(name) == nil {
			t.Errorf("flag -%s is not registered", name)
		}
		if !strings.Contains(usage, "-"+name) {
			t.Errorf("the usage text does not mention -%s", name)
		}
	}
}

func TestConfigTakesTheOldDBPathFlagAndReportsEveryProblem(t *testing.T) {
	for _, name := range []string{"db.path", "hq.db-path"} {
		fs := flag.NewFlagSet("hq", flag.ContinueOnError)
		var c Config
		c.RegisterFlags(fs)
		if err := fs.Parse([]string{"-" + name + "=/var/lib/guildhall/hq.db"}); err != nil {
			t.Fatal(err)
		}
		if c.DBPath != "/var/lib/guildhall/hq.db" {
			t.Errorf("-%s set DBPath %q", name, c.DBPath)
		}
	}
	fs := flag.NewFlagSet("hq", flag.ContinueOnError)
	var c Config
	c.RegisterFlags(fs)
	if err := fs.Parse([]string{"-admin.addr=9090", "-log.level=loud"}); err != nil {
		t.Fatal(err)
	}
	err := c.Validate()
	if !errors.Is(err, telemetry.ErrAdminAddr) || !errors.Is(err, ErrNoAuth) || !strings.Contains(err.Error(), "log.level") {
		t.Errorf("Validate = %v, want the admin address, the log level and the missing issuer at once", err)
	}
}
