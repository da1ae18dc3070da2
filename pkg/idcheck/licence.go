package idcheck

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrLicenceNumber means a security-service licence number (保安服务许可证号)
// is not in the form the provincial public-security departments issue.
var ErrLicenceNumber = errors.New("idcheck: licence number must look like 鄂公保服务许字〔2012〕第022号")

// licenceIssuers are the abbreviations of the provincial-level public
// security departments that issue security-service licences (the
// 保安服务管理条例 gives the power to the province), plus 兵 for the Xinjiang
// Production and Construction Corps. Some provinces use either of two
// abbreviations (川/蜀, 贵/黔, 云/滇, 陕/秦, 甘/陇).
const licenceIssuers = "京津沪渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川蜀贵黔云滇藏陕秦甘陇青宁新兵"

// licencePattern is the canonical form after NormalizeLicenceNumber:
// issuer + 公保服[务][许]字 + 〔year〕 + [第] + serial + 号.
var licencePattern = regexp.MustCompile(`^([` + licenceIssuers + `])公保服务?许?字〔(\d{4})〕第?(\d{1,6})号$`)

// licenceBrackets maps the brackets people type for the year — ASCII,
// full-width, lenticular — to 〔〕, the ones official document numbers use
// (GB/T 9704), so one licence has one spelling whatever keyboard typed it.
var licenceBrackets = strings.NewReplacer(
	"[", "〔", "]", "〕", "(", "〔", ")", "〕",
	"［", "〔", "］", "〕", "（", "〔", "）", "〕",
	"【", "〔", "】", "〕", "〖", "〔", "〗", "〕",
)

// NormalizeLicenceNumber returns a licence number in its canonical
// spelling: no white space, ASCII digits, 〔〕 around the year. Two
// spellings of one licence normalise to the same string, which is what
// duplicate detection compares.
func NormalizeLicenceNumber(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\u3000' || r == '\u00a0':
			continue
		case r >= '０' && r <= '９':
			r = '0' + (r - '０')
		}
		b.WriteRune(r)
	}
	return licenceBrackets.Replace(b.String())
}

// ValidateLicenceNumber reports whether s, after NormalizeLicenceNumber, is
// a licence number of the form 鄂公保服务许字〔2012〕第022号: a provincial
// issuer, 公保服字 / 公保服务字 / 公保服许字 / 公保服务许字, a year from 2000
// to this year in brackets, an optional 第, a serial of 1 to 6 digits (not
// all zeros) and 号. It proves the number is well formed, not that it was
// issued.
func ValidateLicenceNumber(s string) error {
	return validateLicenceNumber(s, time.Now())
}

func validateLicenceNumber(s string, now time.Time) error {
	m := licencePattern.FindStringSubmatch(NormalizeLicenceNumber(s))
	if m == nil {
		return ErrLicenceNumber
	}
	year, _ := strconv.Atoi(m[2])
	if year < 2000 || year > now.Year() {
		return ErrLicenceNumber
	}
	if strings.Trim(m[3], "0") == "" {
		return ErrLicenceNumber
	}
	return nil
}

// MakeLicenceNumber builds a well-formed licence number for demo and test
// data: issuer is a province abbreviation such as "鄂", serial 1–999999.
func MakeLicenceNumber(issuer string, year, serial int) string {
	return issuer + "公保服务许字〔" + strconv.Itoa(year) + "〕第" + leftPad(strconv.Itoa(serial), 3) + "号"
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}
