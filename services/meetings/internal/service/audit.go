package service

import (
	"context"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/versioned"
)

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
)

// Audit resources.
const (
	ResourceMeeting    = "meeting"
	ResourceInvitation = "invitation"
	ResourceMinute     = "minute"
	ResourceResolution = "resolution"
	ResourceActionItem = "action_item"
	ResourceSignature  = "convention_signature"
)

// audit records a write made by the request in ctx, in q's transaction.
func (s *Meetings) audit(ctx context.Context, q Queries, action, resource, resourceID string, fields []string) error {
	return s.auditAs(ctx, q, audit.ActorFromContext(ctx), action, resource, resourceID, fields)
}

// auditAs records a write made on behalf of a, in q's transaction.
func (s *Meetings) auditAs(ctx context.Context, q Queries, a audit.Actor, action, resource, resourceID string, fields []string) error {
	return q.InsertAudit(ctx, a.Entry(s.now(), action, resource, resourceID, fields))
}

// edit is the Edit of a change the request in ctx made to a versioned row
// (see versioned.Update): its audit row and the events describing it.
func (s *Meetings) edit(ctx context.Context, action, resource, resourceID string, fields []string, changes ...Change) Edit {
	return versioned.Changed(audit.ActorFromContext(ctx).Entry(s.now(), action, resource, resourceID, fields), changes...)
}

// ListAudit implements Service.
func (s *Meetings) ListAudit(ctx context.Context, f audit.Filter, page kitx.Page) ([]audit.Entry, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	return s.repo.ListAudit(ctx, f, page)
}
