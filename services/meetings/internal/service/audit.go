package service

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
