package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// SealKeyLen is the length of a sealing key in bytes: AES-256.
const SealKeyLen = 32

// DefaultKeyID is the key id ParseKeyring gives a key line that names none,
// the form of a key file holding one generated hex key.
const DefaultKeyID = "k1"

// maxKeyIDLen bounds a key id; it is stored in front of every sealed value.
const maxKeyIDLen = 32

// sealAADPrefix versions the additional data, so a future format cannot be
// confused with this one.
const sealAADPrefix = "guildhall/pii/v1:"

// Errors of Sealer and ParseKeyring. None of them ever carries key material
// or plaintext.
var (
	// ErrSealedMalformed reports a value that is not "<kid>:<base64>".
	ErrSealedMalformed = errors.New("pii: sealed value is malformed")
	// ErrUnknownKeyID reports a value sealed with a key the keyring lacks.
	ErrUnknownKeyID = errors.New("pii: sealed with an unknown key id")
	// ErrSealedTampered reports a value whose authentication failed: it was
	// changed, re-labelled to another key id, or sealed with another key
	// under the same id.
	ErrSealedTampered = errors.New("pii: sealed value failed authentication")
	// ErrBadKeyring reports an unusable keyring.
	ErrBadKeyring = errors.New("pii: bad sealing keyring")
)

// Sealer encrypts personal data at rest with AES-256-GCM under a keyring of
// named keys, so keys can rotate: Seal always uses the current key and
// writes its id in front of the value; Open picks the key by that id, so
// values sealed with an older key still open until they are re-sealed
// (NeedsRotation tells which). The key id is also bound as additional data:
// a value re-labelled to another id fails to open. A Sealer is safe for
// concurrent use.
type Sealer struct {
	aeads   map[string]cipher.AEAD
	current string
}

// NewSealer returns a Sealer over keys (key id → 32-byte key; the keys are
// copied into the ciphers) that seals with keys[current]. Key ids are 1 to
// 32 characters of letters, digits, '.', '_' and '-'.
func NewSealer(keys map[string][]byte, current string) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrBadKeyring)
	}
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("%w: the current key id %q is not in the keyring", ErrBadKeyring, current)
	}
	s := &Sealer{aeads: make(map[string]cipher.AEAD, len(keys)), current: current}
	for kid, key := range keys {
		if !validKeyID(kid) {
			return nil, fmt.Errorf("%w: key id %q must be 1 to %d letters, digits, '.', '_' or '-'", ErrBadKeyring, kid, maxKeyIDLen)
		}
		if len(key) != SealKeyLen {
			return nil, fmt.Errorf("%w: key %q is %d bytes, need %d", ErrBadKeyring, kid, len(key), SealKeyLen)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrBadKeyring, kid, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrBadKeyring, kid, err)
		}
		s.aeads[kid] = aead
	}
	return s, nil
}

func validKeyID(kid string) bool {
	if kid == "" || len(kid) > maxKeyIDLen {
		return false
	}
	for _, r := range kid {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// CurrentKeyID is the id of the key Seal uses.
func (s *Sealer) CurrentKeyID() string { return s.current }

// Seal encrypts plaintext with the current key and returns
// "<kid>:<base64(nonce|ciphertext)>" (standard base64, no padding). Each
// call draws a fresh random nonce, so equal plaintexts seal differently:
// sealed values reveal nothing, not even equality (lookups use Hasher).
func (s *Sealer) Seal(plaintext string) (string, error) {
	aead := s.aeads[s.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("pii: seal: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(plaintext), aad(s.current))
	return s.current + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value from Seal with the key its id names.
func (s *Sealer) Open(sealed string) (string, error) {
	kid, body, ok := strings.Cut(sealed, ":")
	if !ok || !validKeyID(kid) {
		return "", ErrSealedMalformed
	}
	aead, ok := s.aeads[kid]
	if !ok {
		return "", fmt.Errorf("%w %q", ErrUnknownKeyID, kid)
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", ErrSealedMalformed
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, raw[:n], raw[n:], aad(kid))
	if err != nil {
		return "", ErrSealedTampered
	}
	return string(plain), nil
}

// NeedsRotation reports whether sealed names a key other than the current
// one and should be re-sealed (Open, then Seal). A value that is not
// "<kid>:…" at all reports false: rotation cannot fix it, and Open says why.
func (s *Sealer) NeedsRotation(sealed string) bool {
	kid, _, ok := strings.Cut(sealed, ":")
	return ok && validKeyID(kid) && kid != s.current
}

func aad(kid string) []byte { return []byte(sealAADPrefix + kid) }

// ParseKeyring reads a sealing key file and returns its Sealer. The format,
// one entry per line (blank lines and lines starting with '#' are ignored):
//
//	<kid>:<64 hex digits>   a key named kid
//	<64 hex digits>         a key named DefaultKeyID ("k1"), the form a
//	                        generated single-key file has
//	current=<kid>           the key Seal uses (at most one such line)
//
// Without a current= line the first key is current. To rotate: add the new
// key on every replica first (it then opens the new key's values), then
// point current= at it (or put it first); keep the old key until every
// stored value has been re-sealed.
func ParseKeyring(text string) (*Sealer, error) {
	keys := map[string][]byte{}
	current, first := "", ""
	sawCurrent := false
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if kid, ok := strings.CutPrefix(line, "current="); ok {
			if sawCurrent {
				return nil, fmt.Errorf("%w: line %d: a second current= line", ErrBadKeyring, i+1)
			}
			sawCurrent, current = true, strings.TrimSpace(kid)
			if current == "" {
				return nil, fmt.Errorf("%w: line %d: current= names no key", ErrBadKeyring, i+1)
			}
			continue
		}
		kid, hexKey, ok := strings.Cut(line, ":")
		if !ok {
			kid, hexKey = DefaultKeyID, line
		}
		kid, hexKey = strings.TrimSpace(kid), strings.TrimSpace(hexKey)
		if _, dup := keys[kid]; dup {
			return nil, fmt.Errorf("%w: line %d: key id %q appears twice", ErrBadKeyring, i+1, kid)
		}
		key, err := hex.DecodeString(hexKey)
		if err != nil {
			// The error would quote the key's bytes; never print them.
			return nil, fmt.Errorf("%w: line %d: the key of %q is not hex", ErrBadKeyring, i+1, kid)
		}
		keys[kid] = key
		if first == "" {
			first = kid
		}
	}
	if !sawCurrent {
		current = first
	}
	return NewSealer(keys, current)
}
