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

// events turns the service's changes into outbox events. Protobuf stays
// here, out of the service layer.
var events = eventbus.Mapping[service.Change]{
	Type:      func(c service.Change) string { return c.Type },
	Aggregate: aggregate,
	Payload:   payload,
}

func aggregate(c service.Change) (eventbus.Aggregate, error) {
	switch {
	case c.Meeting != nil:
		return eventbus.Aggregate{Type: "meeting", ID: c.Meeting.ID, Version: c.Meeting.Version}, nil
	case c.ActionItem != nil:
		return eventbus.Aggregate{Type: "action_item", ID: c.ActionItem.ID, Version: c.ActionItem.Version}, nil
	case c.Resolution != nil:
		return eventbus.Aggregate{Type: "resolution", ID: c.Resolution.ID, Version: 1}, nil
	case c.Signature != nil:
		return eventbus.Aggregate{Type: "convention_signature", ID: c.Signature.ID, Version: 1}, nil
	case c.Visit != nil:
		return eventbus.Aggregate{Type: "field_visit", ID: c.Visit.ID, Version: c.Visit.Version}, nil
	case c.ServiceItem != nil:
		return eventbus.Aggregate{Type: "service_item", ID: c.ServiceItem.ID, Version: c.ServiceItem.Version}, nil
	case c.Beneficiary != nil:
		// One record per company per item: its id is the pair.
		return eventbus.Aggregate{Type: "service_beneficiary", ID: c.Beneficiary.ItemID + "/" + c.Beneficiary.CompanyID, Version: c.Beneficiary.Version}, nil
	}
	return eventbus.Aggregate{}, fmt.Errorf("store: change %s has no aggregate", c.Type)
}

func payload(district string, c service.Change) (proto.Message, error) {
	switch c.Type {
	case service.EventMeetingScheduled:
		return &eventsv1.MeetingScheduled{Meeting: meetingSnapshot(district, c.Meeting)}, nil
	case service.EventMeetingUpdated:
		return &eventsv1.MeetingUpdated{Meeting: meetingSnapshot(district, c.Meeting), Fields: c.Fields}, nil
	case service.EventMeetingStatusChanged:
		return &eventsv1.MeetingStatusChanged{Meeting: meetingSnapshot(district, c.Meeting), FromStatus: c.FromStatus, ToStatus: c.ToStatus}, nil
	case service.EventAttendanceRecorded:
		if c.Invitation == nil {
			return nil, fmt.Errorf("store: %s without an invitation", c.Type)
		}
		return &eventsv1.AttendanceRecorded{Meeting: meetingSnapshot(district, c.Meeting), Attendance: attendanceSnapshot(c.Invitation)}, nil
	case service.EventMinutesPublished:
		return &eventsv1.MinutesPublished{Meeting: meetingSnapshot(district, c.Meeting), MinutesVersion: int32(c.MinutesVersion), Entries: int32(c.Entries)}, nil
	case service.EventResolutionAdopted:
		r := c.Resolution
		return &eventsv1.ResolutionAdopted{Id: r.ID, District: district, MeetingId: r.MeetingID, Title: r.Title, ActionItems: int32(len(r.ActionItems))}, nil
	case service.EventActionItemCreated:
		return &eventsv1.ActionItemCreated{Item: itemSnapshot(district, c.ActionItem)}, nil
	case service.EventActionItemStatus:
		return &eventsv1.ActionItemStatusChanged{Item: itemSnapshot(district, c.ActionItem), FromStatus: c.FromStatus, ToStatus: c.ToStatus, By: c.By}, nil
	case service.EventActionItemReminder:
		return &eventsv1.ActionItemReminder{Item: itemSnapshot(district, c.ActionItem), Overdue: c.Overdue, Days: int32(c.Days)}, nil
	case service.EventConventionSigned:
		s := c.Signature
		return &eventsv1.ConventionSigned{Signature: &eventsv1.ConventionSignature{
			Id: s.ID, District: district, CompanyId: s.CompanyID, ConventionVersion: s.ConventionVersion, SignedBy: s.SignedBy,
			SignedAt: timestamppb.New(s.SignedAt), MeetingId: s.MeetingID, Current: s.Current,
		}}, nil
	case service.EventFieldVisitRecorded:
		return &eventsv1.FieldVisitRecorded{Visit: visitSnapshot(district, c.Visit)}, nil
	case service.EventServiceItemCreated:
		return &eventsv1.ServicePlanItemCreated{Item: serviceItemSnapshot(district, c.ServiceItem)}, nil
	case service.EventServiceMilestoneDone:
		return &eventsv1.ServicePlanMilestoneDone{Item: serviceItemSnapshot(district, c.ServiceItem), Milestone: int32(c.Milestone)}, nil
	case service.EventServiceBeneficiaryAdded:
		if c.Beneficiary == nil {
			return nil, fmt.Errorf("store: %s without a beneficiary", c.Type)
		}
		return &eventsv1.ServiceBeneficiaryAdded{Item: serviceItemSnapshot(district, c.ServiceItem), Beneficiary: beneficiarySnapshot(district, c.Beneficiary)}, nil
	case service.EventServiceFeedbackGiven:
		return &eventsv1.ServiceFeedbackGiven{Beneficiary: beneficiarySnapshot(district, c.Beneficiary), Changed: c.Changed}, nil
	}
	return nil, nil
}

// visitSnapshot is a visit's event form: who went stays in the district,
// only how many went leaves it.
func visitSnapshot(district string, v *service.FieldVisit) *eventsv1.FieldVisit {
	out := &eventsv1.FieldVisit{
		Id: v.ID, District: district, CompanyId: v.CompanyID, CompanyName: v.CompanyName, VisitedOn: v.VisitedOn,
		Visitors: int32(len(v.VisitedBy)), FollowUps: int32(len(v.FollowUps)), Version: v.Version, CreatedAt: timestamppb.New(v.CreatedAt),
	}
	for _, p := range v.Points {
		out.Points = append(out.Points, &eventsv1.VisitPoint{Area: p.Area, Rating: p.Rating, Flagged: p.Flagged, Note: p.Note})
	}
	return out
}

func serviceItemSnapshot(district string, it *service.ServiceItem) *eventsv1.ServicePlanItem {
	out := &eventsv1.ServicePlanItem{
		Id: it.ID, District: district, Term: it.Term, Kind: it.Kind, Title: it.Title, Owner: it.Owner,
		TargetUnit: it.TargetUnit, TargetCount: int32(it.TargetCount), Achieved: int32(it.Achieved), Beneficiaries: int32(it.Beneficiaries),
		Version: it.Version, UpdatedAt: timestamppb.New(it.UpdatedAt),
	}
	for _, m := range it.Milestones {
		out.Milestones = append(out.Milestones, &eventsv1.ServiceMilestone{Title: m.Title, DueOn: m.DueOn, DoneOn: m.DoneOn})
	}
	return out
}

func beneficiarySnapshot(district string, b *service.Beneficiary) *eventsv1.ServiceBeneficiary {
	out := &eventsv1.ServiceBeneficiary{ItemId: b.ItemID, District: district, CompanyId: b.CompanyID, ServedOn: b.ServedOn,
		Rating: int32(b.Rating), Comment: b.Comment, Version: b.Version}
	if b.FeedbackAt != nil {
		out.FeedbackAt = timestamppb.New(*b.FeedbackAt)
	}
	return out
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
	a := &eventsv1.Attendance{MeetingId: v.MeetingID, InviteeId: v.ID, Kind: v.Kind, CompanyId: v.CompanyID, CompanyName: v.CompanyName, PersonName: v.PersonName, Status: v.Status}
	if v.CheckedInAt != nil {
		a.CheckedInAt = timestamppb.New(*v.CheckedInAt)
	}
	return a
}

func itemSnapshot(district string, a *service.ActionItem) *eventsv1.ActionItem {
	return &eventsv1.ActionItem{
		Id: a.ID, District: district, ResolutionId: a.ResolutionID, MeetingId: a.MeetingID, Title: a.Title,
		OwnerKind: a.OwnerKind, OwnerCompanyId: a.OwnerCompanyID, OwnerName: a.OwnerName, DueOn: a.DueOn,
		Status: a.Status, Version: a.Version, UpdatedAt: timestamppb.New(a.UpdatedAt.In(time.UTC)), VisitId: a.VisitID,
	}
}
