package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// verifiedCache remembers tokens whose signature and claims were checked, so
// a client sending the same token on every request pays the ES256/RS256
// verification (~90 µs) once, not per request. An entry is trusted only
// while the token is unexpired, for at most verifiedTTL, and only while its
// signing key is still in the key set: a retired key ends its tokens at once.
type verifiedCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]verifiedEntry
	max     int
}

type verifiedEntry struct {
	p       Principal
	kid     string
	expires time.Time // min(token exp, checked + verifiedTTL)
}

// verifiedTTL bounds how long a verification is reused.
const verifiedTTL = time.Minute

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{entries: map[[sha256.Size]byte]verifiedEntry{}, max: max}
}

func (c *verifiedCache) get(raw string, now time.Time, hasKey func(kid string) bool) (Principal, bool) {
	k := sha256.Sum256([]byte(raw))
	c.mu.Lock()
	e, ok := c.entries[k]
	if ok && !now.Before(e.expires) {
		delete(c.entries, k)
		ok = false
	}
	c.mu.Unlock()
	if !ok || !hasKey(e.kid) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *verifiedCache) put(raw string, p Principal, kid string, tokenExp, now time.Time) {
	exp := now.Add(verifiedTTL)
	if tokenExp.Before(exp) {
		exp = tokenExp
	}
	k := sha256.Sum256([]byte(raw))
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		// Drop what has expired; if that frees nothing, start over rather
		// than grow: the cache is an optimisation, never a requirement.
		for key, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[k] = verifiedEntry{p: p, kid: kid, expires: exp}
}
