package service

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestFlightNeverAnswersWithAReadFromBeforeTheCaller: each caller writes
// (bumps written) and then reads through one flight; the read returns the
// writes it saw when it started. Every caller must get a read that saw its
// own write (a flight that let callers join the computation already
// running would hand back older ones), and no two reads may run at once.
func TestFlightNeverAnswersWithAReadFromBeforeTheCaller(t *testing.T) {
	var (
		f              flight[int64]
		written        atomic.Int64
		running, most  atomic.Int64
		reads          atomic.Int64
		wg             sync.WaitGroup
		callers, times = 50, 20
	)
	read := func(context.Context) (int64, error) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		reads.Add(1)
		seen := written.Load()
		for range 50 {
			runtime.Gosched()
		}
		running.Add(-1)
		return seen, nil
	}
	errs := make(chan string, callers*times)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range times {
				mine := written.Add(1)
				got, err := f.do(context.Background(), read)
				if err != nil || got < mine {
					errs <- "a read that did not see the caller's write"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if most.Load() != 1 {
		t.Errorf("%d reads ran at once, want 1", most.Load())
	}
	if reads.Load() > int64(callers*times) {
		t.Errorf("%d reads for %d calls", reads.Load(), callers*times)
	}
	t.Logf("%d calls shared %d reads", callers*times, reads.Load())
}

// TestDailyFlightPerDay: the reads of one day share one flight, a new day
// gets a new one (a read of yesterday's certificates is not today's).
func TestDailyFlightPerDay(t *testing.T) {
	var d daily[int]
	a, b := d.of("2026-12-03"), d.of("2026-12-03")
	if a != b {
		t.Fatal("two readers of one day got different flights")
	}
	if c := d.of("2026-12-04"); c == a {
		t.Fatal("a new day got the old day's flight")
	}
}
