package demo

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/idcheck"
)

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"jingkai", "caidian", "hanyang"} {
		a, b := Generate(42, d), Generate(42, d)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: two Generate(42) calls differ", d)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("%s: two Generate(42) calls are not byte-identical", d)
		}
		if c := Generate(43, d); reflect.DeepEqual(a.Companies, c.Companies) {
			t.Fatalf("%s: seeds 42 and 43 generated the same companies", d)
		}
	}
	if reflect.DeepEqual(Generate(42, "jingkai").Companies, Generate(42, "caidian").Companies) {
		t.Fatal("jingkai and caidian generated the same companies")
	}
}

var (
	phoneRe   = regexp.MustCompile(`^1[3-9]\d{9}$`)
	licenceRe = regexp.MustCompile(`^(鄂公保服务许字〔20[12]\d〕第\d{3,4}号|鄂公保备(字\[20[12]\d\]\d{4}号|20[12]\d\d{4}))$`)
	certRe    = regexp.MustCompile(`^420100\d{9}$`)
	creditRe  = regexp.MustCompile(`^91(420100|420113|420114|4201\d\d)\d{8}[0-9X][0-9A-HJ-NPQRTUWXY]$`)
)

func TestGenerateProducesValidRealisticData(t *testing.T) {
	t.Parallel()
	ref := referenceDate()
	for _, seed := range []int64{1, 20250923, -7} {
		for _, d := range []string{"jingkai", "caidian", "qingshan"} {
			ds := Generate(seed, d)
			if ds.District != d {
				t.Fatalf("District = %q, want %q", ds.District, d)
			}
			n := len(ds.Companies)
			if n < 28 || n > 32 {
				t.Fatalf("%s/%d: %d companies, want 28–32", d, seed, n)
			}
			var guards, passed, preJob, certified, badge, volunteer, partyMembers, party, union, home int
			statuses := map[string]int{}
			for _, c := range ds.Companies {
				statuses[c.Status]++
				if !strings.HasPrefix(c.Name, "武汉") || utf8.RuneCountInString(c.Name) < 8 {
					t.Errorf("company name %q does not look like a Wuhan company", c.Name)
				}
				if err := idcheck.ValidateCreditCode(c.CreditCode); err != nil || !creditRe.MatchString(c.CreditCode) {
					t.Errorf("credit code %q: %v", c.CreditCode, err)
				}
				if !licenceRe.MatchString(c.LicenceNumber) {
					t.Errorf("licence %q has an unexpected form", c.LicenceNumber)
				}
				if !phoneRe.MatchString(c.ContactPhone) {
					t.Errorf("phone %q is not a mobile number", c.ContactPhone)
				}
				if !strings.HasPrefix(c.Address, "武汉") || !strings.HasSuffix(c.Address, "号") {
					t.Errorf("address %q is not a Wuhan street address", c.Address)
				}
				if c.ContactName == "" || c.Kind == "" || c.Level == "" {
					t.Errorf("company %q misses contact, kind or level", c.Name)
				}
				if c.PartyOrg != (c.PartyOrgSince != "") || (c.PartyOrgSince != "" && !before(t, c.PartyOrgSince, ref)) {
					t.Errorf("company %q: party org %v since %q", c.Name, c.PartyOrg, c.PartyOrgSince)
				}
				if c.WorkersHome && !c.TradeUnion {
					t.Errorf("company %q has a workers' home without a union", c.Name)
				}
				if c.PartyOrg {
					party++
				}
				if c.TradeUnion {
					union++
				}
				if c.WorkersHome {
					home++
				}
				switch {
				case c.Status == StatusApplied && len(c.Guards) != 0:
					// Membership refuses a hire into a company not yet admitted.
					t.Errorf("applied company %q has %d guards, want none", c.Name, len(c.Guards))
				case c.Status != StatusApplied && (len(c.Guards) < 5 || len(c.Guards) > 20):
					t.Errorf("company %q has %d guards, want 5–20", c.Name, len(c.Guards))
				}
				if c.Kind == KindServiceCompany {
					if err := idcheck.ValidateLicenceNumber(c.LicenceNumber); err != nil {
						t.Errorf("service company %q: licence %q: %v", c.Name, c.LicenceNumber, err)
					}
				}
				for _, g := range c.Guards {
					guards++
					if err := idcheck.ValidateResidentID(g.IDNumber); err != nil {
						t.Errorf("ID number %q: %v", g.IDNumber, err)
					}
					if !strings.HasPrefix(g.IDNumber, "42") {
						t.Errorf("ID number %q is not from Hubei", g.IDNumber)
					}
					birth, err := time.Parse("20060102", g.IDNumber[6:14])
					if err != nil {
						t.Fatal(err)
					}
					if age := ref.Sub(birth).Hours() / 24 / 365.25; age < 20 || age > 60 {
						t.Errorf("guard %s is %.1f years old", g.IDNumber, age)
					}
					n := utf8.RuneCountInString(g.Name)
					if n < 2 || n > 3 {
						t.Errorf("guard name %q is not a Chinese name", g.Name)
					}
					if !before(t, g.HiredOn, ref) {
						t.Errorf("hired on %s after the reference date", g.HiredOn)
					}
					if (g.CertificateNumber == "") != (g.CertificateIssuedOn == "") {
						t.Errorf("guard %s: certificate %q issued on %q", g.IDNumber, g.CertificateNumber, g.CertificateIssuedOn)
					}
					if g.CertificateNumber != "" {
						certified++
						if !certRe.MatchString(g.CertificateNumber) || !before(t, g.CertificateIssuedOn, ref) {
							t.Errorf("certificate %q issued %q", g.CertificateNumber, g.CertificateIssuedOn)
						}
					}
					switch g.BackgroundCheck {
					case CheckPassed:
						passed++
						fallthrough
					case CheckPending, CheckFailed:
						if !before(t, g.BackgroundCheckOn, ref) {
							t.Errorf("background check on %q", g.BackgroundCheckOn)
						}
					case "":
						if g.BackgroundCheckOn != "" {
							t.Errorf("no background check but a date %q", g.BackgroundCheckOn)
						}
					default:
						t.Errorf("background check %q", g.BackgroundCheck)
					}
					for k, tr := range g.Trainings {
						if tr.Type == TrainingPreJob {
							if k != 0 {
								t.Errorf("pre-job training is record %d", k)
							}
							preJob++
						} else if tr.Type != TrainingInService {
							t.Errorf("training type %q", tr.Type)
						}
						if tr.Hours <= 0 || tr.Topic == "" || !before(t, tr.TrainedOn, ref) {
							t.Errorf("training %+v", tr)
						}
					}
					if g.BadgeService {
						badge++
					}
					if g.VolunteerPolice {
						volunteer++
					}
					if g.PartyMember {
						partyMembers++
					}
				}
			}
			if guards < 200 || guards > 640 {
				t.Errorf("%s/%d: %d guards, want a few hundred", d, seed, guards)
			}
			if statuses[StatusApplied] == 0 || statuses[StatusSuspended] == 0 || statuses[StatusActive] < n*3/4 {
				t.Errorf("%s/%d: statuses %v, want most active and some applied and suspended", d, seed, statuses)
			}
			rate := func(name string, k, of int, lo, hi float64) {
				if r := float64(k) / float64(of); r < lo || r > hi {
					t.Errorf("%s/%d: %s rate %.2f outside [%.2f, %.2f]", d, seed, name, r, lo, hi)
				}
			}
			rate("background passed", passed, guards, 0.70, 0.90)
			rate("pre-job trained", preJob, guards, 0.80, 1)
			rate("certified", certified, guards, 0.75, 0.95)
			rate("badge service", badge, guards, 0.60, 0.80)
			rate("volunteer police", volunteer, guards, 0.05, 0.40)
			rate("party members", partyMembers, guards, 0.02, 0.20)
			rate("party org", party, n, 0.38, 0.62)
			rate("union", union, n, 0.38, 0.62)
			rate("workers' home", home, n, 0.18, 0.40)
		}
	}
}

func before(t *testing.T, date string, ref time.Time) bool {
	t.Helper()
	d, err := time.Parse(dateLayout, date)
	if err != nil {
		t.Errorf("date %q: %v", date, err)
		return false
	}
	return !d.After(ref)
}

func TestGenerateValuesAreUniqueWithinAndAcrossDistricts(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	check := func(kind, v, where string) {
		t.Helper()
		if prev, dup := seen[kind+v]; dup {
			t.Errorf("%s %q appears in %s and %s", kind, v, prev, where)
		}
		seen[kind+v] = where
	}
	for _, d := range []string{"jingkai", "caidian"} {
		ds := Generate(20250923, d)
		contacts := map[string]bool{}
		for _, c := range ds.Companies {
			check("company", c.Name, d)
			check("credit", c.CreditCode, d)
			check("licence", c.LicenceNumber, d)
			check("phone", c.ContactPhone, d)
			if contacts[c.ContactName] {
				t.Errorf("%s: contact %q heads two companies", d, c.ContactName)
			}
			contacts[c.ContactName] = true
			for _, g := range c.Guards {
				check("id", g.IDNumber, d)
				if g.CertificateNumber != "" {
					check("cert", g.CertificateNumber, d)
				}
			}
		}
	}
}

func TestGenerateCouncil(t *testing.T) {
	t.Parallel()
	type seat struct{ pos, person, inCharge string }
	seats := func(ds Dataset) map[seat]int {
		m := map[seat]int{}
		for _, s := range ds.CouncilMembers {
			if s.Term != CouncilTerm {
				t.Errorf("seat %+v is not of term %d", s, CouncilTerm)
			}
			m[seat{s.Position, s.PersonName, s.DistrictInCharge}]++
		}
		return m
	}
	directors := func(ds Dataset) int {
		heads := map[string]bool{}
		for _, c := range ds.Companies {
			if c.Level == LevelCouncil {
				heads[c.ContactName] = true
			}
		}
		n := 0
		for _, s := range ds.CouncilMembers {
			if s.Position == "director" {
				if !heads[s.PersonName] {
					t.Errorf("director %q heads no council-level company", s.PersonName)
				}
				n++
			}
		}
		return n
	}

	jk := Generate(7, "jingkai")
	js := seats(jk)
	for _, want := range []seat{{"president", "肖军", ""}, {"secretary_general", "陈年初", ""}, {"supervisor_chief", "曾宪雄", ""}, {"vice_president", "罗灯亮", "jingkai"}} {
		if js[want] != 1 {
			t.Errorf("jingkai: seat %+v appears %d times, want once", want, js[want])
		}
	}
	if n := directors(jk); n < 3 || n > 5 {
		t.Errorf("jingkai: %d directors, want 3–5", n)
	}

	cd := Generate(7, "caidian")
	cs := seats(cd)
	if cs[seat{"vice_president", "罗灯亮", "caidian"}] != 1 {
		t.Errorf("caidian: 罗灯亮 is not vice-president in charge: %v", cs)
	}
	for s := range cs {
		if s.pos == "president" || s.pos == "secretary_general" || s.pos == "supervisor_chief" {
			t.Errorf("caidian repeats the city-wide officer %+v", s)
		}
	}

	other := Generate(7, "hongshan")
	vps := 0
	for _, s := range other.CouncilMembers {
		if s.Position == "vice_president" {
			vps++
			if s.DistrictInCharge != "hongshan" || s.PersonName == "罗灯亮" {
				t.Errorf("hongshan vice-president %+v", s)
			}
		}
	}
	if vps != 1 {
		t.Errorf("hongshan: %d vice-presidents, want 1", vps)
	}
	if directors(other) < 3 {
		t.Errorf("hongshan: fewer than 3 directors")
	}
}

func TestDistrictWordsAppear(t *testing.T) {
	t.Parallel()
	for d, words := range map[string][]string{
		"jingkai": {"经开", "沌口", "军山", "车城", "汉南", "沌阳", "三角湖", "纱帽", "太子湖", "东风", "经济技术开发区"},
		"caidian": {"蔡甸", "奓山", "索河", "中法生态城", "知音湖", "玉贤", "张湾", "常福", "侏儒山", "消泗"},
	} {
		for _, c := range Generate(3, d).Companies {
			ok := false
			for _, w := range words {
				ok = ok || strings.Contains(c.Name, w)
			}
			if !ok {
				t.Errorf("%s company %q has no place word of the district", d, c.Name)
			}
			if d == "jingkai" && !strings.HasPrefix(c.Address, "武汉经济技术开发区") {
				t.Errorf("jingkai address %q is outside the zone", c.Address)
			}
			if d == "caidian" && !strings.HasPrefix(c.Address, "武汉市蔡甸区") {
				t.Errorf("caidian address %q is outside the district", c.Address)
			}
		}
	}
}
