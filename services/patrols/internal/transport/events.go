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
	"github.com/guildhall/guildhall/services/patrols/internal/service"
)

// MembershipService is the district service whose topic the node consumes
// (gh.<district>.membership.v1).
const MembershipService = "membership"

// MembershipGroupID returns the consumer group (and inbox name) of
// district's node on its membership topic: one per district.
func MembershipGroupID(district string) string { return "patrols-" + district }

// GuardStore runs the projection's write inside the consumer's
// transaction (store.Store.In), so the guard, the suspensions it causes,
// their events and the consumer's record of the event commit together.
type GuardStore interface {
	In(ctx context.Context, tx *sql.Tx, fn func(q service.Queries) ([]service.Change, error)) (int, error)
}

// GuardApplier re-gates a guard's memberships (service.Patrols.ApplyGuard).
type GuardApplier interface {
	ApplyGuard(ctx context.Context, q service.Queries, g service.Guard) ([]service.Change, error)
}

// MembershipEvents is the node's consumer of its district's membership
// topic: every event carrying a guard snapshot (GuardHired, GuardUpdated,
// GuardLeft, TrainingRecorded, BackgroundCheckRecorded, CertificateIssued,
// CertificateExpiring) keeps patrols' projection of the district's guards
// and re-gates the guard's team memberships. Patrols never calls
// membership (rule 3 of the design). The other membership events are
// settled without a change.
type MembershipEvents struct {
	// District is the node's district, whose membership topic is read.
	District string
	// Store applies a guard to the projection.
	Store GuardStore
	// Service re-gates the guard.
	Service GuardApplier
	// Notify wakes the outbox relay after an event's suspensions
	// committed (the outbox's Notify); nil: the relay's safety poll.
	Notify func()
	// Consumer is the rest of the consumer's configuration (Brokers, DB,
	// Logger, Metrics, Dialer, Transport); Run sets its Topic, GroupID,
	// Handler and Applied.
	Consumer eventbus.ConsumerConfig
}

// Run consumes the membership topic until ctx ends, restarting the
// consumer with backoff when it fails.
func (e MembershipEvents) Run(ctx context.Context) {
	node.Consumer{Name: "patrols: membership consumer", Topic: eventbus.Topic(e.District, MembershipService),
		GroupID: MembershipGroupID(e.District), Handler: e.Handle, Notify: e.Notify, Base: e.Consumer}.Run(ctx)
}

// guardOf decodes the guard snapshot of a guard event; ok is false for an
// event type that carries none.
func guardOf(env *eventsv1.Envelope) (g *eventsv1.Guard, ok bool, err error) {
	type carrier interface {
		proto.Message
		GetGuard() *eventsv1.Guard
	}
	var m carrier
	switch env.GetType() {
	case eventsv1.TypeGuardHired:
		m = &eventsv1.GuardHired{}
	case eventsv1.TypeGuardUpdated:
		m = &eventsv1.GuardUpdated{}
	case eventsv1.TypeGuardLeft:
		m = &eventsv1.GuardLeft{}
	case eventsv1.TypeTrainingRecorded:
		m = &eventsv1.TrainingRecorded{}
	case eventsv1.TypeBackgroundCheckRecorded:
		m = &eventsv1.BackgroundCheckRecorded{}
	case eventsv1.TypeCertificateIssued:
		m = &eventsv1.CertificateIssued{}
	case eventsv1.TypeCertificateExpiring:
		m = &eventsv1.CertificateExpiring{}
	default:
		return nil, false, nil
	}
	err = proto.Unmarshal(env.GetPayload(), m)
	return m.GetGuard(), true, err
}

// Handle applies one event of the district's membership topic inside tx,
// the consumer's transaction on the node's own database, so a redelivered
// event is applied once (the inbox), and an older snapshot never replaces
// a newer one (versions only move forward: PutGuard). An event that can
// never apply is rejected (eventbus.Reject) and dead-lettered.
func (e MembershipEvents) Handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	env := msg.Envelope
	if env.GetService() != MembershipService {
		return eventbus.Reject(eventbus.ReasonWrongService, fmt.Errorf("patrols: service %q on the membership topic", env.GetService()))
	}
	g, ok, err := guardOf(env)
	if !ok {
		return nil
	}
	if err != nil {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("patrols: decode %s: %w", env.GetType(), err))
	}
	if g.GetId() == "" || g.GetVersion() <= 0 {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("patrols: %s without a guard id and version", env.GetType()))
	}
	if d := g.GetDistrict(); d != "" && d != env.GetDistrict() {
		return eventbus.Reject(eventbus.ReasonDistrictMismatch, fmt.Errorf("patrols: guard of district %q in an event of %q", d, env.GetDistrict()))
	}
	if g.GetEmploymentStatus() == "" {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("patrols: %s: guard without an employment status", env.GetType()))
	}
	_, err = e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
		return e.Service.ApplyGuard(ctx, q, service.Guard{
			ID: g.GetId(), CompanyID: g.GetCompanyId(), EmploymentStatus: g.GetEmploymentStatus(),
			VolunteerPolice: g.GetVolunteerPolice(), HasCertificate: g.GetHasCertificate(),
			CertificateValidUntil: g.GetCertificateValidUntil(), BackgroundCheckStatus: g.GetBackgroundCheckStatus(),
			IDHash: g.GetIdHash(), Version: g.GetVersion(),
		})
	})
	return err
}

// PatrolsService is the service whose topics the node reads in the other
// districts (gh.<other>.patrols.v1), for their assignments.
const PatrolsService = "patrols"

// BookingsGroupID returns the consumer group (and inbox name) of
// district's node on source's patrols topic: one per pair, so each
// district reads every other district's assignments whole.
func BookingsGroupID(district, source string) string {
	return "patrols-" + district + "-bookings-" + source
}

// BookingApplier settles another district's assignments
// (service.Patrols.ApplyForeignAssignment and ApplyForeignCancellation).
type BookingApplier interface {
	ApplyForeignAssignment(ctx context.Context, q service.Queries, b service.ForeignBooking) ([]service.Change, error)
	ApplyForeignCancellation(ctx context.Context, q service.Queries, district, shiftID, guardID string) ([]service.Change, error)
}

// BookingEvents is the node's consumer of another district's patrols
// topic: its ShiftAssigned and ShiftAssignmentCancelled keep the node's
// record of the person's bookings there, so an overlapping assignment of
// the same person here is refused, and one made here before the event
// arrived is settled by the later-is-withdrawn rule. The node never writes
// another district's topic (rule 4): a withdrawal is its own assignment's,
// on its own topic. The other events are settled without a change.
type BookingEvents struct {
	// District is the node's district; Source the district whose patrols
	// topic is read.
	District, Source string
	// Store runs the changes inside the consumer's transaction.
	Store GuardStore
	// Service settles the bookings.
	Service BookingApplier
	// Notify wakes the outbox relay after an event's withdrawals
	// committed; nil: the relay's safety poll.
	Notify func()
	// Consumer is the rest of the consumer's configuration; Run sets its
	// Topic, GroupID, Handler and Applied.
	Consumer eventbus.ConsumerConfig
}

// Run consumes Source's patrols topic until ctx ends, restarting the
// consumer with backoff when it fails.
func (e BookingEvents) Run(ctx context.Context) {
	node.Consumer{Name: "patrols: bookings consumer of " + e.Source, Topic: eventbus.Topic(e.Source, PatrolsService),
		GroupID: BookingsGroupID(e.District, e.Source), Handler: e.Handle, Notify: e.Notify, Base: e.Consumer}.Run(ctx)
}

// Handle applies one event of Source's patrols topic inside tx (the inbox
// makes a redelivery a no-op). A ShiftAssigned without a shift, its times
// or assigned_at can never apply and is dead-lettered.
func (e BookingEvents) Handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	env := msg.Envelope
	if env.GetService() != PatrolsService {
		return eventbus.Reject(eventbus.ReasonWrongService, fmt.Errorf("patrols: service %q on a patrols topic", env.GetService()))
	}
	if env.GetDistrict() == e.District {
		return nil // its own events: nothing to learn
	}
	switch env.GetType() {
	case eventsv1.TypeShiftAssigned:
		var m eventsv1.ShiftAssigned
		if err := proto.Unmarshal(env.GetPayload(), &m); err != nil {
			return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("patrols: decode ShiftAssigned: %w", err))
		}
		sh := m.GetShift()
		if sh.GetId() == "" || m.GetGuardId() == "" || !sh.GetStartsAt().IsValid() || !sh.GetEndsAt().IsValid() || !m.GetAssignedAt().IsValid() {
			return eventbus.Reject(eventbus.ReasonBadPayload, errors.New("patrols: ShiftAssigned without its shift, times, guard or assigned_at"))
		}
		b := service.ForeignBooking{District: env.GetDistrict(), ShiftID: sh.GetId(), GuardID: m.GetGuardId(), Person: m.GetPerson(),
			StartsAt: sh.GetStartsAt().AsTime(), EndsAt: sh.GetEndsAt().AsTime(), AssignedAt: m.GetAssignedAt().AsTime()}
		_, err := e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) { return e.Service.ApplyForeignAssignment(ctx, q, b) })
		return err
	case eventsv1.TypeShiftAssignmentCancelled:
		var m eventsv1.ShiftAssignmentCancelled
		if err := proto.Unmarshal(env.GetPayload(), &m); err != nil {
			return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("patrols: decode ShiftAssignmentCancelled: %w", err))
		}
		if m.GetShift().GetId() == "" || m.GetGuardId() == "" {
			return eventbus.Reject(eventbus.ReasonBadPayload, errors.New("patrols: ShiftAssignmentCancelled without its shift or guard"))
		}
		_, err := e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
			return e.Service.ApplyForeignCancellation(ctx, q, env.GetDistrict(), m.GetShift().GetId(), m.GetGuardId())
		})
		return err
	}
	return nil
}
