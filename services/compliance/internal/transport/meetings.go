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

// MeetingsService is the district service whose topic the evaluations and
// the roundtable timeliness read (gh.<district>.meetings.v1).
const MeetingsService = "meetings"

// MeetingsGroupID returns the consumer group (and inbox name) of
// district's compliance node on its meetings topic.
func MeetingsGroupID(district string) string { return "compliance-" + district + "-meetings" }

// MeetingsApplier applies one decoded meetings event inside the
// consumer's transaction.
type MeetingsApplier interface {
	ApplyMeetingsIn(ctx context.Context, tx *sql.Tx, ev service.MeetingsEvent) error
}

// MeetingsEvents is the node's consumer of its district's meetings topic:
// meetings, company attendance and convention signatures, projected for
// the evaluations and the roundtable timeliness. Other types are settled
// without a change.
type MeetingsEvents struct {
	District string
	Apply    MeetingsApplier
	// Consumer is the rest of the consumer's configuration; Run sets its
	// Topic, GroupID and Handler.
	Consumer eventbus.ConsumerConfig
}

// Run consumes the meetings topic until ctx ends, restarting the consumer
// with backoff when it fails.
func (e MeetingsEvents) Run(ctx context.Context) {
	node.Consumer{Name: "compliance: meetings consumer", Topic: eventbus.Topic(e.District, MeetingsService),
		GroupID: MeetingsGroupID(e.District), Handler: e.Handle, Base: e.Consumer}.Run(ctx)
}

// Handle applies one event of the meetings topic inside tx; an event that
// can never apply is rejected and dead-lettered.
func (e MeetingsEvents) Handle(ctx context.Context, tx *sql.Tx, msg eventbus.Message) error {
	env := msg.Envelope
	if env.GetService() != MeetingsService {
		return eventbus.Reject(eventbus.ReasonWrongService, fmt.Errorf("compliance: service %q on the meetings topic", env.GetService()))
	}
	ev, ok, err := DecodeMeetings(env)
	if !ok {
		return nil
	}
	if errors.Is(err, errDistrictMismatch) {
		return eventbus.Reject(eventbus.ReasonDistrictMismatch, fmt.Errorf("compliance: %s: %w", env.GetType(), err))
	}
	if err != nil {
		return eventbus.Reject(eventbus.ReasonBadPayload, fmt.Errorf("compliance: decode %s: %w", env.GetType(), err))
	}
	return e.Apply.ApplyMeetingsIn(ctx, tx, ev)
}

// DecodeMeetings turns a meetings envelope into the projection's event; ok
// is false for a type compliance does not read. A meeting without an id
// or a version, an attendance without a meeting, a signature without an
// id or a company, or any of another district, is an error.
func DecodeMeetings(env *eventsv1.Envelope) (ev service.MeetingsEvent, ok bool, err error) {
	var m *eventsv1.Meeting
	var att *eventsv1.Attendance
	var sig *eventsv1.ConventionSignature
	p := env.GetPayload()
	switch env.GetType() {
	case eventsv1.TypeMeetingScheduled:
		var x eventsv1.MeetingScheduled
		err, m = proto.Unmarshal(p, &x), x.GetMeeting()
	case eventsv1.TypeMeetingUpdated:
		var x eventsv1.MeetingUpdated
		err, m = proto.Unmarshal(p, &x), x.GetMeeting()
	case eventsv1.TypeMeetingStatusChanged:
		var x eventsv1.MeetingStatusChanged
		err, m = proto.Unmarshal(p, &x), x.GetMeeting()
	case eventsv1.TypeAttendanceRecorded:
		var x eventsv1.AttendanceRecorded
		err, m, att = proto.Unmarshal(p, &x), x.GetMeeting(), x.GetAttendance()
	case eventsv1.TypeConventionSigned:
		var x eventsv1.ConventionSigned
		err, sig = proto.Unmarshal(p, &x), x.GetSignature()
	default:
		return ev, false, nil
	}
	if err != nil {
		return ev, true, err
	}
	at := env.GetOccurredAt().AsTime()
	if sig != nil {
		if sig.GetId() == "" || sig.GetCompanyId() == "" {
			return ev, true, errors.New("signature without an id and a company")
		}
		if d := sig.GetDistrict(); d != "" && d != env.GetDistrict() {
			return ev, true, errDistrictMismatch
		}
		signed := at
		if sig.GetSignedAt() != nil {
			signed = sig.GetSignedAt().AsTime()
		}
		ev.Signature = &service.Signature{ID: sig.GetId(), CompanyID: sig.GetCompanyId(), ConventionVersion: sig.GetConventionVersion(),
			Current: sig.GetCurrent(), SignedAt: signed, EventID: env.GetEventId()}
		return ev, true, nil
	}
	if m.GetId() == "" || m.GetVersion() <= 0 || m.GetStartsAt() == nil {
		return ev, true, errors.New("meeting snapshot without an id, a version and a start")
	}
	if d := m.GetDistrict(); d != "" && d != env.GetDistrict() {
		return ev, true, errDistrictMismatch
	}
	ev.Meeting = &service.Meeting{ID: m.GetId(), Type: m.GetType(), Status: m.GetStatus(), StartsAt: m.GetStartsAt().AsTime(),
		Version: m.GetVersion(), EventID: env.GetEventId()}
	if att != nil && att.GetKind() == "company" && att.GetCompanyId() != "" {
		switch att.GetStatus() {
		case "invited", "present", "late", "absent":
		default:
			return ev, true, fmt.Errorf("attendance status %q", att.GetStatus())
		}
		if att.GetMeetingId() != "" && att.GetMeetingId() != m.GetId() {
			return ev, true, errors.New("attendance of another meeting")
		}
		ev.Attendance = &service.Attendance{MeetingID: m.GetId(), CompanyID: att.GetCompanyId(), Status: att.GetStatus(), RecordedAt: at,
			EventID: env.GetEventId()}
	}
	return ev, true, nil
}
