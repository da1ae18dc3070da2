// Package transport holds the messaging service's own HTTP decoders and its
// consumers of topics: the district's membership topic (its projection of
// the companies), HQ's directives topic (gh.hq.directives.v1, on a
// district node) and the districts' messaging topics (in the HQ role).
package transport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/node"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
	"github.com/guildhall/guildhall/services/messaging/internal/store"
)

// Topic names.
const (
	// MembershipService is the district service whose topic a district
	// node consumes (gh.<district>.membership.v1).
	MembershipService = "membership"
	// HQDistrict and DirectivesService make HQ's directives topic,
	// gh.hq.directives.v1: the HQ role's outbox is that of district "hq",
	// service "directives".
	HQDistrict        = "hq"
	DirectivesService = "directives"
	// MessagingService is the district topic the HQ role consumes.
	MessagingService = "messaging"
)

// DirectivesTopic is the one topic of HQ's directives for the city.
var DirectivesTopic = eventbus.Topic(HQDistrict, DirectivesService)

// Store runs a write inside a consumer's transaction (store.Store.In), so
// the change and the consumer's record of the event commit together.
type Store interface {
	In(ctx context.Context, tx *sql.Tx, fn func(q service.Queries) ([]service.Change, error)) (int, error)
	Outbox() *eventbus.Outbox
}

// MembershipEvents is a district node's consumer of its district's
// membership topic: the company events keep messaging's projection of the
// district's companies (status, and level for an audience by role).
type MembershipEvents struct {
	District string
	Store    Store
	// Consumer is the rest of the consumer's configuration; Run sets
	// Topic, GroupID and Handler.
	Consumer eventbus.ConsumerConfig
}

// Run consumes the membership topic until ctx ends (eventbus.SuperviseConsumer).
func (e MembershipEvents) Run(ctx context.Context) {
	node.Consumer{Name: "messaging: membership consumer", Topic: eventbus.Topic(e.District, MembershipService),
		GroupID: "messaging-" + e.District, Handler: e.Handle, Base: e.Consumer}.Run(ctx)
}

func companyOf(env *eventsv1.Envelope) (c *eventsv1.Company, ok bool, err error) {
	switch env.GetType() {
	case eventsv1.TypeCompanyRegistered:
		var m eventsv1.CompanyRegistered
		err = proto.Unmarshal(env.GetPayload(), &m)
		return m.GetCompany(), true, err
	case eventsv1.TypeCompanyUpdated:
		var m eventsv1.CompanyUpdated
		err = proto.Unmarshal(env.GetPayload(), &m)
		return m.GetCompany(), true, err
	case eventsv1.TypeCompanyStatusChanged:
		var m eventsv1.CompanyStatusChanged
		err = proto.Unmarshal(env.GetPayload(), &m)
		return m.GetCompany(), true, err
	}
	return nil, false, nil
}

// guardOf returns the guard snapshot of a guard event of membership's.
func guardOf(env *eventsv1.Envelope) (g *eventsv1.Guard, ok bool, err error) {
	var m interface {
		proto.Message
		GetGuard() *eventsv1.Guard
	}
	switch env.GetType() {
	case eventsv1.TypeGuardHired:
		m = &eventsv1.GuardHired{}
	case eventsv1.TypeGuardUpdated:
		m = &eventsv1.GuardUpdated{}
	case eventsv1.TypeGuardLeft:
		m = &eventsv1.GuardLeft{}
	case eventsv1.TypeCertificateIssued:
		m = &eventsv1.CertificateIssued{}
	case eventsv1.TypeCertificateExpiring:
		m = &eventsv1.CertificateExpiring{}
	case eventsv1.TypeTrainingRecorded:
		m = &eventsv1.TrainingRecorded{}
	case eventsv1.TypeBackgroundCheckRecorded:
		m = &eventsv1.BackgroundCheckRecorded{}
	default:
		return nil, false, nil
	}
	err = proto.Unmarshal(env.GetPayload(), m)
	return m.GetGuard(), true, err
}

// Handle applies one event of the membership topic inside tx; versions
// only move forward (PutCompany), and an event that can never apply is
// rejected and dead-lettered.
func (e MembershipEvents) Handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	env := msg.Envelope
	if env.GetService() != MembershipService {
		return eventbus.Reject(eventbus.ReasonWrongService, fmt.Errorf("messaging: service %q on the membership topic", env.GetService()))
	}
	if g, ok, err := guardOf(env); ok {
		if err != nil {
			return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: decode %s: %w", env.GetType(), err))
		}
		if g.GetId() == "" || g.GetCompanyId() == "" || g.GetVersion() <= 0 {
			return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: %s without a guard id, company and version", env.GetType()))
		}
		if d := g.GetDistrict(); d != "" && d != env.GetDistrict() {
			return eventbus.Reject(eventbus.ReasonDistrictMismatch, fmt.Errorf("messaging: guard of district %q in an event of %q", d, env.GetDistrict()))
		}
		_, err = e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
			return nil, service.ApplyGuard(ctx, q, service.Guard{ID: g.GetId(), CompanyID: g.GetCompanyId(), Active: g.GetEmploymentStatus() == "active",
				Certified: g.GetHasCertificate(), ValidUntil: g.GetCertificateValidUntil(), Version: g.GetVersion()})
		})
		return err
	}
	c, ok, err := companyOf(env)
	if !ok {
		return nil
	}
	if err != nil {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: decode %s: %w", env.GetType(), err))
	}
	if c.GetId() == "" || c.GetVersion() <= 0 || c.GetStatus() == "" {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: %s without a company id, version and status", env.GetType()))
	}
	if d := c.GetDistrict(); d != "" && d != env.GetDistrict() {
		return eventbus.Reject(eventbus.ReasonDistrictMismatch, fmt.Errorf("messaging: company of district %q in an event of %q", d, env.GetDistrict()))
	}
	_, err = e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
		_, err := q.PutCompany(ctx, service.Company{ID: c.GetId(), Name: c.GetName(), Status: c.GetStatus(), Level: c.GetLevel(), Version: c.GetVersion()})
		return nil, err
	})
	return err
}

// Materialiser materialises a directive, and applies its revisions,
// inside the consumer's transaction.
type Materialiser interface {
	MaterialiseDirective(ctx context.Context, q service.Queries, d service.Directive) ([]service.Change, error)
	ReviseMaterialised(ctx context.Context, q service.Queries, d service.Directive, fields []string) ([]service.Change, error)
	ApplyRelayedAid(ctx context.Context, q service.Queries, typ string, r *service.AidRequest, o *service.AidOffer) error
	ApplyHQPublicity(ctx context.Context, q service.Queries, typ string, post service.PublicityPost, reason string) error
}

// DirectiveEvents is a district node's consumer of gh.hq.directives.v1.
// Its group is the node's own and new, so a node reads the topic from the
// start the first time (a district registered later gets every directive
// still in force) and resumes where it stopped after a restart (a node
// that was offline gets what it missed). The inbox and the notices'
// unique directive id make the materialisation happen once.
type DirectiveEvents struct {
	District string
	Store    Store
	Service  Materialiser
	Consumer eventbus.ConsumerConfig
}

// DirectivesGroupID is the consumer group of district's node on HQ's
// directives topic.
func DirectivesGroupID(district string) string { return "messaging-" + district + "-directives" }

// Run consumes HQ's directives topic until ctx ends.
func (e DirectiveEvents) Run(ctx context.Context) {
	// The notice's publication is in the outbox once the consumer's
	// transaction commits: wake the relay then (its safety poll would find
	// the row too, a second later).
	node.Consumer{Name: "messaging: directives consumer", Topic: DirectivesTopic, GroupID: DirectivesGroupID(e.District),
		Handler: e.Handle, Notify: e.Store.Outbox().Notify, Base: e.Consumer}.Run(ctx)
}

// Handle materialises a DirectiveIssued for the node's companies, or
// applies a DirectiveRevised to the node's notice of it. The node's own
// outbox receives the notice's event in the same transaction; the
// consumer's commit wakes the relay.
func (e DirectiveEvents) Handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	env := msg.Envelope
	if env.GetService() != DirectivesService {
		return eventbus.Reject(eventbus.ReasonWrongService, fmt.Errorf("messaging: service %q on the directives topic", env.GetService()))
	}
	var (
		m      *eventsv1.Directive
		fields []string
	)
	switch env.GetType() {
	case eventsv1.TypeDirectiveIssued:
		var ev eventsv1.DirectiveIssued
		if err := proto.Unmarshal(env.GetPayload(), &ev); err != nil {
			return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: decode %s: %w", env.GetType(), err))
		}
		m = ev.GetDirective()
	case eventsv1.TypeDirectiveRevised:
		var ev eventsv1.DirectiveRevised
		if err := proto.Unmarshal(env.GetPayload(), &ev); err != nil {
			return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: decode %s: %w", env.GetType(), err))
		}
		m, fields = ev.GetDirective(), ev.GetFields()
	default:
		return e.handleOther(ctx, tx, env)
	}
	if m.GetId() == "" || m.GetTitle() == "" {
		return eventbus.Reject(eventbus.ReasonBadPayload, errors.New("messaging: a directive without an id or title"))
	}
	d := store.DirectiveOf(m)
	_, err := e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
		if env.GetType() == eventsv1.TypeDirectiveRevised {
			return e.Service.ReviseMaterialised(ctx, q, d, fields)
		}
		return e.Service.MaterialiseDirective(ctx, q, d)
	})
	return err
}

// handleOther applies the directives topic's other events: the aid events
// HQ relays and HQ's decisions on publicity posts.
func (e DirectiveEvents) handleOther(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error {
	var apply func(q service.Queries) error
	typ := env.GetType()
	switch typ {
	case eventsv1.TypeAidRequestPosted, eventsv1.TypeAidRequestClosed, eventsv1.TypeAidOfferMade, eventsv1.TypeAidOfferAccepted:
		r, o, err := aidOf(env)
		if err != nil {
			return err
		}
		apply = func(q service.Queries) error { return e.Service.ApplyRelayedAid(ctx, q, typ, r, o) }
	case eventsv1.TypePublicityPostPublished:
		var m eventsv1.PublicityPostPublished
		if err := proto.Unmarshal(env.GetPayload(), &m); err != nil || m.GetPost().GetId() == "" {
			return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: decode %s: %v", typ, err))
		}
		apply = func(q service.Queries) error {
			return e.Service.ApplyHQPublicity(ctx, q, typ, store.PublicityOf(m.GetPost()), "")
		}
	case eventsv1.TypePublicityPostRejected:
		var m eventsv1.PublicityPostRejected
		if err := proto.Unmarshal(env.GetPayload(), &m); err != nil || m.GetPost().GetId() == "" {
			return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: decode %s: %v", typ, err))
		}
		apply = func(q service.Queries) error {
			return e.Service.ApplyHQPublicity(ctx, q, typ, store.PublicityOf(m.GetPost()), m.GetReason())
		}
	default:
		return nil
	}
	_, err := e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) { return nil, apply(q) })
	return err
}

// aidOf decodes an aid event's request and offer snapshots.
func aidOf(env *eventsv1.Envelope) (*service.AidRequest, *service.AidOffer, error) {
	var (
		r   *service.AidRequest
		o   *service.AidOffer
		err error
	)
	switch env.GetType() {
	case eventsv1.TypeAidRequestPosted:
		var m eventsv1.AidRequestPosted
		err, r = proto.Unmarshal(env.GetPayload(), &m), store.AidRequestOf(m.GetRequest(), "")
	case eventsv1.TypeAidRequestClosed:
		var m eventsv1.AidRequestClosed
		err = proto.Unmarshal(env.GetPayload(), &m)
		r = store.AidRequestOf(m.GetRequest(), m.GetReason())
	case eventsv1.TypeAidOfferMade:
		var m eventsv1.AidOfferMade
		err, o = proto.Unmarshal(env.GetPayload(), &m), store.AidOfferOf(m.GetOffer())
	case eventsv1.TypeAidOfferAccepted:
		var m eventsv1.AidOfferAccepted
		err = proto.Unmarshal(env.GetPayload(), &m)
		r, o = store.AidRequestOf(m.GetRequest(), ""), store.AidOfferOf(m.GetOffer())
	}
	if err != nil {
		return nil, nil, eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: decode %s: %w", env.GetType(), err))
	}
	if r == nil && o == nil {
		return nil, nil, eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: %s without a request or offer", env.GetType()))
	}
	return r, o, nil
}

// DistrictEvents is the HQ role's consumer of one district's messaging
// topic: the events of the notices that materialise directives become the
// directive's delivery health at that district.
type DistrictEvents struct {
	District string
	Store    Store
	// HQ applies the district's publicity posts (their HTML rendered).
	HQ interface {
		ApplyDistrictPublicity(ctx context.Context, q service.Queries, post service.PublicityPost) error
	}
	Consumer eventbus.ConsumerConfig
}

// HQGroupID is the HQ role's consumer group (and inbox name) on every
// district's messaging topic; the group's offsets are per topic.
const HQGroupID = "messaging-hq"

// Run consumes the district's messaging topic until ctx ends.
func (e DistrictEvents) Run(ctx context.Context) {
	// A relayed aid event is in the outbox once the transaction commits.
	node.Consumer{Name: "messaging: district consumer", Topic: eventbus.Topic(e.District, MessagingService), GroupID: HQGroupID,
		Handler: e.Handle, Notify: e.Store.Outbox().Notify, Base: e.Consumer}.Run(ctx)
}

// Handle applies one notice event of the district.
func (e DistrictEvents) Handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	env := msg.Envelope
	if env.GetService() != MessagingService {
		return eventbus.Reject(eventbus.ReasonWrongService, fmt.Errorf("messaging: service %q on a messaging topic", env.GetService()))
	}
	var (
		notice    *eventsv1.Notice
		receiptAt *time.Time
		err       error
	)
	switch env.GetType() {
	case eventsv1.TypeNoticePublished:
		var m eventsv1.NoticePublished
		err, notice = proto.Unmarshal(env.GetPayload(), &m), m.GetNotice()
	case eventsv1.TypeNoticeRevised:
		var m eventsv1.NoticeRevised
		err, notice = proto.Unmarshal(env.GetPayload(), &m), m.GetNotice()
	case eventsv1.TypeReceiptRead:
		var m eventsv1.ReceiptRead
		err, notice = proto.Unmarshal(env.GetPayload(), &m), m.GetNotice()
		if t := m.GetReceipt().GetReadAt(); t != nil {
			at := t.AsTime()
			receiptAt = &at
		}
	case eventsv1.TypeReceiptAcknowledged:
		var m eventsv1.ReceiptAcknowledged
		err, notice = proto.Unmarshal(env.GetPayload(), &m), m.GetNotice()
		if t := m.GetReceipt().GetAcknowledgedAt(); t != nil {
			at := t.AsTime()
			receiptAt = &at
		}
	case eventsv1.TypeNoticeReminderSent:
		var m eventsv1.NoticeReminderSent
		err, notice = proto.Unmarshal(env.GetPayload(), &m), m.GetNotice()
	case eventsv1.TypeAidRequestPosted, eventsv1.TypeAidRequestClosed, eventsv1.TypeAidOfferMade, eventsv1.TypeAidOfferAccepted:
		r, o, err := aidOf(env)
		if err != nil {
			return err
		}
		_, err = e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
			return service.ApplyDistrictAid(ctx, q, env.GetDistrict(), env.GetType(), r, o)
		})
		return err
	case eventsv1.TypePublicityPostSubmitted, eventsv1.TypePublicityPostReviewed:
		var post *eventsv1.PublicityPost
		if env.GetType() == eventsv1.TypePublicityPostSubmitted {
			var m eventsv1.PublicityPostSubmitted
			err, post = proto.Unmarshal(env.GetPayload(), &m), m.GetPost()
		} else {
			var m eventsv1.PublicityPostReviewed
			err, post = proto.Unmarshal(env.GetPayload(), &m), m.GetPost()
		}
		if err != nil || post.GetId() == "" || post.GetDistrict() != env.GetDistrict() {
			return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: %s without a post of its district: %v", env.GetType(), err))
		}
		_, err = e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
			return nil, e.HQ.ApplyDistrictPublicity(ctx, q, store.PublicityOf(post))
		})
		return err
	default:
		return nil
	}
	if err != nil {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: decode %s: %w", env.GetType(), err))
	}
	if notice.GetId() == "" {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: %s without a notice", env.GetType()))
	}
	n := store.NoticeOf(notice)
	n.Seq = env.GetSequence()
	_, err = e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
		return nil, service.ApplyNoticeEvent(ctx, q, env.GetDistrict(), n, receiptAt)
	})
	return err
}

// PatrolsService is the district service whose topic tells a team's
// leader what patrols did to the team (gh.<district>.patrols.v1).
const PatrolsService = "patrols"

// PatrolsGroupID is the consumer group (and inbox name) of district's
// node on its patrols topic.
func PatrolsGroupID(district string) string { return "messaging-" + district + "-patrols" }

// TeamNotifier delivers a team notice inside the consumer's transaction.
type TeamNotifier interface {
	ApplyTeamNotice(ctx context.Context, q service.Queries, e service.TeamEvent) error
}

// PatrolsEvents is a district node's consumer of its district's patrols
// topic: a TeamMemberSuspended, TeamMemberReinstated or
// DoubleBookingResolved that names a leader (notify_guard_id) becomes a
// team notice to that leader, once per event (the inbox, and the notice's
// (event, leader) key behind it). An event without a leader to tell is
// settled without a change: the district lead sees the event's effect in
// patrols itself. The topic's other events are settled without a change.
type PatrolsEvents struct {
	District string
	Store    Store
	Service  TeamNotifier
	// Consumer is the rest of the consumer's configuration; Run sets its
	// Topic, GroupID and Handler.
	Consumer eventbus.ConsumerConfig
}

// Run consumes the district's patrols topic until ctx ends.
func (e PatrolsEvents) Run(ctx context.Context) {
	node.Consumer{Name: "messaging: patrols consumer", Topic: eventbus.Topic(e.District, PatrolsService),
		GroupID: PatrolsGroupID(e.District), Handler: e.Handle, Base: e.Consumer}.Run(ctx)
}

// TeamEventOf decodes the team notice a patrols event asks for (a member
// suspended or reinstated, a double booking resolved, a dispatch offered
// to the team); ok is false for an event that asks for none (another
// type, or no leader named).
func TeamEventOf(env *eventsv1.Envelope) (ev service.TeamEvent, ok bool, err error) {
	ev = service.TeamEvent{EventID: env.GetEventId(), At: env.GetOccurredAt().AsTime()}
	switch env.GetType() {
	case eventsv1.TypeTeamMemberSuspended:
		var m eventsv1.TeamMemberSuspended
		if err := proto.Unmarshal(env.GetPayload(), &m); err != nil {
			return ev, true, err
		}
		ev.Kind, ev.LeaderID, ev.TeamID, ev.TeamName = service.TeamNoticeMemberSuspended, m.GetNotifyGuardId(), m.GetTeam().GetId(), m.GetTeam().GetName()
		ev.SubjectGuardID, ev.Reasons, ev.ShiftsDropped = m.GetGuardId(), m.GetReasons(), int(m.GetShiftsDropped())
	case eventsv1.TypeTeamMemberReinstated:
		var m eventsv1.TeamMemberReinstated
		if err := proto.Unmarshal(env.GetPayload(), &m); err != nil {
			return ev, true, err
		}
		ev.Kind, ev.LeaderID, ev.TeamID, ev.TeamName = service.TeamNoticeMemberReinstated, m.GetNotifyGuardId(), m.GetTeam().GetId(), m.GetTeam().GetName()
		ev.SubjectGuardID = m.GetGuardId()
	case eventsv1.TypeDoubleBookingResolved:
		var m eventsv1.DoubleBookingResolved
		if err := proto.Unmarshal(env.GetPayload(), &m); err != nil {
			return ev, true, err
		}
		if d := m.GetDistrict(); d != "" && d != env.GetDistrict() {
			return ev, true, errDistrictMismatch
		}
		ev.Kind, ev.LeaderID, ev.SubjectGuardID = service.TeamNoticeDoubleBooking, m.GetNotifyGuardId(), m.GetGuardId()
		ev.ShiftID, ev.Outcome, ev.OtherDistrict = m.GetShift().GetId(), m.GetOutcome(), m.GetOtherDistrict()
	case eventsv1.TypeDispatchOffered:
		var m eventsv1.DispatchOffered
		if err := proto.Unmarshal(env.GetPayload(), &m); err != nil {
			return ev, true, err
		}
		if d := m.GetDispatch().GetDistrict(); d != "" && d != env.GetDistrict() {
			return ev, true, errDistrictMismatch
		}
		ev.Kind, ev.LeaderID, ev.TeamID = service.TeamNoticeDispatchOffered, m.GetNotifyGuardId(), m.GetTeamId()
		ev.DispatchID, ev.DispatchKind, ev.Urgency = m.GetDispatch().GetId(), m.GetDispatch().GetKind(), m.GetDispatch().GetUrgency()
		ev.DistanceM, ev.Offer = m.GetDistanceM(), int(m.GetOffer())
		if ev.LeaderID != "" && (ev.EventID == "" || ev.DispatchID == "" || ev.TeamID == "") {
			return ev, true, errors.New("a dispatch offer without its event id, dispatch or team")
		}
		return ev, ev.LeaderID != "", nil
	default:
		return ev, false, nil
	}
	if ev.LeaderID == "" {
		return ev, false, nil
	}
	if ev.EventID == "" || ev.SubjectGuardID == "" {
		return ev, true, errors.New("an event without its id or its guard")
	}
	return ev, true, nil
}

var errDistrictMismatch = errors.New("an event of another district than its topic's")

// Handle delivers the team notice of one patrols event inside tx; an event
// that can never apply is rejected and dead-lettered.
func (e PatrolsEvents) Handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	env := msg.Envelope
	if env.GetService() != PatrolsService {
		return eventbus.Reject(eventbus.ReasonWrongService, fmt.Errorf("messaging: service %q on the patrols topic", env.GetService()))
	}
	ev, ok, err := TeamEventOf(env)
	if !ok {
		return nil
	}
	if errors.Is(err, errDistrictMismatch) {
		return eventbus.Reject(eventbus.ReasonDistrictMismatch, fmt.Errorf("messaging: %s: %w", env.GetType(), err))
	}
	if err != nil {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("messaging: decode %s: %w", env.GetType(), err))
	}
	_, err = e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
		return nil, e.Service.ApplyTeamNotice(ctx, q, ev)
	})
	return err
}
