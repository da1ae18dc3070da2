package accounts

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/services/accounts/internal/endpoints"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
)

// routeRequest is one request to every non-public route, keyed by endpoint
// name; victim is the account the management requests act on.
func routeRequests(victim string) map[string][3]string {
	return map[string][3]string{
		EndpointMe:            {"GET", "/api/v1/auth/me", ""},
		EndpointCreateAccount: {"POST", "/api/v1/auth/accounts", `{"username":"planted","password":"long enough pw","role":"hq-admin"}`},
		EndpointListAccounts:  {"GET", "/api/v1/auth/accounts", ""},
		EndpointGetAccount:    {"GET", "/api/v1/auth/accounts/" + victim, ""},
		EndpointUpdateAccount: {"PATCH", "/api/v1/auth/accounts/" + victim, `{"disabled":false,"role":"hq-admin"}`},
		EndpointResetPassword: {"POST", "/api/v1/auth/accounts/" + victim + "/password", `{"password":"taken over pw 1"}`},
	}
}

// A disabled or demoted hq-admin's token must lose every route at once:
// through the handler alone, and behind the standalone binary's outer
// authentication (which refuses the token first — the handler must not then
// verify it again with the issuer's plain verifier and let it in).
func TestDisabledOrDemotedAdminTokensLoseEveryAccountsRoute(t *testing.T) {
	for _, mount := range []string{"handler alone", "behind the outer authentication"} {
		t.Run(mount, func(t *testing.T) {
			e := newEnv(t)
			if mount != "handler alone" {
				inner := e.handler
				e.handler = auth.Authenticate(e.node.Verifier())(inner)
			}
			pw := "second admin password"
			second := e.create(map[string]any{"username": "admin2", "password": pw, "role": "hq-admin"})
			login := func() string {
				rec := e.login("admin2", pw, "198.51.100.20")
				if rec.Code != http.StatusOK {
					t.Fatalf("admin2 login: %d %s", rec.Code, rec.Body)
				}
				return decode[loginBody](t, rec).Token
			}
			patch := func(body string) {
				t.Helper()
				if rec := e.do("PATCH", "/api/v1/auth/accounts/"+second.ID, e.adminToken, body); rec.Code != http.StatusOK {
					t.Fatalf("patch admin2 %s: %d %s", body, rec.Code, rec.Body)
				}
			}
			reqs := routeRequests(second.ID)
			for _, r := range Routes() {
				if _, ok := reqs[strings.TrimPrefix(r.Endpoint, ServiceName+".")]; !ok && !r.Public {
					t.Fatalf("route %s %s has no request in this test", r.Method, r.Path)
				}
			}
			// Each step leaves admin2 with a token its account no longer backs.
			steps := []struct {
				name   string
				revoke string
			}{
				{"disabled", `{"disabled":true}`},
				{"demoted to ops", `{"role":"ops"}`},
				{"moved to a district", `{"role":"district-admin","districts":["jingkai"]}`},
			}
			for _, step := range steps {
				patch(`{"disabled":false,"role":"hq-admin","districts":[]}`)
				tok := login()
				if rec := e.do("GET", "/api/v1/auth/accounts", tok, nil); rec.Code != http.StatusOK {
					t.Fatalf("%s: admin2's token before: %d %s", step.name, rec.Code, rec.Body)
				}
				patch(step.revoke)
				before, _ := e.node.Audit(context.Background(), "")
				for name, r := range reqs {
					var body any
					if r[2] != "" {
						body = r[2]
					}
					rec := e.do(r[0], r[1], tok, body)
					if rec.Code != http.StatusUnauthorized || errID(t, rec) != "auth.token_invalid" {
						t.Errorf("%s: %s (%s %s) with the old token: %d %s", step.name, name, r[0], r[1], rec.Code, rec.Body)
					}
				}
				after, _ := e.node.Audit(context.Background(), "")
				if len(after) != len(before) {
					t.Errorf("%s: the refused requests wrote %d audit rows", step.name, len(after)-len(before))
				}
				got := e.do("GET", "/api/v1/auth/accounts/"+second.ID, e.adminToken, nil)
				if a := decode[service.Account](t, got); a.Role == auth.RoleHQAdmin && !a.Disabled {
					t.Errorf("%s: admin2 restored itself: %s", step.name, got.Body)
				}
				list := e.do("GET", "/api/v1/auth/accounts?page_size=500", e.adminToken, nil)
				if strings.Contains(list.Body.String(), `"planted"`) {
					t.Errorf("%s: a refused token created an account", step.name)
				}
			}
			// Demoted to ops, a fresh login gets an ops token: /me, nothing more.
			patch(`{"disabled":false,"role":"ops","districts":[]}`)
			ops := login()
			if rec := e.do("GET", "/api/v1/auth/me", ops, nil); rec.Code != http.StatusOK || decode[endpoints.MeResponse](t, rec).Role != auth.RoleOps {
				t.Errorf("ops /me: %d %s", rec.Code, rec.Body)
			}
			if rec := e.do("PATCH", "/api/v1/auth/accounts/"+second.ID, ops, `{"role":"hq-admin"}`); rec.Code != http.StatusForbidden {
				t.Errorf("ops promoting itself: %d %s", rec.Code, rec.Body)
			}
		})
	}
}

// An inner Authenticate never overrides the outer one's decision, whatever
// verifier it has: the outer refusal stands.
func TestInnerAuthenticationCannotOverrideAnOuterRefusal(t *testing.T) {
	e := newEnv(t)
	refuseAll := verifierFunc(func(context.Context, string) (auth.Principal, error) {
		return auth.Principal{}, auth.ErrTokenInvalid
	})
	h := auth.Authenticate(refuseAll)(e.node.Handler())
	req := httptest.NewRequest("GET", "/api/v1/auth/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+e.adminToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || errID(t, rec) != "auth.token_invalid" {
		t.Fatalf("the inner handler let in a token the outer verifier refused: %d %s", rec.Code, rec.Body)
	}
}

type verifierFunc func(context.Context, string) (auth.Principal, error)

func (f verifierFunc) Verify(ctx context.Context, raw string) (auth.Principal, error) {
	return f(ctx, raw)
}
