// Package transport holds the compliance service's consumer of its
// district's membership topic and its own HTTP decoders.
package transport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/node"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// MembershipService is the district service whose topic the node consumes
// (gh.<district>.membership.v1).
const MembershipService = "membership"

// MembershipGroupID returns the consumer group (and inbox name) of
// district's compliance node on its membership topic.
func MembershipGroupID(district string) string { return "compliance-" + district }

// Applier applies one decoded membership event inside the consumer's
// transaction (the node's scoreboard over store.Store.In), and settles
// the transaction before it commits (the flush of the consumer's Batch scope: the
// counts of its events, kept in memory, written once).
type Applier interface {
	ApplyIn(ctx context.Context, tx *sql.Tx, ev service.MembershipEvent) error
	SettleIn(ctx context.Context, tx *sql.Tx) error
}

// MembershipEvents is the node's consumer of its district's membership
// topic: the guard events keep the scoreboard (compliance never calls
// membership, rule 3 of the design), the company events its register of
// names and statuses. Council events are settled without a change.
type MembershipEvents struct {
	District string
	Apply    Applier
	// Consumer is the rest of the consumer's configuration; Run sets its
	// Topic, GroupID and Handler.
	Consumer eventbus.ConsumerConfig
}

// Run consumes the membership topic until ctx ends, restarting the
// consumer with backoff when it fails.
func (e MembershipEvents) Run(ctx context.Context) {
	base := e.Consumer
	// The transaction's counts are written once, before it commits.
	base.Batch = func(ctx context.Context) (context.Context, func(context.Context, *sql.Tx) error) {
		return ctx, e.Apply.SettleIn
	}
	node.Consumer{Name: "compliance: membership consumer", Topic: eventbus.Topic(e.District, MembershipService),
		GroupID: MembershipGroupID(e.District), Handler: e.Handle, Base: base}.Run(ctx)
}

// Handle applies one event of the membership topic inside tx, the
// consumer's transaction, so a redelivered event is applied once (the
// inbox) and an older snapshot never replaces a newer one (the
// scoreboard's version check). An event that can never apply is rejected
// and dead-lettered.
func (e MembershipEvents) Handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	env := msg.Envelope
	if env.GetService() != MembershipService {
		return eventbus.Reject(eventbus.ReasonWrongService, fmt.Errorf("compliance: service %q on the membership topic", env.GetService()))
	}
	ev, ok, err := Decode(env)
	if !ok {
		return nil
	}
	if errors.Is(err, errDistrictMismatch) {
		return eventbus.Reject(eventbus.ReasonDistrictMismatch, fmt.Errorf("compliance: %s: %w", env.GetType(), err))
	}
	if err != nil {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("compliance: decode %s: %w", env.GetType(), err))
	}
	return e.Apply.ApplyIn(ctx, tx, ev)
}

// errDistrictMismatch is a snapshot of another district in this one's
// topic.
var errDistrictMismatch = errors.New("compliance: snapshot of another district")

// Decode turns a membership envelope into the scoreboard's event; ok is
// false for a type the scoreboard does not read. A snapshot without an id,
// a version, a company or a status, or of another district, is an error.
func Decode(env *eventsv1.Envelope) (ev service.MembershipEvent, ok bool, err error) {
	var g *eventsv1.Guard
	var c *eventsv1.Company
	var tr *eventsv1.TrainingRecorded
	isCompany := false
	p := env.GetPayload()
	switch env.GetType() {
	case eventsv1.TypeCompanyRegistered:
		var m eventsv1.CompanyRegistered
		err, c, isCompany = proto.Unmarshal(p, &m), m.GetCompany(), true
	case eventsv1.TypeCompanyUpdated:
		var m eventsv1.CompanyUpdated
		err, c, isCompany = proto.Unmarshal(p, &m), m.GetCompany(), true
	case eventsv1.TypeCompanyStatusChanged:
		var m eventsv1.CompanyStatusChanged
		err, c, isCompany = proto.Unmarshal(p, &m), m.GetCompany(), true
	case eventsv1.TypeGuardHired:
		var m eventsv1.GuardHired
		err, g = proto.Unmarshal(p, &m), m.GetGuard()
	case eventsv1.TypeGuardUpdated:
		var m eventsv1.GuardUpdated
		err, g = proto.Unmarshal(p, &m), m.GetGuard()
	case eventsv1.TypeGuardLeft:
		var m eventsv1.GuardLeft
		err, g = proto.Unmarshal(p, &m), m.GetGuard()
	case eventsv1.TypeBackgroundCheckRecorded:
		var m eventsv1.BackgroundCheckRecorded
		err, g = proto.Unmarshal(p, &m), m.GetGuard()
	case eventsv1.TypeCertificateIssued:
		var m eventsv1.CertificateIssued
		err, g = proto.Unmarshal(p, &m), m.GetGuard()
	case eventsv1.TypeCertificateExpiring:
		var m eventsv1.CertificateExpiring
		err, g = proto.Unmarshal(p, &m), m.GetGuard()
	case eventsv1.TypeTrainingRecorded:
		var m eventsv1.TrainingRecorded
		err, g, tr = proto.Unmarshal(p, &m), m.GetGuard(), &m
	default:
		return ev, false, nil
	}
	if err != nil {
		return ev, true, err
	}
	if isCompany {
		if c.GetId() == "" || c.GetVersion() <= 0 || c.GetStatus() == "" {
			return ev, true, errors.New("company snapshot without an id, a version and a status")
		}
		if d := c.GetDistrict(); d != "" && d != env.GetDistrict() {
			return ev, true, errDistrictMismatch
		}
		ev.Company = &service.Company{ID: c.GetId(), Name: c.GetName(), Status: c.GetStatus(), Version: c.GetVersion(), EventID: env.GetEventId()}
		if env.GetOccurredAt() != nil {
			ev.Company.At = env.GetOccurredAt().AsTime()
		}
		return ev, true, nil
	}
	if g.GetId() == "" || g.GetVersion() <= 0 || g.GetCompanyId() == "" {
		return ev, true, errors.New("guard snapshot without an id, a version and a company")
	}
	switch g.GetEmploymentStatus() {
	case service.EmploymentActive, service.EmploymentLeft:
	default:
		return ev, true, fmt.Errorf("guard snapshot with employment_status %q", g.GetEmploymentStatus())
	}
	if d := g.GetDistrict(); d != "" && d != env.GetDistrict() {
		return ev, true, errDistrictMismatch
	}
	ev.Guard = &service.Guard{ID: g.GetId(), CompanyID: g.GetCompanyId(), EmploymentStatus: g.GetEmploymentStatus(),
		BackgroundCheckStatus: g.GetBackgroundCheckStatus(), HasCertificate: g.GetHasCertificate(),
		CertificateValidUntil: g.GetCertificateValidUntil(), BadgeService: g.GetBadgeService(), PreJobTrained: g.GetPreJobTrained(),
		Version: g.GetVersion()}
	if tr != nil {
		switch tr.GetTrainingType() {
		case service.TrainingPreJob, service.TrainingInService:
		default:
			return ev, true, fmt.Errorf("training_type %q", tr.GetTrainingType())
		}
		if !(tr.GetHours() > 0 && tr.GetHours() <= 1000) || len(tr.GetTrainedOn()) != 10 {
			return ev, true, errors.New("training without hours (0, 1000] and a trained_on date")
		}
		ev.Training = &service.Training{GuardID: g.GetId(), GuardVersion: g.GetVersion(), Type: tr.GetTrainingType(),
			Hours: tr.GetHours(), TrainedOn: tr.GetTrainedOn()}
	}
	return ev, true, nil
}
