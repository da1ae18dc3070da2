package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestNewHasherKeyLength(t *testing.T) {
	if _, err := NewHasher([]byte("short")); err == nil {
		t.Fatal("NewHasher accepted a 5-byte key")
	}
	if _, err := NewHasher(make([]byte, 15)); err == nil {
		t.Fatal("NewHasher accepted a 15-byte key")
	}
	if _, err := NewHasher(make([]byte, 16)); err != nil {
		t.Fatalf("NewHasher(16 bytes) = %v", err)
	}
}

func TestHash(t *testing.T) {
	h, err := NewHasher(testKey)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, testKey)
	m.Write([]byte("11010519491231002X"))
	want := hex.EncodeToString(m.Sum(nil))

	for _, in := range []string{"11010519491231002X", "11010519491231002x", " 11010519491231002X\n"} {
		if got := h.Hash(in); got != want {
			t.Errorf("Hash(%q) = %s, want %s", in, got, want)
		}
	}
	if len(want) != 64 || strings.ToLower(want) != want {
		t.Fatalf("hash %q is not 64 lower-case hex chars", want)
	}
	if h.Hash("110101199003074477") == want {
		t.Error("different ids hash alike")
	}
	if !h.Equal(want, "11010519491231002x") || h.Equal(want, "110101199003074477") {
		t.Error("Equal gives the wrong answer")
	}

	other, _ := NewHasher([]byte("another-city-key-of-32-bytes-....."))
	if other.Hash("11010519491231002X") == want {
		t.Error("different keys give the same hash")
	}
}

func TestHasherCopiesKey(t *testing.T) {
	key := append([]byte(nil), testKey...)
	h, _ := NewHasher(key)
	before := h.Hash("110101199003074477")
	key[0] ^= 0xff
	if h.Hash("110101199003074477") != before {
		t.Fatal("mutating the caller's key changed the hasher")
	}
}

func TestHashConcurrent(t *testing.T) {
	h, _ := NewHasher(testKey)
	want := h.Hash("110101199003074477")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got := h.Hash("110101199003074477"); got != want {
					t.Errorf("concurrent Hash = %s", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestMaskResidentID(t *testing.T) {
	for in, want := range map[string]string{
		"420106198507042345":   "420************345",
		"11010519491231002x":   "110************02X",
		" 11010519491231002X ": "110************02X",
		"1234567":              "123*567",
		"123456":               "******",
		"":                     "",
	} {
		if got := MaskResidentID(in); got != want {
			t.Errorf("MaskResidentID(%q) = %q, want %q", in, got, want)
		}
	}
}
