package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	t.Parallel()
	const pw = "correct horse 电池 staple"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", h)
	}
	if strings.Contains(h, pw) {
		t.Fatal("the hash contains the password")
	}
	if !CheckPassword(h, pw) {
		t.Fatal("the right password does not match")
	}
	for _, wrong := range []string{"", "correct horse 电池 stapl", pw + " ", strings.ToUpper(pw)} {
		if CheckPassword(h, wrong) {
			t.Fatalf("wrong password %q matches", wrong)
		}
	}
	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if _, err := HashPassword(""); !errors.Is(err, ErrPasswordEmpty) {
		t.Fatalf("empty password: %v", err)
	}
}

func TestCheckPasswordRefusesMalformedHashes(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h, "$")
	join := func(p ...string) string { return strings.Join(p, "$") }
	for name, bad := range map[string]string{
		"empty":                 "",
		"plain text":            "pw",
		"argon2i":               join("", "argon2i", parts[2], parts[3], parts[4], parts[5]),
		"another version":       join("", "argon2id", "v=16", parts[3], parts[4], parts[5]),
		"4 GiB of memory":       join("", "argon2id", parts[2], "m=4194304,t=2,p=1", parts[4], parts[5]),
		"zero passes":           join("", "argon2id", parts[2], "m=19456,t=0,p=1", parts[4], parts[5]),
		"junk after parameters": join("", "argon2id", parts[2], parts[3]+"x", parts[4], parts[5]),
		"bad salt":              join("", "argon2id", parts[2], parts[3], "!!", parts[5]),
		"short hash":            join("", "argon2id", parts[2], parts[3], parts[4], "AAAA"),
		"extra field":           h + "$x",
	} {
		if CheckPassword(bad, "pw") {
			t.Errorf("%s: a malformed hash matched", name)
		}
	}
}
