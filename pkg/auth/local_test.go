package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestLocalIssuerRoundTrip(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	l, err := NewLocalIssuer(dir, "guildhall-standalone", "guildhall", 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := Principal{Subject: "zhangwei", Role: RoleGuard, Districts: []string{"jingkai"}, Company: "c1", Guard: "g1"}
	before := time.Now()
	tok, exp, err := l.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	if d := exp.Sub(before); d < 12*time.Hour-2*time.Second || d > 12*time.Hour+time.Second {
		t.Fatalf("expires in %v, want 12h", d)
	}
	got, err := l.Verifier().Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("principal = %+v, want %+v", got, p)
	}

	// The token carries every claim the design lists, and exp == expires.
	var c Claims
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, &c)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["alg"] != "ES256" || parsed.Header["kid"] != l.KeyID() || l.KeyID() == "" {
		t.Fatalf("header = %v", parsed.Header)
	}
	if c.Issuer != "guildhall-standalone" || len(c.Audience) != 1 || c.Audience[0] != "guildhall" ||
		c.ID == "" || c.IssuedAt == nil || c.NotBefore == nil || !c.ExpiresAt.Equal(exp) {
		t.Fatalf("claims = %+v (expires %v)", c, exp)
	}
	tok2, _, err := l.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	var c2 Claims
	if _, _, err := jwt.NewParser().ParseUnverified(tok2, &c2); err != nil {
		t.Fatal(err)
	}
	if c2.ID == c.ID {
		t.Fatal("two tokens share a jti")
	}

	fi, err := os.Stat(filepath.Join(dir, LocalKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	data, err := os.ReadFile(filepath.Join(dir, LocalKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "Kid: "+l.KeyID()) || !strings.Contains(string(data), "BEGIN PRIVATE KEY") {
		t.Fatalf("key file is not a PKCS#8 PEM with a kid:\n%s", data)
	}
	if strings.Contains(string(l.JWKS()), `"d"`) {
		t.Fatal("the JWKS leaks the private key")
	}
}

func TestLocalIssuerKeepsItsKeyAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := NewLocalIssuer(dir, "iss", "aud", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := first.Issue(Principal{Subject: "admin", Role: RoleHQAdmin})
	if err != nil {
		t.Fatal(err)
	}
	second, err := NewLocalIssuer(dir, "iss", "aud", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if second.KeyID() != first.KeyID() {
		t.Fatalf("kid changed across restarts: %s → %s", first.KeyID(), second.KeyID())
	}
	if _, err := second.Verifier().Verify(context.Background(), tok); err != nil {
		t.Fatalf("a token from before the restart was refused: %v", err)
	}
	// Another data dir is another key: its tokens are strangers here.
	other, err := NewLocalIssuer(t.TempDir(), "iss", "aud", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _, err := other.Issue(Principal{Subject: "admin", Role: RoleHQAdmin})
	if err != nil {
		t.Fatal(err)
	}
	_, err = second.Verifier().Verify(context.Background(), foreign)
	wantAuthErr(t, err, ErrTokenInvalid, http.StatusUnauthorized, foreign)
}

func TestLocalIssuerConcurrentFirstStartAgreesOnOneKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 8
	kids := make([]string, n)
	errsOut := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			l, err := NewLocalIssuer(dir, "iss", "aud", time.Hour)
			if err == nil {
				kids[i] = l.KeyID()
			}
			errsOut[i] = err
		})
	}
	wg.Wait()
	for i := range n {
		if errsOut[i] != nil {
			t.Fatal(errsOut[i])
		}
		if kids[i] != kids[0] {
			t.Fatalf("concurrent starts made different keys: %v", kids)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("dir holds %d files, want only the key (temp files removed)", len(entries))
	}
}

func TestLocalIssuerRefusesBadInputs(t *testing.T) {
	t.Parallel()
	if _, err := NewLocalIssuer(t.TempDir(), "", "aud", time.Hour); !errors.Is(err, ErrLocalIssuerConfig) {
		t.Fatalf("no issuer: %v", err)
	}
	if _, err := NewLocalIssuer(t.TempDir(), "iss", "aud", 0); !errors.Is(err, ErrLocalIssuerConfig) {
		t.Fatalf("no ttl: %v", err)
	}
	dir := t.TempDir()
	if _, err := NewLocalIssuer(dir, "iss", "aud", time.Hour); err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, LocalKeyFile)
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLocalIssuer(dir, "iss", "aud", time.Hour); !errors.Is(err, ErrKeyFilePerm) {
		t.Fatalf("world-readable key: %v", err)
	}
	if err := os.WriteFile(keyPath, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyPath, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLocalIssuer(dir, "iss", "aud", time.Hour); !errors.Is(err, ErrKeyFileInvalid) {
		t.Fatalf("garbage key: %v", err)
	}

	l, err := NewLocalIssuer(t.TempDir(), "iss", "aud", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Issue(Principal{Role: RoleHQAdmin}); !errors.Is(err, ErrNoSubject) {
		t.Fatalf("no subject: %v", err)
	}
	if _, _, err := l.Issue(Principal{Subject: "x", Role: RoleCompanyAdmin, Districts: []string{"jingkai"}}); !errors.Is(err, ErrScopeMismatch) {
		t.Fatalf("company-admin without company: %v", err)
	}
}

// The local issuer's JWKS, served over HTTP, verifies its tokens through
// NewJWKSVerifier exactly as a production service would.
func TestLocalIssuerJWKSVerifiesThroughTheProductionPath(t *testing.T) {
	t.Parallel()
	l, err := NewLocalIssuer(t.TempDir(), testIssuer, testAudience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(l.JWKS())
	}))
	t.Cleanup(srv.Close)
	v, err := NewJWKSVerifier(OIDCConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL, RefreshInterval: time.Minute}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := Principal{Subject: "li", Role: RolePolice, Districts: []string{"caidian"}}
	tok, _, err := l.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("principal = %+v, want %+v", got, p)
	}
	// An expired local token is refused the same way.
	l.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	old, _, err := l.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Verifier().Verify(context.Background(), old)
	wantAuthErr(t, err, ErrTokenExpired, http.StatusUnauthorized, old)
}
