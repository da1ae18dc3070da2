package telemetry

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guildhall/guildhall/pkg/kitx"
)

func TestServeStopsCleanlyWhenItsContextEnds(t *testing.T) {
	ls, err := Listen("127.0.0.1:0", "127.0.0.1:0",
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }),
		AdminHandler(prometheus.NewRegistry(), nil))
	if err != nil {
		t.Fatal(err)
	}
	ln := ls.API.Listener
	ctx, cancel := context.WithCancel(context.Background())
	taskDone := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, slog.New(slog.DiscardHandler), ls, time.Second, func(ctx context.Context) error {
			<-ctx.Done()
			close(taskDone)
			return nil
		})
	}()
	resp, err := http.Get("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a cancelled context is a clean exit, got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	select {
	case <-taskDone:
	default:
		t.Fatal("the background task was not stopped")
	}
	for _, addr := range []string{ls.APIAddr(), ls.AdminAddr()} {
		if _, err := http.Get("http://" + addr); err == nil {
			t.Fatalf("%s still answers after Serve returned", addr)
		}
	}
}

func TestServeReturnsAFailingTasksError(t *testing.T) {
	ls, err := Listen("127.0.0.1:0", "127.0.0.1:0", http.NotFoundHandler(), http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("relay: broken")
	err = Serve(context.Background(), slog.New(slog.DiscardHandler), ls, time.Second,
		func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the task's error", err)
	}
}

// get fetches url and returns the status, the Content-Type and the body.
func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// TestListenKeepsTheAdminRoutesOffTheAPIListener serves an API (a mux
// answering the JSON 404 for what it does not route, as every binary's is)
// and the admin routes through Listen, in both modes: on their own
// listener, the API port answers 404 JSON for /metrics and the probes; on
// the API listener (AdminOnAPIListener), one port answers both.
func TestListenKeepsTheAdminRoutesOffTheAPIListener(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "guildhall_district_guards", Help: "business gauge"}))
	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/ping", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "pong") })
	api.Handle("/", kitx.NotFoundHandler())
	for _, tc := range []struct {
		name      string
		adminAddr string
		shared    bool
	}{
		{"The admin routes on their own listener are not on the API port.", "127.0.0.1:0", false},
		{"The admin routes on the API listener when told so share its port.", AdminOnAPIListener, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls, err := Listen("127.0.0.1:0", tc.adminAddr, api, AdminHandler(reg, map[string]Check{"db": func(context.Context) error { return nil }}))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- Serve(ctx, slog.New(slog.DiscardHandler), ls, time.Second) }()
			defer func() { cancel(); <-done }()
			apiURL, adminURL := "http://"+ls.APIAddr(), "http://"+ls.AdminAddr()
			if (ls.APIAddr() == ls.AdminAddr()) != tc.shared || len(ls.Servers()) != map[bool]int{true: 1, false: 2}[tc.shared] {
				t.Fatalf("API %s, admin %s, %d servers", ls.APIAddr(), ls.AdminAddr(), len(ls.Servers()))
			}
			if code, _, body := get(t, apiURL+"/api/v1/ping"); code != http.StatusOK || body != "pong" {
				t.Fatalf("API route: %d %s", code, body)
			}
			if code, _, body := get(t, adminURL+"/metrics"); code != http.StatusOK || !strings.Contains(body, "guildhall_district_guards 0") {
				t.Fatalf("admin /metrics: %d %s", code, body)
			}
			for _, p := range []string{"/healthz", "/readyz"} {
				if code, _, body := get(t, adminURL+p); code != http.StatusOK {
					t.Fatalf("admin %s: %d %s", p, code, body)
				}
			}
			if tc.shared {
				return
			}
			for _, p := range AdminPaths {
				code, ctype, body := get(t, apiURL+p)
				if code != http.StatusNotFound || !strings.HasPrefix(ctype, "application/json") || !strings.Contains(body, `"id":"route.not_found"`) {
					t.Errorf("API %s: %d %s %s, want the JSON 404", p, code, ctype, body)
				}
			}
			// Nor does the admin listener serve the API.
			if code, ctype, _ := get(t, adminURL+"/api/v1/ping"); code != http.StatusNotFound || !strings.HasPrefix(ctype, "application/json") {
				t.Errorf("admin listener served the API: %d %s", code, ctype)
			}
		})
	}
}

func TestValidateAdminAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{":9090", true}, {"127.0.0.1:8081", true}, {"[::1]:0", true}, {AdminOnAPIListener, true},
		{"", false}, {"9090", false}, {"localhost", false}, {"SAME", false},
	} {
		if err := ValidateAdminAddr(tc.addr); (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrAdminAddr)) {
			t.Errorf("ValidateAdminAddr(%q) = %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
	if _, err := Listen("127.0.0.1:0", "nonsense", http.NotFoundHandler(), http.NotFoundHandler()); !errors.Is(err, ErrAdminAddr) {
		t.Errorf("Listen with a bad admin address: %v", err)
	}
}

func TestServeAnswersNetHTTPsOwnRefusalsAsJSON(t *testing.T) {
	ls, err := Listen("127.0.0.1:0", AdminOnAPIListener, http.NotFoundHandler(), http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, slog.New(slog.DiscardHandler), ls, time.Second)
	}()
	defer func() { cancel(); <-done }()
	conn, err := net.Dial("tcp", ls.APIAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second)) // against a hang only
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" || !strings.Contains(string(raw), `"id":"request.malformed"`) {
		t.Fatalf("%d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
}
