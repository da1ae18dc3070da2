package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/guildhall/guildhall/pkg/errs"
)

const (
	testIssuer   = "https://id.example.test/realms/guildhall"
	testAudience = "guildhall-api"
)

// fakeClock is a settable clock shared by a verifier under test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// jwksServer serves a JWKS that tests can change or take down, counting
// fetches.
type jwksServer struct {
	*httptest.Server
	body    atomic.Pointer[[]byte]
	down    atomic.Bool
	fetches atomic.Int64
}

func newJWKSServer(t *testing.T, keys ...jose.JSONWebKey) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.setKeys(t, keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		if s.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(*s.body.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(t *testing.T, keys ...jose.JSONWebKey) {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	s.body.Store(&b)
}

func pubJWK(t *testing.T, key any, kid, alg string) jose.JSONWebKey {
	t.Helper()
	var pub any
	switch k := key.(type) {
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	case *ecdsa.PrivateKey:
		pub = &k.PublicKey
	default:
		t.Fatalf("unexpected key type %T", key)
	}
	return jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}
}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// goodClaims are valid claims for a district-admin of jingkai, around now.
func goodClaims(now time.Time) Claims {
	return Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   "user-1",
			Issuer:    testIssuer,
			Audience:  jwt.ClaimStrings{testAudience},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ID:        "jti-1",
		},
		Role:      RoleDistrictAdmin,
		Districts: []string{"jingkai"},
	}
}

func sign(t testing.TB, m jwt.SigningMethod, key any, kid string, c jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newTestVerifier builds a JWKSVerifier against srv on clock.
func newTestVerifier(t *testing.T, srv *jwksServer, clock *fakeClock, logger *slog.Logger) *JWKSVerifier {
	t.Helper()
	v, err := NewJWKSVerifier(OIDCConfig{
		Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL, RefreshInterval: time.Hour,
	}, srv.Client(), logger)
	if err != nil {
		t.Fatal(err)
	}
	v.now = clock.Now
	return v
}

// wantAuthErr fails unless err is want, maps to status and never mentions
// the raw token.
func wantAuthErr(t *testing.T, err error, want *errs.Error, status int, raw string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %s", err, want.ID)
	}
	gotStatus, body := errs.HTTP(err)
	if gotStatus != status || body.Error.ID != want.ID {
		t.Fatalf("HTTP = %d %s, want %d %s", gotStatus, body.Error.ID, status, want.ID)
	}
	if raw != "" {
		sig := raw[strings.LastIndex(raw, ".")+1:]
		if len(sig) > 8 && (strings.Contains(err.Error(), sig) || strings.Contains(body.Error.Message, sig)) {
			t.Fatalf("error echoes the token: %v", err)
		}
	}
}

// logBuffer is a concurrency-safe log sink for asserting what was logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func debugLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
