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
	"github.com/guildhall/guildhall/services/meetings/internal/service"
)

// MembershipService is the district service whose topic the node consumes
// (gh.<district>.membership.v1).
const MembershipService = "membership"

// MembershipGroupID returns the consumer group (and inbox name) of
// district's node on its membership topic: one per district, so two
// districts' nodes in one process never share offsets.
func MembershipGroupID(district string) string { return "meetings-" + district }

// CompanyStore runs the projection's write inside the consumer's
// transaction (store.Store.In), so the company and the consumer's record
// of the event commit together.
type CompanyStore interface {
	In(ctx context.Context, tx *sql.Tx, fn func(q service.Queries) ([]service.Change, error)) (int, error)
}

// MembershipEvents is the node's consumer of its district's membership
// topic: the company events (CompanyRegistered, CompanyUpdated,
// CompanyStatusChanged) keep meetings' projection of the district's
// companies, which invitations, signatures and the convention rate read.
// Meetings never calls membership (rule 3 of the design). The other
// membership events are settled without a change.
type MembershipEvents struct {
	// District is the node's district, whose membership topic is read.
	District string
	// Store applies a company to the projection.
	Store CompanyStore
	// Consumer is the rest of the consumer's configuration (Brokers, DB,
	// Logger, Metrics, Dialer, Transport); Run sets its Topic, GroupID and
	// Handler.
	Consumer eventbus.ConsumerConfig
}

// Run consumes the membership topic until ctx ends, restarting the
// consumer with backoff when it fails (eventbus.Supervise; the broker may
// be down when the node starts).
func (e MembershipEvents) Run(ctx context.Context) {
	node.Consumer{Name: "meetings: membership consumer", Topic: eventbus.Topic(e.District, MembershipService),
		GroupID: MembershipGroupID(e.District), Handler: e.Handle, Base: e.Consumer}.Run(ctx)
}

// companyOf decodes the company snapshot of a company event; ok is false
// for an event type that carries none (not the projection's business).
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

// Handle applies one event of the district's membership topic inside tx,
// the consumer's transaction on the node's own database, so a redelivered
// event is applied once (the inbox), and an older snapshot never replaces
// a newer one (versions only move forward: PutCompany). An event that can
// never apply is rejected (eventbus.Reject) and dead-lettered.
func (e MembershipEvents) Handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	env := msg.Envelope
	if env.GetService() != MembershipService {
		return eventbus.Reject(eventbus.ReasonWrongService, fmt.Errorf("meetings: service %q on the membership topic", env.GetService()))
	}
	c, ok, err := companyOf(env)
	if !ok {
		return nil
	}
	if err != nil {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("meetings: decode %s: %w", env.GetType(), err))
	}
	if c.GetId() == "" || c.GetVersion() <= 0 {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("meetings: %s without a company id and version", env.GetType()))
	}
	// The consumer checked the envelope's district against the topic; the
	// company must be of that district too: a company of another district
	// never enters this one's projection.
	if d := c.GetDistrict(); d != "" && d != env.GetDistrict() {
		return eventbus.Reject(eventbus.ReasonDistrictMismatch, fmt.Errorf("meetings: company of district %q in an event of %q", d, env.GetDistrict()))
	}
	if c.GetStatus() == "" {
		return eventbus.Reject(eventbus.ReasonBadPayload, errors.New("meetings: company without a status"))
	}
	_, err = e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
		// The snapshot's updated_at is when the company took this status
		// (or changed otherwise): the store keeps the first such time of
		// an active stretch as the day the company became active.
		co := service.Company{ID: c.GetId(), Name: c.GetName(), Status: c.GetStatus(), Version: c.GetVersion()}
		if c.GetUpdatedAt() != nil {
			co.ActiveSince = c.GetUpdatedAt().AsTime()
		}
		_, err := q.PutCompany(ctx, co)
		return nil, err
	})
	return err
}
