package service

// The self-discipline convention campaign: the current convention and
// companies' signatures of it.

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/rates"
)

// CurrentConvention implements Service.
func (s *Meetings) CurrentConvention(context.Context) (Convention, error) {
	c := s.convention()
	if c.Version == "" {
		return Convention{}, ErrConventionNotPublished
	}
	return c, nil
}

// SignConvention implements Service. Only a company of the district may
// sign (ErrCompanyNotFound otherwise). A signature of any version is
// recorded; Current says whether it was the current one at signing, and
// only signatures of the version current now count in SignatureRate.
func (s *Meetings) SignConvention(ctx context.Context, in SignInput) (Signature, error) {
	in.CompanyID, in.SignedBy, in.ConventionVersion = strings.TrimSpace(in.CompanyID), strings.TrimSpace(in.SignedBy), strings.TrimSpace(in.ConventionVersion)
	if in.CompanyID == "" || len(in.CompanyID) > 64 {
		return Signature{}, ErrSignatureCompanyRequired
	}
	if in.SignedBy == "" || runeLen(in.SignedBy) > 100 {
		return Signature{}, ErrSignatureSignedByRequired
	}
	if err := kitx.SingleLine("signed_by", in.SignedBy); err != nil {
		return Signature{}, err
	}
	if in.SignedAt != nil && (in.SignedAt.After(s.now().Add(time.Minute)) || in.SignedAt.Before(earliestMeeting)) {
		return Signature{}, ErrSignatureSignedAtInvalid
	}
	if runeLen(in.ConventionVersion) > 50 {
		return Signature{}, ErrSignatureVersionInvalid
	}
	cur := s.convention()
	if in.ConventionVersion == "" {
		if cur.Version == "" {
			return Signature{}, ErrConventionNotPublished
		}
		in.ConventionVersion = cur.Version
	}
	return idempotent(ctx, s, "POST convention/signatures", in.IdempotencyKey, in, func(q Queries) (Signature, []Change, error) {
		// The company must be one of the district's (meetings' projection
		// of membership's register); a suspended or lapsed one may sign,
		// but only active companies count in SignatureRate.
		if _, err := q.GetCompany(ctx, in.CompanyID); errors.Is(err, ErrCompanyNotFound) {
			return Signature{}, nil, ErrCompanyNotFound.WithField("company_id")
		} else if err != nil {
			return Signature{}, nil, err
		}
		if in.MeetingID != "" {
			if _, err := q.GetMeeting(ctx, in.MeetingID); errors.Is(err, ErrMeetingNotFound) {
				return Signature{}, nil, ErrSignatureMeetingInvalid
			} else if err != nil {
				return Signature{}, nil, err
			}
		}
		id, err := newID()
		if err != nil {
			return Signature{}, nil, err
		}
		now := s.now().UTC()
		at := now
		if in.SignedAt != nil {
			at = in.SignedAt.UTC()
		}
		sig := Signature{ID: id, District: s.district, CompanyID: in.CompanyID, ConventionVersion: in.ConventionVersion, SignedBy: in.SignedBy,
			SignedAt: at, MeetingID: in.MeetingID, Current: cur.Version != "" && in.ConventionVersion == cur.Version, CreatedAt: now}
		if err := q.InsertSignature(ctx, sig); err != nil {
			return Signature{}, nil, err
		}
		if err := s.Audit(ctx, q, ActionConventionSign, ResourceSignature, sig.ID, audit.SetFields("company_id", sig.CompanyID,
			"convention_version", sig.ConventionVersion, "signed_by", sig.SignedBy, "signed_at", "x", "meeting_id", sig.MeetingID)); err != nil {
			return Signature{}, nil, err
		}
		return sig, []Change{{Type: EventConventionSigned, Signature: &sig}}, nil
	})
}

// ListSignatures implements Service.
func (s *Meetings) ListSignatures(ctx context.Context, f SignatureFilter, page kitx.Page) ([]Signature, string, error) {
	items, next, err := s.repo.ListSignatures(ctx, f, page)
	for i := range items {
		items[i].District = s.district
	}
	return items, next, err
}

// SignatureRate implements Service.
func (s *Meetings) SignatureRate(ctx context.Context) (SignatureRate, error) {
	cur := s.convention()
	if cur.Version == "" {
		return SignatureRate{}, ErrConventionNotPublished
	}
	signed, companies, err := s.repo.SignatureCounts(ctx, cur.Version)
	if err != nil {
		return SignatureRate{}, err
	}
	return SignatureRate{ConventionVersion: cur.Version, Signed: signed, Companies: companies, Rate: rates.Convention(int64(signed), int64(companies))}, nil
}
