package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

func TestWiring(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := telemetry.NewRegistry()
	cfg := hq.Config{DBPath: filepath.Join(t.TempDir(), "hq.db"), Brokers: []string{"127.0.0.1:1"}}
	w, err := wire(ctx, cfg, telemetry.NewLogger(io.Discard, 0), reg, staticDistricts{}, kafkaDeps{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.node.Close()
	done := make(chan error, 1)
	go func() { done <- w.node.Run(ctx) }()
	defer func() { cancel(); <-done }()
	srv := httptest.NewServer(w.handler)
	defer srv.Close()

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get("/readyz")
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
	if code, body := get("/api/v1/hq/summary"); code != http.StatusOK || !strings.Contains(body, `"districts":0`) {
		t.Errorf("/api/v1/hq/summary = %d %s", code, body)
	}
	if code, body := get("/api/v1/hq/districts/nowhere"); code != http.StatusNotFound || !strings.Contains(body, "district.not_found") {
		t.Errorf("/api/v1/hq/districts/nowhere = %d %s", code, body)
	}
	_, metrics := get("/metrics")
	for _, want := range []string{
		`guildhall_endpoint_requests_total{district="",endpoint="summary",outcome="success",service="hq"} 1`,
		`guildhall_endpoint_errors_total{district="",endpoint="district",error_id="district.not_found",service="hq"} 1`,
		`guildhall_hq_conflicts 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
