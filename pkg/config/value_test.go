package config

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// parseWarningDays parses a positive day count, like the certificate-expiry
// warning policy.
func parseWarningDays(b []byte) (int, error) {
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return 0, err
	}
	if n <= 0 || n > 365 {
		return 0, errors.New("warning days must be 1..365")
	}
	return n, nil
}

func TestValue(t *testing.T) {
	_, ep := startEtcd(t)
	cli := newClient(t, ep)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const key = "/guildhall/policy/certificate-expiry-warning-days"
	if _, err := cli.Put(ctx, key, "45"); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	v := NewValue(cli, key, 30, parseWarningDays, discardLogger(), reg)
	// A second Value on the same registry shares the metrics.
	other := NewValue(cli, "/guildhall/policy/other", "x", func(b []byte) (string, error) { return string(b), nil }, discardLogger(), reg)
	if v.Load() != 30 || other.Load() != "x" {
		t.Fatalf("defaults: %v %q", v.Load(), other.Load())
	}

	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	eventually(t, "the initial value", func() bool { return v.Load() == 45 })

	if _, err := cli.Put(ctx, key, "60"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new good value", func() bool { return v.Load() == 60 })

	for i, bad := range []string{"soon", "-3"} {
		if _, err := cli.Put(ctx, key, bad); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the bad value to be counted", func() bool {
			return testutil.ToFloat64(v.m.invalid.WithLabelValues(key)) == float64(i+1)
		})
		if got := v.Load(); got != 60 {
			t.Fatalf("after bad value %q Load = %d, want the last good 60", bad, got)
		}
	}

	if _, err := cli.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the default after delete", func() bool { return v.Load() == 30 })

	if n := testutil.CollectAndCount(reg, "guildhall_config_invalid_total"); n != 1 {
		t.Fatalf("invalid series = %d, want 1", n)
	}
	if got := testutil.ToFloat64(other.m.reloads.WithLabelValues(key)); got != 2 {
		t.Fatalf("shared reload counter = %v, want 2 (45, 60)", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}

func TestValueKeepsLastGoodDuringOutage(t *testing.T) {
	_, ep := startEtcd(t)
	proxy, cli := newProxiedClient(t, ep)
	direct := newClient(t, ep)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const key = "/guildhall/config/jiangan/membership/page-size"
	if _, err := direct.Put(ctx, key, "50"); err != nil {
		t.Fatal(err)
	}
	v := NewValue(cli, key, 20, func(b []byte) (int, error) { return strconv.Atoi(string(b)) }, discardLogger(), nil)
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	eventually(t, "the initial value", func() bool { return v.Load() == 50 })
	proxy.Cut()
	if _, err := direct.Put(ctx, key, "70"); err != nil {
		t.Fatal(err)
	}
	if v.Load() != 50 {
		t.Fatalf("Load during outage = %d", v.Load())
	}
	proxy.Restore()
	eventually(t, "the value written during the outage", func() bool { return v.Load() == 70 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestValueLoadedClosesOnTheFirstRead: Loaded stays open until Run has read
// the key (a value or its absence), so a caller can wait for the city's
// setting instead of acting on the default; once closed, Load is the read
// value.
func TestValueLoadedClosesOnTheFirstRead(t *testing.T) {
	_, ep := startEtcd(t)
	cli := newClient(t, ep)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const present, absent = "/guildhall/policy/present", "/guildhall/policy/absent"
	if _, err := cli.Put(ctx, present, "45"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		want int
	}{{present, 45}, {absent, 30}} {
		v := NewValue(cli, tc.key, 30, parseWarningDays, discardLogger(), nil)
		select {
		case <-v.Loaded():
			t.Fatalf("%s: Loaded closed before Run read the key", tc.key)
		default:
		}
		go func() { _ = v.Run(ctx) }()
		select {
		case <-v.Loaded():
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: Loaded not closed after Run started", tc.key)
		}
		if got := v.Load(); got != tc.want {
			t.Fatalf("%s: Load after Loaded = %d, want %d", tc.key, got, tc.want)
		}
	}
}
