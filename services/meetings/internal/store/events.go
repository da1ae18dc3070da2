package store

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
)

// toEvent turns a domain change into its outbox event. Protobuf stays here,
// out of the service layer.
func toEvent(district string, c service.Change) (eventbus.Event, error) {
	var (
		payload proto.Message
		aggType string
		aggID   string
		seq     int64
	)
	switch {
	case c.Meeting != nil:
		aggType, aggID, seq = "meeting", c.Meeting.ID, c.Meeting.Version
	case c.ActionItem != nil:
		aggType, aggID, seq = "action_item", c.ActionItem.ID, c.ActionItem.Version
	case c.Resolution != nil:
		aggType, aggID, seq = "resolution", c.Resolution.ID, 1
	case c.Signature != nil:
		aggType, aggID, seq = "convention_signature", c.Signature.ID, 1
	default:
		return eventbus.Event{}, fmt.Errorf("store: change %s has no aggregate", c.Type)
	}
	switch c.Type {
	case service.EventMeetingScheduled:
		payload = &eventsv1.MeetingScheduled{Meeting: meetingSnapshot(district, c.Meeting)}
	case service.EventMeetingUpdated:
		payload = &eventsv1.MeetingUpdated{Meeting: meetingSnapshot(district, c.Meeting), Fields: c.Fields}
	case service.EventMeetingStatusChanged:
		payload = &eventsv1.MeetingStatusChanged{Meeting: meetingSnapshot(district, c.Meeting), FromStatus: c.FromStatus, ToStatus: c.ToStatus}
	case service.EventAttendanceRecorded:
		if c.Invitation == nil {
			return eventbus.Event{}, fmt.Errorf("store: %s without an invitation", c.Type)
		}
		payload = &eventsv1.AttendanceRecorded{Meeting: meetingSnapshot(district, c.Meeting), Attendance: attendanceSnapshot(c.Invitation)}
	case service.EventMinutesPublished:
		payload = &eventsv1.MinutesPublished{Meeting: meetingSnapshot(district, c.Meeting), MinutesVersion: int32(c.MinutesVersion), Entries: int32(c.Entries)}
	case service.EventResolutionAdopted:
		r := c.Resolution
		payload = &eventsv1.ResolutionAdopted{Id: r.ID, District: district, MeetingId: r.MeetingID, Title: r.Title, ActionItems: int32(len(r.ActionItems))}
	case service.EventActionItemCreated:
		payload = &eventsv1.ActionItemCreated{Item: itemSnapshot(district, c.ActionItem)}
	case service.EventActionItemStatus:
		payload = &eventsv1.ActionItemStatusChanged{Item: itemSnapshot(district, c.ActionItem), FromStatus: c.FromStatus, ToStatus: c.ToStatus, By: c.By}
	case service.EventActionItemReminder:
		payload = &eventsv1.ActionItemReminder{Item: itemSnapshot(district, c.ActionItem), Overdue: c.Overdue, Days: int32(c.Days)}
	case service.EventConventionSigned:
		s := c.Signature
		payload = &eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{
			Id: s.ID, District: district, CompanyId: s.CompanyID, ConventionVersion: s.ConventionVersion, SignedBy: s.SignedBy,
			SignedAt: timestamppb.New(s.SignedAt), MeetingId: s.MeetingID, Current: s.Current,
		}}
	default:
		return eventbus.Event{}, fmt.Errorf("store: unknown change type %q", c.Type)
	}
	return eventbus.Event{Type: c.Type, AggregateType: aggType, AggregateID: aggID, Sequence: seq, Payload: payload}, nil
}

func meetingSnapshot(district string, m *service.Meeting) *eventsv1.Meeting {
	return &eventsv1.Meeting{
		Id: m.ID, District: district, Type: m.Type, Title: m.Title, StartsAt: timestamppb.New(m.StartsAt), EndsAt: timestamppb.New(m.EndsAt),
		Venue: m.Venue, Host: m.Host, Status: m.Status,
		InvitedCompanies: int32(m.InvitedCompanies), AttendedCompanies: int32(m.AttendedCompanies),
		InvitedPeople: int32(m.InvitedPeople), AttendedPeople: int32(m.AttendedPeople),
		Version: m.Version, UpdatedAt: timestamppb.New(m.UpdatedAt),
	}
}

func attendanceSnapshot(v *service.Invitation) *eventsv1.Attendance {
	a := &eventsv1.Attendance{MeetingId: v.MeetingID, InviteeId: v.ID, Kind: v.Kind, CompanyId: v.CompanyID, PersonName: v.PersonName, Status: v.Status}
	if v.CheckedInAt != nil {
		a.CheckedInAt = timestamppb.New(*v.CheckedInAt)
	}
	return a
}

func itemSnapshot(district string, a *service.ActionItem) *eventsv1.ActionItem {
	return &eventsv1.ActionItem{
		Id: a.ID, District: district, ResolutionId: a.ResolutionID, MeetingId: a.MeetingID, Title: a.Title,
		OwnerKind: a.OwnerKind, OwnerCompanyId: a.OwnerCompanyID, OwnerName: a.OwnerName, DueOn: a.DueOn,
		Status: a.Status, Version: a.Version, UpdatedAt: timestamppb.New(a.UpdatedAt.In(time.UTC)),
	}
}
