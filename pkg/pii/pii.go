// Package pii handles the personal data that must not leave a district in
// clear: the keyed hash that stands in for a resident id number outside its
// district, and the masked form shown to people who may see that a number
// exists but not what it is.
package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/guildhall/guildhall/pkg/idcheck"
)

// MinKeyLen is the shortest HMAC key NewHasher accepts, in bytes.
const MinKeyLen = 16

// Hasher computes the keyed hash of a national ID number: HMAC-SHA256 with a
// city-wide key, hex; the value that leaves a district instead of the number.
// Every district uses the same key so HQ can tell that two districts employ
// the same person without learning the number. A Hasher is safe for
// concurrent use.
type Hasher struct {
	key []byte
}

// NewHasher returns a Hasher keyed with a copy of key, which must be at least
// MinKeyLen bytes: a short key would let anyone who knows the id format
// brute-force the hash back to a number.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("pii: hash key is %d bytes, need at least %d", len(key), MinKeyLen)
	}
	return &Hasher{key: append([]byte(nil), key...)}, nil
}

// Hash returns the lower-case hex HMAC-SHA256 of the normalised resident id
// (idcheck.NormalizeResidentID), so "…002x" and "…002X " hash alike.
func (h *Hasher) Hash(residentID string) string {
	// A fresh MAC per call keeps Hasher free of shared mutable state.
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(idcheck.NormalizeResidentID(residentID)))
	return hex.EncodeToString(m.Sum(nil))
}

// Equal reports in constant time whether a hash from Hash belongs to
// residentID.
func (h *Hasher) Equal(hash, residentID string) bool {
	return hmac.Equal([]byte(hash), []byte(h.Hash(residentID)))
}

// MaskResidentID returns id with all but its first three and last three
// characters replaced by '*' ("420************123" for an 18-character id),
// after idcheck.NormalizeResidentID. Ids of 6 characters or fewer are fully
// masked, so a short or malformed value never shows through whole.
func MaskResidentID(id string) string {
	r := []rune(idcheck.NormalizeResidentID(id))
	if len(r) <= 6 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-6) + string(r[len(r)-3:])
}
