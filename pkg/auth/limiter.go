package auth

import (
	"container/list"
	"strings"
	"sync"
	"time"
)

// LoginLimiterConfig sets the limits of a LoginLimiter; zero fields take the
// defaults.
type LoginLimiterConfig struct {
	// MaxFailures is how many failures a key may have within Window before
	// the next attempt is refused (default 5: the 6th is 429).
	MaxFailures int
	// Window is the sliding window (default 1 minute).
	Window time.Duration
	// MaxEntries bounds the accounts and, separately, the addresses tracked
	// (default 100000 each); the least recently failed are evicted first.
	MaxEntries int
}

// LoginLimiter counts failed logins per account and per client address in
// a sliding window and refuses attempts once either has MaxFailures. Memory
// is bounded: each key keeps at most MaxFailures timestamps, keys whose
// failures have all left the window are dropped, and each of the two tables
// holds at most MaxEntries keys (separate tables, so a flood of addresses
// cannot evict the count of an account under attack). Safe for concurrent
// use.
//
// Use: call Attempt before checking the password; it counts the attempt as
// a failure up front, so parallel guesses cannot all slip in before the
// first failure is recorded. After a correct password call Succeeded.
type LoginLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	accounts *failureTable
	addrs    *failureTable
}

// NewLoginLimiter returns a limiter with cfg's limits.
func NewLoginLimiter(cfg LoginLimiterConfig) *LoginLimiter {
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 100_000
	}
	return &LoginLimiter{
		max:      cfg.MaxFailures,
		window:   cfg.Window,
		now:      time.Now,
		accounts: newFailureTable(cfg.MaxEntries),
		addrs:    newFailureTable(cfg.MaxEntries),
	}
}

// Attempt admits or refuses one login attempt for account from address ip.
// When the account or the address already has MaxFailures failures in the
// window it returns ErrTooManyAttempts (429), whose RetryAfter is the time
// until an attempt would be admitted, and records nothing. Otherwise it
// records a failure for both and returns nil. Account names are compared
// case-insensitively; an empty ip is not tracked.
func (l *LoginLimiter) Attempt(account, ip string) error {
	account = normAccount(account)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.accounts.prune(now, l.window)
	l.addrs.prune(now, l.window)
	wait := max(l.accounts.blockedFor(account, now, l.window, l.max), l.addrs.blockedFor(ip, now, l.window, l.max))
	if wait > 0 {
		return ErrTooManyAttempts.Wrap(&RetryAfterError{After: wait})
	}
	l.accounts.record(account, now, l.max)
	if ip != "" {
		l.addrs.record(ip, now, l.max)
	}
	return nil
}

// Succeeded records that the attempt Attempt admitted had the right
// password: the account's failures are forgotten, and the address gets back
// the failure its attempt was counted as (its other failures stay).
func (l *LoginLimiter) Succeeded(account, ip string) {
	account = normAccount(account)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.accounts.remove(account)
	if ip != "" {
		l.addrs.dropNewest(ip)
	}
}

func normAccount(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// failureTable is an LRU of keys by their latest failure, front newest.
type failureTable struct {
	max   int
	order *list.List
	byKey map[string]*list.Element
}

type failureEntry struct {
	key   string
	times []time.Time // oldest first, at most the limiter's max
}

func newFailureTable(maxEntries int) *failureTable {
	return &failureTable{max: maxEntries, order: list.New(), byKey: map[string]*list.Element{}}
}

// prune drops keys whose newest failure has left the window; they sit at
// the back because the table is ordered by latest failure.
func (t *failureTable) prune(now time.Time, window time.Duration) {
	for e := t.order.Back(); e != nil; e = t.order.Back() {
		fe := e.Value.(*failureEntry)
		if len(fe.times) > 0 && now.Sub(fe.times[len(fe.times)-1]) < window {
			return
		}
		t.order.Remove(e)
		delete(t.byKey, fe.key)
	}
}

// blockedFor returns how long key must wait, 0 if it may try now.
func (t *failureTable) blockedFor(key string, now time.Time, window time.Duration, maxFailures int) time.Duration {
	e, ok := t.byKey[key]
	if !ok {
		return 0
	}
	times := e.Value.(*failureEntry).times
	n := 0
	for _, ts := range times {
		if now.Sub(ts) < window {
			n++
		}
	}
	if n < maxFailures {
		return 0
	}
	// Only maxFailures times are kept, so all are in the window and the
	// oldest leaving it is what admits the next attempt.
	return times[len(times)-maxFailures].Add(window).Sub(now)
}

func (t *failureTable) record(key string, now time.Time, maxFailures int) {
	e, ok := t.byKey[key]
	if !ok {
		e = t.order.PushFront(&failureEntry{key: key})
		t.byKey[key] = e
	} else {
		t.order.MoveToFront(e)
	}
	fe := e.Value.(*failureEntry)
	fe.times = append(fe.times, now)
	if len(fe.times) > maxFailures {
		fe.times = append(fe.times[:0], fe.times[len(fe.times)-maxFailures:]...)
	}
	for t.order.Len() > t.max {
		back := t.order.Back()
		t.order.Remove(back)
		delete(t.byKey, back.Value.(*failureEntry).key)
	}
}

func (t *failureTable) remove(key string) {
	if e, ok := t.byKey[key]; ok {
		t.order.Remove(e)
		delete(t.byKey, key)
	}
}

func (t *failureTable) dropNewest(key string) {
	e, ok := t.byKey[key]
	if !ok {
		return
	}
	fe := e.Value.(*failureEntry)
	if len(fe.times) > 0 {
		fe.times = fe.times[:len(fe.times)-1]
	}
	if len(fe.times) == 0 {
		t.remove(key)
	}
}
