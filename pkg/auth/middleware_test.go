package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/errs"
)

// getGuardRequest is what the test transport decodes from the path
// /districts/{district}/companies/{company}/guards/{guard}.
type getGuardRequest struct{ District, Company, Guard string }

func guardTarget(_ context.Context, request any) Target {
	return Target(request.(getGuardRequest))
}

// newGuardHandler wires a go-kit server the way a service does: decode,
// endpoint (optionally behind Middleware), encode with the errs mapping.
// calls counts the times the endpoint itself ran.
func newGuardHandler(withAuth bool, calls *atomic.Int64) http.Handler {
	var ep endpoint.Endpoint = func(ctx context.Context, request any) (any, error) {
		calls.Add(1)
		p, _ := FromContext(ctx)
		r := request.(getGuardRequest)
		return map[string]string{"guard": r.Guard, "seen_by": p.Subject}, nil
	}
	if withAuth {
		ep = Middleware(testPolicy, "membership.get_guard", guardTarget)(ep)
	}
	srv := kithttp.NewServer(ep,
		func(_ context.Context, r *http.Request) (any, error) {
			return getGuardRequest{District: r.PathValue("district"), Company: r.PathValue("company"), Guard: r.PathValue("guard")}, nil
		},
		kithttp.EncodeJSONResponse,
		kithttp.ServerErrorEncoder(func(_ context.Context, err error, w http.ResponseWriter) { errs.WriteHTTP(w, err) }),
	)
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/districts/{district}/companies/{company}/guards/{guard}", srv)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	return mux
}

func TestMiddlewareOverGoKitEndpoint(t *testing.T) {
	t.Parallel()
	l, err := NewLocalIssuer(t.TempDir(), testIssuer, testAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	l.verifier.logger = debugLogger(logs)
	var calls atomic.Int64
	srv := httptest.NewServer(Authenticate(l.Verifier())(newGuardHandler(true, &calls)))
	t.Cleanup(srv.Close)

	issue := func(p Principal) string {
		tok, _, err := l.Issue(p)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	admin := issue(Principal{Subject: "da-jingkai", Role: RoleDistrictAdmin, Districts: []string{"jingkai"}})
	companyAdmin := issue(Principal{Subject: "ca", Role: RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1"})
	opsTok := issue(Principal{Subject: "ops", Role: RoleOps})
	l.now = func() time.Time { return time.Now().Add(-3 * time.Hour) }
	expired := issue(Principal{Subject: "da-jingkai", Role: RoleDistrictAdmin, Districts: []string{"jingkai"}})
	l.now = time.Now

	const own = "/api/v1/districts/jingkai/companies/c1/guards/g1"
	const otherDistrict = "/api/v1/districts/caidian/companies/c1/guards/g1"
	const otherCompany = "/api/v1/districts/jingkai/companies/c2/guards/g7"
	tests := []struct {
		name       string
		path       string
		auth       string
		wantStatus int
		wantID     string
	}{
		{"no token is 401 token_missing", own, "", 401, "auth.token_missing"},
		{"an expired token is 401 token_expired", own, "Bearer " + expired, 401, "auth.token_expired"},
		{"a tampered token is 401 token_invalid", own, "Bearer " + admin[:len(admin)-4] + "AAAA", 401, "auth.token_invalid"},
		{"a Basic header is 401 token_invalid", own, "Basic YTpi", 401, "auth.token_invalid"},
		{"a district-admin reads a guard of its district", own, "Bearer " + admin, 200, ""},
		{"a district-admin of another district is 403", otherDistrict, "Bearer " + admin, 403, "auth.forbidden"},
		{"a company-admin reads its own company's guard", own, "Bearer " + companyAdmin, 200, ""},
		{"a company-admin reading another company's guard is 403", otherCompany, "Bearer " + companyAdmin, 403, "auth.forbidden"},
		{"ops has no access to personal records", own, "Bearer " + opsTok, 403, "auth.forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := calls.Load()
			req, err := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			ran := calls.Load() - before
			if tc.wantID == "" {
				if ran != 1 {
					t.Fatalf("endpoint ran %d times, want 1", ran)
				}
				if !strings.Contains(string(body), `"seen_by"`) {
					t.Fatalf("the endpoint did not see the principal: %s", body)
				}
				return
			}
			if ran != 0 {
				t.Fatalf("a refused request reached the endpoint")
			}
			var eb errs.Body
			if err := json.Unmarshal(body, &eb); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if eb.Error.ID != tc.wantID {
				t.Fatalf("error id = %q, want %q", eb.Error.ID, tc.wantID)
			}
			if tok := strings.TrimPrefix(tc.auth, "Bearer "); len(tok) > 20 && strings.Contains(string(body), tok[len(tok)-20:]) {
				t.Fatal("the response echoes the token")
			}
		})
	}

	// Paths without the endpoint middleware stay open, even to a bad token.
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer garbage")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz with a bad token = %d, want 200", resp.StatusCode)
	}
	for _, tok := range []string{admin, companyAdmin, opsTok, expired} {
		if strings.Contains(logs.String(), tok[len(tok)-20:]) {
			t.Fatal("the logs contain a token")
		}
	}
}

func TestMiddlewareWithoutAuthenticateIsMissing(t *testing.T) {
	t.Parallel()
	var ran bool
	ep := Middleware(testPolicy, "hq.summary", nil)(func(context.Context, any) (any, error) {
		ran = true
		return "ok", nil
	})
	if _, err := ep(context.Background(), nil); !errs.IsKind(err, errs.Unauthenticated) || !errors.Is(err, ErrTokenMissing) {
		t.Fatalf("err = %v, want auth.token_missing", err)
	}
	ctx := WithPrincipal(context.Background(), Principal{Subject: "o", Role: RoleOps})
	if out, err := ep(ctx, nil); err != nil || out != "ok" || !ran {
		t.Fatalf("ops on hq.summary: %v %v", out, err)
	}
	ran = false
	noRow := Middleware(testPolicy, "hq.secret", nil)(func(context.Context, any) (any, error) {
		ran = true
		return nil, nil
	})
	if _, err := noRow(ctx, nil); err == nil || ran {
		t.Fatalf("an endpoint without a policy row ran (err %v)", err)
	}
}

// benchmarkRequest runs h on one request with an ES256 token, as the
// benchmarks of the auth overhead do.
func benchmarkGuardRequest(b *testing.B, h http.Handler, token string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/districts/jingkai/companies/c1/guards/g1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func benchmarkIssuer(b *testing.B) (*LocalIssuer, string) {
	b.Helper()
	l, err := NewLocalIssuer(b.TempDir(), testIssuer, testAudience, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	tok, _, err := l.Issue(Principal{Subject: "da", Role: RoleDistrictAdmin, Districts: []string{"jingkai"}})
	if err != nil {
		b.Fatal(err)
	}
	return l, tok
}

// BenchmarkAuthenticate is one request through Authenticate and the
// endpoint Middleware (Decide) with a token the client sends again and
// again (verified once, then reused); compare with BenchmarkNoAuth.
func BenchmarkAuthenticate(b *testing.B) {
	l, tok := benchmarkIssuer(b)
	var calls atomic.Int64
	benchmarkGuardRequest(b, Authenticate(l.Verifier())(newGuardHandler(true, &calls)), tok)
}

// BenchmarkAuthenticateFreshToken is the same with a new token on every
// request: a full ES256 verification each time (the worst case).
func BenchmarkAuthenticateFreshToken(b *testing.B) {
	l, _ := benchmarkIssuer(b)
	var calls atomic.Int64
	h := Authenticate(l.Verifier())(newGuardHandler(true, &calls))
	const n = 512
	toks := make([]string, n)
	for i := range toks {
		tok, _, err := l.Issue(Principal{Subject: fmt.Sprintf("da-%d", i), Role: RoleDistrictAdmin, Districts: []string{"jingkai"}})
		if err != nil {
			b.Fatal(err)
		}
		toks[i] = tok
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/districts/jingkai/companies/c1/guards/g1", nil)
		// Past the first n, a token repeats; the cache then serves it, so
		// keep b.N small (e.g. -benchtime 500x) for a pure cold measure.
		req.Header.Set("Authorization", "Bearer "+toks[i%n])
		i++
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkNoAuth is the same request and handler without authentication.
func BenchmarkNoAuth(b *testing.B) {
	_, tok := benchmarkIssuer(b)
	var calls atomic.Int64
	benchmarkGuardRequest(b, newGuardHandler(false, &calls), tok)
}
