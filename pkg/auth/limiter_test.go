package auth

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
)

func newTestLimiter(cfg LoginLimiterConfig) (*LoginLimiter, *fakeClock) {
	l := NewLoginLimiter(cfg)
	c := newFakeClock()
	l.now = c.Now
	return l, c
}

func wantTooMany(t *testing.T, err error, retry time.Duration) {
	t.Helper()
	if !errors.Is(err, ErrTooManyAttempts) {
		t.Fatalf("err = %v, want auth.too_many_attempts", err)
	}
	if status, body := errs.HTTP(err); status != http.StatusTooManyRequests || body.Error.ID != "auth.too_many_attempts" {
		t.Fatalf("HTTP = %d %s", status, body.Error.ID)
	}
	got, ok := RetryAfter(err)
	if !ok || got != retry {
		t.Fatalf("RetryAfter = %v %v, want %v", got, ok, retry)
	}
}

func TestLoginLimiterSixthFailureIs429(t *testing.T) {
	t.Parallel()
	l, clock := newTestLimiter(LoginLimiterConfig{})
	for i := range 5 {
		if err := l.Attempt("admin", "10.0.0.1"); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		clock.Advance(time.Second)
	}
	// First failure at t=0, now t=5s: the slot frees at t=60s.
	wantTooMany(t, l.Attempt("admin", "10.0.0.1"), 55*time.Second)
	// Refused attempts are not counted: the wait does not grow.
	wantTooMany(t, l.Attempt("admin", "10.0.0.1"), 55*time.Second)
	if RetryAfterSeconds(55*time.Second+time.Millisecond) != 56 || RetryAfterSeconds(0) != 1 {
		t.Fatal("RetryAfterSeconds rounding")
	}
}

func TestLoginLimiterAccountAndAddressAreIndependent(t *testing.T) {
	t.Parallel()
	l, _ := newTestLimiter(LoginLimiterConfig{})
	// One account guessed from six addresses: the account blocks.
	for i := range 5 {
		if err := l.Attempt("Wang", fmt.Sprintf("10.0.1.%d", i)); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	wantTooMany(t, l.Attempt("wang", "10.0.1.99"), time.Minute)
	// Account names are case-insensitive, so a variant does not bypass it.
	wantTooMany(t, l.Attempt(" WANG ", "10.0.1.98"), time.Minute)
	// Another account from one of those addresses is fine.
	if err := l.Attempt("li", "10.0.1.0"); err != nil {
		t.Fatalf("another account: %v", err)
	}

	// One address trying six accounts: the address blocks.
	for i := range 5 {
		if err := l.Attempt(fmt.Sprintf("user%d", i), "192.0.2.7"); err != nil {
			t.Fatalf("spray %d: %v", i+1, err)
		}
	}
	wantTooMany(t, l.Attempt("user99", "192.0.2.7"), time.Minute)
	// The sprayed accounts are not blocked from elsewhere.
	if err := l.Attempt("user0", "192.0.2.8"); err != nil {
		t.Fatalf("sprayed account from another address: %v", err)
	}
}

func TestLoginLimiterWindowSlides(t *testing.T) {
	t.Parallel()
	l, clock := newTestLimiter(LoginLimiterConfig{})
	for range 5 { // failures at 0, 10, 20, 30, 40 s
		if err := l.Attempt("zhao", "10.0.0.2"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Second)
	}
	wantTooMany(t, l.Attempt("zhao", "10.0.0.2"), 10*time.Second) // t=50
	clock.Advance(10 * time.Second)                               // t=60: the t=0 failure leaves
	if err := l.Attempt("zhao", "10.0.0.2"); err != nil {
		t.Fatalf("after the oldest failure left the window: %v", err)
	}
	// Failures at 10..40 and 60: the next slot frees at 70 s.
	wantTooMany(t, l.Attempt("zhao", "10.0.0.2"), 10*time.Second)
	clock.Advance(2 * time.Minute)
	for i := range 5 {
		if err := l.Attempt("zhao", "10.0.0.2"); err != nil {
			t.Fatalf("a fresh window, attempt %d: %v", i+1, err)
		}
	}
}

func TestLoginLimiterSuccessResetsTheAccount(t *testing.T) {
	t.Parallel()
	l, _ := newTestLimiter(LoginLimiterConfig{})
	for range 4 {
		if err := l.Attempt("sun", "10.0.0.3"); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Attempt("sun", "10.0.0.3"); err != nil { // the right password
		t.Fatal(err)
	}
	l.Succeeded("sun", "10.0.0.3")
	// The account starts over; the address kept its 4 failures (one slot).
	if err := l.Attempt("sun", "10.0.0.4"); err != nil {
		t.Fatal(err)
	}
	if err := l.Attempt("other", "10.0.0.3"); err != nil {
		t.Fatalf("the address lost the slot its successful login had: %v", err)
	}
	wantTooMany(t, l.Attempt("third", "10.0.0.3"), time.Minute)
}

func TestLoginLimiterMemoryIsBounded(t *testing.T) {
	t.Parallel()
	l, clock := newTestLimiter(LoginLimiterConfig{MaxEntries: 3})
	for i := range 10 {
		if err := l.Attempt(fmt.Sprintf("a%d", i), fmt.Sprintf("10.1.0.%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := len(l.accounts.byKey), l.accounts.order.Len(); n != 3 || m != 3 {
		t.Fatalf("accounts tracked = %d/%d, want 3", n, m)
	}
	if n := len(l.addrs.byKey); n != 3 {
		t.Fatalf("addresses tracked = %d, want 3", n)
	}
	// The newest keys are the ones kept.
	if _, ok := l.accounts.byKey["a9"]; !ok {
		t.Fatal("the newest account was evicted")
	}
	clock.Advance(time.Minute)
	if err := l.Attempt("late", ""); err != nil {
		t.Fatal(err)
	}
	if n := len(l.accounts.byKey); n != 1 {
		t.Fatalf("expired accounts kept: %d", n)
	}
	if n := len(l.addrs.byKey); n != 0 {
		t.Fatalf("expired addresses kept (and the empty address tracked): %d", n)
	}
}

func TestLoginLimiterConcurrentGuessesCannotExceedTheLimit(t *testing.T) {
	t.Parallel()
	l, _ := newTestLimiter(LoginLimiterConfig{})
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			if l.Attempt("qian", fmt.Sprintf("10.2.0.%d", i)) == nil {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := admitted.Load(); n != 5 {
		t.Fatalf("admitted %d concurrent attempts, want 5", n)
	}
}
