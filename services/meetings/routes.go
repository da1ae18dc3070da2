package meetings

import (
	"net/http"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/sheet"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/meetings/internal/endpoints"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
	t "github.com/guildhall/guildhall/services/meetings/internal/transport"
)

// routeTable is THE table of the meetings service: every route once, with
// its request and response types (the OpenAPI document is generated from
// them), its row of the policy table and where its authorization target
// comes from, its decoder and its endpoint. svc and az may be nil: the
// document generator and the tests read the table without a service, and
// nothing in a row is called until a request arrives.
//
// The policy: a role not named is denied; guard and ops have no row
// anywhere (meetings are the association's and its members' business).
// hq-admin is city-wide; district-admin runs its districts' meetings and
// accepts action items; police reads within its scope and checks itself
// in; a company-admin reads its district's meetings, checks in its own
// invitation, signs the convention for its own company and marks its own
// action items done.
func routeTable(svc service.Service, az *authorizer, base string) []kitx.Route {
	at := kitx.Targets[targetKind](az.target).At
	district := at(targetDistrict)
	// Every route can answer these: the district is not this node's, or
	// the database's disk is full.
	errsOf := kitx.CommonErrors(service.ErrDistrictNotFound, storage.ErrUnavailable)
	create := errsOf.With(idempotency.ErrKeyReused, idempotency.ErrKeyInvalid, idempotency.ErrKeyInUse)
	p := func(path string) string { return kitx.DistrictPrefix + path }
	meetingFields := []*errs.Error{service.ErrMeetingTypeInvalid, service.ErrMeetingTitleRequired, service.ErrMeetingTitleTooLong,
		service.ErrMeetingStartRequired, service.ErrMeetingStartInvalid, service.ErrMeetingTimesInvalid, service.ErrMeetingTextTooLong}
	actionItemFilters := []kitx.Param{
		kitx.Query("status", "only items in this status", service.ItemOpen, service.ItemDone, service.ItemAccepted),
		kitx.Query("owner_company_id", "only this company's items (a company-admin must name its own)"),
		kitx.Query("meeting_id", "only this meeting's items"),
		kitx.Query("visit_id", "only this field visit's follow-ups"),
		{Name: "overdue", In: "query", Type: "boolean", Description: "true: only open items due before today (Asia/Shanghai)"},
	}
	return []kitx.Route{
		// Meetings.
		{Name: "create_meeting", Method: "POST", Path: p("/meetings"), Tag: "meetings", Summary: "Create a meeting (status draft)",
			Request: service.CreateMeetingInput{}, Response: service.Meeting{}, Status: http.StatusCreated,
			IdempotencyKey: true, ResponseHeaders: []string{"Location", "ETag"}, Errors: create(meetingFields...),
			Rule: admins(), Target: district, Decode: kitx.DecodeCreate[service.CreateMeetingInput], Endpoint: endpoints.MakeCreateMeetingEndpoint(svc, base)},
		{Name: "list_meetings", Method: "GET", Path: p("/meetings"), Tag: "meetings", Summary: "List meetings, latest first",
			Response: kitx.ListResponse[service.Meeting]{}, Paged: true,
			Params: []kitx.Param{
				kitx.Query("type", "only meetings of this type", service.TypeCouncil, service.TypePresidentsOffice, service.TypeDistrictWorking, service.TypeDistrictRoundtable),
				kitx.Query("status", "only meetings in this status", service.MeetingDraft, service.MeetingScheduled, service.MeetingInProgress, service.MeetingClosed),
			},
			Errors: errsOf(service.ErrMeetingFilterType, service.ErrMeetingFilterStatus),
			Rule:   readers(), Target: district, Decode: t.DecodeListMeetings, Endpoint: endpoints.MakeListMeetingsEndpoint(svc)},
		{Name: "get_meeting", Method: "GET", Path: p("/meetings/{id}"), Tag: "meetings", Summary: "Read a meeting",
			Response: service.Meeting{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrMeetingNotFound),
			Rule: readers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetMeetingEndpoint(svc)},
		{Name: "update_meeting", Method: "PATCH", Path: p("/meetings/{id}"), Tag: "meetings", Summary: "Change a draft or scheduled meeting",
			Description: "Fields absent or null stay as they are.",
			Request:     service.UpdateMeetingInput{}, Response: service.Meeting{}, IfMatch: true, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(append(meetingFields, service.ErrMeetingNotFound, service.ErrMeetingNotEditable)...),
			Rule:   admins(), Target: district, Decode: kitx.DecodeUpdateRequest[service.UpdateMeetingInput], Endpoint: endpoints.MakeUpdateMeetingEndpoint(svc)},
		{Name: "change_meeting_status", Method: "POST", Path: p("/meetings/{id}/status"), Tag: "meetings",
			Summary:     "Move a meeting along draft → scheduled → in_progress → closed",
			Description: "Closing needs published minutes (meeting.minutes_unpublished).",
			Request:     service.MeetingStatusInput{}, Response: service.Meeting{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrMeetingNotFound, service.ErrMeetingStatusInvalid, service.ErrMeetingStatusIllegal, service.ErrMeetingMinutesMissing),
			Rule:   admins(), Target: district, Decode: kitx.DecodeActionRequest[service.MeetingStatusInput], Endpoint: endpoints.MakeChangeMeetingStatusEndpoint(svc)},

		// Agenda.
		{Name: "add_agenda_item", Method: "POST", Path: p("/meetings/{id}/agenda"), Tag: "agenda", Summary: "Add an item at the end of the agenda",
			Request: service.AgendaItemInput{}, Response: service.AgendaItem{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrMeetingNotFound, service.ErrMeetingNotEditable, service.ErrAgendaKindInvalid, service.ErrAgendaTitleRequired,
				service.ErrAgendaPresenterTooLong, service.ErrAgendaDurationInvalid, service.ErrAgendaTooLong),
			Rule: admins(), Target: district, Decode: kitx.DecodeCreateUnder[service.AgendaItemInput], Endpoint: endpoints.MakeAddAgendaItemEndpoint(svc, base)},
		{Name: "list_agenda", Method: "GET", Path: p("/meetings/{id}/agenda"), Tag: "agenda", Summary: "The agenda, in order",
			Response: kitx.ListResponse[service.AgendaItem]{}, Errors: errsOf(service.ErrMeetingNotFound),
			Rule: readers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeListAgendaEndpoint(svc)},
		{Name: "reorder_agenda", Method: "POST", Path: p("/meetings/{id}/agenda/order"), Tag: "agenda", Summary: "Put the agenda in a new order",
			Request: service.ReorderInput{}, Response: kitx.ListResponse[service.AgendaItem]{},
			Errors: errsOf(service.ErrMeetingNotFound, service.ErrMeetingNotEditable, service.ErrAgendaOrderInvalid),
			Rule:   admins(), Target: district, Decode: kitx.DecodeActionRequest[service.ReorderInput], Endpoint: endpoints.MakeReorderAgendaEndpoint(svc)},

		// Invitations and attendance.
		{Name: "invite", Method: "POST", Path: p("/meetings/{id}/invitations"), Tag: "attendance", Summary: "Invite companies and people",
			Description: "Each new invitation carries its one-time check_in_code, in this response only (only its hash is stored). " +
				"Every company must be one of the district's as meetings knows them from membership's events, else company.not_found (404) " +
				"naming it, and nothing is invited; its company_name is the register's. A company registered moments ago may not have " +
				"reached meetings yet: company.not_found then clears on a retry.",
			Request: service.InviteInput{}, Response: kitx.ListResponse[service.Invitation]{}, Status: http.StatusCreated, IdempotencyKey: true,
			Errors: create(service.ErrMeetingNotFound, service.ErrMeetingClosed, service.ErrInviteEmpty, service.ErrInviteCompanyIDRequired,
				service.ErrInviteCompanyDuplicate, service.ErrInvitePersonInvalid, service.ErrCompanyNotFound),
			Rule: admins(), Target: district, Decode: kitx.DecodeCreateUnder[service.InviteInput], Endpoint: endpoints.MakeInviteEndpoint(svc)},
		// Who else was invited (and whether they came) is the association's
		// and the police's, not a competitor's.
		{Name: "list_invitations", Method: "GET", Path: p("/meetings/{id}/invitations"), Tag: "attendance", Summary: "The invitations and their attendance",
			Response: kitx.ListResponse[service.Invitation]{}, Paged: true, Errors: errsOf(service.ErrMeetingNotFound),
			Rule: supervisors(), Target: district, Decode: t.DecodeListInvitations, Endpoint: endpoints.MakeListInvitationsEndpoint(svc)},
		{Name: "record_attendance", Method: "POST", Path: p("/meetings/{id}/invitations/{sub}/attendance"), Tag: "attendance",
			Summary: "Mark an invitee present, late or absent", Params: []kitx.Param{{Name: "sub", In: "path", Description: "the invitation's id"}},
			Request: service.AttendanceInput{}, Response: service.Invitation{},
			Errors: errsOf(service.ErrMeetingNotFound, service.ErrInvitationNotFound, service.ErrAttendanceStatusInvalid, service.ErrMeetingNotHeld),
			Rule:   admins(), Target: district, Decode: kitx.DecodeActionRequest[service.AttendanceInput], Endpoint: endpoints.MakeRecordAttendanceEndpoint(svc)},
		// A company-admin checks in only the invitation its code opens for
		// its own company; police (a person invitation) within its scope.
		{Name: "check_in", Method: "POST", Path: p("/meetings/{id}/check-in"), Tag: "attendance", Summary: "Check in with an invitation's code",
			Request: service.CheckInInput{}, Response: service.Invitation{},
			Errors: errsOf(service.ErrMeetingNotFound, service.ErrCheckInCodeInvalid, service.ErrCheckInCodeExpired, service.ErrCheckInAlreadyUsed, service.ErrMeetingNotOpenCheckIn),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}),
			Target: at(targetCheckInCode), Decode: kitx.DecodeActionRequest[service.CheckInInput], Endpoint: endpoints.MakeCheckInEndpoint(svc)},
		{Name: "meeting_attendance", Method: "GET", Path: p("/meetings/{id}/attendance"), Tag: "attendance", Summary: "A meeting's attendance and rates",
			Response: service.MeetingAttendance{}, Errors: errsOf(service.ErrMeetingNotFound),
			Rule: supervisors(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeMeetingAttendanceEndpoint(svc)},
		// The attendance as a file: whoever reads the invitations.
		{Name: "export_attendance", Method: "GET", Path: p("/meetings/{id}/attendance/export"), Tag: "attendance",
			Summary: "Export a meeting's invitations and attendance as .xlsx or CSV",
			Description: "One row per invitation (company or person) with its attendance, streamed as it is read. Times are China time " +
				"(\"2025-09-23 14:05:00 +08:00\"; the header says UTC+08:00).",
			Params: []kitx.Param{kitx.FormatParam}, Response: "", ResponseContentType: downloadTypes, ResponseHeaders: []string{"Content-Disposition"},
			Errors: errsOf(kitx.ErrFormatInvalid, service.ErrMeetingNotFound),
			Rule:   supervisors(), Target: district, Decode: t.DecodeExportAttendance, Endpoint: endpoints.MakeExportAttendanceEndpoint(svc, base)},
		// A company sees its own attendance record.
		{Name: "company_attendance", Method: "GET", Path: p("/attendance/companies/{id}"), Tag: "attendance", Summary: "A company's attendance over time",
			Params: []kitx.Param{
				{Name: "id", In: "path", Description: "the company's id"},
				kitx.Query("since", "meetings starting from this time (RFC 3339; a space stands for an unencoded '+')"),
				kitx.Query("until", "meetings starting before this time (RFC 3339)"),
			},
			Response: service.CompanyAttendance{}, Errors: errsOf(service.ErrAttendanceSinceInvalid, service.ErrAttendanceUntilInvalid),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}),
			Target: at(targetCompanyPath), Decode: t.DecodeCompanyAttendance, Endpoint: endpoints.MakeCompanyAttendanceEndpoint(svc)},

		// Minutes.
		{Name: "add_minute_entry", Method: "POST", Path: p("/meetings/{id}/minutes/entries"), Tag: "minutes", Summary: "Add an entry to the draft minutes",
			Description: "An entry that supersedes a published one is its correction, published with the next version.",
			Request:     service.MinuteEntryInput{}, Response: service.MinuteEntry{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location", "ETag"},
			Errors: create(service.ErrMeetingNotFound, service.ErrMeetingNotHeld, service.ErrMinuteSpeakerRequired, service.ErrMinuteTextRequired,
				service.ErrMinuteKindInvalid, service.ErrMinuteRoleTooLong, service.ErrMinuteCompanyIDInvalid, service.ErrMinuteSupersedesInvalid,
				service.ErrAgendaItemNotFound),
			Rule: admins(), Target: district, Decode: kitx.DecodeCreateUnder[service.MinuteEntryInput], Endpoint: endpoints.MakeAddMinuteEntryEndpoint(svc, base)},
		{Name: "update_minute_entry", Method: "PATCH", Path: p("/meetings/{id}/minutes/entries/{sub}"), Tag: "minutes", Summary: "Change a draft entry",
			Params:  []kitx.Param{{Name: "sub", In: "path", Description: "the entry's id"}},
			Request: service.UpdateMinuteEntryInput{}, Response: service.MinuteEntry{}, IfMatch: true, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrMeetingNotFound, service.ErrMinuteEntryNotFound, service.ErrMinuteEntryPublished,
				service.ErrMinuteSpeakerRequired, service.ErrMinuteTextRequired, service.ErrMinuteRoleTooLong),
			Rule: admins(), Target: district, Decode: kitx.DecodeUpdateRequest[service.UpdateMinuteEntryInput], Endpoint: endpoints.MakeUpdateMinuteEntryEndpoint(svc)},
		{Name: "delete_minute_entry", Method: "DELETE", Path: p("/meetings/{id}/minutes/entries/{sub}"), Tag: "minutes", Summary: "Delete a draft entry",
			Params: []kitx.Param{{Name: "sub", In: "path", Description: "the entry's id"}}, Status: http.StatusNoContent,
			Errors: errsOf(service.ErrMeetingNotFound, service.ErrMinuteEntryNotFound, service.ErrMinuteEntryPublished),
			Rule:   admins(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeDeleteMinuteEntryEndpoint(svc)},
		{Name: "publish_minutes", Method: "POST", Path: p("/meetings/{id}/minutes/publish"), Tag: "minutes",
			Summary:  "Publish the draft entries as the next version (immutable)",
			Response: service.Minutes{}, Errors: errsOf(service.ErrMeetingNotFound, service.ErrMeetingNotHeld, service.ErrMinutesNothingToPublish),
			Rule: admins(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakePublishMinutesEndpoint(svc)},
		{Name: "get_minutes", Method: "GET", Path: p("/meetings/{id}/minutes"), Tag: "minutes", Summary: "The minutes: the latest version, one version, or the draft",
			Params:   []kitx.Param{kitx.Query("version", "a published version (1, 2, …) or draft; absent: the latest")},
			Response: service.Minutes{}, Errors: errsOf(service.ErrMeetingNotFound, service.ErrMinutesNotPublished, service.ErrMinutesVersionInvalid),
			Rule: readers(), Target: district, Decode: t.DecodeMinutes, Endpoint: endpoints.MakeGetMinutesEndpoint(svc)},

		// Resolutions and action items.
		{Name: "adopt_resolution", Method: "POST", Path: p("/meetings/{id}/resolutions"), Tag: "resolutions", Summary: "Adopt a resolution with its action items",
			Request: service.ResolutionInput{}, Response: service.Resolution{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrMeetingNotFound, service.ErrMeetingNotHeld, service.ErrResolutionTitleRequired, service.ErrResolutionTextTooLong,
				service.ErrResolutionItemsInvalid, service.ErrActionItemTitleRequired, service.ErrActionItemOwnerInvalid, service.ErrActionItemDueInvalid,
				service.ErrAgendaItemNotFound),
			Rule: admins(), Target: district, Decode: kitx.DecodeCreateUnder[service.ResolutionInput], Endpoint: endpoints.MakeAdoptResolutionEndpoint(svc, base)},
		{Name: "list_resolutions", Method: "GET", Path: p("/resolutions"), Tag: "resolutions", Summary: "List resolutions",
			Response: kitx.ListResponse[service.Resolution]{}, Paged: true,
			Params: []kitx.Param{kitx.Query("meeting_id", "only this meeting's")}, Errors: errsOf(),
			Rule: readers(), Target: district, Decode: t.DecodeListResolutions, Endpoint: endpoints.MakeListResolutionsEndpoint(svc)},
		{Name: "get_resolution", Method: "GET", Path: p("/resolutions/{id}"), Tag: "resolutions", Summary: "Read a resolution and its action items",
			Response: service.Resolution{}, Errors: errsOf(service.ErrResolutionNotFound),
			Rule: readers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetResolutionEndpoint(svc)},
		// A company-admin lists its own action items (owner_company_id
		// must be its company: a 403, never a silently filtered list).
		{Name: "list_action_items", Method: "GET", Path: p("/action-items"), Tag: "resolutions", Summary: "List action items",
			Response: kitx.ListResponse[service.ActionItem]{}, Paged: true,
			Params: actionItemFilters,
			Errors: errsOf(service.ErrActionItemStatusInvalid, service.ErrActionItemOverdueInvalid),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}),
			Target: at(targetCompanyField), Decode: t.DecodeListActionItems, Endpoint: endpoints.MakeListActionItemsEndpoint(svc)},
		// The action items as a file: the list's roles and filters.
		{Name: "export_action_items", Method: "GET", Path: p("/action-items/export"), Tag: "resolutions", Summary: "Export action items as .xlsx or CSV",
			Description: "Every action item the filters select (those of list_action_items; a company-admin must set owner_company_id to its own " +
				"company), streamed as it is read. Times are China time (\"2025-09-23 14:05:00 +08:00\"; the header says UTC+08:00).",
			Params: append([]kitx.Param{kitx.FormatParam}, actionItemFilters...), Response: "", ResponseContentType: downloadTypes,
			ResponseHeaders: []string{"Content-Disposition"},
			Errors:          errsOf(kitx.ErrFormatInvalid, service.ErrActionItemStatusInvalid, service.ErrActionItemOverdueInvalid),
			Rule:            rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}),
			Target:          at(targetCompanyField), Decode: t.DecodeExportActionItems, Endpoint: endpoints.MakeExportActionItemsEndpoint(svc, base)},
		{Name: "get_action_item", Method: "GET", Path: p("/action-items/{id}"), Tag: "resolutions", Summary: "Read an action item",
			Response: service.ActionItem{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrActionItemNotFound),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}),
			Target: at(targetActionItem), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetActionItemEndpoint(svc)},
		// A company-admin marks its own item done; accepting or reopening is
		// the district lead's (enforced in the service:
		// action_item.accept_forbidden).
		{Name: "change_action_item_status", Method: "POST", Path: p("/action-items/{id}/status"), Tag: "resolutions",
			Summary: "Mark an action item done, accept it or reopen it",
			Request: service.ActionItemStatusInput{}, Response: service.ActionItem{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrActionItemNotFound, service.ErrActionItemStatusInvalid, service.ErrActionItemStatusIllegal, service.ErrActionItemAcceptDenied),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}),
			Target: at(targetActionItem), Decode: kitx.DecodeActionRequest[service.ActionItemStatusInput], Endpoint: endpoints.MakeChangeActionItemStatusEndpoint(svc)},

		// The convention and the roundtable cadence.
		{Name: "get_convention", Method: "GET", Path: p("/convention"), Tag: "convention", Summary: "The association's current convention",
			Response: service.Convention{}, Errors: errsOf(service.ErrConventionNotPublished),
			Rule: readers(), Target: district, Decode: kitx.DecodeNone, Endpoint: endpoints.MakeGetConventionEndpoint(svc)},
		// A company-admin signs for its own company only.
		{Name: "sign_convention", Method: "POST", Path: p("/convention/signatures"), Tag: "convention", Summary: "Record a company's signature",
			Description: "convention_version defaults to the current version, signed_at to now. The company must be one of the district's " +
				"(company.not_found otherwise, retryable for a company registered moments ago); a company that is not active may sign, but only active companies count in the rate.",
			Request: service.SignInput{}, Response: service.Signature{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrConventionNotPublished, service.ErrSignatureCompanyRequired, service.ErrSignatureSignedByRequired,
				service.ErrSignatureSignedAtInvalid, service.ErrSignatureVersionInvalid, service.ErrSignatureDuplicate, service.ErrSignatureMeetingInvalid,
				service.ErrCompanyNotFound),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}),
			Target: at(targetCompanyField), Decode: kitx.DecodeCreate[service.SignInput], Endpoint: endpoints.MakeSignConventionEndpoint(svc, base)},
		{Name: "list_signatures", Method: "GET", Path: p("/convention/signatures"), Tag: "convention", Summary: "List signatures",
			Response: kitx.ListResponse[service.Signature]{}, Paged: true,
			Params: []kitx.Param{kitx.Query("company_id", "only this company's"), kitx.Query("convention_version", "only of this version")},
			Errors: errsOf(),
			Rule:   supervisors(), Target: district, Decode: t.DecodeListSignatures, Endpoint: endpoints.MakeListSignaturesEndpoint(svc)},
		{Name: "signature_rate", Method: "GET", Path: p("/convention/rate"), Tag: "convention", Summary: "The district's signature rate of the current version",
			Description: "The share of the district's active member companies with a signature of the current version made while it was current " +
				"(the one definition, HQ's convention_signature_rate too); null when no company is active.",
			Response: service.SignatureRate{}, Errors: errsOf(service.ErrConventionNotPublished),
			Rule: supervisors(), Target: district, Decode: kitx.DecodeNone, Endpoint: endpoints.MakeSignatureRateEndpoint(svc)},
		{Name: "roundtable_cadence", Method: "GET", Path: p("/roundtables/cadence"), Tag: "convention", Summary: "Roundtables held against the expected cadence, per period",
			Params:   []kitx.Param{{Name: "periods", In: "query", Type: "integer", Min: 1, Description: "how many periods back (1–36, default 6)"}},
			Response: service.CadenceReport{}, Errors: errsOf(service.ErrCadencePeriodsInvalid),
			Rule: supervisors(), Target: district, Decode: t.DecodeCadence, Endpoint: endpoints.MakeRoundtableCadenceEndpoint(svc)},

		// Field visits (片区负责人下沉调研, issue 17). A company-admin reads only
		// its own company's visits (company_id must be its company on the
		// list: a 403, never a silently filtered list); police read.
		{Name: "record_field_visit", Method: "POST", Path: p("/field-visits"), Tag: "field-visits", Summary: "Record a field visit with its follow-ups",
			Description: "A district lead's (or delegate's) visit to a member company: who went, what was found (free text and structured points), " +
				"and follow-ups, each an action item owned by the company (due dates, status, reminders and overdue as a resolution's; " +
				"GET /action-items?visit_id=… lists them). The company must be one of the district's (company.not_found otherwise).",
			Request: service.FieldVisitInput{}, Response: service.FieldVisit{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrVisitCompanyRequired, service.ErrVisitDateInvalid, service.ErrVisitVisitorsInvalid, service.ErrVisitFindingsTooLong,
				service.ErrVisitPointsInvalid, service.ErrVisitFollowUpsInvalid, service.ErrVisitFollowUpDueInvalid, service.ErrCompanyNotFound),
			Rule: admins(), Target: district, Decode: kitx.DecodeCreate[service.FieldVisitInput], Endpoint: endpoints.MakeRecordFieldVisitEndpoint(svc, base)},
		{Name: "list_field_visits", Method: "GET", Path: p("/field-visits"), Tag: "field-visits", Summary: "List field visits in the order they were recorded",
			Response: kitx.ListResponse[service.FieldVisit]{}, Paged: true,
			Params: []kitx.Param{kitx.Query("company_id", "only this company's visits (a company-admin must name its own)")},
			Errors: errsOf(),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}),
			Target: at(targetCompanyField), Decode: t.DecodeListFieldVisits, Endpoint: endpoints.MakeListFieldVisitsEndpoint(svc)},
		{Name: "get_field_visit", Method: "GET", Path: p("/field-visits/{id}"), Tag: "field-visits", Summary: "Read a field visit and its follow-ups",
			Response: service.FieldVisit{}, Errors: errsOf(service.ErrVisitNotFound),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}),
			Target: at(targetVisit), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetFieldVisitEndpoint(svc)},
		{Name: "field_visit_plan", Method: "GET", Path: p("/field-visits/plan"), Tag: "field-visits", Summary: "Visits held against the plan, per period",
			Description: "The plan is city-wide policy (/guildhall/policy/meetings/field-visits: each active company visited once every every_months " +
				"months, counted per month, quarter or year). A period counts the companies active now that became active before its end; planned is " +
				"companies × period months / every_months, rounded up.",
			Params:   []kitx.Param{{Name: "periods", In: "query", Type: "integer", Min: 1, Description: "how many periods back (1–36, default 4)"}},
			Response: service.VisitPlanReport{}, Errors: errsOf(service.ErrVisitPeriodsInvalid),
			Rule: supervisors(), Target: district, Decode: t.DecodeVisitPlan, Endpoint: endpoints.MakeFieldVisitPlanEndpoint(svc)},
		{Name: "unvisited_companies", Method: "GET", Path: p("/field-visits/unvisited"), Tag: "field-visits", Summary: "Active companies not visited for the plan's months",
			Description: "A company's clock starts at its last visit or, never visited, the day it became active: one active for less than every_months months is not due yet.",
			Response:    service.UnvisitedReport{}, Errors: errsOf(),
			Rule: supervisors(), Target: district, Decode: kitx.DecodeNone, Endpoint: endpoints.MakeUnvisitedCompaniesEndpoint(svc)},

		// The practical-services plan (为会员单位办实事, issue 17). Members
		// read the plan; a company-admin reads and answers only its own
		// company's beneficiary record and feedback.
		{Name: "create_service_item", Method: "POST", Path: p("/service-plan/items"), Tag: "service-plan", Summary: "Add an item to the practical-services plan",
			Request: service.ServiceItemInput{}, Response: service.ServiceItem{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location", "ETag"},
			Errors: create(service.ErrServiceItemTermInvalid, service.ErrServiceItemKindInvalid, service.ErrServiceItemTitleRequired, service.ErrServiceItemDescriptionTooLong,
				service.ErrServiceItemOwnerRequired, service.ErrServiceItemUnitInvalid, service.ErrServiceItemCountInvalid, service.ErrServiceItemMilestonesInvalid),
			Rule: admins(), Target: district, Decode: kitx.DecodeCreate[service.ServiceItemInput], Endpoint: endpoints.MakeCreateServiceItemEndpoint(svc, base)},
		{Name: "list_service_items", Method: "GET", Path: p("/service-plan/items"), Tag: "service-plan", Summary: "List the plan's items with their progress",
			Response: kitx.ListResponse[service.ServiceItem]{}, Paged: true,
			Params: []kitx.Param{kitx.Query("term", "only this council term's items")},
			Errors: errsOf(service.ErrServiceItemTermInvalid),
			Rule:   readers(), Target: district, Decode: t.DecodeListServiceItems, Endpoint: endpoints.MakeListServiceItemsEndpoint(svc)},
		{Name: "get_service_item", Method: "GET", Path: p("/service-plan/items/{id}"), Tag: "service-plan", Summary: "Read a plan item and its progress",
			Response: service.ServiceItem{}, ResponseHeaders: []string{"ETag"}, Errors: errsOf(service.ErrServiceItemNotFound),
			Rule: readers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetServiceItemEndpoint(svc)},
		{Name: "complete_milestone", Method: "POST", Path: p("/service-plan/items/{id}/milestones"), Tag: "service-plan", Summary: "Mark a milestone of an item done",
			Request: service.MilestoneDoneInput{}, Response: service.ServiceItem{}, ResponseHeaders: []string{"ETag"},
			Errors: errsOf(service.ErrServiceItemNotFound, service.ErrMilestoneInvalid, service.ErrMilestoneDoneOnInvalid, service.ErrMilestoneAlreadyDone),
			Rule:   admins(), Target: district, Decode: kitx.DecodeActionRequest[service.MilestoneDoneInput], Endpoint: endpoints.MakeCompleteMilestoneEndpoint(svc)},
		{Name: "add_beneficiary", Method: "POST", Path: p("/service-plan/items/{id}/beneficiaries"), Tag: "service-plan", Summary: "Record a company the item served",
			Description: "Once per company per item (service_beneficiary.duplicate otherwise); the company must be one of the district's.",
			Request:     service.BeneficiaryInput{}, Response: service.Beneficiary{},
			Errors: errsOf(service.ErrServiceItemNotFound, service.ErrBeneficiaryCompanyRequired, service.ErrBeneficiaryServedOnInvalid, service.ErrBeneficiaryNoteTooLong,
				service.ErrBeneficiaryDuplicate, service.ErrCompanyNotFound),
			Rule: admins(), Target: district, Decode: kitx.DecodeActionRequest[service.BeneficiaryInput], Endpoint: endpoints.MakeAddBeneficiaryEndpoint(svc)},
		{Name: "list_beneficiaries", Method: "GET", Path: p("/service-plan/items/{id}/beneficiaries"), Tag: "service-plan", Summary: "The companies an item served, with their feedback",
			Params:   []kitx.Param{kitx.Query("company_id", "only this company's record (a company-admin must name its own)")},
			Response: kitx.ListResponse[service.Beneficiary]{}, Errors: errsOf(service.ErrServiceItemNotFound),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}),
			Target: at(targetCompanyField), Decode: t.DecodeListBeneficiaries, Endpoint: endpoints.MakeListBeneficiariesEndpoint(svc)},
		// Feedback is the beneficiary company's own: its company-admin alone
		// gives or changes it (not HQ, not the district lead).
		{Name: "give_feedback", Method: "POST", Path: p("/service-plan/items/{id}/feedback"), Tag: "service-plan", Summary: "Give or change the caller's company's feedback on an item",
			Description: "One rating (1–5) and comment per company per item; sending it again changes it. The company must be a beneficiary of the item.",
			Request:     service.FeedbackInput{}, Response: service.Beneficiary{},
			Errors: errsOf(service.ErrServiceItemNotFound, service.ErrFeedbackCompanyRequired, service.ErrFeedbackRatingInvalid, service.ErrFeedbackCommentTooLong,
				service.ErrFeedbackNotBeneficiary, service.ErrFeedbackForbidden),
			Rule:   rule(map[auth.Role]auth.Scope{ca: companyS}),
			Target: at(targetCompanyField), Decode: kitx.DecodeActionRequest[service.FeedbackInput], Endpoint: endpoints.MakeGiveFeedbackEndpoint(svc)},
		{Name: "service_plan_progress", Method: "GET", Path: p("/service-plan/progress"), Tag: "service-plan", Summary: "The plan's progress per item and for the district",
			Params:   []kitx.Param{kitx.Query("term", "only this council term (absent: every term)")},
			Response: service.ServicePlanProgress{}, Errors: errsOf(service.ErrServiceItemTermInvalid),
			Rule: supervisors(), Target: district, Decode: t.DecodeServicePlanProgress, Endpoint: endpoints.MakeServicePlanProgressEndpoint(svc)},

		// The audit log is for admins only (issue 3).
		{Name: "list_audit", Method: "GET", Path: p("/meetings/audit"), Tag: "audit", Summary: "The meetings service's audit log, newest first",
			Response: kitx.ListResponse[audit.Entry]{}, Paged: true, Params: audit.QueryParams(), Errors: errsOf(audit.Errors()...),
			Rule: admins(), Target: district, Decode: audit.DecodeListRequest, Endpoint: endpoints.MakeListAuditEndpoint(svc)},
	}
}

// downloadTypes are the media types of an export: the ?format chooses.
var downloadTypes = sheet.XLSX.ContentType() + ", text/csv"

// API describes the meetings service for its OpenAPI document
// (pkg/apidoc): the route table, read without a service.
func API() kitx.API {
	return kitx.API{
		Service: ServiceName, Title: "Guildhall meetings API", Version: "v1",
		Description: "Meetings (会议) of one district: council, president's office, district working meetings and roundtables; " +
			"their agenda, invitations and check-in, minutes, resolutions and action items; and the self-discipline convention " +
			"campaign (《行业自律公约》). Every route is under /api/v1/districts/{district}; another district's path is 404 district.not_found.",
		Tags: []kitx.Tag{
			{Name: "meetings", Description: "Meetings and their status"},
			{Name: "agenda", Description: "A meeting's ordered agenda"},
			{Name: "attendance", Description: "Invitations, check-in and attendance"},
			{Name: "minutes", Description: "Minutes: draft entries, published versions, corrections"},
			{Name: "resolutions", Description: "Resolutions and the action items they spawn"},
			{Name: "convention", Description: "The self-discipline convention and the roundtable cadence"},
			{Name: "field-visits", Description: "District leads' field visits to member companies (片区负责人下沉调研) and the visit plan"},
			{Name: "service-plan", Description: "The practical-services plan for members (为会员单位办实事): items, beneficiaries, feedback, progress"},
			{Name: "audit", Description: "Who changed what, when"},
		},
		Routes: routeTable(nil, nil, ""),
		Enums:  []kitx.Enum{{Type: policy.Period(""), Values: policy.PeriodNames()}},
	}
}
