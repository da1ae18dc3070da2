package idcheck

import (
	"errors"
	"testing"
	"time"
)

func TestLicenceNumbersInTheFormsProvincesIssueAreAccepted(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	good := map[string]string{
		"鄂公保服务许字〔2012〕第022号":  "鄂公保服务许字〔2012〕第022号",
		"京公保服字[2009]第002号":    "京公保服字〔2009〕第002号",
		"粤公保服字（2016）0027号":    "粤公保服字〔2016〕0027号",
		" 鄂公保服许字【２０２０】第1号 ":   "鄂公保服许字〔2020〕第1号",
		"兵公保服字〔2026〕第123456号": "兵公保服字〔2026〕第123456号",
	}
	for in, norm := range good {
		if err := validateLicenceNumber(in, now); err != nil {
			t.Errorf("%q refused: %v", in, err)
		}
		if got := NormalizeLicenceNumber(in); got != norm {
			t.Errorf("NormalizeLicenceNumber(%q) = %q, want %q", in, got, norm)
		}
	}
	bad := []string{
		"", "abc", "L", "123456",
		"公保服字〔2012〕第022号",      // no issuing province
		"美公保服字〔2012〕第022号",     // not a province
		"鄂公保字〔2012〕第022号",      // not a security-service licence
		"鄂公保服字〔1999〕第022号",     // before any licence of this form
		"鄂公保服字〔2027〕第022号",     // a year still to come
		"鄂公保服字〔2012〕第000号",     // serial zero
		"鄂公保服字〔2012〕第1234567号", // serial too long
		"鄂公保服字2012第022号",       // no brackets
		"鄂公保服字〔2012〕第022",      // no 号
	}
	for _, in := range bad {
		if err := validateLicenceNumber(in, now); !errors.Is(err, ErrLicenceNumber) {
			t.Errorf("%q: err = %v, want ErrLicenceNumber", in, err)
		}
	}
}

func TestMakeLicenceNumberBuildsWhatValidateAccepts(t *testing.T) {
	for _, serial := range []int{1, 22, 999999} {
		n := MakeLicenceNumber("鄂", 2012, serial)
		if err := ValidateLicenceNumber(n); err != nil {
			t.Errorf("MakeLicenceNumber(鄂, 2012, %d) = %q: %v", serial, n, err)
		}
	}
	if got := MakeLicenceNumber("鄂", 2012, 22); got != "鄂公保服务许字〔2012〕第022号" {
		t.Errorf("got %q", got)
	}
}
