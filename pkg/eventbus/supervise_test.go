package eventbus

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/testutil"
)

// superviseRun is a supervised run that fails its first failures calls,
// then blocks until its context ends; every call is recorded.
type superviseRun struct {
	mu       sync.Mutex
	calls    int
	failures int
	// nilReturns of the failing calls return nil instead of an error.
	nilReturns map[int]bool
	// lasts, if set, is how long each call takes on the fake clock.
	clock *fakeClock
	lasts map[int]time.Duration
}

func (r *superviseRun) run(ctx context.Context) error {
	r.mu.Lock()
	r.calls++
	n := r.calls
	r.mu.Unlock()
	if r.clock != nil {
		r.clock.advance(r.lasts[n])
	}
	if n > r.failures {
		<-ctx.Done()
		return ctx.Err()
	}
	if r.nilReturns[n] {
		return nil
	}
	return errors.New("consumer group: no coordinator")
}

func (r *superviseRun) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// pauses records the pauses Supervise asks for instead of sleeping them.
type pauses struct {
	mu sync.Mutex
	ds []time.Duration
}

func (p *pauses) wait(ctx context.Context, d time.Duration) bool {
	p.mu.Lock()
	p.ds = append(p.ds, d)
	p.mu.Unlock()
	return ctx.Err() == nil
}

func (p *pauses) get() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.ds)
}

// supervise runs Supervise in a goroutine; stop cancels it and waits for
// it to return (failing the test if it does not).
func supervise(t *testing.T, cfg SuperviseConfig, run func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Supervise(ctx, cfg, run)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Supervise did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestSuperviseRestartsAFailedRunWithAGrowingPauseAndCountsIt(t *testing.T) {
	m := NewMetrics(nil)
	var logs testutil.SyncBuffer
	p := &pauses{}
	r := &superviseRun{failures: 7, nilReturns: map[int]bool{3: true}}
	topic := Topic("north", "meetings")
	stop := supervise(t, SuperviseConfig{
		Name: "membership: meetings consumer", Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Restarts: m.ConsumerRestartsOf(topic, "membership-north"),
		MinDelay: time.Second, MaxDelay: 8 * time.Second, wait: p.wait,
	}, r.run)
	waitFor(t, 10*time.Second, "the eighth run", func() bool { return r.count() == 8 })
	stop()

	// Never a busy loop: every restart waited, the pause doubling to its cap.
	want := []time.Duration{1, 2, 4, 8, 8, 8, 8}
	for i := range want {
		want[i] *= time.Second
	}
	if got := p.get(); !slices.Equal(got, want) {
		t.Errorf("pauses %v, want %v", got, want)
	}
	if got := metricValue(m.ConsumerRestarts.WithLabelValues("north", "meetings", topic, "membership-north")); got != 7 {
		t.Errorf("restarts counted %v, want 7", got)
	}
	lines := strings.Count(logs.String(), `"msg":"membership: meetings consumer stopped, restarting"`)
	if lines != 7 || !strings.Contains(logs.String(), "no coordinator") ||
		!strings.Contains(logs.String(), "returned before its context ended") {
		t.Errorf("%d restart lines in the log, want 7 naming the error or the early return:\n%s", lines, logs.String())
	}
}

func TestSuperviseStartsThePauseAgainAfterAHealthyRun(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := &pauses{}
	// Runs 1–3 fail at once; run 4 fails after an hour of work; run 5 at
	// once again; run 6 keeps running.
	r := &superviseRun{failures: 5, clock: clock, lasts: map[int]time.Duration{4: time.Hour}}
	stop := supervise(t, SuperviseConfig{MinDelay: time.Second, MaxDelay: 30 * time.Second, wait: p.wait, now: clock.now}, r.run)
	waitFor(t, 10*time.Second, "the sixth run", func() bool { return r.count() == 6 })
	stop()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, time.Second, 2 * time.Second}
	if got := p.get(); !slices.Equal(got, want) {
		t.Errorf("pauses %v, want %v", got, want)
	}
}

func TestSuperviseReturnsWhenItsContextEnds(t *testing.T) {
	tests := []struct {
		name string
		// failures before the run that blocks; with a real pause of an hour,
		// a failure leaves Supervise waiting in its pause.
		failures int
	}{
		{"A cancel while the run is running ends Supervise without a restart.", 0},
		{"A cancel during the pause before a restart ends Supervise without the restart.", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMetrics(nil)
			r := &superviseRun{failures: tc.failures}
			restarts := m.ConsumerRestartsOf(Topic("north", "membership"), "hq")
			stop := supervise(t, SuperviseConfig{Restarts: restarts, MinDelay: time.Hour}, r.run)
			waitFor(t, 10*time.Second, "the first run", func() bool { return r.count() == 1 })
			if tc.failures > 0 {
				waitFor(t, 10*time.Second, "the restart counted", func() bool { return metricValue(restarts) == 1 })
			}
			stop() // fails the test unless Supervise returns
			if got := r.count(); got != 1 {
				t.Errorf("run called %d times, want 1", got)
			}
			// The run that ended with the context is not a failure.
			if got := metricValue(restarts); got != float64(tc.failures) {
				t.Errorf("restarts counted %v, want %d", got, tc.failures)
			}
		})
	}
}

func TestSuperviseRestartsARealRunAfterItsPause(t *testing.T) {
	// The real pause (no hook): a failed run is called again.
	r := &superviseRun{failures: 2}
	supervise(t, SuperviseConfig{MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}, r.run)
	waitFor(t, 10*time.Second, "the third run", func() bool { return r.count() == 3 })
}

func TestConsumerRestartsOfANilMetricsCountsNothing(t *testing.T) {
	var m *Metrics
	if c := m.ConsumerRestartsOf("gh.north.membership.v1", "hq"); c != nil {
		t.Errorf("ConsumerRestartsOf on nil = %v, want nil", c)
	}
}
