package idcheck

import (
	"errors"
	"testing"
	"time"
)

// fixedNow pins "today" for the date checks of these tests.
var fixedNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestValidateResidentIDGood(t *testing.T) {
	for _, id := range []string{
		"11010519491231002X", // the GB 11643 worked example
		"11010519491231002x", // lower-case x is normalised
		" 11010519491231002X ",
		"110101199003074477",
		"440308199901011234", // check digit verified independently
		"810000199408230021", // Hong Kong residence permit prefix
	} {
		if err := validateResidentID(id, fixedNow); err != nil {
			t.Errorf("validateResidentID(%q) = %v, want nil", id, err)
		}
	}
}

func TestValidateResidentIDBad(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want error
	}{
		{"110105194912310021", ErrResidentIDCheckDigit},
		{"110105194912310020", ErrResidentIDCheckDigit},
		{"11010519491231002", ErrResidentIDLength},
		{"11010519491231002X1", ErrResidentIDLength},
		{"", ErrResidentIDLength},
		{"11010519491231002Y", ErrResidentIDChars},
		{"1101051949123100XX", ErrResidentIDChars},
		{"11010５19491231002X", ErrResidentIDLength}, // multi-byte digit
		{"A10105194912310020", ErrResidentIDChars},
		{"991234199001010012", ErrResidentIDRegion},
		{"001234199001010012", ErrResidentIDRegion},
		{MakeResidentID("110105", time.Date(1999, 2, 28, 0, 0, 0, 0, time.UTC), 1)[:6] + "19990230" + "0010", ErrResidentIDBirthDate},
		{"110105199913010010", ErrResidentIDBirthDate},
		{"440524188001010014", ErrResidentIDBirthDate}, // 1880 is before 1900
		{MakeResidentID("110105", fixedNow.AddDate(0, 0, 1), 7), ErrResidentIDBirthDate},
	} {
		err := validateResidentID(tc.id, fixedNow)
		if !errors.Is(err, tc.want) {
			t.Errorf("validateResidentID(%q) = %v, want %v", tc.id, err, tc.want)
		}
	}
}

func TestValidateResidentIDToday(t *testing.T) {
	// Born today (in China) is valid; the public wrapper uses the real clock.
	today := time.Now().In(chinaTime)
	id := MakeResidentID("310101", today, 12)
	if err := ValidateResidentID(id); err != nil {
		t.Fatalf("ValidateResidentID(born today %q) = %v", id, err)
	}
}

func TestResidentIDCheckDigit(t *testing.T) {
	c, err := ResidentIDCheckDigit("11010519491231002")
	if err != nil || c != 'X' {
		t.Fatalf("ResidentIDCheckDigit = %q, %v; want 'X'", c, err)
	}
	if _, err := ResidentIDCheckDigit("1101051949123100"); !errors.Is(err, ErrResidentIDLength) {
		t.Errorf("short input: err = %v", err)
	}
	if _, err := ResidentIDCheckDigit("1101051949123100A"); !errors.Is(err, ErrResidentIDChars) {
		t.Errorf("letter input: err = %v", err)
	}
}

func TestMakeResidentID(t *testing.T) {
	birth := time.Date(1985, 7, 4, 0, 0, 0, 0, time.UTC)
	id := MakeResidentID("420106", birth, 1234)
	if want := "420106198507042345"; id[:17] != want[:17] {
		t.Fatalf("MakeResidentID prefix = %q, want %q", id[:17], want[:17])
	}
	if err := ValidateResidentID(id); err != nil {
		t.Fatalf("ValidateResidentID(%q) = %v", id, err)
	}
	if got := MakeResidentID("420106", birth, -1); got[14:17] != "999" {
		t.Errorf("negative seq: %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MakeResidentID with a 5-digit region did not panic")
		}
	}()
	MakeResidentID("42010", birth, 1)
}

func TestNormalizeResidentID(t *testing.T) {
	if got := NormalizeResidentID("\t11010519491231002x\n"); got != "11010519491231002X" {
		t.Fatalf("NormalizeResidentID = %q", got)
	}
}

func TestValidateCreditCodeGood(t *testing.T) {
	for _, code := range []string{
		"91350100M000100Y43",
		"91110000802100433B",
		"91440300192181490G",
		"91110108551385082Q",
		"914403001922038216",
	} {
		if err := ValidateCreditCode(code); err != nil {
			t.Errorf("ValidateCreditCode(%q) = %v, want nil", code, err)
		}
	}
}

func TestValidateCreditCodeBad(t *testing.T) {
	for _, tc := range []struct {
		code string
		want error
	}{
		{"91350100M000100Y44", ErrCreditCodeCheck},
		{"91350100M000100Y4", ErrCreditCodeLength},
		{"91350100M000100Y433", ErrCreditCodeLength},
		{"91350100M000I00Y43", ErrCreditCodeChars},
		{"91350100M000O00Y43", ErrCreditCodeChars},
		{"91350100M000S00Y43", ErrCreditCodeChars},
		{"91350100m000100Y43", ErrCreditCodeChars},
		{"B1350100M000100Y43", ErrCreditCodeAuthority},
		{"90350100M000100Y43", ErrCreditCodeAuthority},
		{"913501A0M000100Y43", ErrCreditCodeRegion},
	} {
		if err := ValidateCreditCode(tc.code); !errors.Is(err, tc.want) {
			t.Errorf("ValidateCreditCode(%q) = %v, want %v", tc.code, err, tc.want)
		}
	}
}

func TestCreditCodeCheckChar(t *testing.T) {
	c, err := CreditCodeCheckChar("91350100M000100Y4")
	if err != nil || c != '3' {
		t.Fatalf("CreditCodeCheckChar = %q, %v; want '3'", c, err)
	}
	if _, err := CreditCodeCheckChar("91350100M000100Y"); !errors.Is(err, ErrCreditCodeLength) {
		t.Errorf("short: %v", err)
	}
	if _, err := CreditCodeCheckChar("91350100M000100YZ"); !errors.Is(err, ErrCreditCodeChars) {
		t.Errorf("Z: %v", err)
	}
}

func TestMakeCreditCode(t *testing.T) {
	code, err := MakeCreditCode("91420106MA4K00001")
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateCreditCode(code); err != nil || code[:17] != "91420106MA4K00001" {
		t.Fatalf("MakeCreditCode = %q, validate %v", code, err)
	}
	if _, err := MakeCreditCode("01420106MA4K00001"); !errors.Is(err, ErrCreditCodeAuthority) {
		t.Errorf("bad authority: %v", err)
	}
	if _, err := MakeCreditCode("91420106MA4K0000"); !errors.Is(err, ErrCreditCodeLength) {
		t.Errorf("short: %v", err)
	}
}

// FuzzValidateResidentID checks that validation never panics, that anything
// it accepts carries the computed check digit, and that every id built with
// a computed check digit from a valid region and date is accepted.
func FuzzValidateResidentID(f *testing.F) {
	f.Add("11010519491231002X", uint8(0), uint32(18000), uint16(12))
	f.Add("440524188001010014", uint8(20), uint32(0), uint16(999))
	f.Add("", uint8(255), uint32(1<<31), uint16(65535))
	regions := []string{"110105", "120101", "310115", "420106", "440305", "500101", "650102", "710000", "810000", "820000", "830000"}
	base := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int(fixedNow.Sub(base).Hours() / 24)
	f.Fuzz(func(t *testing.T, s string, region uint8, days uint32, seq uint16) {
		if err := validateResidentID(s, fixedNow); err == nil {
			n := NormalizeResidentID(s)
			c, cerr := ResidentIDCheckDigit(n[:17])
			if cerr != nil || c != n[17] {
				t.Fatalf("accepted %q but check digit is %q (%v)", s, c, cerr)
			}
		}
		birth := base.AddDate(0, 0, int(days)%(span+1))
		id := MakeResidentID(regions[int(region)%len(regions)], birth, int(seq))
		if err := validateResidentID(id, fixedNow); err != nil {
			t.Fatalf("MakeResidentID built %q which fails: %v", id, err)
		}
		// Any other final character must be rejected.
		for _, c := range []byte("0123456789X") {
			if c == id[17] {
				continue
			}
			bad := id[:17] + string(c)
			if err := validateResidentID(bad, fixedNow); !errors.Is(err, ErrResidentIDCheckDigit) {
				t.Fatalf("wrong check digit %q: err = %v", bad, err)
			}
		}
	})
}
