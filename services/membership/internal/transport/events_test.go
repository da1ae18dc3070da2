package transport

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// signatures records the signatures MeetingsEvents hands the service; its
// store runs the change with no queries (the fake service needs none).
type signatures struct{ got []service.ConventionSignature }

func (s *signatures) In(_ context.Context, _ *sql.Tx, fn func(q service.Queries) ([]service.Change, error)) (int, error) {
	changes, err := fn(nil)
	return len(changes), err
}

func (s *signatures) ApplyConventionSignature(_ context.Context, _ service.Queries, sig service.ConventionSignature) ([]service.Change, error) {
	s.got = append(s.got, sig)
	return nil, nil
}

func meetingsEnvelope(service, typ string, payload proto.Message) *eventsv1.Envelope {
	b, err := proto.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return &eventsv1.Envelope{EventId: "ev-1", District: "jingkai", Service: service, Type: typ, Payload: b}
}

func TestMeetingsEventsApplyTheirSignaturesAndRejectWhatCanNeverApply(t *testing.T) {
	at := time.Date(2025, 9, 23, 10, 30, 0, 0, time.UTC)
	signed := func(district, company string) *eventsv1.ConventionSigned {
		return &eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{Id: "s1", District: district,
			CompanyId: company, ConventionVersion: "2025", SignedAt: timestamppb.New(at), Current: true}}
	}
	garbage := meetingsEnvelope(MeetingsService, eventsv1.TypeConventionSigned, signed("jingkai", "c1"))
	garbage.Payload = []byte{0xff, 0xfe}
	tests := []struct {
		name   string
		env    *eventsv1.Envelope
		reason eventbus.Reason // "" for applied
		want   []service.ConventionSignature
	}{
		{"A signature of the district's own company is applied.",
			meetingsEnvelope(MeetingsService, eventsv1.TypeConventionSigned, signed("jingkai", "c1")), "",
			[]service.ConventionSignature{{ID: "s1", CompanyID: "c1", Version: "2025", SignedAt: at, Current: true}}},
		{"Another meetings event is settled without a change.",
			meetingsEnvelope(MeetingsService, eventsv1.TypeMeetingScheduled, &eventsv1.MeetingScheduled{}), "", nil},
		{"An event of another service on the meetings topic is wrong_service.",
			meetingsEnvelope("membership", eventsv1.TypeConventionSigned, signed("jingkai", "c1")), eventbus.ReasonWrongService, nil},
		{"A payload that does not decode is bad_payload.", garbage, eventbus.ReasonBadPayload, nil},
		{"A ConventionSigned without a company is bad_payload.",
			meetingsEnvelope(MeetingsService, eventsv1.TypeConventionSigned, signed("jingkai", "")), eventbus.ReasonBadPayload, nil},
		{"A signature of another district is district_mismatch.",
			meetingsEnvelope(MeetingsService, eventsv1.TypeConventionSigned, signed("caidian", "c1")), eventbus.ReasonDistrictMismatch, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &signatures{}
			e := MeetingsEvents{District: "jingkai", Store: s, Service: s}
			err := e.Handle(context.Background(), nil, eventbus.Message{Envelope: tc.env})
			reason, rejected := eventbus.IsRejected(err)
			switch {
			case tc.reason == "" && err != nil:
				t.Fatalf("Handle = %v, want applied", err)
			case tc.reason != "" && (!rejected || reason != tc.reason):
				t.Fatalf("Handle = %v, want rejected as %s", err, tc.reason)
			}
			if len(s.got) != len(tc.want) || (len(tc.want) > 0 && s.got[0] != tc.want[0]) {
				t.Errorf("signatures applied %+v, want %+v", s.got, tc.want)
			}
		})
	}
}

// TestAnAppliedEventWakesTheRelayAndKeepsTheProbe: after each settled
// event's commit the relay is woken (a ConventionSigned wrote a
// CompanyUpdated to the outbox inside the consumer's transaction) and the
// process's Applied probe still runs (the consumer used to replace it).
func TestAnAppliedEventWakesTheRelayAndKeepsTheProbe(t *testing.T) {
	woken, probed := 0, 0
	e := MeetingsEvents{District: "jingkai", Wake: func() { woken++ },
		Consumer: eventbus.ConsumerConfig{Applied: func(eventbus.Message) { probed++ }}}
	cfg := e.consumer().Config()
	if cfg.Topic != eventbus.Topic("jingkai", MeetingsService) || cfg.GroupID != MeetingsGroupID("jingkai") || cfg.Handler == nil {
		t.Fatalf("consumer of %q, group %q", cfg.Topic, cfg.GroupID)
	}
	cfg.Applied(eventbus.Message{Envelope: &eventsv1.Envelope{Type: eventsv1.TypeConventionSigned}})
	if woken != 1 || probed != 1 {
		t.Fatalf("after an applied ConventionSigned: relay woken %d times, probe run %d times, want 1 and 1", woken, probed)
	}
}
