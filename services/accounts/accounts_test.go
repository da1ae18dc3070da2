package accounts

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/pkg/testutil"
	"github.com/guildhall/guildhall/services/accounts/internal/endpoints"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
)

type syncBuffer = testutil.SyncBuffer

type env struct {
	t       *testing.T
	dir     string
	node    *Node
	issuer  *auth.LocalIssuer
	handler http.Handler
	logs    *syncBuffer
	// adminToken is a token of the bootstrap admin, from a real login.
	adminToken string
	adminPass  string
	adminID    string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, func(*Config, *Deps) {})
}

// newEnvWith is newEnv with the node's Config and Deps changed by set first.
func newEnvWith(t *testing.T, set func(*Config, *Deps)) *env {
	t.Helper()
	dir := t.TempDir()
	issuer, err := auth.NewLocalIssuer(filepath.Join(dir, "keys"), "guildhall-test", "guildhall", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{DBPath: filepath.Join(dir, "accounts.db")}
	deps := Deps{Issuer: issuer, Logger: logger}
	set(&cfg, &deps)
	node, err := New(context.Background(), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Close() })
	e := &env{t: t, dir: dir, node: node, issuer: issuer, logs: logs}
	// Stand in for telemetry.HTTPMiddleware's request id, which the audit
	// log records.
	// Every exchange of these tests is checked against the OpenAPI
	// document.
	e.handler = testutil.ValidatedHandler(t, OpenAPIDocument(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(telemetry.RequestIDHeader); id != "" {
			r = r.WithContext(telemetry.ContextWithRequestID(r.Context(), id))
		}
		node.Handler().ServeHTTP(w, r)
	}))
	pw, created, err := node.EnsureBootstrapAdmin(context.Background())
	if err != nil || !created {
		t.Fatalf("bootstrap: created=%v err=%v", created, err)
	}
	e.adminPass = pw
	rec := e.login("admin", pw, "198.51.100.1")
	if rec.Code != http.StatusOK {
		t.Fatalf("bootstrap admin login: %d %s", rec.Code, rec.Body)
	}
	e.adminToken = decode[loginBody](t, rec).Token
	p, err := issuer.Verifier().Verify(context.Background(), e.adminToken)
	if err != nil {
		t.Fatal(err)
	}
	e.adminID = p.Subject
	return e
}

type loginBody struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
}

// do sends a request from 203.0.113.9 unless ip is set.
func (e *env) do(method, path, token string, body any, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "203.0.113.9:4711"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "RemoteAddr" {
			req.RemoteAddr = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

func (e *env) login(username, password, ip string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}, "RemoteAddr", ip+":5555")
}

func (e *env) create(in map[string]any) service.Account {
	e.t.Helper()
	rec := e.do("POST", "/api/v1/auth/accounts", e.adminToken, in)
	if rec.Code != http.StatusCreated {
		e.t.Fatalf("create %v: %d %s", in["username"], rec.Code, rec.Body)
	}
	return decode[service.Account](e.t, rec)
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body, err)
	}
	return v
}

func errID(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	return decode[errs.Body](t, rec).Error.ID
}

// scoped returns a valid principal of each role.
func scoped(role auth.Role) auth.Principal {
	p := auth.Principal{Subject: "test-" + string(role), Role: role}
	switch role {
	case auth.RoleDistrictAdmin:
		p.Districts = []string{"jingkai"}
	case auth.RoleCompanyAdmin:
		p.Districts, p.Company = []string{"jingkai"}, "c1"
	case auth.RoleGuard:
		p.Districts, p.Company, p.Guard = []string{"jingkai"}, "c1", "g1"
	case auth.RolePolice:
		p.Districts = []string{"caidian"}
	}
	return p
}

// token creates an account standing for p (its role and scope) and returns
// a token of it: the handler accepts only tokens of live accounts.
func (e *env) token(p auth.Principal) string {
	e.t.Helper()
	a := e.create(map[string]any{"username": p.Subject, "password": "a-long-password-" + p.Subject,
		"role": p.Role, "districts": p.Districts, "company": p.Company, "guard": p.Guard})
	p.Subject = a.ID
	tok, _, err := e.issuer.Issue(p)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func TestLoginIssuesVerifiableTokenWithRoleAndScope(t *testing.T) {
	e := newEnv(t)
	a := e.create(map[string]any{"username": "wang.district", "password": "correct horse battery", "role": "district-admin", "districts": []string{"jingkai", "caidian"}})
	rec := e.login("Wang.District", "correct horse battery", "192.0.2.10") // usernames are case-insensitive at login
	if rec.Code != http.StatusOK {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
	}
	body := decode[loginBody](t, rec)
	exp, err := time.Parse(time.RFC3339, body.ExpiresAt)
	if err != nil || !exp.After(time.Now().Add(50*time.Minute)) {
		t.Errorf("expires_at %q: %v", body.ExpiresAt, err)
	}
	p, err := e.issuer.Verifier().Verify(context.Background(), body.Token)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if p.Subject != a.ID || p.Role != auth.RoleDistrictAdmin || !slices.Equal(p.Districts, []string{"jingkai", "caidian"}) {
		t.Errorf("principal %+v, want subject %s district-admin of jingkai,caidian", p, a.ID)
	}
	// The token works on /me.
	me := e.do("GET", "/api/v1/auth/me", body.Token, nil)
	if me.Code != http.StatusOK {
		t.Fatalf("me: %d %s", me.Code, me.Body)
	}
	if m := decode[endpoints.MeResponse](t, me); m.Subject != a.ID || m.Role != auth.RoleDistrictAdmin {
		t.Errorf("me = %+v", m)
	}
	// JWKS is public and holds the issuer's key.
	jw := e.do("GET", "/api/v1/auth/jwks.json", "", nil)
	if jw.Code != http.StatusOK || !bytes.Equal(jw.Body.Bytes(), e.issuer.JWKS()) {
		t.Errorf("jwks: %d %s", jw.Code, jw.Body)
	}
}

func TestLoginFailuresAreIndistinguishable(t *testing.T) {
	e := newEnv(t)
	a := e.create(map[string]any{"username": "disabled-one", "password": "a fine password", "role": "ops"})
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+a.ID, e.adminToken, map[string]any{"disabled": true}); rec.Code != http.StatusOK {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	cases := []struct{ name, user, pw, ip string }{
		{"wrong password", "admin", "not the password", "192.0.2.21"},
		{"unknown user", "nobody-here", "whatever password", "192.0.2.22"},
		{"disabled (right password)", "disabled-one", "a fine password", "192.0.2.23"},
		{"empty body fields", "", "", "192.0.2.24"},
	}
	var first []byte
	for _, c := range cases {
		rec := e.login(c.user, c.pw, c.ip)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("%s: %d %s", c.name, rec.Code, rec.Body)
		}
		if id := errID(t, rec); id != "auth.login_failed" {
			t.Errorf("%s: id %s", c.name, id)
		}
		if first == nil {
			first = rec.Body.Bytes()
		} else if !bytes.Equal(first, rec.Body.Bytes()) {
			t.Errorf("%s: body %s differs from %s", c.name, rec.Body, first)
		}
	}
}

// wantThrottled fails unless rec is the limiter's 429 with a Retry-After
// within the window (and at most one of its twelve buckets more).
func wantThrottled(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests || errID(t, rec) != "auth.too_many_attempts" {
		t.Fatalf("want 429 auth.too_many_attempts, got %d %s", rec.Code, rec.Body)
	}
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 || s > 65 {
		t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
}

func TestLoginThrottledPerAccountAndAddress(t *testing.T) {
	e := newEnv(t)
	e.create(map[string]any{"username": "wang", "password": "wang's right password", "role": "ops"})
	e.create(map[string]any{"username": "li.na", "password": "li's right password", "role": "ops"})
	for i := range 5 {
		if rec := e.login("wang", "wrong password", "192.0.2.50"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	// The 6th attempt from the same address, even with the right password,
	// is refused for that account there.
	wantThrottled(t, e.login("wang", "wang's right password", "192.0.2.50"))
	// A colleague behind the same address (the office NAT) logs in.
	if rec := e.login("li.na", "li's right password", "192.0.2.50"); rec.Code != http.StatusOK {
		t.Fatalf("colleague behind the same address: %d %s", rec.Code, rec.Body)
	}
	// So does wang from elsewhere: the account's own limit is higher.
	if rec := e.login("wang", "wang's right password", "198.51.100.20"); rec.Code != http.StatusOK {
		t.Fatalf("the account from another address: %d %s", rec.Code, rec.Body)
	}
}

func TestLoginThrottledPerAccount(t *testing.T) {
	e := newEnv(t)
	e.create(map[string]any{"username": "target", "password": "the right password", "role": "ops"})
	for i := range auth.DefaultMaxAccountFailures {
		rec := e.login("target", "wrong password", fmt.Sprintf("192.0.2.%d", 100+i))
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	// The next attempt, from yet another address and even with the right
	// password: refused for the account.
	wantThrottled(t, e.login("target", "the right password", "192.0.2.200"))
	// Another account from a fresh address is not affected.
	if rec := e.login("admin", e.adminPass, "192.0.2.201"); rec.Code != http.StatusOK {
		t.Errorf("other account: %d %s", rec.Code, rec.Body)
	}
}

func TestLoginThrottledPerAddress(t *testing.T) {
	// A low ceiling keeps the test short; the default is
	// auth.DefaultMaxAddressFailures.
	const ceiling = 8
	e := newEnvWith(t, func(_ *Config, d *Deps) {
		d.Limiter = auth.NewLoginLimiter(auth.LoginLimiterConfig{MaxAddressFailures: ceiling})
	})
	for i := range ceiling {
		rec := e.login(fmt.Sprintf("user%d", i), "wrong password", "192.0.2.77")
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	wantThrottled(t, e.login("admin", e.adminPass, "192.0.2.77"))
	if rec := e.login("admin", e.adminPass, "192.0.2.78"); rec.Code != http.StatusOK {
		t.Errorf("another address: %d %s", rec.Code, rec.Body)
	}
}

// TestLoginLimiterUsesTheForwardedClientOnlyWhenTrusted sends five wrong
// passwords for one account through one proxy (one peer address) on
// behalf of one client, then the right password on behalf of another.
// Trusting the proxy, the limiter keys on the forwarded clients, so the
// second one logs in; not trusting it, both are the proxy's address and
// the second is refused.
func TestLoginLimiterUsesTheForwardedClientOnlyWhenTrusted(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trust bool
		want  int
	}{
		{"Behind a trusted proxy the forwarded client address is limited.", true, http.StatusOK},
		{"Without trusting the proxy its own address is limited.", false, http.StatusTooManyRequests},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, func(c *Config, _ *Deps) { c.TrustProxy = tc.trust })
			e.create(map[string]any{"username": "zhou", "password": "zhou's right password", "role": "ops"})
			login := func(password, client string) *httptest.ResponseRecorder {
				return e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "zhou", "password": password},
					"RemoteAddr", "10.9.0.1:443", "X-Forwarded-For", "192.0.2.250, "+client) // a client-sent entry, then the proxy's
			}
			for i := range 5 {
				if rec := login("wrong password", "203.0.113.50"); rec.Code != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d %s", i+1, rec.Code, rec.Body)
				}
			}
			if rec := login("zhou's right password", "203.0.113.51"); rec.Code != tc.want {
				t.Fatalf("login on behalf of another client: %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
		})
	}
}

func TestAdminManagesAccounts(t *testing.T) {
	e := newEnv(t)
	a := e.create(map[string]any{"username": "li.company", "password": "first password!", "role": "company-admin", "districts": []string{"jingkai"}, "company": "c-42"})
	if a.Role != auth.RoleCompanyAdmin || a.Company != "c-42" || a.Version != 1 || a.Disabled {
		t.Fatalf("created %+v", a)
	}
	// Get with ETag.
	get := e.do("GET", "/api/v1/auth/accounts/"+a.ID, e.adminToken, nil)
	if get.Code != http.StatusOK || get.Header().Get("ETag") != `"1"` {
		t.Fatalf("get: %d %s etag %q", get.Code, get.Body, get.Header().Get("ETag"))
	}
	if strings.Contains(get.Body.String(), "password") || strings.Contains(get.Body.String(), "argon2") {
		t.Errorf("account body mentions the password: %s", get.Body)
	}
	if rec := e.do("GET", "/api/v1/auth/accounts/no-such-id", e.adminToken, nil); rec.Code != http.StatusNotFound || errID(t, rec) != "account.not_found" {
		t.Errorf("missing: %d %s", rec.Code, rec.Body)
	}
	// List, one per page: admin, then li.company.
	page1 := e.do("GET", "/api/v1/auth/accounts?page_size=1", e.adminToken, nil)
	l1 := decode[kitx.ListResponse[service.Account]](t, page1)
	if page1.Code != http.StatusOK || len(l1.Items) != 1 || l1.Items[0].Username != "admin" || l1.NextPageToken == "" {
		t.Fatalf("page 1: %d %s", page1.Code, page1.Body)
	}
	page2 := e.do("GET", "/api/v1/auth/accounts?page_size=1&page_token="+l1.NextPageToken, e.adminToken, nil)
	l2 := decode[kitx.ListResponse[service.Account]](t, page2)
	if len(l2.Items) != 1 || l2.Items[0].ID != a.ID || l2.NextPageToken != "" {
		t.Fatalf("page 2: %s", page2.Body)
	}
	// Patch role and scope with If-Match; a stale etag is refused.
	patch := map[string]any{"role": "police", "districts": []string{"caidian"}, "company": ""}
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+a.ID, e.adminToken, patch, "If-Match", `"7"`); rec.Code != http.StatusPreconditionFailed {
		t.Fatalf("stale patch: %d %s", rec.Code, rec.Body)
	}
	rec := e.do("PATCH", "/api/v1/auth/accounts/"+a.ID, e.adminToken, patch, "If-Match", `"1"`)
	if rec.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	if got := decode[service.Account](t, rec); got.Role != auth.RolePolice || got.Company != "" || got.Version != 2 || rec.Header().Get("ETag") != `"2"` {
		t.Fatalf("patched %+v", got)
	}
	// A scope that does not fit the role is refused.
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+a.ID, e.adminToken, map[string]any{"guard": "g1"}); rec.Code != http.StatusUnprocessableEntity || errID(t, rec) != "account.scope_mismatch" {
		t.Errorf("bad scope: %d %s", rec.Code, rec.Body)
	}
	// The new role is in the next token.
	lrec := e.login("li.company", "first password!", "192.0.2.50")
	p, err := e.issuer.Verifier().Verify(context.Background(), decode[loginBody](t, lrec).Token)
	if err != nil || p.Role != auth.RolePolice || !slices.Equal(p.Districts, []string{"caidian"}) {
		t.Fatalf("token after patch: %+v %v", p, err)
	}
	// Reset the password: the old one stops working, the new one works.
	if rec := e.do("POST", "/api/v1/auth/accounts/"+a.ID+"/password", e.adminToken, map[string]any{"password": "short"}); rec.Code != http.StatusBadRequest || errID(t, rec) != "account.password_too_short" {
		t.Errorf("short reset: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("POST", "/api/v1/auth/accounts/"+a.ID+"/password", e.adminToken, map[string]any{"password": "second password!"}); rec.Code != http.StatusNoContent {
		t.Fatalf("reset: %d %s", rec.Code, rec.Body)
	}
	if rec := e.login("li.company", "first password!", "192.0.2.51"); rec.Code != http.StatusUnauthorized {
		t.Errorf("old password after reset: %d", rec.Code)
	}
	if rec := e.login("li.company", "second password!", "192.0.2.52"); rec.Code != http.StatusOK {
		t.Errorf("new password after reset: %d %s", rec.Code, rec.Body)
	}
	// Disable: the right password no longer signs in.
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+a.ID, e.adminToken, map[string]any{"disabled": true}); rec.Code != http.StatusOK || !decode[service.Account](t, rec).Disabled {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	if rec := e.login("li.company", "second password!", "192.0.2.53"); rec.Code != http.StatusUnauthorized {
		t.Errorf("disabled login: %d", rec.Code)
	}
	// The last enabled hq-admin can be neither disabled nor demoted.
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+e.adminID, e.adminToken, map[string]any{"disabled": true}); rec.Code != http.StatusConflict || errID(t, rec) != "account.last_admin" {
		t.Errorf("disable last admin: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+e.adminID, e.adminToken, map[string]any{"role": "ops"}); rec.Code != http.StatusConflict {
		t.Errorf("demote last admin: %d %s", rec.Code, rec.Body)
	}
}

// TestEveryPatchHonoursIfMatch runs testutil.CheckIfMatch over every
// PATCH route, as every service does: the previous version, a version
// never issued ("0" in each spelling) and one from the future are 412 and
// change nothing (no account, version or audit entry); only the current
// version (or none) applies, each with its audit entry. A change the
// update refuses halfway (a company changed, then a role it does not fit)
// changes nothing either.
func TestEveryPatchHonoursIfMatch(t *testing.T) {
	e := newEnv(t)
	a := e.create(map[string]any{"username": "li.company", "password": "first password!", "role": "company-admin", "districts": []string{"jingkai"}, "company": "c-0"})
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	lines := func(q string, args ...any) string {
		t.Helper()
		rows, err := e.node.DB().Query(q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = rows.Close() }()
		var out []string
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return strings.Join(out, "; ")
	}
	trail := func() int {
		var n int
		if err := e.node.DB().QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	testutil.CheckIfMatch(t, testutil.IfMatchSuite{
		Client: testutil.NewClient(t, srv.URL).As(e.adminToken), Routes: Routes(),
		State: func() string {
			return lines(`SELECT id || ' ' || version || ' ' || role || ' ' || districts || ' ' || company || ' ' || guard || ' ' ||
				disabled || ' ' || password_hash || ' ' || updated_at FROM accounts ORDER BY id`) + fmt.Sprintf(" | %d audit entries", trail())
		},
		Trail: trail,
		Cases: []testutil.PatchCase{
			{Name: "account", Path: Prefix + "/accounts/" + a.ID, Field: "company",
				Version: func() int64 {
					var v int64
					if err := e.node.DB().QueryRow(`SELECT version FROM accounts WHERE id = ?`, a.ID).Scan(&v); err != nil {
						t.Fatal(err)
					}
					return v
				},
				Refused: map[string]any{"company": "改了一半", "role": "hq-admin"}, RefusedID: "account.scope_mismatch"},
		},
	})
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		body   map[string]any
		status int
		id     string
	}{
		{map[string]any{"username": "ab", "password": "long enough pw", "role": "ops"}, 400, "account.username_invalid"},
		{map[string]any{"username": "Upper", "password": "long enough pw", "role": "ops"}, 400, "account.username_invalid"},
		{map[string]any{"username": "someone", "password": "short", "role": "ops"}, 400, "account.password_too_short"},
		{map[string]any{"username": "someone", "password": strings.Repeat("x", 257), "role": "ops"}, 400, "account.password_too_long"},
		{map[string]any{"username": "someone", "password": "long enough pw", "role": "root"}, 400, "account.role_invalid"},
		{map[string]any{"username": "someone", "password": "long enough pw", "role": "district-admin"}, 422, "account.scope_mismatch"},
		{map[string]any{"username": "someone", "password": "long enough pw", "role": "ops", "districts": []string{"jingkai"}}, 422, "account.scope_mismatch"},
		{map[string]any{"username": "someone", "password": "long enough pw", "role": "district-admin", "districts": []string{"Bad District"}}, 400, "account.district_invalid"},
		{map[string]any{"username": "admin", "password": "long enough pw", "role": "ops"}, 409, "account.username_taken"},
		{map[string]any{"username": "someone", "password": "long enough pw", "role": "ops", "is_root": true}, 400, "request.unknown_field"},
	}
	for _, c := range cases {
		rec := e.do("POST", "/api/v1/auth/accounts", e.adminToken, c.body)
		if rec.Code != c.status || errID(t, rec) != c.id {
			t.Errorf("%v: %d %s, want %d %s", c.body, rec.Code, rec.Body, c.status, c.id)
		}
	}
	// None of the rejected creates wrote anything.
	if rows, err := e.node.Audit(context.Background(), ""); err != nil || len(rows) != 1 {
		t.Errorf("audit rows after rejected creates: %d %v (want only the bootstrap)", len(rows), err)
	}
}

// managementRequests are one request per management route.
func managementRequests(id string) [][3]string {
	return [][3]string{
		{"POST", "/api/v1/auth/accounts", `{"username":"x-user","password":"long enough pw","role":"ops"}`},
		{"GET", "/api/v1/auth/accounts", ""},
		{"GET", "/api/v1/auth/accounts/" + id, ""},
		{"PATCH", "/api/v1/auth/accounts/" + id, `{"disabled":true}`},
		{"POST", "/api/v1/auth/accounts/" + id + "/password", `{"password":"long enough pw"}`},
	}
}

func TestManagementIsHQAdminOnly(t *testing.T) {
	e := newEnv(t)
	reqs := managementRequests(e.adminID)
	if len(reqs) != len(Policy())-1 {
		t.Fatalf("the test covers %d management routes, the policy has %d", len(reqs), len(Policy())-1)
	}
	tokens := map[auth.Role]string{}
	for _, role := range auth.Roles {
		if role != auth.RoleHQAdmin {
			tokens[role] = e.token(scoped(role))
		}
	}
	before, err := e.node.Audit(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range auth.Roles {
		if role == auth.RoleHQAdmin {
			continue
		}
		tok := tokens[role]
		for _, r := range reqs {
			var body any
			if r[2] != "" {
				body = r[2]
			}
			rec := e.do(r[0], r[1], tok, body)
			if rec.Code != http.StatusForbidden || errID(t, rec) != "auth.forbidden" {
				t.Errorf("%s %s %s: %d %s", role, r[0], r[1], rec.Code, rec.Body)
			}
		}
		// Every role may read its own principal.
		me := e.do("GET", "/api/v1/auth/me", tok, nil)
		if me.Code != http.StatusOK || decode[endpoints.MeResponse](t, me).Role != role {
			t.Errorf("%s /me: %d %s", role, me.Code, me.Body)
		}
	}
	// No token, and a token that does not verify, are 401 everywhere but
	// login and the JWKS.
	other, err := auth.NewLocalIssuer(t.TempDir(), "guildhall-test", "guildhall", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := other.Issue(auth.Principal{Subject: e.adminID, Role: auth.RoleHQAdmin})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(reqs, [3]string{"GET", "/api/v1/auth/me", ""}) {
		var body any
		if r[2] != "" {
			body = r[2]
		}
		if rec := e.do(r[0], r[1], "", body); rec.Code != http.StatusUnauthorized || errID(t, rec) != "auth.token_missing" {
			t.Errorf("no token %s %s: %d %s", r[0], r[1], rec.Code, rec.Body)
		}
		if rec := e.do(r[0], r[1], forged, body); rec.Code != http.StatusUnauthorized || errID(t, rec) != "auth.token_invalid" {
			t.Errorf("foreign key %s %s: %d %s", r[0], r[1], rec.Code, rec.Body)
		}
	}
	// Denied requests changed nothing.
	if rows, _ := e.node.Audit(context.Background(), ""); len(rows) != len(before) {
		t.Errorf("audit rows after denied requests: %d, want %d", len(rows), len(before))
	}
	if rec := e.login("admin", e.adminPass, "192.0.2.90"); rec.Code != http.StatusOK {
		t.Errorf("admin password changed by a denied request: %d", rec.Code)
	}
}

func TestHandlerTrustsOuterAuthentication(t *testing.T) {
	e := newEnv(t)
	// An outer auth.Authenticate (the standalone binary's) already put the
	// principal in the context; the handler must not demand it again.
	outer := auth.Authenticate(e.issuer.Verifier())(e.node.Handler())
	req := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+e.token(scoped(auth.RoleOps)))
	rec := httptest.NewRecorder()
	outer.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || decode[endpoints.MeResponse](t, rec).Role != auth.RoleOps {
		t.Fatalf("me behind outer auth: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("GET", "/api/v1/auth/nothing", "", nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown route: %d", rec.Code)
	}
}

func TestBootstrapOnlyOnce(t *testing.T) {
	e := newEnv(t) // bootstrapped once already
	if len(e.adminPass) < 20 {
		t.Errorf("bootstrap password has %d characters", len(e.adminPass))
	}
	if _, err := base64.RawURLEncoding.DecodeString(e.adminPass); err != nil {
		t.Errorf("bootstrap password %q is not URL-safe: %v", "[redacted]", err)
	}
	pw, created, err := e.node.EnsureBootstrapAdmin(context.Background())
	if err != nil || created || pw != "" {
		t.Fatalf("second bootstrap: created=%v pw-set=%v err=%v", created, pw != "", err)
	}
	// A restarted node on the same file does not bootstrap either.
	if err := e.node.Close(); err != nil {
		t.Fatal(err)
	}
	n2, err := New(context.Background(), Config{DBPath: filepath.Join(e.dir, "accounts.db")}, Deps{Issuer: e.issuer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n2.Close() })
	if pw, created, err := n2.EnsureBootstrapAdmin(context.Background()); err != nil || created || pw != "" {
		t.Fatalf("bootstrap after restart: created=%v err=%v", created, err)
	}
	rows, err := n2.Audit(context.Background(), "")
	if err != nil || len(rows) != 1 || rows[0].Action != service.ActionBootstrap || rows[0].Subject != audit.SystemSubject {
		t.Fatalf("audit: %+v %v", rows, err)
	}
	// Two fresh nodes never share a bootstrap password.
	other := newEnv(t)
	if other.adminPass == e.adminPass {
		t.Error("two bootstraps produced the same password")
	}
}

func TestBootstrapConcurrentCreatesOne(t *testing.T) {
	dir := t.TempDir()
	issuer, err := auth.NewLocalIssuer(dir, "i", "a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(context.Background(), Config{DBPath: filepath.Join(dir, "a.db")}, Deps{Issuer: issuer})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	var wg sync.WaitGroup
	results := make([]bool, 4)
	for i := range results {
		wg.Go(func() {
			_, created, err := n.EnsureBootstrapAdmin(context.Background())
			if err != nil {
				t.Error(err)
			}
			results[i] = created
		})
	}
	wg.Wait()
	count := 0
	for _, c := range results {
		if c {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("%d concurrent bootstraps created an account, want 1", count)
	}
}

func TestPasswordsNeverStoredOrLoggedInClear(t *testing.T) {
	e := newEnv(t)
	created := "Pw-Created-7c1e9a4b"
	reset := "Pw-Reset-3f0d2e8c55"
	wrong := "Pw-Wrong-9b6a1d07ee"
	a := e.create(map[string]any{"username": "secretive", "password": created, "role": "ops"})
	if rec := e.login("secretive", created, "192.0.2.60"); rec.Code != http.StatusOK {
		t.Fatalf("login: %d", rec.Code)
	}
	if rec := e.login("secretive", wrong, "192.0.2.61"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("wrong login: %d", rec.Code)
	}
	// A password typed into the username field.
	if rec := e.login(wrong, wrong, "192.0.2.62"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("unknown login: %d", rec.Code)
	}
	if rec := e.do("POST", "/api/v1/auth/accounts/"+a.ID+"/password", e.adminToken, map[string]any{"password": reset}); rec.Code != http.StatusNoContent {
		t.Fatalf("reset: %d", rec.Code)
	}
	if err := e.node.Close(); err != nil {
		t.Fatal(err)
	}
	secrets := []string{created, reset, wrong, e.adminPass}
	files, err := filepath.Glob(filepath.Join(e.dir, "accounts.db*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("db files: %v %v", files, err)
	}
	sawHash := false
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sawHash = sawHash || bytes.Contains(b, []byte("$argon2id$"))
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds a password in clear", filepath.Base(f))
			}
		}
	}
	if !sawHash {
		t.Error("no argon2id hash found in the database files: the scan read the wrong files")
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "login failed") {
		t.Fatalf("the logs captured nothing: %q", logs)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain a password")
		}
	}
	if strings.Contains(logs, "$argon2id$") {
		t.Error("logs contain a password hash")
	}
}

func TestAuditRowPerWrite(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.create(map[string]any{"username": "audited", "password": "an audited password", "role": "guard", "districts": []string{"jingkai"}, "company": "c1", "guard": "g9"})
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+a.ID, e.adminToken, map[string]any{"guard": "g10", "disabled": true}, telemetry.RequestIDHeader, "req-patch-1"); rec.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	// A patch that changes nothing writes nothing.
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+a.ID, e.adminToken, map[string]any{"guard": "g10"}); rec.Code != http.StatusOK {
		t.Fatalf("no-op patch: %d %s", rec.Code, rec.Body)
	}
	// A rejected patch writes nothing.
	if rec := e.do("PATCH", "/api/v1/auth/accounts/"+a.ID, e.adminToken, map[string]any{"role": "hq-admin"}); rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad patch: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("POST", "/api/v1/auth/accounts/"+a.ID+"/password", e.adminToken, map[string]any{"password": "a new audited password"}); rec.Code != http.StatusNoContent {
		t.Fatalf("reset: %d %s", rec.Code, rec.Body)
	}
	rows, err := e.node.Audit(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		action string
		fields []string
	}{
		{service.ActionCreate, []string{"username", "password", "role", "districts", "company", "guard"}},
		{service.ActionUpdate, []string{"guard", "disabled"}},
		{service.ActionPasswordReset, []string{"password"}},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d audit rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.Action != w.action || !slices.Equal(r.FieldsChanged, w.fields) {
			t.Errorf("row %d: %s %v, want %s %v", i, r.Action, r.FieldsChanged, w.action, w.fields)
		}
		if r.Subject != e.adminID || r.Role != "hq-admin" || r.Scope != "city" || r.RemoteIP != "203.0.113.9" || r.Resource != service.ResourceAccount || r.ResourceID != a.ID {
			t.Errorf("row %d: who/where %+v", i, r)
		}
	}
	if rows[1].RequestID != "req-patch-1" {
		t.Errorf("request id %q", rows[1].RequestID)
	}
	// Values never reach the audit log.
	raw, _ := json.Marshal(rows)
	for _, v := range []string{"g10", "an audited password", "jingkai"} {
		if bytes.Contains(raw, []byte(v)) {
			t.Errorf("audit rows hold the value %q", v)
		}
	}
}

func TestPolicyCoversEveryRoute(t *testing.T) {
	p := Policy()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	routed := map[string]bool{}
	for _, r := range Routes() {
		if r.Public {
			if _, ok := p[r.Endpoint]; ok {
				t.Errorf("public route %s has a policy row", r.Endpoint)
			}
			continue
		}
		routed[r.Endpoint] = true
		rule, ok := p[r.Endpoint]
		if !ok {
			t.Errorf("route %s %s has no policy row", r.Method, r.Path)
			continue
		}
		for _, role := range auth.Roles {
			err := p.Decide(scoped(role), r.Endpoint, auth.Target{})
			allowed := role == auth.RoleHQAdmin || r.Endpoint == ServiceName+"."+EndpointMe
			if (err == nil) != allowed {
				t.Errorf("%s on %s: allowed=%v, want %v (rule %v)", role, r.Endpoint, err == nil, allowed, rule)
			}
		}
	}
	for k := range p {
		if !routed[k] {
			t.Errorf("policy row %s has no route", k)
		}
	}
}

// TestAnonymousRequestsAreRefusedBeforeTheyAreRead sends every protected
// route an anonymous, otherwise malformed request: 401, never a 400 that
// describes the body.
func TestAnonymousRequestsAreRefusedBeforeTheyAreRead(t *testing.T) {
	e := newEnv(t)
	testutil.CheckAuthenticatesFirst(t, e.node.Handler(), Routes(), "jingkai")
}
