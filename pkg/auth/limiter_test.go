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

// newTestLimiter returns a limiter on a fake clock standing at the start of
// one of its 5-second buckets (the default window's twelfth), so the waits
// below are exact.
func newTestLimiter(cfg LoginLimiterConfig) (*LoginLimiter, *fakeClock) {
	l := NewLoginLimiter(cfg)
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
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

// attempts makes n attempts that must all be admitted.
func attempts(t *testing.T, l *LoginLimiter, n int, account func(i int) string, ip func(i int) string) {
	t.Helper()
	for i := range n {
		if err := l.Attempt(account(i), ip(i)); err != nil {
			t.Fatalf("attempt %d (%s from %s): %v", i+1, account(i), ip(i), err)
		}
	}
}

func same(s string) func(int) string { return func(int) string { return s } }

func numbered(format string) func(int) string {
	return func(i int) string { return fmt.Sprintf(format, i) }
}

func TestLoginLimiterSixthFailureOfAnAccountFromOneAddressIs429(t *testing.T) {
	t.Parallel()
	l, clock := newTestLimiter(LoginLimiterConfig{})
	for i := range 5 { // t = 0..4 s, all in the first bucket
		if err := l.Attempt("admin", "10.0.0.1"); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		clock.Advance(time.Second)
	}
	// Now t=5s. The first bucket's failures are counted for the whole
	// window and leave it at 65 s (the window plus at most one bucket).
	wantTooMany(t, l.Attempt("admin", "10.0.0.1"), 60*time.Second)
	// Refused attempts are not counted: the wait does not grow.
	wantTooMany(t, l.Attempt("ADMIN ", "10.0.0.1"), 60*time.Second)
	clock.Advance(59*time.Second + 900*time.Millisecond)
	wantTooMany(t, l.Attempt("admin", "10.0.0.1"), 100*time.Millisecond)
	clock.Advance(100 * time.Millisecond)
	if err := l.Attempt("admin", "10.0.0.1"); err != nil {
		t.Fatalf("after the first failures left the window: %v", err)
	}
	if errs.RetryAfterSeconds(55*time.Second+time.Millisecond) != 56 || errs.RetryAfterSeconds(0) != 1 {
		t.Fatal("RetryAfterSeconds rounding")
	}
}

// TestLoginLimiterLimits walks each limit with the default configuration:
// who is refused, and who behind the same address or on the same account
// is not.
func TestLoginLimiterLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// before are the admitted attempts; then try is made.
		before      func(t *testing.T, l *LoginLimiter)
		account, ip string
		refused     bool
	}{
		{
			name: "A colleague behind the same address can still log in after one person's six failures.",
			before: func(t *testing.T, l *LoginLimiter) {
				attempts(t, l, 5, same("wang"), same("10.0.0.1"))
				_ = l.Attempt("wang", "10.0.0.1")
			},
			account: "li", ip: "10.0.0.1",
		},
		{
			name:    "The person who failed six times is refused from that address.",
			before:  func(t *testing.T, l *LoginLimiter) { attempts(t, l, 5, same("wang"), same("10.0.0.1")) },
			account: "Wang", ip: "10.0.0.1", refused: true,
		},
		{
			name:    "The same account from another address is not refused by the pair limit.",
			before:  func(t *testing.T, l *LoginLimiter) { attempts(t, l, 5, same("wang"), same("10.0.0.1")) },
			account: "wang", ip: "10.0.0.2",
		},
		{
			name:    "The per-account limit holds across addresses.",
			before:  func(t *testing.T, l *LoginLimiter) { attempts(t, l, 20, same("zhao"), numbered("10.0.1.%d")) },
			account: "zhao", ip: "10.0.2.1", refused: true,
		},
		{
			name:    "Twenty failures of one account do not refuse another account from those addresses.",
			before:  func(t *testing.T, l *LoginLimiter) { attempts(t, l, 20, same("zhao"), numbered("10.0.1.%d")) },
			account: "qian", ip: "10.0.1.3",
		},
		{
			name:    "The per-address ceiling holds across accounts.",
			before:  func(t *testing.T, l *LoginLimiter) { attempts(t, l, 100, numbered("user%d"), same("192.0.2.7")) },
			account: "user-new", ip: "192.0.2.7", refused: true,
		},
		{
			name:    "The accounts one address sprayed can still be tried from elsewhere.",
			before:  func(t *testing.T, l *LoginLimiter) { attempts(t, l, 100, numbered("user%d"), same("192.0.2.7")) },
			account: "user0", ip: "192.0.2.8",
		},
		{
			name:    "Ninety-nine failures over many accounts leave the address one more attempt.",
			before:  func(t *testing.T, l *LoginLimiter) { attempts(t, l, 99, numbered("user%d"), same("192.0.2.7")) },
			account: "user-new", ip: "192.0.2.7",
		},
		{
			name:    "Without a known address the account limit still applies.",
			before:  func(t *testing.T, l *LoginLimiter) { attempts(t, l, 20, same("sun"), same("")) },
			account: "sun", ip: "", refused: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, _ := newTestLimiter(LoginLimiterConfig{})
			tc.before(t, l)
			err := l.Attempt(tc.account, tc.ip)
			if tc.refused {
				wantTooMany(t, err, 65*time.Second)
			} else if err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
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
	// t=50: the t=0 failure leaves the window at 65 s.
	wantTooMany(t, l.Attempt("zhao", "10.0.0.2"), 15*time.Second)
	clock.Advance(15 * time.Second) // t=65
	if err := l.Attempt("zhao", "10.0.0.2"); err != nil {
		t.Fatalf("after the oldest failure left the window: %v", err)
	}
	// Failures at 10..40 and 65: the next slot frees at 75 s.
	wantTooMany(t, l.Attempt("zhao", "10.0.0.2"), 10*time.Second)
	clock.Advance(2 * time.Minute)
	attempts(t, l, 5, same("zhao"), same("10.0.0.2"))
}

func TestLoginLimiterSuccessResetsTheAccount(t *testing.T) {
	t.Parallel()
	l, _ := newTestLimiter(LoginLimiterConfig{MaxAddressFailures: 5})
	attempts(t, l, 4, same("sun"), same("10.0.0.3"))
	attempts(t, l, 10, same("sun"), numbered("10.0.9.%d"))
	if err := l.Attempt("sun", "10.0.0.3"); err != nil { // the right password
		t.Fatal(err)
	}
	l.Succeeded("sun", "10.0.0.3")
	// The account starts over, from every address: 20 more are admitted.
	attempts(t, l, 20, same("sun"), numbered("10.0.8.%d"))
	// The address kept its 4 failures of sun (the pair is forgotten, the
	// address only gets back the one its successful login was counted as):
	// one slot is left under this test's address ceiling of 5.
	if err := l.Attempt("other", "10.0.0.3"); err != nil {
		t.Fatalf("the address lost the slot its successful login had: %v", err)
	}
	wantTooMany(t, l.Attempt("third", "10.0.0.3"), 65*time.Second)
}

func TestLoginLimiterMemoryIsBounded(t *testing.T) {
	t.Parallel()
	l, clock := newTestLimiter(LoginLimiterConfig{MaxEntries: 3})
	attempts(t, l, 10, numbered("a%d"), numbered("10.1.0.%d"))
	for name, tab := range map[string]*failureTable{"pairs": l.pairs, "accounts": l.accounts, "addresses": l.addrs} {
		if n, m := len(tab.byKey), tab.order.Len(); n != 3 || m != 3 {
			t.Fatalf("%s tracked = %d/%d, want 3", name, n, m)
		}
	}
	// The newest keys are the ones kept.
	if _, ok := l.accounts.byKey["a9"]; !ok {
		t.Fatal("the newest account was evicted")
	}
	if _, ok := l.pairs.byKey[pairKey("a9", "10.1.0.9")]; !ok {
		t.Fatal("the newest pair was evicted")
	}
	// Everything has left the window (at most the window and one bucket).
	clock.Advance(65 * time.Second)
	if err := l.Attempt("late", ""); err != nil {
		t.Fatal(err)
	}
	if n := len(l.accounts.byKey); n != 1 {
		t.Fatalf("expired accounts kept: %d", n)
	}
	if n, m := len(l.addrs.byKey), len(l.pairs.byKey); n != 0 || m != 0 {
		t.Fatalf("expired addresses (%d) or pairs (%d) kept, or the empty address tracked", n, m)
	}
}

func TestLoginLimiterConcurrentGuessesCannotExceedTheLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		account, ip func(int) string
		want        int64
	}{
		{"One account from many addresses gets the per-account limit.", same("qian"), numbered("10.2.0.%d"), DefaultMaxAccountFailures},
		{"One account from one address gets the pair limit.", same("qian"), same("10.2.0.1"), DefaultMaxFailures},
		{"Many accounts from one address get the address ceiling.", numbered("u%d"), same("10.2.0.1"), DefaultMaxAddressFailures},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, _ := newTestLimiter(LoginLimiterConfig{})
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for i := range 160 {
				wg.Go(func() {
					if l.Attempt(tc.account(i), tc.ip(i)) == nil {
						admitted.Add(1)
					}
				})
			}
			wg.Wait()
			if n := admitted.Load(); n != tc.want {
				t.Fatalf("admitted %d concurrent attempts, want %d", n, tc.want)
			}
		})
	}
}
