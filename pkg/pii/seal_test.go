package pii

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, SealKeyLen) }

func mustSealer(t *testing.T, keys map[string][]byte, current string) *Sealer {
	t.Helper()
	s, err := NewSealer(keys, current)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const plainID = "420106198803141236"

func TestSealOpenRoundTrip(t *testing.T) {
	s := mustSealer(t, map[string][]byte{"k1": key(1)}, "k1")
	for _, in := range []string{plainID, "", "名字,420106198803141236\n", strings.Repeat("x", 1<<16)} {
		sealed, err := s.Seal(in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "k1:") {
			t.Fatalf("sealed %q lacks its key id", sealed[:min(len(sealed), 10)])
		}
		if in != "" && strings.Contains(sealed, in) {
			t.Fatal("sealed value contains the plaintext")
		}
		got, err := s.Open(sealed)
		if err != nil || got != in {
			t.Fatalf("Open = %q, %v", got[:min(len(got), 20)], err)
		}
	}
	a, _ := s.Seal(plainID)
	b, _ := s.Seal(plainID)
	if a == b {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	s := mustSealer(t, map[string][]byte{"k1": key(1), "k2": key(2)}, "k1")
	sealed, err := s.Seal(plainID)
	if err != nil {
		t.Fatal(err)
	}
	kid, body, _ := strings.Cut(sealed, ":")
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return kid + ":" + base64.RawStdEncoding.EncodeToString(b)
	}
	for name, tc := range map[string]struct {
		in   string
		want error
	}{
		"a flipped nonce bit":      {flip(0), ErrSealedTampered},
		"a flipped ciphertext bit": {flip(len(raw) / 2), ErrSealedTampered},
		"a flipped tag bit":        {flip(len(raw) - 1), ErrSealedTampered},
		"truncated":                {kid + ":" + base64.RawStdEncoding.EncodeToString(raw[:len(raw)-1]), ErrSealedTampered},
		"re-labelled to k2":        {"k2:" + body, ErrSealedTampered},
		"an unknown key id":        {"k9:" + body, ErrUnknownKeyID},
		"no key id":                {body, ErrSealedMalformed},
		"a bad key id":             {"k 1:" + body, ErrSealedMalformed},
		"not base64":               {"k1:!!!", ErrSealedMalformed},
		"too short":                {"k1:AAAA", ErrSealedMalformed},
		"empty":                    {"", ErrSealedMalformed},
		"plaintext":                {plainID, ErrSealedMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := s.Open(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %q, %v; want %v", got, err, tc.want)
			}
			if got != "" {
				t.Fatalf("Open returned %q with an error", got)
			}
		})
	}
	// The same id with another key (a wrong keyring) fails too.
	other := mustSealer(t, map[string][]byte{"k1": key(7)}, "k1")
	if _, err := other.Open(sealed); !errors.Is(err, ErrSealedTampered) {
		t.Fatalf("another k1 opened it: %v", err)
	}
}

func TestRotation(t *testing.T) {
	old := mustSealer(t, map[string][]byte{"2025a": key(1)}, "2025a")
	oldSealed, err := old.Seal(plainID)
	if err != nil {
		t.Fatal(err)
	}
	if old.NeedsRotation(oldSealed) {
		t.Fatal("a value under the current key needs rotation")
	}

	rotated := mustSealer(t, map[string][]byte{"2025a": key(1), "2026a": key(2)}, "2026a")
	if rotated.CurrentKeyID() != "2026a" {
		t.Fatalf("current %q", rotated.CurrentKeyID())
	}
	if got, err := rotated.Open(oldSealed); err != nil || got != plainID {
		t.Fatalf("old value does not open after rotation: %q %v", got, err)
	}
	if !rotated.NeedsRotation(oldSealed) {
		t.Fatal("old value does not need rotation")
	}
	newSealed, err := rotated.Seal(plainID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(newSealed, "2026a:") || rotated.NeedsRotation(newSealed) {
		t.Fatalf("new value %q is not under the new key", newSealed[:8])
	}
	if _, err := old.Open(newSealed); !errors.Is(err, ErrUnknownKeyID) {
		t.Fatalf("a replica without the new key: %v", err)
	}
	if rotated.NeedsRotation("garbage") || rotated.NeedsRotation("") {
		t.Fatal("malformed values need rotation")
	}

	// Once every value is re-sealed the old key can go.
	retired := mustSealer(t, map[string][]byte{"2026a": key(2)}, "2026a")
	if got, err := retired.Open(newSealed); err != nil || got != plainID {
		t.Fatalf("%q %v", got, err)
	}
}

func TestNewSealerRejectsBadKeyrings(t *testing.T) {
	for name, tc := range map[string]struct {
		keys    map[string][]byte
		current string
	}{
		"no keys":            {nil, "k1"},
		"current missing":    {map[string][]byte{"k1": key(1)}, "k2"},
		"a 16-byte key":      {map[string][]byte{"k1": make([]byte, 16)}, "k1"},
		"a 33-byte key":      {map[string][]byte{"k1": make([]byte, 33)}, "k1"},
		"a key id with ':'":  {map[string][]byte{"k:1": key(1)}, "k:1"},
		"an empty key id":    {map[string][]byte{"": key(1)}, ""},
		"a 33-char key id":   {map[string][]byte{strings.Repeat("k", 33): key(1)}, strings.Repeat("k", 33)},
		"a bad second id":    {map[string][]byte{"k1": key(1), "k 2": key(2)}, "k1"},
		"a short second key": {map[string][]byte{"k1": key(1), "k2": key(2)[:31]}, "k1"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewSealer(tc.keys, tc.current); !errors.Is(err, ErrBadKeyring) {
				t.Fatalf("err %v", err)
			}
		})
	}
}

func TestSealerCopiesKeys(t *testing.T) {
	k := key(3)
	s := mustSealer(t, map[string][]byte{"k1": k}, "k1")
	sealed, _ := s.Seal(plainID)
	k[0] ^= 0xff
	if got, err := s.Open(sealed); err != nil || got != plainID {
		t.Fatalf("mutating the caller's key changed the sealer: %v", err)
	}
}

func TestParseKeyring(t *testing.T) {
	h1, h2 := hex.EncodeToString(key(1)), hex.EncodeToString(key(2))

	s, err := ParseKeyring("# rotated 2026-01\n\n2026a:" + h2 + "\n2025a:" + h1 + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.CurrentKeyID() != "2026a" {
		t.Fatalf("first key is not current: %q", s.CurrentKeyID())
	}
	s, err = ParseKeyring("2025a:" + h1 + "\r\n2026a:" + h2 + "\r\ncurrent=2026a\r\n")
	if err != nil || s.CurrentKeyID() != "2026a" {
		t.Fatalf("current= line: %v", err)
	}
	old := mustSealer(t, map[string][]byte{"2025a": key(1)}, "2025a")
	sealed, _ := old.Seal(plainID)
	if got, err := s.Open(sealed); err != nil || got != plainID {
		t.Fatalf("parsed keyring does not open the old key's value: %v", err)
	}

	// A bare hex line (a generated single-key file) is DefaultKeyID.
	s, err = ParseKeyring(h1 + "\n")
	if err != nil || s.CurrentKeyID() != DefaultKeyID {
		t.Fatalf("bare key: %v", err)
	}

	for name, text := range map[string]string{
		"empty":               "",
		"only comments":       "# nothing\n",
		"not hex":             "k1:zz" + h1[2:],
		"short key":           "k1:" + h1[:62],
		"duplicate id":        "k1:" + h1 + "\nk1:" + h2,
		"two bare keys":       h1 + "\n" + h2,
		"unknown current":     "k1:" + h1 + "\ncurrent=k2",
		"two current lines":   "k1:" + h1 + "\ncurrent=k1\ncurrent=k1",
		"bad key id":          "k/1:" + h1,
		"empty current value": "k1:" + h1 + "\ncurrent=\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKeyring(text)
			if !errors.Is(err, ErrBadKeyring) {
				t.Fatalf("err %v", err)
			}
			if err != nil && (strings.Contains(err.Error(), h1[4:]) || strings.Contains(err.Error(), h2[4:])) {
				t.Fatalf("error %q prints key material", err)
			}
		})
	}
}

func TestSealConcurrent(t *testing.T) {
	s := mustSealer(t, map[string][]byte{"k1": key(1)}, "k1")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				sealed, err := s.Seal(plainID)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := s.Open(sealed); err != nil || got != plainID {
					t.Errorf("concurrent Open = %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
