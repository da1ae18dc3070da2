package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// Verifier turns a raw bearer token into the caller it names. Errors are
// ErrTokenMissing, ErrTokenInvalid or ErrTokenExpired (all 401).
type Verifier interface {
	Verify(ctx context.Context, raw string) (Principal, error)
}

// The only signature algorithms accepted. An explicit allow-list is what
// stops "alg: none" and the HS256-with-the-public-key confusion attack: the
// parser refuses every other alg before any key is looked up.
const (
	algRS256 = "RS256"
	algES256 = "ES256"
)

var allowedAlgs = []string{algRS256, algES256}

// Timing of the verifier.
const (
	// ClockLeeway is the skew tolerated on exp, nbf and iat.
	ClockLeeway = 30 * time.Second
	// MinRefreshGap is the least time between two JWKS fetches triggered by
	// requests, so a flood of tokens with made-up key ids cannot turn the
	// verifier into a load generator against the issuer.
	MinRefreshGap = 10 * time.Second
	// DefaultRefreshInterval is how old the cached key set may get before
	// it is fetched again.
	DefaultRefreshInterval = 15 * time.Minute
	// fetchTimeout bounds one JWKS fetch; a request waiting for an
	// unknown kid waits at most this long.
	fetchTimeout = 5 * time.Second
	// maxJWKSBytes bounds the JWKS document read.
	maxJWKSBytes = 1 << 20
	// minRSABits refuses RSA keys too short to trust.
	minRSABits = 2048
)

// Sentinel errors of OIDCConfig.Validate.
var (
	// ErrOIDCIssuer means auth.oidc.issuer is empty.
	ErrOIDCIssuer = errors.New("auth: auth.oidc.issuer is required")
	// ErrOIDCAudience means auth.oidc.audience is empty.
	ErrOIDCAudience = errors.New("auth: auth.oidc.audience is required")
	// ErrOIDCJWKSURL means auth.oidc.jwks-url is empty, not a URL, or plain
	// http to a host other than loopback.
	ErrOIDCJWKSURL = errors.New("auth: auth.oidc.jwks-url must be an https URL (http only for loopback)")
	// ErrOIDCRefresh means auth.oidc.refresh-interval is below MinRefreshGap.
	ErrOIDCRefresh = errors.New("auth: auth.oidc.refresh-interval must be at least 10s")
)

// Errors the key lookup reports as the cause of ErrTokenInvalid (for logs).
var (
	errNoKID        = errors.New("auth: token header has no kid")
	errUnknownKID   = errors.New("auth: token kid is not in the issuer's key set")
	errAlgMismatch  = errors.New("auth: token alg does not match its key")
	errNoSubject    = errors.New("auth: token has no sub")
	errJWKSNoKeys   = errors.New("auth: JWKS document has no keys member")
	errJWKSHTTPCode = errors.New("auth: JWKS fetch returned a non-200 status")
)

// OIDCConfig configures verification of tokens from an external OpenID
// Connect issuer.
type OIDCConfig struct {
	// Issuer is the exact iss every token must carry.
	Issuer string
	// Audience must be among the token's aud.
	Audience string
	// JWKSURL serves the issuer's public keys (JSON Web Key Set).
	JWKSURL string
	// RefreshInterval is how old the cached keys may get before a refetch.
	RefreshInterval time.Duration
}

// RegisterFlags registers prefix+"auth.oidc.issuer", "auth.oidc.audience",
// "auth.oidc.jwks-url" and "auth.oidc.refresh-interval".
func (c *OIDCConfig) RegisterFlags(prefix string, fs *flag.FlagSet) {
	p := prefix + "auth.oidc."
	fs.StringVar(&c.Issuer, p+"issuer", "", "OIDC issuer whose tokens are accepted (the exact iss claim).")
	fs.StringVar(&c.Audience, p+"audience", "", "Audience (aud claim) tokens must be issued for.")
	fs.StringVar(&c.JWKSURL, p+"jwks-url", "", "URL of the issuer's JSON Web Key Set.")
	fs.DurationVar(&c.RefreshInterval, p+"refresh-interval", DefaultRefreshInterval, "How often the JWKS is refetched (an unknown kid refetches sooner, at most every 10s).")
}

// Enabled reports whether any OIDC setting was given, so a binary can tell
// "use an external issuer" from "not configured".
func (c *OIDCConfig) Enabled() bool {
	return c.Issuer != "" || c.Audience != "" || c.JWKSURL != ""
}

// Validate checks that issuer, audience and JWKS URL are set, that the URL
// is https (plain http only to a loopback host, for tests and sidecars) and
// that the refresh interval is not shorter than MinRefreshGap.
func (c *OIDCConfig) Validate() error {
	if c.Issuer == "" {
		return ErrOIDCIssuer
	}
	if c.Audience == "" {
		return ErrOIDCAudience
	}
	u, err := url.Parse(c.JWKSURL)
	if err != nil || u.Host == "" {
		return ErrOIDCJWKSURL
	}
	switch u.Scheme {
	case "https":
	case "http":
		// Keys fetched over plain http could be swapped by anyone on the
		// path, which would let them mint tokens; only loopback is exempt.
		if !isLoopback(u.Hostname()) {
			return ErrOIDCJWKSURL
		}
	default:
		return ErrOIDCJWKSURL
	}
	if c.RefreshInterval < MinRefreshGap {
		return ErrOIDCRefresh
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// verifyKey is one usable public key of the set and the one alg it may
// verify (RSA → RS256, P-256 → ES256).
type verifyKey struct {
	alg string
	key crypto.PublicKey
}

// keySet is an immutable snapshot of the issuer's keys.
type keySet struct {
	byKID   map[string]verifyKey
	fetched time.Time
}

// JWKSVerifier verifies RS256 and ES256 tokens against a JSON Web Key Set.
// Keys are cached; the set is refetched when older than the refresh
// interval and on demand when a token names an unknown kid (at most once
// per MinRefreshGap). When a fetch fails the cached keys keep working. The
// standalone binary's LocalIssuer verifies through this same type over its
// in-memory key set, so production and standalone checks are one code path.
type JWKSVerifier struct {
	issuer, audience string
	fetch            func(ctx context.Context) ([]byte, error)
	logger           *slog.Logger
	refreshInterval  time.Duration
	// minGap and now are fields so tests can shrink the rate limit and
	// move the clock; production uses MinRefreshGap and time.Now.
	minGap time.Duration
	now    func() time.Time
	parser *jwt.Parser

	keys     atomic.Pointer[keySet]
	verified *verifiedCache
	// mu serialises fetches; lastAttempt is guarded by it.
	mu          sync.Mutex
	lastAttempt time.Time
}

// NewJWKSVerifier returns a verifier for cfg. It does no I/O: keys are
// fetched on the first token (or by Refresh/Run). client nil means a
// client with a 10 s timeout; logger nil discards.
func NewJWKSVerifier(cfg OIDCConfig, client *http.Client, logger *slog.Logger) (*JWKSVerifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	jwksURL := cfg.JWKSURL
	fetch := func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%w: %d", errJWKSHTTPCode, resp.StatusCode)
		}
		return io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	}
	return newJWKSVerifier(cfg.Issuer, cfg.Audience, cfg.RefreshInterval, fetch, logger), nil
}

func newJWKSVerifier(issuer, audience string, refresh time.Duration, fetch func(context.Context) ([]byte, error), logger *slog.Logger) *JWKSVerifier {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	v := &JWKSVerifier{
		issuer:          issuer,
		audience:        audience,
		fetch:           fetch,
		logger:          logger,
		refreshInterval: refresh,
		minGap:          MinRefreshGap,
		now:             time.Now,
		verified:        newVerifiedCache(10000),
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(allowedAlgs),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithLeeway(ClockLeeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v
}

// Verify checks raw's signature, alg, issuer, audience and times (with
// ClockLeeway), then that the role and scope claims fit, and returns the
// caller. The token itself is never logged or put in an error.
func (v *JWKSVerifier) Verify(ctx context.Context, raw string) (Principal, error) {
	if raw == "" {
		return Principal{}, ErrTokenMissing
	}
	now := v.now()
	if p, ok := v.verified.get(raw, now, v.hasKey); ok {
		return p, nil
	}
	var claims Claims
	tok, err := v.parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		return v.keyFor(ctx, t)
	})
	if err != nil {
		v.logger.DebugContext(ctx, "auth: token rejected", "reason", err.Error())
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Principal{}, ErrTokenExpired.Wrap(err)
		}
		return Principal{}, ErrTokenInvalid.Wrap(err)
	}
	if claims.Subject == "" {
		return Principal{}, ErrTokenInvalid.Wrap(errNoSubject)
	}
	p := claims.Principal()
	if err := p.Validate(); err != nil {
		v.logger.DebugContext(ctx, "auth: token rejected", "reason", err.Error())
		return Principal{}, ErrTokenInvalid.Wrap(err)
	}
	if claims.ExpiresAt != nil {
		kid, _ := tok.Header["kid"].(string)
		v.verified.put(raw, p, kid, claims.ExpiresAt.Time, now)
	}
	return p, nil
}

// hasKey reports whether the current key set still holds kid.
func (v *JWKSVerifier) hasKey(kid string) bool {
	ks := v.keys.Load()
	if ks == nil {
		return false
	}
	_, ok := ks.byKID[kid]
	return ok
}

// keyFor finds the key a token names by kid, refreshing the set when it is
// stale or does not know the kid, and checks the key fits the token's alg.
func (v *JWKSVerifier) keyFor(ctx context.Context, t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, errNoKID
	}
	ks := v.keys.Load()
	switch {
	case ks == nil:
		ks = v.refreshOnDemand(ctx, true)
	case v.now().Sub(ks.fetched) >= v.refreshInterval:
		// Stale but usable: one request refetches, the others go on with
		// the cached keys instead of queueing behind the fetch.
		ks = v.refreshOnDemand(ctx, false)
	}
	k, ok := lookup(ks, kid)
	if !ok {
		// Perhaps the issuer rotated its keys since the last fetch.
		ks = v.refreshOnDemand(ctx, true)
		if k, ok = lookup(ks, kid); !ok {
			return nil, errUnknownKID
		}
	}
	if k.alg != t.Method.Alg() {
		return nil, errAlgMismatch
	}
	return k.key, nil
}

func lookup(ks *keySet, kid string) (verifyKey, bool) {
	if ks == nil {
		return verifyKey{}, false
	}
	k, ok := ks.byKID[kid]
	return k, ok
}

// refreshOnDemand refetches the set unless another fetch happened within
// minGap, and returns the current set. With wait false it gives up at once
// when another fetch is under way.
func (v *JWKSVerifier) refreshOnDemand(ctx context.Context, wait bool) *keySet {
	if wait {
		v.mu.Lock()
	} else if !v.mu.TryLock() {
		return v.keys.Load()
	}
	defer v.mu.Unlock()
	if !v.lastAttempt.IsZero() && v.now().Sub(v.lastAttempt) < v.minGap {
		return v.keys.Load()
	}
	// Detached from the request so a client hanging up does not abort the
	// fetch (and spend the rate limit) for everyone.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	if err := v.refreshLocked(fctx); err != nil {
		v.logger.WarnContext(ctx, "auth: JWKS refresh failed; keeping cached keys", "err", err)
	}
	return v.keys.Load()
}

// Refresh fetches the key set now, ignoring the rate limit; on failure the
// cached keys stay. Binaries may call it at start to fail fast on a wrong
// URL.
func (v *JWKSVerifier) Refresh(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.refreshLocked(ctx)
}

func (v *JWKSVerifier) refreshLocked(ctx context.Context) error {
	v.lastAttempt = v.now()
	body, err := v.fetch(ctx)
	if err != nil {
		return fmt.Errorf("auth: fetch JWKS: %w", err)
	}
	keys, err := parseJWKS(body, v.logger)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		// Honoured (the issuer may have revoked every key), but loudly.
		v.logger.Warn("auth: JWKS has no usable RS256/ES256 key; every token will be refused")
	}
	v.keys.Store(&keySet{byKID: keys, fetched: v.now()})
	return nil
}

// Run refetches the key set every refresh interval until ctx ends, so
// requests rarely pay for a fetch. Optional: Verify refreshes by itself.
func (v *JWKSVerifier) Run(ctx context.Context) error {
	if err := v.Refresh(ctx); err != nil && ctx.Err() == nil {
		v.logger.WarnContext(ctx, "auth: JWKS refresh failed; keeping cached keys", "err", err)
	}
	t := time.NewTicker(v.refreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := v.Refresh(ctx); err != nil && ctx.Err() == nil {
				v.logger.WarnContext(ctx, "auth: JWKS refresh failed; keeping cached keys", "err", err)
			}
		}
	}
}

// parseJWKS keeps the signing keys it can use: a kid, use "sig" or unset,
// RSA of at least 2048 bits (RS256) or EC P-256 (ES256), and an alg that is
// unset or matches. Other keys are skipped one by one rather than failing
// the set, because issuers publish encryption and other-type keys too.
func parseJWKS(body []byte, logger *slog.Logger) (map[string]verifyKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("auth: decode JWKS: %w", err)
	}
	if doc.Keys == nil {
		return nil, errJWKSNoKeys
	}
	out := make(map[string]verifyKey, len(doc.Keys))
	dups := map[string]bool{}
	for i, rawKey := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(rawKey); err != nil {
			logger.Warn("auth: JWKS key skipped", "index", i, "err", err)
			continue
		}
		skip := func(why string) { logger.Warn("auth: JWKS key skipped", "index", i, "kid", k.KeyID, "why", why) }
		if k.KeyID == "" {
			skip("no kid")
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		var vk verifyKey
		switch pub := k.Public().Key.(type) {
		case *rsa.PublicKey:
			if pub.N.BitLen() < minRSABits {
				skip("RSA key shorter than 2048 bits")
				continue
			}
			vk = verifyKey{alg: algRS256, key: pub}
		case *ecdsa.PublicKey:
			if pub.Curve != elliptic.P256() {
				skip("EC key not on P-256")
				continue
			}
			vk = verifyKey{alg: algES256, key: pub}
		default:
			skip("key type not RSA or EC")
			continue
		}
		if k.Algorithm != "" && k.Algorithm != vk.alg {
			skip("alg not RS256/ES256 for its key type")
			continue
		}
		if _, dup := out[k.KeyID]; dup || dups[k.KeyID] {
			// Two keys under one kid make the choice ambiguous: use neither.
			skip("duplicate kid")
			delete(out, k.KeyID)
			dups[k.KeyID] = true
			continue
		}
		out[k.KeyID] = vk
	}
	return out, nil
}
