package service

import (
	"context"
	"errors"
	"time"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/versioned"
)

// MeetingsEventsSubject is the audit subject of changes the node makes on
// its own in reaction to the meetings service's events: no request and no
// person is behind them, the event is.
const MeetingsEventsSubject = "system:meetings-events"

// ActionConventionSigned is the audit action of a company's convention
// version following its signature of the current convention.
const ActionConventionSigned = "company.convention_signed"

// ConventionSignature is a company's signature of a version of the
// self-discipline convention (《行业自律公约》), as the meetings service
// reports it.
type ConventionSignature struct {
	// ID is the signature's id at the meetings service.
	ID        string
	CompanyID string
	// Version is the convention version signed.
	Version  string
	SignedAt time.Time
	// Current reports whether Version was the association's current
	// version when the company signed.
	Current bool
}

// ApplyConventionSignature makes company sig.CompanyID's convention version
// the signed one, in q (the caller's transaction), and returns the change
// to publish: a CompanyUpdated with fields ["convention_version"] and the
// company's next version, audited as MeetingsEventsSubject. It returns no
// change, and writes nothing, for a signature that is not of the current
// version (what membership shows is the current version signed), for a
// company the district does not know (the meetings service may invite
// companies membership has not registered), for a signature older than
// the newest one applied (signatures of different companies may arrive in
// any order), and for one that changes nothing.
func (s *Membership) ApplyConventionSignature(ctx context.Context, q Queries, sig ConventionSignature) ([]Change, error) {
	if !sig.Current || sig.Version == "" || sig.CompanyID == "" {
		return nil, nil
	}
	_, changes, err := versioned.In(ctx, q, companies, sig.CompanyID, kitx.Precondition{}, func(q Queries, c *Company) (Edit, error) {
		last, found, err := q.LatestConventionSignature(ctx, sig.CompanyID)
		if err != nil {
			return Edit{}, err
		}
		if found && (last.ID == sig.ID || sig.SignedAt.Before(last.SignedAt)) {
			return Edit{}, nil
		}
		if err := q.PutConventionSignature(ctx, sig); err != nil {
			return Edit{}, err
		}
		if c.ConventionVersion == sig.Version {
			// Signed again, or set by an admin already: no new version, no event.
			return Edit{}, nil
		}
		c.ConventionVersion = sig.Version
		fields := []string{"convention_version"}
		e := s.EntryAs(audit.Actor{Subject: MeetingsEventsSubject}, ActionConventionSigned, ResourceCompany, c.ID, fields)
		return versioned.Changed(e, Change{Type: EventCompanyUpdated, Company: c, Fields: fields}), nil
	})
	if errors.Is(err, ErrCompanyNotFound) {
		s.logger.DebugContext(ctx, "membership: convention signature of an unknown company ignored",
			"company", sig.CompanyID, "signature", sig.ID)
		return nil, nil
	}
	return changes, err
}
