package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// LocalKeyFile is the name of the standalone issuer's signing key in its
// directory: a PKCS#8 PEM block with a "Kid" header, mode 0600.
const LocalKeyFile = "jwt-signing-key.pem"

// localKeyRefresh is how often the local verifier "refetches" its static
// key set; it is an in-memory copy, so the value only needs to be valid.
const localKeyRefresh = 24 * time.Hour

// Sentinel errors of NewLocalIssuer and Issue.
var (
	// ErrLocalIssuerConfig means issuer or audience is empty or ttl is not
	// positive.
	ErrLocalIssuerConfig = errors.New("auth: local issuer needs an issuer, an audience and a positive ttl")
	// ErrKeyFilePerm means the key file is readable by group or others.
	ErrKeyFilePerm = errors.New("auth: signing key file must not be readable by group or others (chmod 0600)")
	// ErrKeyFileInvalid means the key file is not an ES256 (P-256) PKCS#8 key.
	ErrKeyFileInvalid = errors.New("auth: signing key file is not a P-256 PKCS#8 private key")
	// ErrNoSubject means Issue was given a principal without a subject.
	ErrNoSubject = errors.New("auth: a token needs a subject")
)

// LocalIssuer is the standalone binary's own token issuer: an ES256 key
// generated on first start and kept in a directory, tokens signed with it,
// and a Verifier that checks them through the same JWKSVerifier code path a
// production service uses against an external issuer.
type LocalIssuer struct {
	issuer, audience string
	ttl              time.Duration
	kid              string
	key              *ecdsa.PrivateKey
	jwks             []byte
	verifier         *JWKSVerifier
	now              func() time.Time
}

// NewLocalIssuer loads the signing key from dir, or generates and stores it
// (0600) when there is none, and returns an issuer of tokens with the given
// iss and aud, valid for ttl. Two processes starting at once on an empty dir
// end up with the same key: the file is created by a hard link that fails
// if the other one won.
func NewLocalIssuer(dir string, issuer, audience string, ttl time.Duration) (*LocalIssuer, error) {
	if issuer == "" || audience == "" || ttl <= 0 {
		return nil, ErrLocalIssuerConfig
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: key dir: %w", err)
	}
	key, kid, err := loadOrCreateKey(filepath.Join(dir, LocalKeyFile))
	if err != nil {
		return nil, err
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: algES256, Use: "sig"}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	if err != nil {
		return nil, fmt.Errorf("auth: encode JWKS: %w", err)
	}
	l := &LocalIssuer{issuer: issuer, audience: audience, ttl: ttl, kid: kid, key: key, jwks: jwks, now: time.Now}
	l.verifier = newJWKSVerifier(issuer, audience, localKeyRefresh, func(context.Context) ([]byte, error) {
		return l.jwks, nil
	}, nil)
	return l, nil
}

// KeyID returns the kid of the signing key.
func (l *LocalIssuer) KeyID() string { return l.kid }

// Issue signs a token for p, which must have a subject and a role and scope
// that pass Principal.Validate. It returns the token and when it expires.
func (l *LocalIssuer) Issue(p Principal) (token string, expires time.Time, err error) {
	if p.Subject == "" {
		return "", time.Time{}, ErrNoSubject
	}
	if err := p.Validate(); err != nil {
		return "", time.Time{}, err
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: token id: %w", err)
	}
	// Second precision: JWT times are whole seconds, and the reported expiry
	// should be exactly the exp the token carries.
	now := l.now().Truncate(time.Second)
	expires = now.Add(l.ttl)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   p.Subject,
			Issuer:    l.issuer,
			Audience:  jwt.ClaimStrings{l.audience},
			ExpiresAt: jwt.NewNumericDate(expires),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		},
		Role:      p.Role,
		Districts: p.Districts,
		Company:   p.Company,
		Guard:     p.Guard,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = l.kid
	token, err = t.SignedString(l.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return token, expires, nil
}

// Verifier returns the verifier of this issuer's tokens: a JWKSVerifier
// over the in-memory key set.
func (l *LocalIssuer) Verifier() Verifier { return l.verifier }

// JWKS returns the public key set as a JSON Web Key Set document, to be
// served at /api/v1/auth/jwks.json. The caller must not modify it.
func (l *LocalIssuer) JWKS() []byte { return l.jwks }

// loadOrCreateKey reads the key at path, creating it first if absent.
func loadOrCreateKey(path string) (*ecdsa.PrivateKey, string, error) {
	key, kid, err := readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, kid, err
	}
	if err := createKey(path); err != nil {
		return nil, "", err
	}
	return readKey(path)
}

func readKey(path string) (*ecdsa.PrivateKey, string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, "", fmt.Errorf("%w: %s is %v", ErrKeyFilePerm, path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("auth: read signing key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, "", ErrKeyFileInvalid
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrKeyFileInvalid, err)
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, "", ErrKeyFileInvalid
	}
	kid := block.Headers["Kid"]
	if kid == "" {
		if kid, err = thumbprint(&key.PublicKey); err != nil {
			return nil, "", err
		}
	}
	return key, kid, nil
}

// createKey writes a fresh P-256 key to a temporary file and hard-links it
// into place, so the key file appears complete or not at all and a
// concurrent creator's key is never overwritten.
func createKey(path string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("auth: generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("auth: encode signing key: %w", err)
	}
	kid, err := thumbprint(&key.PublicKey)
	if err != nil {
		return err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Kid": kid}, Bytes: der})
	tmp, err := os.CreateTemp(filepath.Dir(path), ".signing-key-*")
	if err != nil {
		return fmt.Errorf("auth: write signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp already uses 0600; Chmod makes it explicit and umask-proof.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: write signing key: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("auth: write signing key: %w", err)
	}
	return nil
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of pub, base64url: a kid
// that is stable for the key and says nothing else about it.
func thumbprint(pub *ecdsa.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("auth: key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}
