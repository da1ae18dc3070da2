package auth

import (
	"container/list"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/guildhall/guildhall/pkg/errs"
)

// The default limits of a LoginLimiter, per Window.
const (
	// DefaultMaxFailures is the failures one account may have from one
	// address: the 6th attempt is refused.
	DefaultMaxFailures = 5
	// DefaultMaxAccountFailures is the failures one account may have from
	// all addresses together: guessing one account from many addresses.
	DefaultMaxAccountFailures = 20
	// DefaultMaxAddressFailures is the failures one address may have over
	// all accounts: one address spraying many accounts. It is well above
	// DefaultMaxFailures because a whole office behind one NAT shares it.
	DefaultMaxAddressFailures = 100
)

// limiterBuckets is how many parts a LoginLimiter splits its window into.
// A failure is counted for at least the window and at most one part more.
const limiterBuckets = 12

// LoginLimiterConfig sets the limits of a LoginLimiter; zero fields take the
// defaults.
type LoginLimiterConfig struct {
	// MaxFailures is how many failures one account may have from one
	// client address within Window before that account's next attempt from
	// that address is refused (default DefaultMaxFailures: the 6th is 429).
	// Other accounts behind the same address are not affected.
	MaxFailures int
	// MaxAccountFailures is how many failures one account may have from
	// all addresses together within Window (default
	// DefaultMaxAccountFailures).
	MaxAccountFailures int
	// MaxAddressFailures is how many failures one address may have over
	// all accounts together within Window (default
	// DefaultMaxAddressFailures).
	MaxAddressFailures int
	// Window is the sliding window (default 1 minute).
	Window time.Duration
	// MaxEntries bounds each of the three tables — (account, address)
	// pairs, accounts, addresses — (default 100000 each); the least
	// recently failed keys are evicted first.
	MaxEntries int
}

// LoginLimiter counts failed logins in a sliding window per (account,
// address) pair, per account and per client address, and refuses an
// attempt once any of the three has reached its limit. The pair limit is
// the tight one, so one person mistyping a password locks out only that
// account from that address, not every colleague behind the same NAT; the
// per-account limit stops the guessing of one account from many addresses,
// and the higher per-address ceiling one address trying many accounts.
//
// Memory is bounded: each key keeps a fixed ring of per-bucket counts
// (the window in limiterBuckets parts), keys whose failures have all left
// the window are dropped, and each table holds at most MaxEntries keys
// (separate tables, so a flood of addresses or pairs cannot evict the count
// of an account under attack). Safe for concurrent use.
//
// Use: call Attempt before checking the password; it counts the attempt as
// a failure up front, so parallel guesses cannot all slip in before the
// first failure is recorded. After a correct password call Succeeded.
type LoginLimiter struct {
	maxPair, maxAccount, maxAddr int
	width                        int64 // nanoseconds per bucket
	now                          func() time.Time

	mu       sync.Mutex
	pairs    *failureTable
	accounts *failureTable
	addrs    *failureTable
}

// NewLoginLimiter returns a limiter with cfg's limits.
func NewLoginLimiter(cfg LoginLimiterConfig) *LoginLimiter {
	limit := func(n, def int) int {
		if n <= 0 {
			n = def
		}
		return min(n, math.MaxUint16) // a bucket count is a uint16
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 100_000
	}
	return &LoginLimiter{
		maxPair:    limit(cfg.MaxFailures, DefaultMaxFailures),
		maxAccount: limit(cfg.MaxAccountFailures, DefaultMaxAccountFailures),
		maxAddr:    limit(cfg.MaxAddressFailures, DefaultMaxAddressFailures),
		width:      max(int64(cfg.Window)/limiterBuckets, 1),
		now:        time.Now,
		pairs:      newFailureTable(cfg.MaxEntries),
		accounts:   newFailureTable(cfg.MaxEntries),
		addrs:      newFailureTable(cfg.MaxEntries),
	}
}

// Attempt admits or refuses one login attempt for account from address ip.
// When the (account, ip) pair, the account or the address already has its
// limit of failures in the window it returns ErrTooManyAttempts (429),
// whose RetryAfter is the time until an attempt would be admitted, and
// records nothing. Otherwise it records a failure for all three and returns
// nil. Account names are compared case-insensitively; an empty ip (no
// address known) is limited by the account alone.
func (l *LoginLimiter) Attempt(account, ip string) error {
	account = normAccount(account)
	now := l.now().UnixNano()
	b := now / l.width
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range []*failureTable{l.pairs, l.accounts, l.addrs} {
		t.prune(b)
	}
	wait := l.accounts.blockedFor(account, b, l.maxAccount)
	if ip != "" {
		wait = max(wait, l.pairs.blockedFor(pairKey(account, ip), b, l.maxPair), l.addrs.blockedFor(ip, b, l.maxAddr))
	}
	if wait > 0 {
		// The bucket that frees a slot leaves the window at the start of
		// bucket wait; the client waits until then.
		return errs.RetryAfter(ErrTooManyAttempts, time.Duration(wait*l.width-now))
	}
	l.accounts.record(account, b)
	if ip != "" {
		l.pairs.record(pairKey(account, ip), b)
		l.addrs.record(ip, b)
	}
	return nil
}

// Succeeded records that the attempt Attempt admitted had the right
// password: the account's failures (from every address) are forgotten,
// and the address gets back the failure its attempt was counted as (its
// other failures stay).
func (l *LoginLimiter) Succeeded(account, ip string) {
	account = normAccount(account)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.accounts.remove(account)
	if ip != "" {
		l.pairs.remove(pairKey(account, ip))
		l.addrs.dropNewest(ip)
	}
}

func normAccount(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// pairKey is the key of an (account, address) pair; NUL appears in neither.
func pairKey(account, ip string) string { return account + "\x00" + ip }

// ringSize is the buckets a key keeps: the window's and the current one.
const ringSize = limiterBuckets + 1

// failureTable is an LRU of keys by their latest failure, front newest.
type failureTable struct {
	max   int
	order *list.List
	byKey map[string]*list.Element
}

// failureEntry counts one key's failures per bucket: counts[k%ringSize]
// is bucket k for the ringSize buckets up to newest, the bucket of its
// latest failure.
type failureEntry struct {
	key    string
	newest int64
	counts [ringSize]uint16
}

func newFailureTable(maxEntries int) *failureTable {
	return &failureTable{max: maxEntries, order: list.New(), byKey: map[string]*list.Element{}}
}

// oldest is the first bucket still in the window when b is the current one.
func oldest(b int64) int64 { return b - limiterBuckets }

// count is fe's failures in bucket k when b is the current bucket: 0 for a
// bucket outside the window or after the latest failure (whose ring slot
// still holds an old bucket's count).
func (fe *failureEntry) count(k, b int64) int {
	if k < oldest(b) || k > fe.newest {
		return 0
	}
	return int(fe.counts[k%ringSize])
}

// total is fe's failures in the window when b is the current bucket.
func (fe *failureEntry) total(b int64) int {
	n := 0
	for k := oldest(b); k <= b; k++ {
		n += fe.count(k, b)
	}
	return n
}

// prune drops keys whose latest failure has left the window; they sit at
// the back because the table is ordered by latest failure.
func (t *failureTable) prune(b int64) {
	for e := t.order.Back(); e != nil; e = t.order.Back() {
		fe := e.Value.(*failureEntry)
		if fe.newest >= oldest(b) {
			return
		}
		t.order.Remove(e)
		delete(t.byKey, fe.key)
	}
}

// blockedFor returns 0 if key may try now, in bucket b, else the bucket at
// whose start enough of its failures have left the window to admit one.
func (t *failureTable) blockedFor(key string, b int64, limit int) int64 {
	e, ok := t.byKey[key]
	if !ok {
		return 0
	}
	fe := e.Value.(*failureEntry)
	excess := fe.total(b) - limit + 1 // failures that must leave the window
	if excess <= 0 {
		return 0
	}
	for k := oldest(b); k <= b; k++ {
		excess -= fe.count(k, b)
		if excess <= 0 {
			return k + ringSize // bucket k leaves the window then
		}
	}
	return b + ringSize // not reached: the counts add up to the total
}

// record counts a failure of key in bucket b, the current one.
func (t *failureTable) record(key string, b int64) {
	e, ok := t.byKey[key]
	if !ok {
		e = t.order.PushFront(&failureEntry{key: key, newest: b})
		t.byKey[key] = e
	} else {
		t.order.MoveToFront(e)
	}
	fe := e.Value.(*failureEntry)
	if b > fe.newest {
		// Zero the slots of the buckets since the latest failure: they
		// still hold counts of buckets that have left the window.
		for k := max(fe.newest+1, b-ringSize+1); k <= b; k++ {
			fe.counts[k%ringSize] = 0
		}
		fe.newest = b
	}
	if c := &fe.counts[b%ringSize]; *c < math.MaxUint16 {
		*c++
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

// dropNewest takes back key's most recent failure.
func (t *failureTable) dropNewest(key string) {
	e, ok := t.byKey[key]
	if !ok {
		return
	}
	fe := e.Value.(*failureEntry)
	for k := fe.newest; k >= oldest(fe.newest); k-- {
		if c := &fe.counts[k%ringSize]; *c > 0 {
			*c--
			break
		}
	}
	if fe.total(fe.newest) == 0 {
		t.remove(key)
	}
}
