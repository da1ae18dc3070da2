package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/guildhall/guildhall/pkg/errs"
)

func TestJWKSVerifierTokenTable(t *testing.T) {
	t.Parallel()
	rsaK, ecK, otherEC := rsaKey(t), ecKey(t), ecKey(t)
	srv := newJWKSServer(t, pubJWK(t, rsaK, "rsa-1", "RS256"), pubJWK(t, ecK, "ec-1", "ES256"))
	clock := newFakeClock()
	logs := &logBuffer{}
	v := newTestVerifier(t, srv, clock, debugLogger(logs))
	now := clock.Now()

	mod := func(f func(*Claims)) Claims {
		c := goodClaims(now)
		f(&c)
		return c
	}
	rsaPubPEM := func() []byte {
		der, err := x509.MarshalPKIXPublicKey(&rsaK.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}()
	tampered := func() string {
		tok := sign(t, jwt.SigningMethodES256, ecK, "ec-1", goodClaims(now))
		parts := strings.Split(tok, ".")
		c := goodClaims(now)
		c.Role, c.Districts = RoleHQAdmin, nil
		payload, err := jwt.NewWithClaims(jwt.SigningMethodES256, c).SigningString()
		if err != nil {
			t.Fatal(err)
		}
		// Keep the original header and signature, swap in the new payload.
		return parts[0] + "." + strings.Split(payload, ".")[1] + "." + parts[2]
	}()
	noneTok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "ec-1", goodClaims(now))

	tests := []struct {
		name  string
		token string
		want  *errs.Error // nil: accepted
	}{
		{"a good RS256 token is accepted", sign(t, jwt.SigningMethodRS256, rsaK, "rsa-1", goodClaims(now)), nil},
		{"a good ES256 token is accepted", sign(t, jwt.SigningMethodES256, ecK, "ec-1", goodClaims(now)), nil},
		{"a token expired 10s ago is within the 30s leeway", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-10 * time.Second))
		})), nil},
		{"an expired token is token_expired", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-2 * time.Minute))
		})), ErrTokenExpired},
		{"a token not yet valid is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) {
			c.NotBefore = jwt.NewNumericDate(now.Add(2 * time.Minute))
		})), ErrTokenInvalid},
		{"a token issued in the future is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(2 * time.Minute))
		})), ErrTokenInvalid},
		{"a token without exp is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) {
			c.ExpiresAt = nil
		})), ErrTokenInvalid},
		{"a token from another issuer is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) {
			c.Issuer = "https://evil.example.test"
		})), ErrTokenInvalid},
		{"a token for another audience is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) {
			c.Audience = jwt.ClaimStrings{"another-api"}
		})), ErrTokenInvalid},
		{"a token signed by another key under a known kid is invalid", sign(t, jwt.SigningMethodES256, otherEC, "ec-1", goodClaims(now)), ErrTokenInvalid},
		{"an alg none token is invalid", noneTok, ErrTokenInvalid},
		{"an HS256 token keyed with the RSA public key is invalid", sign(t, jwt.SigningMethodHS256, rsaPubPEM, "rsa-1", goodClaims(now)), ErrTokenInvalid},
		{"an ES384 token is invalid", sign(t, jwt.SigningMethodES384, ecKey384(t), "ec-1", goodClaims(now)), ErrTokenInvalid},
		{"an RS256 token naming the EC key's kid is invalid", sign(t, jwt.SigningMethodRS256, rsaK, "ec-1", goodClaims(now)), ErrTokenInvalid},
		{"a token whose claims were changed after signing is invalid", tampered, ErrTokenInvalid},
		{"a token without kid is invalid", sign(t, jwt.SigningMethodES256, ecK, "", goodClaims(now)), ErrTokenInvalid},
		{"a token without sub is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) { c.Subject = "" })), ErrTokenInvalid},
		{"a token without role is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) { c.Role = "" })), ErrTokenInvalid},
		{"a token with an unknown role is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) { c.Role = "root" })), ErrTokenInvalid},
		{"a district-admin without districts is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) { c.Districts = nil })), ErrTokenInvalid},
		{"a guard without guard id is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) {
			c.Role, c.Company = RoleGuard, "co-1"
		})), ErrTokenInvalid},
		{"an hq-admin with a district scope is invalid", sign(t, jwt.SigningMethodES256, ecK, "ec-1", mod(func(c *Claims) { c.Role = RoleHQAdmin })), ErrTokenInvalid},
		{"garbage is invalid", "not-a-jwt", ErrTokenInvalid},
		{"an empty token is missing", "", ErrTokenMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tc.token)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				want := Principal{Subject: "user-1", Role: RoleDistrictAdmin, Districts: []string{"jingkai"}}
				if !reflect.DeepEqual(p, want) {
					t.Fatalf("principal = %+v, want %+v", p, want)
				}
				return
			}
			wantAuthErr(t, err, tc.want, http.StatusUnauthorized, tc.token)
			if p.Role != "" || p.Subject != "" {
				t.Fatalf("a rejected token still yielded %+v", p)
			}
		})
	}
	for _, tc := range tests {
		if sig := tc.token[strings.LastIndex(tc.token, ".")+1:]; len(sig) > 8 && strings.Contains(logs.String(), sig) {
			t.Fatalf("the logs contain a token (%s)", tc.name)
		}
	}
	if !strings.Contains(logs.String(), "token rejected") {
		t.Fatal("rejections were not logged at debug level")
	}
}

func ecKey384(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestJWKSVerifierUnknownKidRefreshesOnceThenRateLimits(t *testing.T) {
	t.Parallel()
	ecK, stranger := ecKey(t), ecKey(t)
	srv := newJWKSServer(t, pubJWK(t, ecK, "ec-1", "ES256"))
	clock := newFakeClock()
	v := newTestVerifier(t, srv, clock, nil)
	ctx := context.Background()

	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodES256, ecK, "ec-1", goodClaims(clock.Now()))); err != nil {
		t.Fatalf("good token: %v", err)
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("fetches after first token = %d, want 1", n)
	}
	clock.Advance(MinRefreshGap + time.Second)
	unknown := sign(t, jwt.SigningMethodES256, stranger, "ghost", goodClaims(clock.Now()))
	_, err := v.Verify(ctx, unknown)
	wantAuthErr(t, err, ErrTokenInvalid, http.StatusUnauthorized, unknown)
	if !errors.Is(err, errUnknownKID) {
		t.Fatalf("cause = %v, want unknown kid", err)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("fetches after unknown kid = %d, want 2 (one on-demand refresh)", n)
	}
	for range 20 {
		_, err := v.Verify(ctx, unknown)
		wantAuthErr(t, err, ErrTokenInvalid, http.StatusUnauthorized, unknown)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("fetches after 20 more unknown kids within 10s = %d, want still 2", n)
	}
}

func TestJWKSVerifierKeyRotation(t *testing.T) {
	t.Parallel()
	oldK, newK := ecKey(t), rsaKey(t)
	srv := newJWKSServer(t, pubJWK(t, oldK, "k-2025", "ES256"))
	clock := newFakeClock()
	v := newTestVerifier(t, srv, clock, nil)
	ctx := context.Background()
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodES256, oldK, "k-2025", goodClaims(clock.Now()))); err != nil {
		t.Fatalf("old key: %v", err)
	}
	srv.setKeys(t, pubJWK(t, oldK, "k-2025", "ES256"), pubJWK(t, newK, "k-2026", "RS256"))
	clock.Advance(MinRefreshGap)
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, newK, "k-2026", goodClaims(clock.Now()))); err != nil {
		t.Fatalf("a token under the new kid was refused after rotation: %v", err)
	}
	// The issuer retires the old key: once the set is refetched, the old
	// kid is unknown.
	srv.setKeys(t, pubJWK(t, newK, "k-2026", "RS256"))
	clock.Advance(time.Hour)
	old := sign(t, jwt.SigningMethodES256, oldK, "k-2025", goodClaims(clock.Now()))
	_, err := v.Verify(ctx, old)
	wantAuthErr(t, err, ErrTokenInvalid, http.StatusUnauthorized, old)
}

func TestJWKSVerifierKeepsCachedKeysWhenJWKSIsDown(t *testing.T) {
	t.Parallel()
	ecK := ecKey(t)
	srv := newJWKSServer(t, pubJWK(t, ecK, "ec-1", "ES256"))
	clock := newFakeClock()
	logs := &logBuffer{}
	v := newTestVerifier(t, srv, clock, debugLogger(logs))
	ctx := context.Background()
	if err := v.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	srv.down.Store(true)
	// Stale: the next token triggers a refetch, which fails.
	clock.Advance(2 * time.Hour)
	before := srv.fetches.Load()
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodES256, ecK, "ec-1", goodClaims(clock.Now()))); err != nil {
		t.Fatalf("cached key stopped working while the JWKS is down: %v", err)
	}
	if srv.fetches.Load() == before {
		t.Fatal("a stale key set was not refetched")
	}
	if !strings.Contains(logs.String(), "JWKS refresh failed") {
		t.Fatal("the failed refresh was not logged")
	}
	if err := v.Refresh(ctx); err == nil {
		t.Fatal("Refresh against a down server returned nil")
	}
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodES256, ecK, "ec-1", goodClaims(clock.Now()))); err != nil {
		t.Fatalf("a failed Refresh dropped the cached keys: %v", err)
	}
}

func TestJWKSVerifierNeverReachedIsInvalid(t *testing.T) {
	t.Parallel()
	ecK := ecKey(t)
	srv := newJWKSServer(t, pubJWK(t, ecK, "ec-1", "ES256"))
	srv.down.Store(true)
	v := newTestVerifier(t, srv, newFakeClock(), nil)
	tok := sign(t, jwt.SigningMethodES256, ecK, "ec-1", goodClaims(time.Now()))
	_, err := v.Verify(context.Background(), tok)
	wantAuthErr(t, err, ErrTokenInvalid, http.StatusUnauthorized, tok)
}

func TestJWKSVerifierRunRefreshesUntilCanceled(t *testing.T) {
	t.Parallel()
	ecK := ecKey(t)
	srv := newJWKSServer(t, pubJWK(t, ecK, "ec-1", "ES256"))
	v := newTestVerifier(t, srv, newFakeClock(), nil)
	v.refreshInterval = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for srv.fetches.Load() < 3 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("Run fetched %d times in 5s, want ≥3", srv.fetches.Load())
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, ok := v.keys.Load().byKID["ec-1"]; !ok {
		t.Fatal("Run did not load the keys")
	}
}

func TestParseJWKSSkipsUnusableKeys(t *testing.T) {
	t.Parallel()
	ecK, rsaK := ecKey(t), rsaKey(t)
	good := []jose.JSONWebKey{pubJWK(t, ecK, "ec", "ES256"), pubJWK(t, rsaK, "rsa", "RS256")}
	enc := pubJWK(t, rsaK, "enc", "")
	enc.Use = "enc"
	noKid := pubJWK(t, ecK, "", "ES256")
	wrongAlg := pubJWK(t, rsaK, "rsa-ps", "PS256")
	dup1, dup2 := pubJWK(t, ecK, "dup", "ES256"), pubJWK(t, rsaK, "dup", "RS256")
	set, err := jsonMarshal(jose.JSONWebKeySet{Keys: append(good, enc, noKid, wrongAlg, dup1, dup2)})
	if err != nil {
		t.Fatal(err)
	}
	// An unknown key type must not spoil the whole set.
	set = strings.Replace(set, `{"keys":[`, `{"keys":[{"kty":"XYZ","kid":"odd"},{"kty":"oct","kid":"hmac","k":"c2VjcmV0"},`, 1)
	keys, err := parseJWKS([]byte(set), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for kid, k := range keys {
		got = append(got, kid+"="+k.alg)
	}
	want := map[string]string{"ec": "ES256", "rsa": "RS256"}
	if len(keys) != len(want) {
		t.Fatalf("keys = %v, want %v", got, want)
	}
	for kid, alg := range want {
		if keys[kid].alg != alg {
			t.Fatalf("keys = %v, want %v", got, want)
		}
	}
	if _, err := parseJWKS([]byte(`{"nokeys":1}`), discardLogger()); !errors.Is(err, errJWKSNoKeys) {
		t.Fatalf("document without keys: %v", err)
	}
	if _, err := parseJWKS([]byte(`[`), discardLogger()); err == nil {
		t.Fatal("malformed document accepted")
	}
}

func TestOIDCConfigFlagsAndValidate(t *testing.T) {
	t.Parallel()
	var c OIDCConfig
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.RegisterFlags("", fs)
	if c.Enabled() {
		t.Fatal("empty config reports Enabled")
	}
	if err := fs.Parse([]string{"-auth.oidc.issuer=" + testIssuer, "-auth.oidc.audience=" + testAudience,
		"-auth.oidc.jwks-url=https://id.example.test/jwks"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if c.RefreshInterval != DefaultRefreshInterval || !c.Enabled() {
		t.Fatalf("config = %+v", c)
	}
	tests := []struct {
		name string
		mod  func(*OIDCConfig)
		want error
	}{
		{"no issuer", func(c *OIDCConfig) { c.Issuer = "" }, ErrOIDCIssuer},
		{"no audience", func(c *OIDCConfig) { c.Audience = "" }, ErrOIDCAudience},
		{"no JWKS URL", func(c *OIDCConfig) { c.JWKSURL = "" }, ErrOIDCJWKSURL},
		{"plain http to a remote host", func(c *OIDCConfig) { c.JWKSURL = "http://id.example.test/jwks" }, ErrOIDCJWKSURL},
		{"a file URL", func(c *OIDCConfig) { c.JWKSURL = "file:///etc/jwks" }, ErrOIDCJWKSURL},
		{"a refresh interval below 10s", func(c *OIDCConfig) { c.RefreshInterval = time.Second }, ErrOIDCRefresh},
		{"plain http to loopback is fine", func(c *OIDCConfig) { c.JWKSURL = "http://127.0.0.1:8080/jwks" }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cc := c
			tc.mod(&cc)
			if err := cc.Validate(); !errors.Is(err, tc.want) {
				t.Fatalf("Validate = %v, want %v", err, tc.want)
			}
			if _, err := NewJWKSVerifier(cc, nil, nil); !errors.Is(err, tc.want) {
				t.Fatalf("NewJWKSVerifier = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPrincipalValidate(t *testing.T) {
	t.Parallel()
	ok := []Principal{
		{Role: RoleHQAdmin},
		{Role: RoleOps},
		{Role: RoleDistrictAdmin, Districts: []string{"jingkai", "caidian"}},
		{Role: RolePolice},
		{Role: RolePolice, Districts: []string{"jingkai"}},
		{Role: RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1"},
		{Role: RoleGuard, Districts: []string{"jingkai"}, Company: "c1", Guard: "g1"},
	}
	for _, p := range ok {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	bad := []Principal{
		{},
		{Role: "superuser"},
		{Role: RoleHQAdmin, Districts: []string{"jingkai"}},
		{Role: RoleOps, Company: "c1"},
		{Role: RoleDistrictAdmin},
		{Role: RoleDistrictAdmin, Districts: []string{""}},
		{Role: RoleDistrictAdmin, Districts: []string{"jingkai"}, Company: "c1"},
		{Role: RolePolice, Guard: "g1"},
		{Role: RoleCompanyAdmin, Districts: []string{"jingkai"}},
		{Role: RoleCompanyAdmin, Districts: []string{"jingkai", "caidian"}, Company: "c1"},
		{Role: RoleCompanyAdmin, Districts: []string{"jingkai"}, Company: "c1", Guard: "g1"},
		{Role: RoleGuard, Districts: []string{"jingkai"}, Company: "c1"},
		{Role: RoleGuard, Company: "c1", Guard: "g1"},
	}
	for _, p := range bad {
		err := p.Validate()
		if !errors.Is(err, ErrScopeMismatch) && !errors.Is(err, ErrUnknownRole) {
			t.Errorf("%+v: Validate = %v, want a mismatch", p, err)
		}
	}
}

func TestBearerHeaderParsing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header []string
		token  string
		err    bool
	}{
		{"no header", nil, "", false},
		{"bearer", []string{"Bearer abc.def.ghi"}, "abc.def.ghi", false},
		{"lower-case scheme", []string{"bearer abc"}, "abc", false},
		{"basic", []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))}, "", true},
		{"scheme only", []string{"Bearer"}, "", true},
		{"empty token", []string{"Bearer   "}, "", true},
		{"two headers", []string{"Bearer a", "Bearer b"}, "", true},
	}
	for _, tc := range tests {
		h := http.Header{}
		for _, v := range tc.header {
			h.Add("Authorization", v)
		}
		tok, err := bearer(h)
		if tok != tc.token || (err != nil) != tc.err {
			t.Errorf("%s: bearer = %q, %v", tc.name, tok, err)
		}
	}
}

func TestVerifiedTokensAreReusedOnlyWhileTheirKeyAndTimeLast(t *testing.T) {
	t.Parallel()
	oldK, newK := ecKey(t), ecKey(t)
	srv := newJWKSServer(t, pubJWK(t, oldK, "k-old", "ES256"))
	clock := newFakeClock()
	v := newTestVerifier(t, srv, clock, nil)
	ctx := context.Background()
	claims := goodClaims(clock.Now())
	tok := sign(t, jwt.SigningMethodES256, oldK, "k-old", claims)
	first, err := v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	again, err := v.Verify(ctx, tok)
	if err != nil || again.Subject != first.Subject || again.Role != first.Role {
		t.Fatalf("a verified token was not accepted again: %+v %v", again, err)
	}
	// A token that differs in its signature is not the cached one. (Change
	// a character well inside the signature: the last base64 character
	// also holds padding bits a lenient decoder ignores.)
	i := len(tok) - 10
	swap := byte('A')
	if tok[i] == 'A' {
		swap = 'B'
	}
	if _, err := v.Verify(ctx, tok[:i]+string(swap)+tok[i+1:]); err == nil {
		t.Fatal("a token with a changed signature was accepted")
	}
	// Retiring the key ends its cached tokens as soon as the set is refetched.
	srv.setKeys(t, pubJWK(t, newK, "k-new", "ES256"))
	clock.Advance(MinRefreshGap)
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodES256, newK, "k-new", goodClaims(clock.Now()))); err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(ctx, tok)
	wantAuthErr(t, err, ErrTokenInvalid, http.StatusUnauthorized, tok)
}

func TestAnExpiredTokenIsNotServedFromTheCache(t *testing.T) {
	t.Parallel()
	k := ecKey(t)
	srv := newJWKSServer(t, pubJWK(t, k, "k1", "ES256"))
	clock := newFakeClock()
	v := newTestVerifier(t, srv, clock, nil)
	ctx := context.Background()
	c := goodClaims(clock.Now())
	c.ExpiresAt = jwt.NewNumericDate(clock.Now().Add(40 * time.Second))
	tok := sign(t, jwt.SigningMethodES256, k, "k1", c)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	clock.Advance(40*time.Second + ClockLeeway + time.Second)
	_, err := v.Verify(ctx, tok)
	wantAuthErr(t, err, ErrTokenExpired, http.StatusUnauthorized, tok)
}
