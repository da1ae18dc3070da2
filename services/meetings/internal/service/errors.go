package service

import (
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
)

// Stable error ids of the meetings API. Users script against them: never
// rename one.
var (
	// ErrDistrictNotFound is the kit's: one id for every service.
	ErrDistrictNotFound = kitx.ErrDistrictNotFound

	// ErrCompanyNotFound is the kit's, membership's id: a company not in
	// the district's register as meetings knows it (the projection of
	// membership's events). A company registered a moment ago may not be
	// projected yet; the error is a 404 the client may retry (the message
	// says so), not a 409: nothing the client holds is stale.
	ErrCompanyNotFound = kitx.ErrCompanyNotFound

	ErrMeetingNotFound        = errs.E(errs.NotFound, "meeting.not_found", "no such meeting")
	ErrMeetingTypeInvalid     = errs.InvalidField("meeting.type_invalid", "type", "type must be council, presidents_office, district_working or district_roundtable")
	ErrMeetingTitleRequired   = errs.InvalidField("meeting.title_required", "title", "a meeting needs a title")
	ErrMeetingTitleTooLong    = errs.InvalidField("meeting.title_too_long", "title", "a title is at most 200 characters")
	ErrMeetingStartRequired   = errs.InvalidField("meeting.starts_at_required", "starts_at", "starts_at is required (RFC 3339)")
	ErrMeetingStartInvalid    = errs.InvalidField("meeting.starts_at_invalid", "starts_at", "starts_at must be from 2000-01-01 to five years from now")
	ErrMeetingTimesInvalid    = errs.InvalidField("meeting.ends_at_invalid", "ends_at", "ends_at must be after starts_at and at most 7 days later")
	ErrMeetingTextTooLong     = errs.InvalidField("meeting.text_too_long", "venue", "venue and host are at most 200 characters")
	ErrMeetingStatusInvalid   = errs.InvalidField("meeting.status_invalid", "status", "status must be draft, scheduled, in_progress or closed")
	ErrMeetingStatusIllegal   = errs.E(errs.Conflict, "meeting.status_illegal", "the meeting cannot move to that status from its current one")
	ErrMeetingNotEditable     = errs.E(errs.Conflict, "meeting.not_editable", "only a draft or scheduled meeting can be changed")
	ErrMeetingClosed          = errs.E(errs.Conflict, "meeting.closed", "the meeting is closed")
	ErrMeetingNotHeld         = errs.E(errs.Conflict, "meeting.not_held", "this needs the meeting to be in progress or closed")
	ErrMeetingMinutesMissing  = errs.E(errs.Conflict, "meeting.minutes_unpublished", "publish the minutes before closing the meeting")
	ErrMeetingNotOpenCheckIn  = errs.E(errs.Conflict, "meeting.check_in_closed", "check-in is open only while the meeting is scheduled or in progress")
	ErrMeetingFilterType      = ErrMeetingTypeInvalid   // the ?type filter: the same id and meaning
	ErrMeetingFilterStatus    = ErrMeetingStatusInvalid // the ?status filter: the same id and meaning
	ErrAgendaKindInvalid      = errs.InvalidField("agenda.kind_invalid", "kind", "kind must be briefing, speeches, deployment, signing or remarks")
	ErrAgendaTitleRequired    = errs.InvalidField("agenda.title_required", "title", "an agenda item needs a title (at most 200 characters)")
	ErrAgendaPresenterTooLong = errs.InvalidField("agenda.presenter_too_long", "presenter", "a presenter is at most 100 characters")
	ErrAgendaDurationInvalid  = errs.InvalidField("agenda.duration_invalid", "duration_minutes", "duration_minutes is 0 to 600")
	ErrAgendaOrderInvalid     = errs.InvalidField("agenda.order_invalid", "item_ids", "item_ids must name every agenda item of the meeting exactly once")
	ErrAgendaItemNotFound     = errs.InvalidField("agenda.item_not_found", "agenda_item_id", "no such agenda item in this meeting")
	ErrAgendaTooLong          = errs.E(errs.Conflict, "agenda.too_long", "an agenda has at most 100 items")

	ErrInvitationNotFound       = errs.E(errs.NotFound, "invitation.not_found", "no such invitation")
	ErrInviteEmpty              = errs.InvalidField("invitation.empty", "companies", "invite at least one company or person (at most 500)")
	ErrInviteCompanyIDRequired  = errs.InvalidField("invitation.company_id_required", "companies", "each company needs a company_id (at most 64 characters) and a name (at most 200)")
	ErrInviteCompanyDuplicate   = errs.EField(errs.Conflict, "invitation.company_duplicate", "companies", "that company is already invited to this meeting")
	ErrInvitePersonInvalid      = errs.InvalidField("invitation.person_invalid", "people", "each person needs a name (at most 100 characters) and a role of officer, police or guest")
	ErrCheckInCodeInvalid       = errs.InvalidField("invitation.code_invalid", "code", "this check-in code is not valid for this meeting")
	ErrCheckInCodeExpired       = errs.E(errs.Conflict, "invitation.code_expired", "this check-in code has expired")
	ErrCheckInAlreadyUsed       = errs.E(errs.Conflict, "invitation.already_checked_in", "this invitee has already checked in")
	ErrAttendanceStatusInvalid  = errs.InvalidField("attendance.status_invalid", "status", "status must be present, late or absent")
	ErrAttendanceSinceInvalid   = errs.InvalidField("attendance.since_invalid", "since", "since must be an RFC 3339 time")
	ErrAttendanceUntilInvalid   = errs.InvalidField("attendance.until_invalid", "until", "until must be an RFC 3339 time after since")
	ErrMinuteEntryNotFound      = errs.E(errs.NotFound, "minute.not_found", "no such minute entry")
	ErrMinuteSpeakerRequired    = errs.InvalidField("minute.speaker_required", "speaker", "a minute entry needs a speaker (at most 100 characters)")
	ErrMinuteTextRequired       = errs.InvalidField("minute.text_required", "text", "a minute entry needs a text (at most 20000 characters)")
	ErrMinuteKindInvalid        = errs.InvalidField("minute.kind_invalid", "kind", "kind must be speech, requirements, briefing, deployment or note")
	ErrMinuteRoleTooLong        = errs.InvalidField("minute.speaker_role_too_long", "speaker_role", "a speaker role is at most 100 characters")
	ErrMinuteCompanyIDInvalid   = errs.InvalidField("minute.company_id_invalid", "company_id", "company_id is at most 64 characters")
	ErrMinuteSupersedesInvalid  = errs.InvalidField("minute.supersedes_invalid", "supersedes", "supersedes must name a published entry of this meeting")
	ErrMinuteEntryPublished     = errs.E(errs.Conflict, "minute.published", "published minutes are immutable; add a correction that supersedes the entry")
	ErrMinutesNothingToPublish  = errs.E(errs.Conflict, "minutes.nothing_to_publish", "there are no draft entries to publish")
	ErrMinutesNotPublished      = errs.E(errs.NotFound, "minutes.not_found", "no such minutes version")
	ErrMinutesVersionInvalid    = errs.InvalidField("minutes.version_invalid", "version", "version is a positive integer or draft")
	ErrResolutionNotFound       = errs.E(errs.NotFound, "resolution.not_found", "no such resolution")
	ErrResolutionTitleRequired  = errs.InvalidField("resolution.title_required", "title", "a resolution needs a title (at most 200 characters)")
	ErrResolutionTextTooLong    = errs.InvalidField("resolution.text_too_long", "text", "a resolution text is at most 20000 characters")
	ErrResolutionItemsInvalid   = errs.InvalidField("resolution.action_items_invalid", "action_items", "a resolution has at most 100 action items")
	ErrActionItemNotFound       = errs.E(errs.NotFound, "action_item.not_found", "no such action item")
	ErrActionItemTitleRequired  = errs.InvalidField("action_item.title_required", "action_items.title", "an action item needs a title (at most 500 characters)")
	ErrActionItemOwnerInvalid   = errs.InvalidField("action_item.owner_invalid", "action_items.owner_kind", "owner_kind must be company (with owner_company_id), district, or person (with owner_name)")
	ErrActionItemDueInvalid     = errs.InvalidField("action_item.due_on_invalid", "action_items.due_on", "due_on must be a date YYYY-MM-DD from 2000-01-01 to five years from today")
	ErrActionItemStatusInvalid  = errs.InvalidField("action_item.status_invalid", "status", "status must be open, done or accepted")
	ErrActionItemStatusIllegal  = errs.E(errs.Conflict, "action_item.status_illegal", "the action item cannot move to that status from its current one")
	ErrActionItemAcceptDenied   = errs.E(errs.Forbidden, "action_item.accept_forbidden", "only the district lead or HQ accepts (or reopens) an action item")
	ErrActionItemOverdueInvalid = kitx.ErrOverdueInvalid // HQ's action-item list answers it too

	// ErrConventionNotPublished is pkg/policy's: the same id as HQ's. Until
	// issue 8 this service answered convention.none_published, which
	// policy.ErrConventionNonePublished keeps as a deprecated alias.
	ErrConventionNotPublished    = policy.ErrConventionNotPublished
	ErrSignatureCompanyRequired  = errs.InvalidField("signature.company_id_required", "company_id", "company_id is required (at most 64 characters)")
	ErrSignatureSignedByRequired = errs.InvalidField("signature.signed_by_required", "signed_by", "signed_by is required (at most 100 characters)")
	ErrSignatureSignedAtInvalid  = errs.InvalidField("signature.signed_at_invalid", "signed_at", "signed_at must be from 2000-01-01 and not in the future")
	ErrSignatureVersionInvalid   = errs.InvalidField("signature.version_invalid", "convention_version", "convention_version is at most 50 characters")
	ErrSignatureDuplicate        = errs.E(errs.Conflict, "signature.duplicate", "this company has already signed this version")
	ErrSignatureMeetingInvalid   = errs.InvalidField("signature.meeting_invalid", "meeting_id", "meeting_id must name a meeting of this district")
	ErrCadencePeriodsInvalid     = errs.InvalidField("cadence.periods_invalid", "periods", "periods is 1 to 36")

	// Field visits (issue 17).
	ErrVisitNotFound           = errs.E(errs.NotFound, "field_visit.not_found", "no such field visit")
	ErrVisitCompanyRequired    = errs.InvalidField("field_visit.company_id_required", "company_id", "a field visit needs the company_id of the visited company (at most 64 characters)")
	ErrVisitDateInvalid        = errs.InvalidField("field_visit.visited_on_invalid", "visited_on", "visited_on must be a date YYYY-MM-DD from 2000-01-01 and not after today")
	ErrVisitVisitorsInvalid    = errs.InvalidField("field_visit.visited_by_invalid", "visited_by", "name 1 to 20 visitors, each with a name (at most 100 characters) and a role of at most 100")
	ErrVisitFindingsTooLong    = errs.InvalidField("field_visit.findings_too_long", "findings", "findings are at most 20000 characters")
	ErrVisitPointsInvalid      = errs.InvalidField("field_visit.points_invalid", "points", "at most 50 points, each with an area of staffing, training, party_union, risks or other, a rating of good, fair or poor and a note of at most 2000 characters")
	ErrVisitFollowUpsInvalid   = errs.InvalidField("field_visit.follow_ups_invalid", "follow_ups", "at most 50 follow-ups, each with a title (at most 500 characters)")
	ErrVisitFollowUpDueInvalid = errs.InvalidField("field_visit.follow_up_due_on_invalid", "follow_ups[<i>].due_on", "a follow-up's due_on must be a date YYYY-MM-DD from 2000-01-01 to five years from today")
	ErrVisitPeriodsInvalid     = errs.InvalidField("field_visit.periods_invalid", "periods", "periods is how many plan periods back, 1 to 36")

	// The practical-services plan (issue 17).
	ErrServiceItemNotFound           = errs.E(errs.NotFound, "service_item.not_found", "no such item of the practical-services plan")
	ErrServiceItemTermInvalid        = errs.InvalidField("service_item.term_invalid", "term", "term is the council term, 1 to 20 characters on one line (e.g. 2025-2028)")
	ErrServiceItemKindInvalid        = errs.InvalidField("service_item.kind_invalid", "kind", "kind must be training, legal, recruitment, insurance or other")
	ErrServiceItemTitleRequired      = errs.InvalidField("service_item.title_required", "title", "an item needs a title (at most 200 characters)")
	ErrServiceItemDescriptionTooLong = errs.InvalidField("service_item.description_too_long", "description", "a plan item's description is at most 5000 characters")
	ErrServiceItemOwnerRequired      = errs.InvalidField("service_item.owner_required", "owner", "an item needs an owner (at most 100 characters)")
	ErrServiceItemUnitInvalid        = errs.InvalidField("service_item.target_unit_invalid", "target_unit", "target_unit must be companies or sessions")
	ErrServiceItemCountInvalid       = errs.InvalidField("service_item.target_count_invalid", "target_count", "target_count is 1 to 10000")
	ErrServiceItemMilestonesInvalid  = errs.InvalidField("service_item.milestones_invalid", "milestones", "at most 50 milestones, each with a title (at most 200 characters) and a due_on date from 2000-01-01 to five years from today")
	ErrMilestoneInvalid              = errs.InvalidField("service_item.milestone_invalid", "milestone", "milestone is the number (1, 2, …) of one of the item's milestones")
	ErrMilestoneDoneOnInvalid        = errs.InvalidField("service_item.done_on_invalid", "done_on", "done_on must be a date YYYY-MM-DD from 2000-01-01 and not after today")
	ErrMilestoneAlreadyDone          = errs.E(errs.Conflict, "service_item.milestone_done", "that milestone is already done")
	ErrBeneficiaryCompanyRequired    = errs.InvalidField("service_beneficiary.company_id_required", "company_id", "a beneficiary needs the company_id of the company served (at most 64 characters)")
	ErrBeneficiaryServedOnInvalid    = errs.InvalidField("service_beneficiary.served_on_invalid", "served_on", "served_on must be a date YYYY-MM-DD from 2000-01-01 and not after today")
	ErrBeneficiaryNoteTooLong        = errs.InvalidField("service_beneficiary.note_too_long", "note", "a note is at most 500 characters")
	ErrBeneficiaryDuplicate          = errs.EField(errs.Conflict, "service_beneficiary.duplicate", "company_id", "that company is already recorded as served by this item")
	ErrFeedbackCompanyRequired       = errs.InvalidField("service_feedback.company_id_required", "company_id", "company_id is required: the caller's own company")
	ErrFeedbackRatingInvalid         = errs.InvalidField("service_feedback.rating_invalid", "rating", "rating is 1 to 5")
	ErrFeedbackCommentTooLong        = errs.InvalidField("service_feedback.comment_too_long", "comment", "a feedback comment is at most 2000 characters")
	ErrFeedbackNotBeneficiary        = errs.EField(errs.Conflict, "service_feedback.not_beneficiary", "company_id", "the item has not served that company: record it as a beneficiary first")
	ErrFeedbackForbidden             = errs.E(errs.Forbidden, "service_feedback.forbidden", "only the company's own company-admin gives its feedback")

	ErrIdempotencyKeyReused = idempotency.ErrKeyReused
	ErrIdempotencyKeyLong   = idempotency.ErrKeyInvalid
)
