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
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// MeetingsService is the district service whose topic the node consumes
// (gh.<district>.meetings.v1).
const MeetingsService = "meetings"

// MeetingsGroupID returns the consumer group (and inbox name) of district's
// node on its meetings topic: one per district, so two districts' nodes in
// one process never share offsets.
func MeetingsGroupID(district string) string { return "membership-" + district }

// SignatureStore runs a change inside the consumer's transaction
// (store.Store.In): the company, its audit row and its CompanyUpdated event
// in the outbox commit with the consumer's record of the event.
type SignatureStore interface {
	In(ctx context.Context, tx *sql.Tx, fn func(q service.Queries) ([]service.Change, error)) (int, error)
}

// SignatureService applies a company's signature of the convention
// (service.Membership).
type SignatureService interface {
	ApplyConventionSignature(ctx context.Context, q service.Queries, sig service.ConventionSignature) ([]service.Change, error)
}

// MeetingsEvents is the node's consumer of its district's meetings topic.
// Only ConventionSigned concerns membership: a company's signature of the
// current convention becomes its convention_version. The other meetings
// events are settled without a change.
type MeetingsEvents struct {
	// District is the node's district, whose meetings topic is read.
	District string
	// Store and Service apply a signature.
	Store   SignatureStore
	Service SignatureService
	// Wake wakes the relay of the node's outbox (eventbus.Outbox.Notify)
	// after each settled event's commit: a ConventionSigned appends the
	// company's CompanyUpdated to the outbox inside the consumer's
	// transaction, which the outbox cannot see, so the relay is woken once
	// that committed rather than at its next safety poll. (Waking it after
	// the other meetings events too costs a coalesced channel send.)
	Wake func()
	// Consumer is the rest of the consumer's configuration (Brokers, DB,
	// Logger, Metrics, Dialer, Transport, Applied); Run sets its Topic,
	// GroupID and Handler.
	Consumer eventbus.ConsumerConfig
}

// Run consumes the meetings topic until ctx ends, restarting the consumer
// with backoff when it fails (node.Consumer; the broker may be down when
// the node starts).
func (e MeetingsEvents) Run(ctx context.Context) { e.consumer().Run(ctx) }

func (e MeetingsEvents) consumer() node.Consumer {
	return node.Consumer{Name: "membership: meetings consumer", Topic: eventbus.Topic(e.District, MeetingsService),
		GroupID: MeetingsGroupID(e.District), Handler: e.Handle, Notify: e.Wake, Base: e.Consumer}
}

// Handle applies one event of the district's meetings topic inside tx, the
// consumer's transaction on the node's own database, so a redelivered event
// is applied once. An event that can never apply is rejected
// (eventbus.Reject) and dead-lettered.
func (e MeetingsEvents) Handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	env := msg.Envelope
	if env.GetService() != MeetingsService {
		return eventbus.Reject(eventbus.ReasonWrongService, fmt.Errorf("membership: service %q on the meetings topic", env.GetService()))
	}
	if env.GetType() != eventsv1.TypeConventionSigned {
		return nil
	}
	var m eventsv1.ConventionSigned
	if err := proto.Unmarshal(env.GetPayload(), &m); err != nil {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("membership: decode ConventionSigned: %w", err))
	}
	sig := m.GetSignature()
	if sig == nil || sig.GetId() == "" || sig.GetCompanyId() == "" {
		return eventbus.Reject(eventbus.ReasonBadPayload, errors.New("membership: ConventionSigned without a signature of a company"))
	}
	// The consumer checked the envelope's district against the topic; the
	// signature must be of that district too.
	if d := sig.GetDistrict(); d != "" && d != env.GetDistrict() {
		return eventbus.Reject(eventbus.ReasonDistrictMismatch, fmt.Errorf("membership: signature of district %q in an event of %q", d, env.GetDistrict()))
	}
	var signedAt time.Time
	if sig.GetSignedAt() != nil {
		signedAt = sig.GetSignedAt().AsTime()
	} else if env.GetOccurredAt() != nil {
		signedAt = env.GetOccurredAt().AsTime()
	}
	_, err := e.Store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
		return e.Service.ApplyConventionSignature(ctx, q, service.ConventionSignature{
			ID: sig.GetId(), CompanyID: sig.GetCompanyId(), Version: sig.GetConventionVersion(),
			SignedAt: signedAt, Current: sig.GetCurrent(),
		})
	})
	return err
}
