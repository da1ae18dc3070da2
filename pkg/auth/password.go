package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of new hashes: OWASP's recommended minimum (19 MiB,
// 2 passes, 1 lane). The memory cost is per concurrent login, so it is kept
// moderate; brute force is held back by LoginLimiter, not by a costlier hash.
// Stored hashes carry their own parameters, so these can be raised later
// without invalidating existing passwords.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
)

// Upper bounds on the parameters CheckPassword accepts from a stored hash,
// so a corrupted or planted row cannot make one login allocate gigabytes.
const (
	maxArgonMemoryKiB = 256 * 1024
	maxArgonTime      = 16
	maxArgonThreads   = 16
)

// ErrPasswordEmpty is returned by HashPassword for an empty password.
var ErrPasswordEmpty = errors.New("auth: password is empty")

// HashPassword returns an argon2id hash of pw in the PHC string format,
// $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>, with a random 16-byte salt.
func HashPassword(pw string) (string, error) {
	if pw == "" {
		return "", ErrPasswordEmpty
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemoryKiB, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash (from HashPassword). The
// comparison is constant-time; a malformed hash or out-of-bounds parameters
// never match.
func CheckPassword(hash, pw string) bool {
	ph, ok := parsePHC(hash)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(pw), ph.salt, ph.time, ph.memory, ph.threads, uint32(len(ph.key)))
	return subtle.ConstantTimeCompare(got, ph.key) == 1
}

type phc struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parsePHC(s string) (phc, bool) {
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phc{}, false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return phc{}, false
	}
	var p phc
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &threads); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, threads) != parts[3] {
		// The round trip refuses trailing junk Sscanf would let through.
		return phc{}, false
	}
	if p.memory < 8 || p.memory > maxArgonMemoryKiB || p.time < 1 || p.time > maxArgonTime ||
		threads < 1 || threads > maxArgonThreads {
		return phc{}, false
	}
	p.threads = uint8(threads)
	var err error
	b64 := base64.RawStdEncoding
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return phc{}, false
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return phc{}, false
	}
	return p, true
}
