package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/kitx"
)

// Things a guard may lack, for SearchGuardsInput.Missing.
const (
	// MissingBackgroundCheck: no passed background check (none, pending
	// or failed).
	MissingBackgroundCheck = "background_check"
	// MissingTraining: no pre-job training (岗前培训) on record.
	MissingTraining = "training"
	// MissingBadge: no badge service (保安员证件/徽章 service) on record.
	MissingBadge = "badge"
)

// SearchGuardsInput is the body of a guard search: every field set narrows
// it. It is a POST body, not a query, so a national ID number is never in
// a URL (nor in an access log, a proxy's log or a browser's history).
type SearchGuardsInput struct {
	// Name is a substring of the guard's name (张 finds 张伟 and 李张).
	Name string `json:"name" doc:"a substring of the name, at most 100 characters"`
	// CertificateNumber is a certificate number, exactly.
	CertificateNumber string `json:"certificate_number" doc:"a certificate number (保安员证号), exactly"`
	// IDNumber is a national ID number, exactly; it is compared through the
	// keyed hash and never stored or logged.
	IDNumber string `json:"id_number" doc:"a national ID number, exactly (checked, then compared by its keyed hash; never logged)"`
	// CompanyID limits the search to one company (a company-admin must
	// name its own).
	CompanyID        string `json:"company_id"`
	EmploymentStatus string `json:"employment_status" enum:"active,left"`
	// VolunteerPolice, when set, keeps guards who are (true) or are not
	// (false) volunteer police.
	VolunteerPolice *bool `json:"volunteer_police"`
	// Missing keeps guards who lack every listed thing.
	Missing []string `json:"missing" enum:"background_check,training,badge" doc:"keep only guards lacking each of: background_check (no passed check), training (no pre-job training), badge (no badge service)"`
}

// SearchRequest is a search with its page.
type SearchRequest struct {
	Page  kitx.Page
	Input SearchGuardsInput
}

// SearchGuards implements Service.
func (s *Membership) SearchGuards(ctx context.Context, in SearchGuardsInput, page kitx.Page) ([]Guard, string, error) {
	f := GuardFilter{CompanyID: in.CompanyID, EmploymentStatus: in.EmploymentStatus, VolunteerPolice: in.VolunteerPolice}
	if f.EmploymentStatus != "" && f.EmploymentStatus != EmploymentActive && f.EmploymentStatus != EmploymentLeft {
		return nil, "", ErrGuardEmploymentInvalid
	}
	f.Name = strings.TrimSpace(in.Name)
	if utf8.RuneCountInString(f.Name) > 100 {
		return nil, "", ErrGuardNameTooLong
	}
	f.CertificateNumber = strings.TrimSpace(in.CertificateNumber)
	if utf8.RuneCountInString(f.CertificateNumber) > 100 {
		return nil, "", ErrGuardCertificateNumberLong
	}
	if err := singleLine("name", f.Name, "certificate_number", f.CertificateNumber); err != nil {
		return nil, "", err
	}
	if strings.TrimSpace(in.IDNumber) != "" {
		id, err := s.ids.NormalizeResidentID(in.IDNumber)
		if err != nil {
			return nil, "", explain(ErrGuardIDNumberInvalid, err)
		}
		f.IDHash = s.ids.HashResidentID(id)
	}
	for _, m := range in.Missing {
		switch m {
		case MissingBackgroundCheck:
			f.MissingBackgroundCheck = true
		case MissingTraining:
			f.MissingTraining = true
		case MissingBadge:
			f.MissingBadge = true
		default:
			return nil, "", ErrSearchMissingInvalid
		}
	}
	if f.CompanyID != "" {
		if _, err := s.repo.GetCompany(ctx, f.CompanyID); err != nil {
			return nil, "", err
		}
	}
	f.Day = today(s.now())
	items, next, err := s.repo.ListGuards(ctx, f, page)
	if err != nil {
		return nil, "", err
	}
	for i := range items {
		if items[i], err = s.presentFor(ctx, items[i]); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}
