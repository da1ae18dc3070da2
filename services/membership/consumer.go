package membership

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// MeetingsService is the district service whose topic the node consumes
// (gh.<district>.meetings.v1).
const MeetingsService = "meetings"

// Reasons a meetings event is rejected (dead-lettered, never retried).
const (
	ReasonWrongService     = "wrong_service"
	ReasonBadPayload       = "bad_payload"
	ReasonDistrictMismatch = "district_mismatch"
)

// MeetingsGroupID returns the consumer group (and inbox name) of district's
// node on its meetings topic: one per district, so two districts' nodes in
// one process never share offsets.
func MeetingsGroupID(district string) string { return "membership-" + district }

// consumeMeetings runs the meetings consumer until ctx ends, restarting it
// with backoff when it fails (the broker may be down when the node starts).
func (n *Node) consumeMeetings(ctx context.Context) {
	delay := time.Second
	for {
		c, err := eventbus.NewConsumer(eventbus.ConsumerConfig{
			Brokers:   n.cfg.Brokers,
			Topic:     eventbus.Topic(n.cfg.District, MeetingsService),
			GroupID:   MeetingsGroupID(n.cfg.District),
			DB:        n.DB(),
			Handler:   n.handleMeetings,
			Logger:    n.logger, // NewConsumer names its component and topic itself
			Metrics:   n.deps.Bus,
			Dialer:    n.deps.Dialer,
			Transport: n.deps.Transport,
			// The handler appends to the outbox inside the consumer's
			// transaction, which the consumer commits; the relay is woken
			// only once that commit is done, or it could look too early.
			Applied: func(msg eventbus.Message) {
				if msg.Envelope.GetType() == eventsv1.TypeConventionSigned {
					n.Outbox().Notify()
				}
			},
		})
		if err == nil {
			err = c.Run(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		n.logger.ErrorContext(ctx, "membership: meetings consumer stopped, restarting", "err", err, "in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// handleMeetings applies one event of the district's meetings topic inside
// tx, the consumer's transaction on the node's own database: the change to
// the company, its audit row and its CompanyUpdated event in the outbox
// commit together with the consumer's record of the event, so a redelivered
// event is applied once. Only ConventionSigned concerns membership; the
// other meetings events are settled without a change.
func (n *Node) handleMeetings(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	return n.applyMeetingsEvent(ctx, tx, msg.Envelope)
}

func (n *Node) applyMeetingsEvent(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error {
	if env.GetService() != MeetingsService {
		return eventbus.Reject(ReasonWrongService, fmt.Errorf("membership: service %q on the meetings topic", env.GetService()))
	}
	if env.GetType() != eventsv1.TypeConventionSigned {
		return nil
	}
	var m eventsv1.ConventionSigned
	if err := proto.Unmarshal(env.GetPayload(), &m); err != nil {
		return eventbus.Reject(ReasonBadPayload, fmt.Errorf("membership: decode ConventionSigned: %w", err))
	}
	sig := m.GetSignature()
	if sig == nil || sig.GetId() == "" || sig.GetCompanyId() == "" {
		return eventbus.Reject(ReasonBadPayload, fmt.Errorf("membership: ConventionSigned without a signature of a company"))
	}
	// The consumer checked the envelope's district against the topic; the
	// signature must be of that district too.
	if d := sig.GetDistrict(); d != "" && d != env.GetDistrict() {
		return eventbus.Reject(ReasonDistrictMismatch, fmt.Errorf("membership: signature of district %q in an event of %q", d, env.GetDistrict()))
	}
	var signedAt time.Time
	if sig.GetSignedAt() != nil {
		signedAt = sig.GetSignedAt().AsTime()
	} else if env.GetOccurredAt() != nil {
		signedAt = env.GetOccurredAt().AsTime()
	}
	_, err := n.store.In(ctx, tx, func(q service.Queries) ([]service.Change, error) {
		return n.svc.ApplyConventionSignature(ctx, q, service.ConventionSignature{
			ID: sig.GetId(), CompanyID: sig.GetCompanyId(), Version: sig.GetConventionVersion(),
			SignedAt: signedAt, Current: sig.GetCurrent(),
		})
	})
	return err
}
