package service

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
)

// LiveTTL is how long an account's state is trusted between lookups: the
// longest a disabled account's tokens or a changed role keep working in
// another process (in this one a write ends them at once: Forget).
const LiveTTL = 5 * time.Second

// liveCacheMax bounds the cache: past it, the cache starts again empty.
const liveCacheMax = 10000

// errAccountChanged ends tokens whose account was disabled, deleted or given
// another role or scope since the token was issued: the holder logs in again.
var errAccountChanged = errors.New("accounts: the token's account was disabled or changed")

// LiveVerifier wraps the issuer's verifier so a token is accepted only while
// its account still exists, is enabled and has the role and scope the token
// names. Tokens are otherwise valid until they expire; without this, disabling
// an account or demoting an admin would not take effect until then.
type LiveVerifier struct {
	inner    auth.Verifier
	accounts *Accounts
	now      func() time.Time

	mu    sync.Mutex
	cache map[string]liveEntry
}

type liveEntry struct {
	p       auth.Principal
	ok      bool
	checked time.Time
}

// NewLiveVerifier returns the verifier of inner's tokens whose accounts
// accounts reads, trusting what it read for LiveTTL by the clock now.
func NewLiveVerifier(inner auth.Verifier, accounts *Accounts, now func() time.Time) *LiveVerifier {
	return &LiveVerifier{inner: inner, accounts: accounts, now: now, cache: map[string]liveEntry{}}
}

// Forget drops what is cached of an account, so the next request with one
// of its tokens looks it up again.
func (v *LiveVerifier) Forget(subject string) {
	v.mu.Lock()
	delete(v.cache, subject)
	v.mu.Unlock()
}

// Verify implements auth.Verifier.
func (v *LiveVerifier) Verify(ctx context.Context, raw string) (auth.Principal, error) {
	p, err := v.inner.Verify(ctx, raw)
	if err != nil {
		return p, err
	}
	cur, ok, err := v.current(ctx, p.Subject)
	if err != nil {
		return auth.Principal{}, err
	}
	if !ok || !samePrincipal(cur, p) {
		return auth.Principal{}, auth.ErrTokenInvalid.Wrap(errAccountChanged)
	}
	return p, nil
}

// current returns the principal the account now stands for; ok is false
// for an unknown or disabled account.
func (v *LiveVerifier) current(ctx context.Context, subject string) (auth.Principal, bool, error) {
	now := v.now()
	v.mu.Lock()
	e, hit := v.cache[subject]
	v.mu.Unlock()
	if hit && now.Sub(e.checked) < LiveTTL {
		return e.p, e.ok, nil
	}
	a, err := v.accounts.Get(ctx, subject)
	switch {
	case errs.IsKind(err, errs.NotFound):
		e = liveEntry{checked: now}
	case err != nil:
		return auth.Principal{}, false, ErrAccountsUnavailable.Wrap(err)
	default:
		e = liveEntry{p: a.Principal(), ok: !a.Disabled, checked: now}
	}
	v.mu.Lock()
	if len(v.cache) > liveCacheMax {
		clear(v.cache)
	}
	v.cache[subject] = e
	v.mu.Unlock()
	return e.p, e.ok, nil
}

func samePrincipal(a, b auth.Principal) bool {
	return a.Subject == b.Subject && a.Role == b.Role && a.Company == b.Company && a.Guard == b.Guard &&
		slices.Equal(a.Districts, b.Districts)
}
