package service

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// dateLayout is the API's date format.
const dateLayout = "2006-01-02"

// chinaTime is the association's time zone: "not in the future" is judged
// against the calendar day in Wuhan, not the server's zone, so a date
// entered at 07:00 local time on a UTC server is not rejected as tomorrow.
var chinaTime = time.FixedZone("CST", 8*3600)

// transitions is the company status machine: from → allowed targets.
// lapsed is final; a lapsed company re-applies as a new company.
var transitions = map[string]map[string]bool{
	StatusApplied:   {StatusActive: true, StatusLapsed: true},
	StatusActive:    {StatusSuspended: true, StatusLapsed: true},
	StatusSuspended: {StatusActive: true, StatusLapsed: true},
	StatusLapsed:    {},
}

// CanTransition reports whether a company may move from one status to another.
func CanTransition(from, to string) bool { return transitions[from][to] }

// ValidCompanyStatus reports whether s is a company status.
func ValidCompanyStatus(s string) bool {
	_, ok := transitions[s]
	return ok
}

// AcceptsGuards reports whether a company in status may hire guards: only
// an active member. An applied company is not admitted yet (its guards
// would count in the district's figures before the association said yes);
// a suspended or lapsed one is out of good standing.
func AcceptsGuards(status string) bool { return status == StatusActive }

// normalizeLicence checks a company's licence_number for its kind and
// returns its stored form. A service company (保安服务公司) holds a
// security-service licence (保安服务许可证), checked by idcheck and stored
// in its canonical spelling (〔〕 around the year, ASCII digits, no
// spaces), so two spellings of one licence are one value. An in-house
// unit (自行招用保安员单位) holds no such licence: the field carries its
// filing (备案) number with the police, whose form varies by bureau, so it
// is only trimmed.
func normalizeLicence(kind, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", ErrCompanyLicenceRequired
	}
	if kind != KindServiceCompany {
		return v, nil
	}
	if err := idcheck.ValidateLicenceNumber(v); err != nil {
		return "", ErrCompanyLicenceInvalid
	}
	return idcheck.NormalizeLicenceNumber(v), nil
}

func validKind(s string) bool { return s == KindServiceCompany || s == KindInHouseUnit }

func validLevel(s string) bool {
	switch s {
	case LevelPresident, LevelVicePresident, LevelCouncil, LevelMember:
		return true
	}
	return false
}

func validPosition(s string) bool {
	switch s {
	case PositionPresident, PositionVicePresident, PositionSecretaryGeneral, PositionSupervisorChief, PositionDirector:
		return true
	}
	return false
}

func validCheckResult(s string) bool {
	return s == CheckPending || s == CheckPassed || s == CheckFailed
}

func validCheckStatus(s string) bool { return s == CheckNone || validCheckResult(s) }

// The earliest dates the records accept: a date before them is a typo
// (0001-01-01, a two-digit year) that would skew every rate computed from
// it. Dates are also never after today.
const (
	// earliestRecordDate bounds certificates (保安员证), trainings and
	// background checks: the association holds no record from before.
	earliestRecordDate = "1990-01-01"
	// earliestPartyOrgDate bounds a company's Party organisation: the
	// founding of the People's Republic.
	earliestPartyOrgDate = "1949-10-01"
	// minWorkingAge is the youngest a guard may be hired at: the Labour
	// Law (劳动法 art. 15) forbids employing anyone under 16.
	minWorkingAge = 16
)

// dateBetween reports whether s is a YYYY-MM-DD date from earliest (a
// YYYY-MM-DD string) to today in China time.
func dateBetween(s, earliest string, now time.Time) bool {
	return pastDate(s, now) && s >= earliest
}

// birthDate is the date of birth a normalized resident ID number carries
// in digits 7–14 (YYYYMMDD); ok is false for anything else.
func birthDate(id string) (time.Time, bool) {
	if len(id) != 18 {
		return time.Time{}, false
	}
	d, err := time.Parse("20060102", id[6:14])
	return d, err == nil
}

// pastDate reports whether s is a YYYY-MM-DD date that is not after today
// (in China time).
func pastDate(s string, now time.Time) bool {
	d, err := time.Parse(dateLayout, s)
	if err != nil {
		return false
	}
	today := now.In(chinaTime).Format(dateLayout)
	return d.Format(dateLayout) <= today
}

func today(now time.Time) string { return now.In(chinaTime).Format(dateLayout) }

// validUntil reports whether s is a YYYY-MM-DD date not before issuedOn
// (a certificate may already have lapsed when it is recorded: the
// district records history too).
func validUntil(s, issuedOn string) bool {
	d, err := time.Parse(dateLayout, s)
	return err == nil && d.Format(dateLayout) == s && s >= issuedOn
}

// tooLong checks a free-text field's length in characters (not bytes, so
// Chinese text gets the same limit as Latin).
func tooLong(field, value string, max int) error {
	if utf8.RuneCountInString(value) > max {
		return ErrCompanyFieldTooLong.WithField(field)
	}
	return nil
}

func (s *Membership) validateRegister(in *RegisterCompanyInput) error {
	in.Name = strings.TrimSpace(in.Name)
	in.CreditCode = strings.ToUpper(strings.TrimSpace(in.CreditCode))
	in.LicenceNumber = strings.TrimSpace(in.LicenceNumber)
	if in.Level == "" {
		in.Level = LevelMember
	}
	if in.Name == "" {
		return ErrCompanyNameRequired
	}
	if utf8.RuneCountInString(in.Name) > 200 {
		return ErrCompanyNameTooLong
	}
	if err := singleLine("name", in.Name, "licence_number", in.LicenceNumber, "contact_name", in.ContactName, "contact_phone", in.ContactPhone); err != nil {
		return err
	}
	if err := s.ids.ValidateCreditCode(in.CreditCode); err != nil {
		return explain(ErrCompanyCreditCodeInvalid, err)
	}
	if in.ConventionVersion != nil {
		return ErrCompanyConventionReadOnly
	}
	if in.LicenceNumber == "" {
		return ErrCompanyLicenceRequired
	}
	if !validKind(in.Kind) {
		return ErrCompanyKindInvalid
	}
	lic, err := normalizeLicence(in.Kind, in.LicenceNumber)
	if err != nil {
		return err
	}
	in.LicenceNumber = lic
	if !validLevel(in.Level) {
		return ErrCompanyLevelInvalid
	}
	if in.PartyOrgSince != "" && !dateBetween(in.PartyOrgSince, earliestPartyOrgDate, s.now()) {
		return ErrCompanyPartyOrgSince
	}
	return firstErr(
		tooLong("licence_number", in.LicenceNumber, 100),
		tooLong("contact_name", in.ContactName, 100),
		tooLong("contact_phone", in.ContactPhone, 50),
		tooLong("address", in.Address, 500),
	)
}

// applyCompanyUpdate validates in and applies it to c, returning the
// snake_case names of the fields that changed.
func (s *Membership) applyCompanyUpdate(c *Company, in UpdateCompanyInput) ([]string, error) {
	var fields []string
	setStr := func(name string, dst *string, v *string, max int) error {
		if v == nil {
			return nil
		}
		val := strings.TrimSpace(*v)
		if err := tooLong(name, val, max); err != nil {
			return err
		}
		if name != "address" {
			if err := kitx.SingleLine(name, val); err != nil {
				return err
			}
		}
		if *dst != val {
			*dst = val
			fields = append(fields, name)
		}
		return nil
	}
	setBool := func(name string, dst *bool, v *bool) {
		if v != nil && *dst != *v {
			*dst = *v
			fields = append(fields, name)
		}
	}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" {
			return nil, ErrCompanyNameRequired
		}
		if utf8.RuneCountInString(n) > 200 {
			return nil, ErrCompanyNameTooLong
		}
	}
	if in.ConventionVersion != nil {
		return nil, ErrCompanyConventionReadOnly
	}
	if in.LicenceNumber != nil {
		lic, err := normalizeLicence(c.Kind, *in.LicenceNumber)
		if err != nil {
			return nil, err
		}
		in.LicenceNumber = &lic
	}
	if in.Level != nil && !validLevel(*in.Level) {
		return nil, ErrCompanyLevelInvalid
	}
	if in.PartyOrgSince != nil && *in.PartyOrgSince != "" && !dateBetween(*in.PartyOrgSince, earliestPartyOrgDate, s.now()) {
		return nil, ErrCompanyPartyOrgSince
	}
	if err := firstErr(
		setStr("name", &c.Name, in.Name, 200),
		setStr("licence_number", &c.LicenceNumber, in.LicenceNumber, 100),
		setStr("level", &c.Level, in.Level, 50),
		setStr("contact_name", &c.ContactName, in.ContactName, 100),
		setStr("contact_phone", &c.ContactPhone, in.ContactPhone, 50),
		setStr("address", &c.Address, in.Address, 500),
		setStr("party_org_since", &c.PartyOrgSince, in.PartyOrgSince, 10),
	); err != nil {
		return nil, err
	}
	setBool("party_org", &c.PartyOrg, in.PartyOrg)
	setBool("trade_union", &c.TradeUnion, in.TradeUnion)
	setBool("workers_home", &c.WorkersHome, in.WorkersHome)
	return fields, nil
}

// validateHire checks a hire and normalises it in place: the ID number to
// its canonical form, hired_on defaulting to today.
func (s *Membership) validateHire(in *HireGuardInput) error {
	in.Name = strings.TrimSpace(in.Name)
	in.CertificateNumber = strings.TrimSpace(in.CertificateNumber)
	if in.Name == "" {
		return ErrGuardNameRequired
	}
	if utf8.RuneCountInString(in.Name) > 100 {
		return ErrGuardNameTooLong
	}
	if err := singleLine("name", in.Name, "certificate_number", in.CertificateNumber); err != nil {
		return err
	}
	id, err := s.ids.NormalizeResidentID(in.IDNumber)
	if err != nil {
		return explain(ErrGuardIDNumberInvalid, err)
	}
	in.IDNumber = id
	if in.CertificateIssuedOn != "" && !dateBetween(in.CertificateIssuedOn, earliestRecordDate, s.now()) {
		return ErrGuardCertificateDate
	}
	if in.CertificateIssuedOn != "" && in.CertificateNumber == "" {
		return ErrGuardCertificateNumber
	}
	if in.CertificateNumber != "" && in.CertificateIssuedOn == "" {
		return ErrGuardCertificateIssuedOn
	}
	if utf8.RuneCountInString(in.CertificateNumber) > 100 {
		return ErrGuardCertificateNumberLong
	}
	in.CertificateAuthority = strings.TrimSpace(in.CertificateAuthority)
	if (in.CertificateValidUntil != "" || in.CertificateAuthority != "") && in.CertificateNumber == "" {
		return ErrGuardCertificateNumber
	}
	if in.CertificateValidUntil != "" && !validUntil(in.CertificateValidUntil, in.CertificateIssuedOn) {
		return ErrGuardCertificateValidUntil
	}
	if utf8.RuneCountInString(in.CertificateAuthority) > 100 {
		return ErrGuardCertificateAuthority
	}
	if err := kitx.SingleLine("certificate_authority", in.CertificateAuthority); err != nil {
		return err
	}
	if in.HiredOn == "" {
		in.HiredOn = today(s.now())
	} else if !pastDate(in.HiredOn, s.now()) {
		return ErrGuardHiredOnInvalid
	}
	// The ID number says when the guard was born; nobody is hired before
	// working age (a hire date of 0001-01-01 fails here too).
	if birth, ok := birthDate(in.IDNumber); ok && in.HiredOn < birth.AddDate(minWorkingAge, 0, 0).Format(dateLayout) {
		return ErrGuardHiredBeforeWorkingAge
	}
	return nil
}

func (s *Membership) validateCouncil(term int, position, person, district string) error {
	if term < 1 {
		return ErrCouncilTermInvalid
	}
	if !validPosition(position) {
		return ErrCouncilPositionInvalid
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(person)); n == 0 || n > 100 {
		return ErrCouncilPersonRequired
	}
	if err := kitx.SingleLine("person_name", person); err != nil {
		return err
	}
	if district != "" && !eventbus.ValidName(district) {
		return ErrCouncilDistrictInvalid
	}
	return nil
}

// singleLine checks name/value pairs of one-line text (names, numbers):
// no tab, line break or other control character (kitx.SingleLine).
func singleLine(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := kitx.SingleLine(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// explain wraps a check's cause into e and tells the caller which check
// failed (length, characters, check digit…), without echoing the value.
func explain(e *errs.Error, cause error) *errs.Error {
	w := e.Wrap(cause)
	w.Message = e.Message + ": " + strings.TrimPrefix(cause.Error(), "idcheck: ")
	return w
}
