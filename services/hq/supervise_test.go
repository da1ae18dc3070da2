package hq

import (
	apitest "github.com/guildhall/guildhall/pkg/testutil"

	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
)

// TestAConsumerThatCannotBeBuiltIsBuiltAgainAndCounted: HQ supervises each
// district topic's consumer with eventbus.Supervise, so a consumer that
// fails to start is started again, the restart counted under HQ's consumer
// labels, and the district shows its consumer running once it is.
func TestAConsumerThatCannotBeBuiltIsBuiltAgainAndCounted(t *testing.T) {
	ctx := context.Background()
	bus := eventbus.NewMetrics(prometheus.NewRegistry())
	registry := &fakeRegistry{initial: []config.District{{ID: "jingkai", Name: "Jingkai", NameZH: "经开"}},
		updates: make(chan []config.District)}
	n, err := New(ctx, Config{DBPath: filepath.Join(t.TempDir(), "hq.db"), Brokers: []string{"127.0.0.1:1"}},
		Deps{Districts: registry, Bus: bus, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.retryDelay = time.Millisecond
	var (
		mu       sync.Mutex
		attempts = map[string]int{}
	)
	n.newConsumer = func(d, svc string) (consumer, error) {
		mu.Lock()
		defer mu.Unlock()
		attempts[svc]++
		if svc == ConsumedService && attempts[svc] <= 2 {
			return nil, errors.New("consumer group: no coordinator")
		}
		lag := &atomic.Int64{}
		return &fakeConsumer{lag: lag, stopped: make(chan struct{})}, nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Run(runCtx) }()
	apitest.Eventually(t, "jingkai's consumers running", func() bool { return n.consumerState("jingkai").Running })

	mu.Lock()
	if attempts[ConsumedService] != 3 || attempts["meetings"] != 1 {
		t.Errorf("consumers built %v, want membership 3 times (2 failures) and meetings once", attempts)
	}
	mu.Unlock()
	restarts := func(svc string) float64 {
		return testutil.ToFloat64(bus.ConsumerRestarts.WithLabelValues("jingkai", svc, eventbus.Topic("jingkai", svc), "hq"))
	}
	if got := restarts(ConsumedService); got != 2 {
		t.Errorf("membership consumer restarts = %v, want 2", got)
	}
	if got := restarts("meetings"); got != 0 {
		t.Errorf("meetings consumer restarts = %v, want 0", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
