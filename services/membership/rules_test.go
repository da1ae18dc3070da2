package membership_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/idcheck"
	"github.com/guildhall/guildhall/pkg/testutil"
)

// certGuard is a guard with the certificate fields of its response.
type certGuard struct {
	ID                    string `json:"id"`
	CertificateNumber     string `json:"certificate_number"`
	CertificateValidUntil string `json:"certificate_valid_until"`
	CertificateAuthority  string `json:"certificate_authority"`
	Certified             bool   `json:"certified"`
	Version               int64  `json:"version"`
}

// TestDataRulesRefuseWithAStableIDAndWriteNothing is the bad-input table of
// issue 9's membership rules: the licence number's form, the read-only
// convention version, only an active company hires, one certificate number
// per active guard of the district, a left guard's closed record, and the
// certificate's end date and authority. Each refusal has its status, id and
// field, and writes nothing: no row, no outbox event, no audit row.
func TestDataRulesRefuseWithAStableIDAndWriteNothing(t *testing.T) {
	e := newEnv(t)
	c := e.activeCompany(1)
	applied := e.registerCompany(2)
	holder := e.hire(c.ID, 1)
	e.Must(http.StatusOK, "POST", "/guards/"+holder.ID+"/certificate", map[string]any{"certificate_number": "鄂保证0001", "issued_on": "2024-01-01"}, nil)
	other := e.hire(c.ID, 2)
	left := e.hire(c.ID, 3)
	e.Must(http.StatusOK, "POST", "/guards/"+left.ID+"/leave", map[string]any{"left_on": "2025-02-01"}, nil)
	da := testutil.PrincipalHeaders(auth.Principal{Role: auth.RoleDistrictAdmin, Districts: []string{"jingkai"}}, "dora")

	company := func(mod map[string]any) map[string]any {
		b := map[string]any{"name": "规则保安公司", "credit_code": creditCode(t, 90), "licence_number": idcheck.MakeLicenceNumber("鄂", 2019, 90), "kind": "service_company"}
		for k, v := range mod {
			b[k] = v
		}
		return b
	}
	hire := func(mod map[string]any) map[string]any {
		b := map[string]any{"name": "赵六", "id_number": residentID(6), "hired_on": "2025-01-01"}
		for k, v := range mod {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		name, method, path string
		body               any
		hdr                []string
		status             int
		id, field          string
	}{
		{"A licence number of \"abc\" is company.licence_number_invalid.", "POST", "/companies",
			company(map[string]any{"licence_number": "abc"}), nil, 400, "company.licence_number_invalid", "licence_number"},
		{"A licence number of \"L\" is company.licence_number_invalid.", "POST", "/companies",
			company(map[string]any{"licence_number": "L"}), nil, 400, "company.licence_number_invalid", "licence_number"},
		{"A licence of a year to come is company.licence_number_invalid.", "POST", "/companies",
			company(map[string]any{"licence_number": "鄂公保服务许字〔2999〕第022号"}), nil, 400, "company.licence_number_invalid", "licence_number"},
		{"A licence without 号 is company.licence_number_invalid.", "POST", "/companies",
			company(map[string]any{"licence_number": "鄂公保服务许字〔2012〕第022"}), nil, 400, "company.licence_number_invalid", "licence_number"},
		{"A PATCH to a licence number of \"abc\" is company.licence_number_invalid.", "PATCH", "/companies/" + c.ID,
			map[string]any{"licence_number": "abc"}, nil, 400, "company.licence_number_invalid", "licence_number"},
		{"A PATCH to an empty licence number is company.licence_number_required.", "PATCH", "/companies/" + c.ID,
			map[string]any{"licence_number": " "}, nil, 400, "company.licence_number_required", "licence_number"},
		{"A registration naming convention_version is company.convention_version_read_only.", "POST", "/companies",
			company(map[string]any{"convention_version": "2025版"}), nil, 400, "company.convention_version_read_only", "convention_version"},
		{"A district-admin's PATCH of convention_version is company.convention_version_read_only.", "PATCH", "/companies/" + c.ID,
			map[string]any{"convention_version": "2025版"}, da, 400, "company.convention_version_read_only", "convention_version"},
		{"An hq-admin's PATCH of convention_version with other fields is refused whole.", "PATCH", "/companies/" + c.ID,
			map[string]any{"convention_version": "2025版", "workers_home": true}, nil, 400, "company.convention_version_read_only", "convention_version"},
		{"Hiring into an applied company is company.not_accepting_guards.", "POST", "/companies/" + applied.ID + "/guards",
			hire(nil), nil, 409, "company.not_accepting_guards", ""},
		{"An import into an applied company is company.not_accepting_guards.", "POST", "/companies/" + applied.ID + "/guards/imports",
			"name,id_number\n赵六," + residentID(6) + "\n", []string{"Content-Type", "text/csv"}, 409, "company.not_accepting_guards", ""},
		{"A hire with the certificate number of an active guard is guard.certificate_number_taken.", "POST", "/companies/" + c.ID + "/guards",
			hire(map[string]any{"certificate_number": "鄂保证0001", "certificate_issued_on": "2025-01-01"}), nil, 409, "guard.certificate_number_taken", "certificate_number"},
		{"Spaces around the number do not dodge the certificate check.", "POST", "/companies/" + c.ID + "/guards",
			hire(map[string]any{"certificate_number": " 鄂保证0001 ", "certificate_issued_on": "2025-01-01"}), nil, 409, "guard.certificate_number_taken", "certificate_number"},
		{"Issuing another guard an active guard's certificate number is guard.certificate_number_taken.", "POST", "/guards/" + other.ID + "/certificate",
			map[string]any{"certificate_number": "鄂保证0001", "issued_on": "2025-01-01"}, nil, 409, "guard.certificate_number_taken", "certificate_number"},
		{"A training for a guard who left is guard.not_active.", "POST", "/guards/" + left.ID + "/trainings",
			map[string]any{"type": "in_service", "hours": 4, "trained_on": "2025-03-01"}, nil, 409, "guard.not_active", ""},
		{"A background check for a guard who left is guard.not_active.", "POST", "/guards/" + left.ID + "/background-checks",
			map[string]any{"status": "passed", "checked_on": "2025-03-01"}, nil, 409, "guard.not_active", ""},
		{"A certificate for a guard who left is guard.not_active.", "POST", "/guards/" + left.ID + "/certificate",
			map[string]any{"certificate_number": "鄂保证0099", "issued_on": "2025-03-01"}, nil, 409, "guard.not_active", ""},
		{"Leaving twice is guard.not_active.", "POST", "/guards/" + left.ID + "/leave", map[string]any{}, nil, 409, "guard.not_active", ""},
		{"A valid_until before issued_on is guard.valid_until_invalid.", "POST", "/guards/" + other.ID + "/certificate",
			map[string]any{"certificate_number": "鄂保证0002", "issued_on": "2025-01-02", "valid_until": "2025-01-01"}, nil, 400, "guard.valid_until_invalid", "valid_until"},
		{"A valid_until that is not a date is guard.valid_until_invalid.", "POST", "/guards/" + other.ID + "/certificate",
			map[string]any{"certificate_number": "鄂保证0002", "issued_on": "2025-01-02", "valid_until": "2030-02-30"}, nil, 400, "guard.valid_until_invalid", "valid_until"},
		{"A 101-character authority is guard.authority_too_long.", "POST", "/guards/" + other.ID + "/certificate",
			map[string]any{"certificate_number": "鄂保证0002", "issued_on": "2025-01-02", "authority": strings.Repeat("局", 101)}, nil, 400, "guard.authority_too_long", "authority"},
		{"A line break in the authority is request.control_character.", "POST", "/guards/" + other.ID + "/certificate",
			map[string]any{"certificate_number": "鄂保证0002", "issued_on": "2025-01-02", "authority": "武汉市\n公安局"}, nil, 400, "request.control_character", "authority"},
		{"A hire with certificate_valid_until but no number is guard.certificate_number_required.", "POST", "/companies/" + c.ID + "/guards",
			hire(map[string]any{"certificate_valid_until": "2030-01-01"}), nil, 400, "guard.certificate_number_required", "certificate_number"},
		{"A hire whose certificate ends before it was issued is guard.certificate_valid_until_invalid.", "POST", "/companies/" + c.ID + "/guards",
			hire(map[string]any{"certificate_number": "鄂保证0003", "certificate_issued_on": "2025-01-02", "certificate_valid_until": "2024-12-31"}),
			nil, 400, "guard.certificate_valid_until_invalid", "certificate_valid_until"},
		{"A hire with a 101-character authority is guard.certificate_authority_too_long.", "POST", "/companies/" + c.ID + "/guards",
			hire(map[string]any{"certificate_number": "鄂保证0003", "certificate_issued_on": "2025-01-02", "certificate_authority": strings.Repeat("局", 101)}),
			nil, 400, "guard.certificate_authority_too_long", "certificate_authority"},
		{"An expiry window of 0 days is guard.within_days_invalid.", "GET", "/certificates/expiring?within_days=0", nil, nil, 400, "guard.within_days_invalid", "within_days"},
		{"An expiry window of 366 days is guard.within_days_invalid.", "GET", "/certificates/expiring?within_days=366", nil, nil, 400, "guard.within_days_invalid", "within_days"},
		{"An expiry window that is not a number is guard.within_days_invalid.", "GET", "/certificates/expiring?within_days=abc", nil, nil, 400, "guard.within_days_invalid", "within_days"},
		{"The expiring list of an unknown company is company.not_found.", "GET", "/certificates/expiring?company_id=nope", nil, nil, 404, "company.not_found", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts()
			r := e.Do(tc.method, tc.path, tc.body, tc.hdr...)
			if r.Status != tc.status || r.ErrorID() != tc.id || r.ErrorField() != tc.field {
				t.Fatalf("%d %s (field %q), want %d %s (field %q): %s", r.Status, r.ErrorID(), r.ErrorField(), tc.status, tc.id, tc.field, r.Body)
			}
			if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("refused request wrote: %v → %v", before, after)
			}
		})
	}
	for _, id := range []string{holder.ID, other.ID, left.ID} {
		if v := e.version("guards", id); v != map[string]int64{holder.ID: holder.Version + 1, other.ID: other.Version, left.ID: left.Version + 1}[id] {
			t.Errorf("guard %s is at version %d after the refused requests", id, v)
		}
	}
	if v := e.version("companies", c.ID); v != c.Version {
		t.Errorf("company at version %d after the refused requests, want %d", v, c.Version)
	}
}

// TestTheRulesLetThroughWhatTheyShould: the other side of each rule.
func TestTheRulesLetThroughWhatTheyShould(t *testing.T) {
	e := newEnv(t)
	c := e.activeCompany(1)

	// A licence in another spelling (ASCII brackets, full-width digits,
	// spaces) is stored canonically; an in-house unit's filing number is
	// free form.
	var sc struct {
		LicenceNumber string `json:"licence_number"`
	}
	e.Must(http.StatusCreated, "POST", "/companies", map[string]any{"name": "拼写保安公司", "credit_code": creditCode(t, 50),
		"licence_number": " 鄂公保服务许字[2012]第０２２号 ", "kind": "service_company"}, &sc)
	if sc.LicenceNumber != "鄂公保服务许字〔2012〕第022号" {
		t.Errorf("licence stored as %q", sc.LicenceNumber)
	}
	e.Must(http.StatusCreated, "POST", "/companies", map[string]any{"name": "某某医院", "credit_code": creditCode(t, 51),
		"licence_number": "鄂公保备字[2019]0001号", "kind": "in_house_unit"}, &sc)
	if sc.LicenceNumber != "鄂公保备字[2019]0001号" {
		t.Errorf("filing number stored as %q", sc.LicenceNumber)
	}

	// A guard who left keeps their certificate number on record, and it
	// no longer blocks a hire; the holder renewing their own number is no
	// conflict either.
	a := e.hire(c.ID, 1)
	e.Must(http.StatusOK, "POST", "/guards/"+a.ID+"/certificate", map[string]any{"certificate_number": "鄂保证0001", "issued_on": "2024-01-01"}, nil)
	var renewed certGuard
	e.Must(http.StatusOK, "POST", "/guards/"+a.ID+"/certificate", map[string]any{"certificate_number": "鄂保证0001", "issued_on": "2025-01-01",
		"valid_until": "2099-12-31", "authority": "武汉市公安局"}, &renewed)
	if renewed.CertificateValidUntil != "2099-12-31" || renewed.CertificateAuthority != "武汉市公安局" || !renewed.Certified {
		t.Errorf("renewed certificate %+v", renewed)
	}
	e.Must(http.StatusOK, "POST", "/guards/"+a.ID+"/leave", map[string]any{"left_on": "2025-02-01"}, nil)
	var b certGuard
	e.Must(http.StatusCreated, "POST", "/companies/"+c.ID+"/guards", map[string]any{"name": "接任", "id_number": residentID(2),
		"certificate_number": "鄂保证0001", "certificate_issued_on": "2025-03-01", "certificate_valid_until": "2025-03-01"}, &b)
	// Its certificate lapsed long ago: on record, not certified on duty.
	if b.CertificateNumber != "鄂保证0001" || b.Certified {
		t.Errorf("hire with a lapsed certificate %+v", b)
	}
	var list struct {
		Items []certGuard `json:"items"`
	}
	e.Must(http.StatusOK, "GET", "/guards?certificate=has&employment_status=active", nil, &list)
	if len(list.Items) != 0 {
		t.Errorf("certificate=has lists %+v; the only active holder's certificate lapsed", list.Items)
	}
	e.Must(http.StatusOK, "GET", "/guards?certificate=none&employment_status=active", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != b.ID {
		t.Errorf("certificate=none lists %+v, want the lapsed holder", list.Items)
	}
	// A PATCH of the company without convention_version still works.
	e.Must(http.StatusOK, "PATCH", "/companies/"+c.ID, map[string]any{"workers_home": true}, nil)
}
