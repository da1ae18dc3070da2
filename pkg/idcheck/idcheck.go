// Package idcheck validates the two national identifiers Guildhall stores:
// the 18-character resident identity card number of a guard (GB 11643-1999,
// check digit ISO 7064 MOD 11-2) and the 18-character unified social credit
// code of a company (GB 32100-2015, check character MOD 31).
//
// Validation is structural: it proves a number is well formed (length,
// alphabet, plausible region, real birth date, check character), not that it
// was ever issued. The package also builds well-formed numbers for demo data.
package idcheck

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors of ValidateResidentID; match them with errors.Is.
var (
	// ErrResidentIDLength means the number is not 18 characters long.
	ErrResidentIDLength = errors.New("idcheck: resident id must be 18 characters")
	// ErrResidentIDChars means a character other than 17 digits followed by a
	// digit or X was found.
	ErrResidentIDChars = errors.New("idcheck: resident id must be 17 digits followed by a digit or X")
	// ErrResidentIDRegion means the first two digits are not a province-level
	// administrative code.
	ErrResidentIDRegion = errors.New("idcheck: resident id region code is not a province-level code")
	// ErrResidentIDBirthDate means digits 7-14 are not a calendar date between
	// 1900-01-01 and today.
	ErrResidentIDBirthDate = errors.New("idcheck: resident id birth date is not a valid past date")
	// ErrResidentIDCheckDigit means the 18th character does not match the
	// MOD 11-2 check digit of the first 17.
	ErrResidentIDCheckDigit = errors.New("idcheck: resident id check digit does not match")
)

// Sentinel errors of ValidateCreditCode; match them with errors.Is.
var (
	// ErrCreditCodeLength means the code is not 18 characters long.
	ErrCreditCodeLength = errors.New("idcheck: credit code must be 18 characters")
	// ErrCreditCodeChars means a character outside the GB 32100 alphabet
	// (digits and upper-case letters without I, O, Z, S, V) was found.
	ErrCreditCodeChars = errors.New("idcheck: credit code has a character outside 0-9 and ABCDEFGHJKLMNPQRTUWXY")
	// ErrCreditCodeAuthority means the first character is not a registration
	// authority code or the second is not an entity type code.
	ErrCreditCodeAuthority = errors.New("idcheck: credit code registration authority or entity type is not valid")
	// ErrCreditCodeRegion means characters 3-8 are not a six-digit
	// administrative region code.
	ErrCreditCodeRegion = errors.New("idcheck: credit code region code must be six digits")
	// ErrCreditCodeCheck means the 18th character does not match the MOD 31
	// check character of the first 17.
	ErrCreditCodeCheck = errors.New("idcheck: credit code check character does not match")
)

// residentWeights are the GB 11643 weights 2^(17-i) mod 11 for positions 1..17.
var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentCheck maps (sum mod 11) to the check character.
const residentCheck = "10X98765432"

// provinces are the province-level administrative division codes (GB/T 2260)
// that can start a resident id: the mainland provinces, Taiwan (71), and the
// 81/82/83 prefixes of residence permits for Hong Kong, Macao and Taiwan
// residents.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// chinaTime is UTC+8, the zone in which a birth date "today" is judged; a
// fixed zone avoids depending on the host's tzdata.
var chinaTime = time.FixedZone("CST", 8*60*60)

// NormalizeResidentID returns id without surrounding white space and with a
// lower-case check character x upper-cased, the form that is stored and
// hashed.
func NormalizeResidentID(id string) string {
	return strings.ToUpper(strings.TrimSpace(id))
}

// ResidentIDCheckDigit returns the GB 11643 (ISO 7064 MOD 11-2) check
// character, '0'-'9' or 'X', of the first 17 digits of a resident id.
func ResidentIDCheckDigit(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("%w: need 17 digits, got %d characters", ErrResidentIDLength, len(first17))
	}
	sum := 0
	for i := range 17 {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, ErrResidentIDChars
		}
		sum += int(c-'0') * residentWeights[i]
	}
	return residentCheck[sum%11], nil
}

// ValidateResidentID reports whether id, after NormalizeResidentID, is a
// well-formed 18-character resident identity card number: 17 digits and a
// check character (digit or X), a province-level region code, a birth date
// (YYYYMMDD) that is a real calendar date from 1900 up to today, and the
// MOD 11-2 check character. The error wraps one of the ErrResidentID
// sentinels. Callers store NormalizeResidentID(id), not id.
func ValidateResidentID(id string) error {
	return validateResidentID(id, time.Now())
}

// validateResidentID is ValidateResidentID with an injectable clock so tests
// can pin "today".
func validateResidentID(id string, now time.Time) error {
	id = NormalizeResidentID(id)
	if len(id) != 18 {
		return ErrResidentIDLength
	}
	for i := range 17 {
		if id[i] < '0' || id[i] > '9' {
			return ErrResidentIDChars
		}
	}
	if last := id[17]; (last < '0' || last > '9') && last != 'X' {
		return ErrResidentIDChars
	}
	if !provinces[id[:2]] {
		return ErrResidentIDRegion
	}
	if err := checkBirthDate(id[6:14], now); err != nil {
		return err
	}
	want, err := ResidentIDCheckDigit(id[:17])
	if err != nil {
		return err
	}
	if id[17] != want {
		return ErrResidentIDCheckDigit
	}
	return nil
}

// checkBirthDate validates an eight-digit YYYYMMDD date against now.
func checkBirthDate(s string, now time.Time) error {
	d, err := time.ParseInLocation("20060102", s, chinaTime)
	// time.Parse normalises nothing for day-of-month out of range (it fails
	// on 19990230), but round-tripping guards against any leniency.
	if err != nil || d.Format("20060102") != s {
		return ErrResidentIDBirthDate
	}
	if d.Year() < 1900 {
		return ErrResidentIDBirthDate
	}
	y, m, dd := now.In(chinaTime).Date()
	today := time.Date(y, m, dd, 0, 0, 0, 0, chinaTime)
	if d.After(today) {
		return ErrResidentIDBirthDate
	}
	return nil
}

// MakeResidentID builds a well-formed resident id for demo and test data from
// a six-digit region code, a birth date (its calendar date is used as is) and
// a sequence number; seq is reduced modulo 1000 and written as three digits.
// Its parity is the holder's sex (odd male, even female) by the standard. It
// panics if region is not six digits, a programming error in the caller.
func MakeResidentID(region string, birth time.Time, seq int) string {
	if len(region) != 6 || strings.Trim(region, "0123456789") != "" {
		panic(fmt.Sprintf("idcheck: MakeResidentID region %q is not six digits", region))
	}
	seq %= 1000
	if seq < 0 {
		seq += 1000
	}
	first17 := fmt.Sprintf("%s%04d%02d%02d%03d", region, birth.Year(), int(birth.Month()), birth.Day(), seq)
	if len(first17) != 17 {
		panic(fmt.Sprintf("idcheck: MakeResidentID birth year %d is not four digits", birth.Year()))
	}
	c, err := ResidentIDCheckDigit(first17)
	if err != nil {
		panic(err) // unreachable: every character above is a digit
	}
	return first17 + string(c)
}

// creditAlphabet is the GB 32100 code alphabet; a character's index is its
// value in the MOD 31 check computation.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights are the GB 32100 weights 3^(i) mod 31 for positions 1..17.
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditAuthorities are the registration authority codes (first character)
// of GB 32100-2015 and its amendments: 1 organisation establishment, 2
// foreign affairs, 3 justice, 4 culture, 5 civil affairs, 6 tourism, 7
// religion, 8 trade unions, 9 market regulation, A military, N agriculture,
// Y other.
const creditAuthorities = "123456789ANY"

// creditValue returns the alphabet index of c, or -1.
func creditValue(c byte) int {
	return strings.IndexByte(creditAlphabet, c)
}

// CreditCodeCheckChar returns the GB 32100 check character of the first 17
// characters of a unified social credit code: 31 - (Σ value·weight mod 31),
// where 31 maps to '0'.
func CreditCodeCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("%w: need 17 characters, got %d", ErrCreditCodeLength, len(first17))
	}
	sum := 0
	for i := range 17 {
		v := creditValue(first17[i])
		if v < 0 {
			return 0, ErrCreditCodeChars
		}
		sum += v * creditWeights[i]
	}
	return creditAlphabet[(31-sum%31)%31], nil
}

// ValidateCreditCode reports whether code is a well-formed unified social
// credit code: 18 characters from the GB 32100 alphabet (upper case; I, O, Z,
// S and V never occur), a registration authority code and a non-zero entity
// type digit, a six-digit region code, and the MOD 31 check character. The
// error wraps one of the ErrCreditCode sentinels. Surrounding white space is
// not accepted: callers trim and upper-case input before storing it.
func ValidateCreditCode(code string) error {
	if len(code) != 18 {
		return ErrCreditCodeLength
	}
	for i := range 18 {
		if creditValue(code[i]) < 0 {
			return ErrCreditCodeChars
		}
	}
	if strings.IndexByte(creditAuthorities, code[0]) < 0 || code[1] < '1' || code[1] > '9' {
		return ErrCreditCodeAuthority
	}
	if strings.Trim(code[2:8], "0123456789") != "" {
		return ErrCreditCodeRegion
	}
	want, err := CreditCodeCheckChar(code[:17])
	if err != nil {
		return err
	}
	if code[17] != want {
		return ErrCreditCodeCheck
	}
	return nil
}

// MakeCreditCode appends the check character to the first 17 characters of a
// credit code, for demo and test data, and validates the result.
func MakeCreditCode(prefix17 string) (string, error) {
	c, err := CreditCodeCheckChar(prefix17)
	if err != nil {
		return "", err
	}
	code := prefix17 + string(c)
	if err := ValidateCreditCode(code); err != nil {
		return "", err
	}
	return code, nil
}
