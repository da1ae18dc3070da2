package idcheck

import (
	"errors"
	"testing"
)

// referenceCheckChar is GB 32100's check character written from the
// standard's text, independently of CreditCodeCheckChar: C18 = 31 − (Σ Ci·Wi
// mod 31), and a result of 31 is written '0'.
func referenceCheckChar(first17 string) byte {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i := range 17 {
		for v := range len(alphabet) {
			if alphabet[v] == first17[i] {
				sum += v * weights[i]
			}
		}
	}
	c := 31 - sum%31
	if c == 31 {
		return '0'
	}
	return alphabet[c]
}

// The mod-31 wrap: a sum ≡ 0 gives check value 31, written '0'; a sum ≡ 1
// gives 30, 'Y', the last character of the alphabet. Both are easy to get
// wrong by one, so both are pinned here with codes found by search.
func TestCreditCodeCheckCharactersAtTheWrap(t *testing.T) {
	found := map[byte]string{}
	for n := 0; n < 100000 && len(found) < 2; n++ {
		prefix := "91420100MA4K" + string(rune('0'+n/10000%10)) + string(rune('0'+n/1000%10)) +
			string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
		if c := referenceCheckChar(prefix); c == '0' || c == 'Y' {
			if _, ok := found[c]; !ok {
				found[c] = prefix + string(c)
			}
		}
	}
	for _, want := range []byte{'0', 'Y'} {
		code, ok := found[want]
		if !ok {
			t.Fatalf("no code with check character %q in the search", want)
		}
		if got, err := CreditCodeCheckChar(code[:17]); err != nil || got != want {
			t.Errorf("%s: check character %q (%v), want %q", code, got, err, want)
		}
		if err := ValidateCreditCode(code); err != nil {
			t.Errorf("%s rejected: %v", code, err)
		}
	}
}

// FuzzValidateCreditCode checks that validation never panics, accepts only
// codes whose check character the reference computes, and that a code built
// from any 17 valid characters with its check character is accepted while
// every other final character is refused.
func FuzzValidateCreditCode(f *testing.F) {
	f.Add("91350100M000100Y43", []byte{9, 1, 4, 2, 0, 1, 0, 6, 21, 10, 4, 19, 0, 0, 0, 0, 1})
	f.Add("", []byte{})
	f.Add("91420100MA4K00001Y", []byte{30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30})
	f.Fuzz(func(t *testing.T, s string, digits []byte) {
		if err := ValidateCreditCode(s); err == nil {
			if got := referenceCheckChar(s[:17]); got != s[17] {
				t.Fatalf("accepted %q, whose check character is %q", s, got)
			}
		}
		if len(digits) < 17 {
			return
		}
		b := []byte("91")
		for i := 2; i < 8; i++ { // region: digits
			b = append(b, '0'+digits[i]%10)
		}
		for i := 8; i < 17; i++ {
			b = append(b, creditAlphabet[int(digits[i])%len(creditAlphabet)])
		}
		code, err := MakeCreditCode(string(b))
		if err != nil {
			t.Fatalf("MakeCreditCode(%q): %v", b, err)
		}
		if code[17] != referenceCheckChar(string(b)) {
			t.Fatalf("%s: check character differs from the reference", code)
		}
		for i := range len(creditAlphabet) {
			c := creditAlphabet[i]
			if c == code[17] {
				continue
			}
			if err := ValidateCreditCode(code[:17] + string(c)); !errors.Is(err, ErrCreditCodeCheck) {
				t.Fatalf("wrong check character %q accepted: %v", c, err)
			}
		}
	})
}
