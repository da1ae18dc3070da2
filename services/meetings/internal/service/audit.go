package service

import (
	"context"

	"github.com/guildhall/guildhall/pkg/versioned"
)

// The service's audit actions and resources. Recording and listing are
// audit.Log's, which the service embeds: s.Audit records a write of the
// request in ctx, s.AuditAs one on behalf of another actor, both in the
// write's transaction; ListAudit is the Service method.

// Audit actions: "<resource>.<verb>", one per kind of write.
const (
	ActionMeetingCreate    = "meeting.create"
	ActionMeetingUpdate    = "meeting.update"
	ActionMeetingStatus    = "meeting.status_change"
	ActionAgendaAdd        = "agenda.add"
	ActionAgendaReorder    = "agenda.reorder"
	ActionInvite           = "invitation.create"
	ActionCheckIn          = "invitation.check_in"
	ActionAttendance       = "invitation.attendance"
	ActionMinuteAdd        = "minute.add"
	ActionMinuteUpdate     = "minute.update"
	ActionMinuteDelete     = "minute.delete"
	ActionMinutesPublish   = "minutes.publish"
	ActionResolutionAdopt  = "resolution.adopt"
	ActionActionItemStatus = "action_item.status_change"
	ActionActionItemRemind = "action_item.remind"
	ActionConventionSign   = "convention.sign"

	ActionVisitRecord       = "field_visit.record"
	ActionServiceItemCreate = "service_item.create"
	ActionMilestoneDone     = "service_item.milestone_done"
	ActionBeneficiaryAdd    = "service_item.beneficiary_add"
	ActionFeedbackGive      = "service_item.feedback"
)

// Audit resources.
const (
	ResourceMeeting    = "meeting"
	ResourceInvitation = "invitation"
	ResourceMinute     = "minute"
	ResourceResolution = "resolution"
	ResourceActionItem = "action_item"
	ResourceSignature  = "convention_signature"

	ResourceVisit       = "field_visit"
	ResourceServiceItem = "service_item"
)

// edit is the Edit of a change the request in ctx made to a versioned row
// (see versioned.Update): its audit entry (audit.Log's, stamped by the
// service's clock) and the events describing it.
func (s *Meetings) edit(ctx context.Context, action, resource, resourceID string, fields []string, changes ...Change) Edit {
	return versioned.Changed(s.Entry(ctx, action, resource, resourceID, fields), changes...)
}
