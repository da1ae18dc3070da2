package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
)

const (
	testIssuer   = "https://id.guildhall.test/realms/city"
	testAudience = "guildhall-hq"
)

// TestWiring runs the command as main does, against an embedded etcd (the
// district registry, empty: no districts' topics to consume) and a broker
// nobody listens on, and checks the API behind real OIDC tokens fetched
// through the issuer's JWKS, the admin endpoints on their own listener
// (and not on the API's), the endpoint metrics and a graceful shutdown.
func TestWiring(t *testing.T) {
	env := testutil.NewEnv(t)
	idp := testutil.NewOIDC(t, testIssuer, testAudience)
	cmd := testutil.StartCommand(t, runMain, append(idp.Flags(), "-db.path="+env.Path("hq.db"),
		"-kafka.brokers=127.0.0.1:1", "-etcd.endpoints="+strings.Join(env.Etcd().Endpoints, ","))...)
	admin := idp.Token(t, auth.Principal{Subject: "hq-1", Role: auth.RoleHQAdmin})
	api := cmd.API.As(admin)

	cmd.CheckAdminListener(t, admin, "/api/v1/hq/summary")
	if r := cmd.API.Do("GET", "/api/v1/openapi.json", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"/api/v1/hq/summary"`) {
		t.Errorf("/api/v1/openapi.json = %d", r.Status)
	}
	// The API needs a token: none is 401, the issuer's is let through.
	if r := cmd.API.Do("GET", "/api/v1/hq/summary", nil); r.Status != http.StatusUnauthorized || r.ErrorID() != "auth.token_missing" {
		t.Errorf("/api/v1/hq/summary without a token = %d %s", r.Status, r.Body)
	}
	if r := api.Do("GET", "/api/v1/hq/summary", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"districts":0`) {
		t.Errorf("/api/v1/hq/summary = %d %s", r.Status, r.Body)
	}
	if idp.Fetches() == 0 {
		t.Error("the verifier accepted a token without fetching the issuer's JWKS")
	}
	if r := api.Do("GET", "/api/v1/hq/districts/nowhere", nil); r.Status != http.StatusNotFound || r.ErrorID() != "district.not_found" {
		t.Errorf("/api/v1/hq/districts/nowhere = %d %s", r.Status, r.Body)
	}
	// The role and district claims are enforced through the JWKS path too.
	vp := idp.Token(t, auth.Principal{Subject: "vp-caidian", Role: auth.RoleDistrictAdmin, Districts: []string{"caidian"}})
	if r := cmd.API.As(vp).Do("GET", "/api/v1/hq/districts/jingkai", nil); r.Status != http.StatusForbidden || r.ErrorID() != "auth.forbidden" {
		t.Errorf("district-admin of caidian on jingkai = %d %s", r.Status, r.Body)
	}
	ops := idp.Token(t, auth.Principal{Subject: "ops-1", Role: auth.RoleOps})
	if r := cmd.API.As(ops).Do("GET", "/api/v1/hq/conflicts", nil); r.Status != http.StatusForbidden || r.ErrorID() != "auth.forbidden" {
		t.Errorf("ops on conflicts = %d %s", r.Status, r.Body)
	}
	// A token signed by a key the issuer does not publish is refused.
	forger := testutil.NewOIDC(t, testIssuer, testAudience)
	forged := forger.Token(t, auth.Principal{Subject: "hq-1", Role: auth.RoleHQAdmin})
	if r := cmd.API.As(forged).Do("GET", "/api/v1/hq/summary", nil); r.Status != http.StatusUnauthorized || r.ErrorID() != "auth.token_invalid" {
		t.Errorf("forged token = %d %s", r.Status, r.Body)
	}
	metrics := string(cmd.Admin.Do("GET", "/metrics", nil).Body)
	for _, want := range []string{
		`guildhall_endpoint_requests_total{district="",endpoint="summary",outcome="success",service="hq"} 1`,
		`guildhall_endpoint_errors_total{district="",endpoint="district",error_id="district.not_found",service="hq"} 1`,
		// Refusals are counted like any other error (metrics sit outside auth).
		`guildhall_endpoint_errors_total{district="",endpoint="summary",error_id="auth.token_missing",service="hq"} 1`,
		`guildhall_endpoint_errors_total{district="",endpoint="conflicts",error_id="auth.forbidden",service="hq"} 1`,
		`guildhall_hq_conflicts{kind="person"} 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	cmd.Stop()
	testutil.CheckLog(t, cmd.Log.Bytes())
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
			if err := runMain(context.Background(), append(slices.Clone(base), tc.flags...), noEnv, io.Discard, nil); !errors.Is(err, tc.want) {
				t.Errorf("runMain = %v, want %v", err, tc.want)
			}
		})
	}
	if err := runMain(context.Background(), append(slices.Clone(base), "-admin.addr=9090"), noEnv, io.Discard, nil); !errors.Is(err, telemetry.ErrAdminAddr) {
		t.Errorf("runMain with -admin.addr=9090 = %v, want telemetry.ErrAdminAddr", err)
	}
}

func TestUsageDocumentsTheAuthFlags(t *testing.T) {
	fs := flag.NewFlagSet("hq", flag.ContinueOnError)
	var f Config
	f.RegisterFlags("", fs)
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
		c.RegisterFlags("", fs)
		if err := fs.Parse([]string{"-" + name + "=/var/lib/guildhall/hq.db"}); err != nil {
			t.Fatal(err)
		}
		if c.DBPath != "/var/lib/guildhall/hq.db" {
			t.Errorf("-%s set DBPath %q", name, c.DBPath)
		}
	}
	fs := flag.NewFlagSet("hq", flag.ContinueOnError)
	var c Config
	c.RegisterFlags("", fs)
	if err := fs.Parse([]string{"-admin.addr=9090", "-log.level=loud"}); err != nil {
		t.Fatal(err)
	}
	err := c.Validate()
	if !errors.Is(err, telemetry.ErrAdminAddr) || !errors.Is(err, ErrNoAuth) || !strings.Contains(err.Error(), "log.level") {
		t.Errorf("Validate = %v, want the admin address, the log level and the missing issuer at once", err)
	}
}

// noEnv is an empty environment: the process's could configure auth.
func noEnv(string) (string, bool) { return "", false }
