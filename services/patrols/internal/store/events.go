package store

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/patrols/internal/service"
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
	case c.Conflict != nil:
		return eventbus.Aggregate{Type: "booking_conflict", ID: c.Conflict.ID, Version: 1}, nil
	case c.Withdrawn != nil:
		// The anomaly's second event: MissedTour was its first.
		return eventbus.Aggregate{Type: "missed_tour", ID: c.Withdrawn.ID, Version: 2}, nil
	case c.Incident != nil && c.Dispatch == nil:
		return eventbus.Aggregate{Type: "incident", ID: c.Incident.ID, Version: c.Incident.Version}, nil
	case c.Dispatch != nil:
		return eventbus.Aggregate{Type: "dispatch", ID: c.Dispatch.ID, Version: c.Dispatch.Version}, nil
	case c.Team != nil:
		return eventbus.Aggregate{Type: "volunteer_team", ID: c.Team.ID, Version: c.Team.Version}, nil
	case c.Shift != nil:
		return eventbus.Aggregate{Type: "patrol_shift", ID: c.Shift.ID, Version: c.Shift.Version}, nil
	case c.Area != nil:
		return eventbus.Aggregate{Type: "key_area", ID: c.Area.ID, Version: 1}, nil
	case c.Checkpoint != nil:
		return eventbus.Aggregate{Type: "checkpoint", ID: c.Checkpoint.ID, Version: 1}, nil
	case c.Plan != nil:
		return eventbus.Aggregate{Type: "patrol_plan", ID: c.Plan.ID, Version: 1}, nil
	case c.Scan != nil:
		return eventbus.Aggregate{Type: "checkpoint_scan", ID: c.Scan.ID, Version: 1}, nil
	case c.Missed != nil:
		return eventbus.Aggregate{Type: "missed_tour", ID: c.Missed.ID, Version: 1}, nil
	}
	return eventbus.Aggregate{}, fmt.Errorf("store: change %s has no aggregate", c.Type)
}

func payload(district string, c service.Change) (proto.Message, error) {
	switch c.Type {
	case service.EventTeamCreated:
		return &eventsv1.TeamCreated{Team: teamSnapshot(district, c.Team)}, nil
	case service.EventTeamMemberJoined:
		return &eventsv1.TeamMemberJoined{Team: teamSnapshot(district, c.Team), GuardId: c.GuardID, CompanyId: c.CompanyID}, nil
	case service.EventTeamMemberSuspended:
		return &eventsv1.TeamMemberSuspended{Team: teamSnapshot(district, c.Team), GuardId: c.GuardID, Reasons: c.Reasons,
			NotifyGuardId: c.Notify, ShiftsDropped: int32(c.Dropped)}, nil
	case service.EventTeamMemberReinstated:
		return &eventsv1.TeamMemberReinstated{Team: teamSnapshot(district, c.Team), GuardId: c.GuardID, NotifyGuardId: c.Notify}, nil
	case service.EventKeyAreaCreated:
		a := c.Area
		m := &eventsv1.KeyArea{Id: a.ID, District: district, Name: a.Name, Shape: a.Shape, RadiusM: a.RadiusM}
		for _, p := range a.Polygon {
			m.Polygon = append(m.Polygon, latLng(p))
		}
		if a.Center != nil {
			m.Center = latLng(*a.Center)
		}
		return &eventsv1.KeyAreaCreated{Area: m}, nil
	case service.EventCheckpointCreated:
		cp := c.Checkpoint
		return &eventsv1.CheckpointCreated{Checkpoint: &eventsv1.Checkpoint{Id: cp.ID, District: district, AreaId: cp.AreaID, Name: cp.Name,
			TagKind: cp.TagKind, Location: latLng(cp.Location)}}, nil
	case service.EventPatrolPlanCreated:
		p := c.Plan
		return &eventsv1.PatrolPlanCreated{Plan: &eventsv1.PatrolPlan{Id: p.ID, District: district, Name: p.Name, AreaId: p.AreaID,
			StartsAt: timestamppb.New(p.StartsAt), EndsAt: timestamppb.New(p.EndsAt)}}, nil
	case service.EventPatrolShiftCreated:
		return &eventsv1.PatrolShiftCreated{Shift: shiftSnapshot(district, c.Shift)}, nil
	case service.EventShiftAssigned:
		return &eventsv1.ShiftAssigned{Shift: shiftSnapshot(district, c.Shift), GuardId: c.GuardID, TeamId: c.TeamID,
			Person: c.Person, AssignedAt: timestamppb.New(c.AssignedAt)}, nil
	case service.EventShiftAssignmentCancelled:
		return &eventsv1.ShiftAssignmentCancelled{Shift: shiftSnapshot(district, c.Shift), GuardId: c.GuardID, Reason: c.Reason,
			Person: c.Person, By: c.By, Note: c.Note, ConflictDistrict: c.ConflictDistrict, ConflictShiftId: c.ConflictShiftID}, nil
	case service.EventDoubleBookingResolved:
		b := c.Conflict
		return &eventsv1.DoubleBookingResolved{Id: b.ID, District: district, Shift: shiftSnapshot(district, b.ShiftAfterwards),
			GuardId: b.GuardID, Person: b.Person, AssignedAt: timestamppb.New(b.AssignedAt), Outcome: b.Outcome,
			OtherDistrict: b.Other.District, OtherShiftId: b.Other.ShiftID, OtherGuardId: b.Other.GuardID,
			OtherStartsAt: timestamppb.New(b.Other.StartsAt), OtherEndsAt: timestamppb.New(b.Other.EndsAt),
			OtherAssignedAt: timestamppb.New(b.Other.AssignedAt), NotifyGuardId: b.NotifyGuardID}, nil
	case service.EventMissedTourWithdrawn:
		m := c.Withdrawn
		return &eventsv1.MissedTourWithdrawn{Id: m.ID, District: district, ShiftId: m.ShiftID, PlanId: m.PlanID, GuardId: m.GuardID, Kind: m.Kind,
			Scans: int32(c.Scans), ExpectedScans: int32(m.ExpectedScans), RaisedAt: timestamppb.New(m.RaisedAt), WithdrawnAt: timestamppb.New(c.At)}, nil
	case service.EventCheckpointScanned:
		s := c.Scan
		return &eventsv1.CheckpointScanned{Id: s.ID, District: district, ShiftId: s.ShiftID, GuardId: s.GuardID, CheckpointId: s.CheckpointID,
			ScannedAt: timestamppb.New(s.ScannedAt), DeviceTime: timestamppb.New(s.DeviceTime), ReceivedAt: timestamppb.New(s.ReceivedAt),
			Location: latLng(s.Location), AccuracyM: s.AccuracyM, DistanceM: s.DistanceM, DeviceId: s.DeviceID, DeviceSeq: s.DeviceSeq,
			MockLocation: s.MockLocation, Offline: s.Offline, ClockSkewed: s.ClockSkewed, TimeCorrected: s.TimeCorrected,
			ClockOffsetSeconds: s.ClockOffsetS}, nil
	case service.EventMissedTour:
		m := c.Missed
		return &eventsv1.MissedTour{Id: m.ID, District: district, ShiftId: m.ShiftID, PlanId: m.PlanID, GuardId: m.GuardID, Kind: m.Kind,
			Scans: int32(m.Scans), ExpectedScans: int32(m.ExpectedScans), RaisedAt: timestamppb.New(m.RaisedAt)}, nil
	case service.EventIncidentReported:
		return &eventsv1.IncidentReported{Incident: incidentSnapshot(district, c.Incident)}, nil
	case service.EventIncidentUpdated:
		return &eventsv1.IncidentUpdated{Incident: incidentSnapshot(district, c.Incident)}, nil
	case service.EventDispatchRaised:
		return &eventsv1.DispatchRaised{Dispatch: dispatchSnapshot(district, c.Dispatch)}, nil
	case service.EventDispatchOffered:
		return &eventsv1.DispatchOffered{Dispatch: dispatchSnapshot(district, c.Dispatch), TeamId: c.Offer.TeamID,
			NotifyGuardId: c.Offer.LeaderGuardID, DistanceM: c.Offer.DistanceM, Offer: int32(c.OfferNo)}, nil
	case service.EventDispatchStep:
		return &eventsv1.DispatchStep{Dispatch: dispatchSnapshot(district, c.Dispatch), Step: c.Reason, By: c.By, Note: c.Note}, nil
	case service.EventDispatchEscalated:
		return &eventsv1.DispatchEscalated{Dispatch: dispatchSnapshot(district, c.Dispatch), Reason: c.Reason}, nil
	case service.EventDispatchTargetBreached:
		return &eventsv1.DispatchTargetBreached{Dispatch: dispatchSnapshot(district, c.Dispatch), Stage: c.Reason, TargetSeconds: c.TargetS}, nil
	}
	return nil, nil
}

func ts(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func dispatchSnapshot(district string, d *service.Dispatch) *eventsv1.Dispatch {
	m := &eventsv1.Dispatch{Id: d.ID, District: district, Kind: d.Kind, Urgency: d.Urgency, Setting: d.Setting, Location: latLng(d.Location),
		Status: d.Status, TeamId: d.TeamID, RaisedAt: timestamppb.New(d.RaisedAt), AcceptedAt: ts(d.AcceptedAt), ArrivedAt: ts(d.ArrivedAt),
		FeedbackAt: ts(d.FeedbackAt), ClosedAt: ts(d.ClosedAt), Escalated: d.Escalated, Version: d.Version}
	if d.Status == service.DispatchOffered && d.OfferIndex < len(d.Offers) {
		m.OfferedTeamId = d.Offers[d.OfferIndex].TeamID
	}
	return m
}

func latLng(p service.LatLng) *eventsv1.LatLng { return &eventsv1.LatLng{Lat: p.Lat, Lng: p.Lng} }

func teamSnapshot(district string, t *service.Team) *eventsv1.VolunteerTeam {
	return &eventsv1.VolunteerTeam{Id: t.ID, District: district, Name: t.Name, CompanyId: t.CompanyID, LeaderGuardId: t.LeaderGuardID,
		ActiveMembers: int32(t.ActiveMembers), SuspendedMembers: int32(t.SuspendedMembers), Version: t.Version, UpdatedAt: timestamppb.New(t.UpdatedAt)}
}

func shiftSnapshot(district string, s *service.Shift) *eventsv1.PatrolShift {
	return &eventsv1.PatrolShift{Id: s.ID, District: district, PlanId: s.PlanID, AreaId: s.AreaID, StartsAt: timestamppb.New(s.StartsAt),
		EndsAt: timestamppb.New(s.EndsAt), Required: int32(s.Required), Assigned: int32(s.Assigned), Route: s.Route,
		ExpectedScans: int32(s.ExpectedScans), Version: s.Version}
}

func incidentSnapshot(district string, inc *service.Incident) *eventsv1.Incident {
	return &eventsv1.Incident{Id: inc.ID, District: district, Kind: inc.Kind, Severity: inc.Severity, Location: latLng(inc.Location),
		Status: inc.Status, GuardId: inc.GuardID, TeamId: inc.TeamID, Attachments: int32(len(inc.Attachments)), DispatchId: inc.DispatchID,
		ReportedAt: timestamppb.New(inc.ReportedAt), Version: inc.Version}
}
