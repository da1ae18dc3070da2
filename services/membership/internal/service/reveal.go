package service

import (
	"context"
	"fmt"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// RevealIDNumber reports whether p sees the full national ID number of a
// guard employed by company companyID in responses; everyone else sees it
// masked (420************123). It decides on top of the policy table: the
// caller has already been allowed to read the guard at all.
//
//   - hq-admin: the association's registrar of record, city-wide.
//   - police: the supervising authority, who checks identities.
//   - company-admin of the guard's own company: the employer, who needs the
//     number for contracts and insurance (and gave it to us at hire).
//   - district-admin: masked. Running the district group's data needs
//     counts and statuses, not identities; the fewer people who can read
//     a full number, the smaller a leaked admin token's harm.
//   - guard, own record: masked. The guard knows their own number; showing
//     it would only make a stolen phone token worth more.
//   - ops: never reaches guard data (no policy row allows it).
func RevealIDNumber(p auth.Principal, companyID string) bool {
	switch p.Role {
	case auth.RoleHQAdmin, auth.RolePolice:
		return true
	case auth.RoleCompanyAdmin:
		return companyID != "" && p.Company == companyID
	}
	return false
}

// revealFor reports whether the caller of ctx sees g's full ID number.
func revealFor(ctx context.Context, companyID string) bool {
	p, ok := auth.FromContext(ctx)
	return ok && RevealIDNumber(p, companyID)
}

// presentFor is present for the caller of ctx: the ID number in full when
// RevealIDNumber allows it, masked otherwise. The full number is opened from
// the sealed column (re-read when g came from a replayed idempotent result,
// which never stores it) and only ever lives in the response.
func (s *Membership) presentFor(ctx context.Context, g Guard) (Guard, error) {
	// Certified is the day's, not the stored row's: judged on every read.
	g.Certified = g.CertifiedOn(today(s.now()))
	if !revealFor(ctx, g.CompanyID) {
		return s.present(g)
	}
	id := g.IDNumber
	if id == "" {
		sealed := g.IDNumberSealed
		if sealed == "" {
			stored, err := s.repo.GetGuard(ctx, g.ID)
			if err != nil {
				return Guard{}, err
			}
			sealed = stored.IDNumberSealed
		}
		var err error
		if id, err = s.sealer.Open(sealed); err != nil {
			return Guard{}, fmt.Errorf("membership: guard %s: open id number: %w", g.ID, err)
		}
	}
	g.IDNumber = ""
	g.IDNumberMasked = id
	g.ETag = kitx.ETag(g.Version)
	return g, nil
}

// GuardCompany returns the id of the company that employs (or employed)
// guard id, or ErrGuardNotFound: the owner the authorization check of the
// /guards/{id} endpoints decides on.
func (s *Membership) GuardCompany(ctx context.Context, id string) (string, error) {
	return s.repo.GuardCompany(ctx, id)
}

// ImportCompany returns the company import job id imports into, or
// ErrImportNotFound: the owner the authorization check of GET
// /imports/{id} decides on.
func (s *Membership) ImportCompany(ctx context.Context, id string) (string, error) {
	return s.repo.ImportCompany(ctx, id)
}
