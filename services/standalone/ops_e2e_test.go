package standalone_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/services/standalone/internal/citytest"
)

// fetch sends a request to url with token (if any) and extra headers
// (name, value pairs) and returns the status and body.
func fetch(t *testing.T, method, url, token string, body any, hdr ...string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestTheAdminRoutesAreServedOffThePublicPort checks where /metrics,
// /healthz and /readyz are: by default on the admin listener only (printed
// at start), the API port answering them with the JSON 404 even to an
// hq-admin; with -admin.addr=same on the one API listener.
func TestTheAdminRoutesAreServedOffThePublicPort(t *testing.T) {
	for _, tc := range []struct {
		name   string
		extra  []string
		shared bool
	}{
		{"By default the admin routes are on their own listener and the API port refuses them.", nil, false},
		{"With -admin.addr=same one listener serves the API and the admin routes.", []string{"-admin.addr=same"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			city, c, out := startCityOut(t, t.TempDir(), tc.extra...)
			api, admin := "http://"+city.Addr(), "http://"+city.AdminAddr()
			if (city.Addr() == city.AdminAddr()) != tc.shared {
				t.Fatalf("API %s, admin %s", city.Addr(), city.AdminAddr())
			}
			if !strings.Contains(out, "guildhall: metrics and health on "+admin+" (/metrics, /healthz, /readyz)") {
				t.Errorf("the start-up output does not name the admin address %s:\n%s", admin, out)
			}
			// Readiness waits for HQ; poll it under a deadline.
			deadline := time.Now().Add(30 * time.Second)
			for {
				code, body := fetch(t, "GET", admin+"/readyz", "", nil)
				if code == http.StatusOK {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("admin /readyz: %d %s", code, body)
				}
				time.Sleep(20 * time.Millisecond) // polling interval
			}
			if code, body := fetch(t, "GET", admin+"/healthz", "", nil); code != http.StatusOK {
				t.Fatalf("admin /healthz: %d %s", code, body)
			}
			if code, body := fetch(t, "GET", admin+"/metrics", "", nil); code != http.StatusOK || !strings.Contains(body, "guildhall_endpoint_requests_total") {
				t.Fatalf("admin /metrics: %d %.300s", code, body)
			}
			_, index := fetch(t, "GET", api+"/api/v1/", c.Token, nil)
			if strings.Contains(index, `"/metrics"`) != tc.shared {
				t.Errorf("the index links /metrics on a port that does not serve it (or misses it): %s", index)
			}
			if tc.shared {
				return
			}
			for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
				for _, tok := range []string{"", c.Token} {
					if code, body := fetch(t, "GET", api+p, tok, nil); code != http.StatusNotFound || !strings.Contains(body, `"route.not_found"`) {
						t.Errorf("API port %s (token %v): %d %.200s, want the JSON 404", p, tok != "", code, body)
					}
				}
			}
			if code, body := fetch(t, "GET", admin+"/api/v1/hq/summary", c.Token, nil); code != http.StatusNotFound {
				t.Errorf("the admin listener served the API: %d %.200s", code, body)
			}
		})
	}
}

// forwardedFor adds X-Forwarded-For to every request, as a proxy would.
type forwardedFor struct {
	client string
	next   http.RoundTripper
}

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", "192.0.2.250, "+f.client) // a client-sent entry, then the proxy's
	return f.next.RoundTrip(r)
}

// TestTrustProxyDecidesTheClientAddress sends, through one proxy (every
// request comes from 127.0.0.1), five wrong passwords for the admin on
// behalf of one client and a sixth on behalf of another. With
// -http.trust-proxy the limiter keys on the forwarded clients: the first
// client is refused, the other is not, and the audit log records the
// forwarded client. Without it, both are the proxy's own address and the
// sixth is refused.
func TestTrustProxyDecidesTheClientAddress(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra []string
		trust bool
	}{
		{"With -http.trust-proxy the X-Forwarded-For client is the address.", []string{"-http.trust-proxy"}, true},
		{"Without -http.trust-proxy the connection's peer is the address.", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			city, c := startCity(t, t.TempDir(), tc.extra...)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			login := "http://" + city.Addr() + "/api/v1/auth/login"
			wrong := map[string]string{"username": "admin", "password": "not the password"}
			for i := range 5 {
				if code, body := fetch(t, "POST", login, "", wrong, "X-Forwarded-For", "192.0.2.250, 203.0.113.50"); code != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d %s", i+1, code, body)
				}
			}
			code, body := fetch(t, "POST", login, "", wrong, "X-Forwarded-For", "192.0.2.250, 203.0.113.51")
			if want := map[bool]int{true: http.StatusUnauthorized, false: http.StatusTooManyRequests}[tc.trust]; code != want {
				t.Fatalf("a wrong password on behalf of another client: %d %s, want %d", code, body, want)
			}
			if code, body := fetch(t, "POST", login, "", wrong, "X-Forwarded-For", "192.0.2.250, 203.0.113.50"); code != http.StatusTooManyRequests {
				t.Fatalf("the client that failed five times: %d %s, want 429", code, body)
			}

			// A write through the proxy: the district's audit log names
			// the forwarded client only when the proxy is trusted.
			proxied := citytest.New(c.Base)
			proxied.Token = c.Token
			proxied.HTTP.Transport = forwardedFor{client: "203.0.113.60", next: http.DefaultTransport}
			if _, err := proxied.RegisterActiveCompany(ctx, "jingkai", 7); err != nil {
				t.Fatal(err)
			}
			var audit struct {
				Items []struct {
					RemoteIP string `json:"remote_ip"`
				} `json:"items"`
			}
			if err := c.Must(ctx, http.StatusOK, "GET", "/api/v1/districts/jingkai/audit?action=company.register", nil, &audit); err != nil {
				t.Fatal(err)
			}
			want := map[bool]string{true: "203.0.113.60", false: "127.0.0.1"}[tc.trust]
			if len(audit.Items) != 1 || audit.Items[0].RemoteIP != want {
				t.Fatalf("audit rows %+v, want one from %s", audit.Items, want)
			}
		})
	}
}
