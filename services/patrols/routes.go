package patrols

import (
	"context"
	"net/http"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/patrols/internal/endpoints"
	"github.com/guildhall/guildhall/services/patrols/internal/service"
	t "github.com/guildhall/guildhall/services/patrols/internal/transport"
)

// routeTable is THE table of the patrols service: every route once, with
// its request and response types (the OpenAPI document is generated from
// them), its row of the policy table and where its authorization target
// comes from, its decoder and its endpoint. svc and az may be nil: the
// document generator and the tests read the table without a service.
//
// The policy: a role not named is denied; ops has no row anywhere. HQ is
// city-wide; the district lead (district-admin) plans its district's
// patrols; the police read the reports (警保联动); a company-admin creates
// its company's team and enrols, assigns and reads its own guards; a guard
// (a team leader or member) reads the district's teams, areas and plans,
// joins a team and scans checkpoints as themself only — a scan is the
// scanning guard's own proof of presence, so not even HQ records one.
func routeTable(svc service.Service, az *authorizer, base string) []kitx.Route {
	var dsp endpoints.Dispatcher
	var inc endpoints.Incidents
	if svc != nil {
		dsp, inc = svc.(endpoints.Dispatcher), svc.(endpoints.Incidents)
	}
	at := kitx.Targets[targetKind](az.target).At
	district := at(targetDistrict)
	errsOf := kitx.CommonErrors(service.ErrDistrictNotFound, storage.ErrUnavailable)
	create := errsOf.With(idempotency.ErrKeyReused, idempotency.ErrKeyInvalid, idempotency.ErrKeyInUse)
	p := func(path string) string { return kitx.DistrictPrefix + path }
	gate := []*errs.Error{service.ErrGuardUnknown, service.ErrGuardNotActive, service.ErrGuardNotVolunteer, service.ErrGuardUncertified,
		service.ErrGuardCertificateExpired, service.ErrGuardBackgroundCheck, service.ErrGuardOtherCompany}
	scanInput := []*errs.Error{service.ErrScanGuardRequired, service.ErrScanDeviceID, service.ErrCRSInvalid, service.ErrScanTagRequired,
		service.ErrScanTimeRequired, service.ErrScanLocation, service.ErrScanAccuracy, service.ErrScanDeviceSeq}
	window := []kitx.Param{
		{Name: "from", In: "query", Format: "date-time", Required: true, Description: "the window's start (RFC 3339)"},
		{Name: "to", In: "query", Format: "date-time", Required: true, Description: "the window's end, exclusive"},
	}
	return []kitx.Route{
		// Volunteer teams and the roster's gate.
		{Name: "create_team", Method: "POST", Path: p("/teams"), Tag: "teams", Summary: "Create a volunteer-police team (江城义警) led by an eligible guard",
			Description: "company_id empty makes a district team, pooling every company's volunteers; a company's team takes only its guards. " +
				"The leader joins as the first member and must pass the roster's gate like any member (the error names leader_guard_id).",
			Request: service.CreateTeamInput{}, Response: service.Team{}, Status: http.StatusCreated, IdempotencyKey: true,
			ResponseHeaders: []string{"Location"},
			Errors:          create(append(gate, service.ErrTeamNameRequired, service.ErrTeamCompanyInvalid, service.ErrTeamLeaderRequired)...),
			Rule:            rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}),
			Target:          at(targetTeamCompany), Decode: kitx.DecodeCreate[service.CreateTeamInput], Endpoint: endpoints.MakeCreateTeamEndpoint(svc, base)},
		{Name: "list_teams", Method: "GET", Path: p("/teams"), Tag: "teams", Summary: "List the district's teams",
			Response: kitx.ListResponse[service.Team]{}, Paged: true, Errors: errsOf(),
			Rule: readers(), Target: district, Decode: t.DecodeList, Endpoint: endpoints.MakeListTeamsEndpoint(svc)},
		{Name: "get_team", Method: "GET", Path: p("/teams/{id}"), Tag: "teams", Summary: "Read a team with its members",
			Response: service.Team{}, Errors: errsOf(service.ErrTeamNotFound),
			Rule: readers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetTeamEndpoint(svc)},
		{Name: "join_team", Method: "POST", Path: p("/teams/{id}/members"), Tag: "teams", Summary: "Add a guard to a team, if the roster's conditions hold",
			Description: "The guard must be active, a volunteer-police member, hold a certificate valid today (Asia/Shanghai) and have passed the " +
				"background check; the refusal names the first condition failed (guard_eligibility lists them all).",
			Request: service.JoinInput{}, Response: service.Member{}, Status: http.StatusCreated, ResponseHeaders: []string{"Location"},
			Errors: errsOf(append(gate, service.ErrTeamNotFound, service.ErrTeamGuardIDRequired, service.ErrTeamMemberDuplicate)...),
			Rule:   forGuard(), Target: at(targetGuardBody), Decode: kitx.DecodeActionRequest[service.JoinInput], Endpoint: endpoints.MakeJoinTeamEndpoint(svc, base)},
		{Name: "guard_eligibility", Method: "GET", Path: p("/guards/{id}/eligibility"), Tag: "teams", Summary: "Whether a guard may serve today, with every reason not",
			Response: service.Eligibility{}, Errors: errsOf(service.ErrGuardUnknown),
			Rule: forGuard(), Target: at(targetGuardPath), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGuardEligibilityEndpoint(svc)},

		// Key areas and checkpoints.
		{Name: "create_area", Method: "POST", Path: p("/areas"), Tag: "areas", Summary: "Create a key area (polygon or circle)",
			Description: "Points are WGS-84 unless crs is gcj02 (picked on AMap/Tencent tiles), then converted to WGS-84 before they are stored; " +
				"answers carry WGS-84 and, in the *_gcj02 fields, the same points in GCJ-02.",
			Request: service.AreaInput{}, Response: service.Area{}, Status: http.StatusCreated, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrAreaNameRequired, service.ErrAreaShapeInvalid, service.ErrAreaPolygonInvalid, service.ErrAreaCenterInvalid,
				service.ErrAreaRadiusInvalid, service.ErrCRSInvalid),
			Rule: planners(), Target: district, Decode: kitx.DecodeCreate[service.AreaInput], Endpoint: endpoints.MakeCreateAreaEndpoint(svc, base)},
		{Name: "list_areas", Method: "GET", Path: p("/areas"), Tag: "areas", Summary: "List the key areas",
			Response: kitx.ListResponse[service.Area]{}, Paged: true, Errors: errsOf(),
			Rule: readers(), Target: district, Decode: t.DecodeList, Endpoint: endpoints.MakeListAreasEndpoint(svc)},
		{Name: "get_area", Method: "GET", Path: p("/areas/{id}"), Tag: "areas", Summary: "Read a key area",
			Response: service.Area{}, Errors: errsOf(service.ErrAreaNotFound),
			Rule: readers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetAreaEndpoint(svc)},
		{Name: "create_checkpoint", Method: "POST", Path: p("/areas/{id}/checkpoints"), Tag: "areas", Summary: "Add a checkpoint with its QR/NFC tag",
			Description: "The tag value is in this answer only: it is what a scan proves presence with.",
			Request:     service.CheckpointInput{}, Response: service.Checkpoint{}, Status: http.StatusCreated, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrAreaNotFound, service.ErrCheckpointNameRequired, service.ErrCheckpointTagKind, service.ErrCheckpointTagValue,
				service.ErrCheckpointTagDuplicate, service.ErrCheckpointLocation, service.ErrCheckpointOutsideArea, service.ErrCRSInvalid),
			Rule: planners(), Target: district, Decode: kitx.DecodeCreateUnder[service.CheckpointInput], Endpoint: endpoints.MakeCreateCheckpointEndpoint(svc, base)},
		{Name: "list_checkpoints", Method: "GET", Path: p("/areas/{id}/checkpoints"), Tag: "areas", Summary: "List an area's checkpoints (without tag values)",
			Response: kitx.ListResponse[service.Checkpoint]{}, Errors: errsOf(service.ErrAreaNotFound),
			Rule: readers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeListCheckpointsEndpoint(svc)},

		// Plans, shifts, assignments, coverage.
		{Name: "create_plan", Method: "POST", Path: p("/plans"), Tag: "plans", Summary: "Create a patrol plan for a period and a key area",
			Request: service.PlanInput{}, Response: service.Plan{}, Status: http.StatusCreated, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrPlanNameRequired, service.ErrPlanAreaRequired, service.ErrPlanPeriodInvalid),
			Rule:   planners(), Target: district, Decode: kitx.DecodeCreate[service.PlanInput], Endpoint: endpoints.MakeCreatePlanEndpoint(svc, base)},
		{Name: "list_plans", Method: "GET", Path: p("/plans"), Tag: "plans", Summary: "List the patrol plans with their fill rates",
			Response: kitx.ListResponse[service.Plan]{}, Paged: true, Errors: errsOf(),
			Rule: readers(), Target: district, Decode: t.DecodeList, Endpoint: endpoints.MakeListPlansEndpoint(svc)},
		{Name: "get_plan", Method: "GET", Path: p("/plans/{id}"), Tag: "plans", Summary: "Read a plan with its fill rate",
			Response: service.Plan{}, Errors: errsOf(service.ErrPlanNotFound),
			Rule: readers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetPlanEndpoint(svc)},
		{Name: "create_shift", Method: "POST", Path: p("/plans/{id}/shifts"), Tag: "plans", Summary: "Add a shift: times, headcount, route, expected scans",
			Request: service.ShiftInput{}, Response: service.Shift{}, Status: http.StatusCreated, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrPlanNotFound, service.ErrShiftTimesInvalid, service.ErrShiftRequired, service.ErrShiftRouteInvalid, service.ErrShiftExpectedScans),
			Rule:   planners(), Target: district, Decode: kitx.DecodeCreateUnder[service.ShiftInput], Endpoint: endpoints.MakeCreateShiftEndpoint(svc, base)},
		{Name: "list_shifts", Method: "GET", Path: p("/plans/{id}/shifts"), Tag: "plans", Summary: "List a plan's shifts by start",
			Response: kitx.ListResponse[service.Shift]{}, Errors: errsOf(service.ErrPlanNotFound),
			Rule: readers(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeListShiftsEndpoint(svc)},
		{Name: "assign_shift", Method: "POST", Path: p("/shifts/{id}/assignments"), Tag: "plans", Summary: "Assign a team member to a shift",
			Description: "The guard must be an active member of one of the district's teams and not assigned to another shift at an overlapping time: " +
				"of this district, or of another district as far as this node has heard (the same person, by membership's id_hash). Two districts " +
				"assigning one person before either heard of the other both succeed; the later assignment is then withdrawn (DoubleBookingResolved).",
			Request: service.AssignInput{}, Response: service.Assignment{}, Status: http.StatusCreated, ResponseHeaders: []string{"Location"},
			Errors: errsOf(service.ErrShiftNotFound, service.ErrTeamGuardIDRequired, service.ErrAssignNotMember, service.ErrAssignSuspended,
				service.ErrAssignDoubleBook, service.ErrAssignDuplicate, service.ErrAssignShiftFull, service.ErrAssignShiftOver),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}),
			Target: at(targetGuardBody), Decode: kitx.DecodeActionRequest[service.AssignInput], Endpoint: endpoints.MakeAssignEndpoint(svc, base)},
		{Name: "withdraw_assignment", Method: "DELETE", Path: p("/shifts/{id}/assignments/{sub}"), Tag: "plans", Summary: "Withdraw a guard's assignment to a shift",
			Description: "The shift must not have ended. Its place is open again, and the other districts forget the booking (ShiftAssignmentCancelled, reason withdrawn).",
			Params:      []kitx.Param{{Name: "sub", In: "path", Description: "the assigned guard's id"}}, Status: http.StatusNoContent,
			Errors: errsOf(service.ErrShiftNotFound, service.ErrTeamGuardIDRequired, service.ErrAssignmentNotFound, service.ErrAssignShiftOver),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}),
			Target: at(targetAssignmentGuard), Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeWithdrawEndpoint(svc)},
		{Name: "coverage", Method: "GET", Path: p("/coverage"), Tag: "plans", Summary: "Required, staffed and missing person-minutes per key area and hour",
			Params:   append(window, kitx.Query("area_id", "only this key area")),
			Response: service.CoverageReport{}, Errors: errsOf(service.ErrCoverageWindow),
			Rule: supervisors(), Target: district, Decode: t.DecodeCoverage, Endpoint: endpoints.MakeCoverageEndpoint(svc)},

		// Proof of presence.
		{Name: "record_scan", Method: "POST", Path: p("/scans"), Tag: "scans", Summary: "Record an online checkpoint scan",
			Description: "201 with the accepted scan (outcome accepted); 200 with the stored scan when the device already sent this device_seq " +
				"(outcome duplicate: nothing is written, nothing created). " +
				"A scan that is no proof of presence is 422 with the reason's id.",
			Request: service.ScanInput{}, Response: service.ScanResult{}, Status: http.StatusCreated, AltStatus: http.StatusOK,
			Errors: errsOf(append(scanInput, service.ErrScanTagUnknown, service.ErrScanOutsideShift, service.ErrScanNotAssigned,
				service.ErrScanTooFar, service.ErrScanRepeat, service.ErrScanInFuture)...),
			Rule: rule(map[auth.Role]auth.Scope{guard: selfS}), Target: at(targetGuardBody), Decode: t.DecodeInput[service.ScanInput], Endpoint: endpoints.MakeRecordScanEndpoint(svc)},
		{Name: "upload_scans", Method: "POST", Path: p("/scans/batch"), Tag: "scans", Summary: "Upload an offline batch of scans",
			Description: "Each scan keeps its device time and is judged like an online one, in device-time order; the answer has one result per scan " +
				"(accepted, duplicate or rejected with the error id it would have had alone). A device clock off by more than the policy's limit at " +
				"upload flags the batch and every time in it is corrected by the offset measured (time_corrected).",
			Request: service.BatchInput{}, Response: service.BatchResult{},
			Errors: errsOf(append(scanInput, service.ErrScanDeviceTime, service.ErrBatchEmpty, service.ErrBatchSeqDuplicate)...),
			Rule:   rule(map[auth.Role]auth.Scope{guard: selfS}), Target: at(targetGuardBody), Decode: t.DecodeInput[service.BatchInput], Endpoint: endpoints.MakeUploadScansEndpoint(svc)},
		{Name: "shift_report", Method: "GET", Path: p("/shifts/{id}/report"), Tag: "scans", Summary: "A shift's scans per guard, mock locations and missed tours",
			Response: service.ShiftReport{}, Errors: errsOf(service.ErrShiftNotFound),
			Rule: supervisors(), Target: district, Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeShiftReportEndpoint(svc)},
		{Name: "patrol_hours", Method: "GET", Path: p("/patrol-hours"), Tag: "scans", Summary: "Patrol hours per guard: shifts with accepted scans",
			Params: window, Response: service.HoursReport{}, Errors: errsOf(service.ErrHoursWindow),
			Rule: supervisors(), Target: district, Decode: t.DecodeHours, Endpoint: endpoints.MakePatrolHoursEndpoint(svc)},
		{Name: "list_missed_tours", Method: "GET", Path: p("/missed-tours"), Tag: "scans", Summary: "Missed-tour anomalies, newest first",
			Params:   []kitx.Param{kitx.Query("kind", "only this kind", service.TourNotStarted, service.TourNotFinished)},
			Response: kitx.ListResponse[service.MissedTour]{}, Paged: true, Errors: errsOf(service.ErrAnomalyKindFilter),
			Rule: supervisors(), Target: district, Decode: t.DecodeMissedTours, Endpoint: endpoints.MakeListMissedToursEndpoint(svc)},

		// Incidents met on patrol.
		{Name: "report_incident", Method: "POST", Path: p("/incidents"), Tag: "incidents", Summary: "Report an incident met on patrol",
			Request: service.IncidentInput{}, Response: service.Incident{}, Status: http.StatusCreated, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrScanGuardRequired, service.ErrIncidentKind, service.ErrIncidentSeverity, service.ErrIncidentLocation,
				service.ErrIncidentDescription, service.ErrIncidentAttachments, service.ErrIncidentNotMember, service.ErrCRSInvalid),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, guard: selfS}), Target: at(targetGuardBody),
			Decode: kitx.DecodeCreate[service.IncidentInput], Endpoint: endpoints.MakeReportIncidentEndpoint(inc, base)},
		{Name: "list_incidents", Method: "GET", Path: p("/incidents"), Tag: "incidents", Summary: "List incidents, newest first",
			Response: kitx.ListResponse[service.Incident]{}, Paged: true, Errors: errsOf(),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, guard: districtS}), Target: district,
			Decode: t.DecodeList, Endpoint: endpoints.MakeListIncidentsEndpoint(inc)},
		{Name: "get_incident", Method: "GET", Path: p("/incidents/{id}"), Tag: "incidents", Summary: "Read an incident",
			Response: service.Incident{}, Errors: errsOf(service.ErrIncidentNotFound),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, guard: districtS}), Target: district,
			Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetIncidentEndpoint(inc)},
		{Name: "hand_over_incident", Method: "POST", Path: p("/incidents/{id}/hand-over"), Tag: "incidents", Summary: "Hand an open incident over to the police",
			Response: service.Incident{}, Errors: errsOf(service.ErrIncidentNotFound, service.ErrIncidentStatus),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, guard: selfS}), Target: at(targetIncidentReporter),
			Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeIncidentActionEndpoint(func(ctx context.Context, id string) (service.Incident, error) { return inc.HandOverIncident(ctx, id) })},
		{Name: "police_accept_incident", Method: "POST", Path: p("/incidents/{id}/police-accept"), Tag: "incidents", Summary: "Take a handed-over incident over: it becomes a dispatch",
			Description: "The dispatch is raised at the incident's location and offered to the on-duty teams nearest first, like raise_dispatch.",
			Request:     service.PoliceAcceptInput{}, Response: service.Incident{},
			Errors: errsOf(service.ErrIncidentNotFound, service.ErrIncidentStatus, service.ErrDispatchUrgency, service.ErrDispatchSetting),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, police: districtS}), Target: district,
			Decode: kitx.DecodeActionRequest[service.PoliceAcceptInput], Endpoint: endpoints.MakePoliceAcceptIncidentEndpoint(inc)},
		{Name: "resolve_incident", Method: "POST", Path: p("/incidents/{id}/resolve"), Tag: "incidents", Summary: "Resolve an incident",
			Response: service.Incident{}, Errors: errsOf(service.ErrIncidentNotFound, service.ErrIncidentStatus),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, guard: selfS}), Target: at(targetIncidentReporter),
			Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeIncidentActionEndpoint(func(ctx context.Context, id string) (service.Incident, error) { return inc.ResolveIncident(ctx, id) })},

		// Police dispatch (警保联动).
		{Name: "raise_dispatch", Method: "POST", Path: p("/dispatches"), Tag: "dispatch", Summary: "Raise a dispatch request to the district's on-duty teams",
			Description: "Offered to the on-duty teams (a member on a shift running now) nearest first; with none on duty it is unassigned and " +
				"escalated at once. The timers run against the city's targets per urgency (/guildhall/policy/dispatch).",
			Request: service.DispatchInput{}, Response: service.Dispatch{}, Status: http.StatusCreated, IdempotencyKey: true, ResponseHeaders: []string{"Location"},
			Errors: create(service.ErrDispatchKind, service.ErrDispatchUrgency, service.ErrDispatchSetting, service.ErrDispatchLocation,
				service.ErrDispatchDescription, service.ErrCRSInvalid),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, police: districtS}), Target: district,
			Decode: kitx.DecodeCreate[service.DispatchInput], Endpoint: endpoints.MakeRaiseDispatchEndpoint(dsp, base)},
		{Name: "list_dispatches", Method: "GET", Path: p("/dispatches"), Tag: "dispatch", Summary: "List dispatch requests, newest first",
			Params:   []kitx.Param{kitx.Query("status", "only this status", service.DispatchOffered, service.DispatchUnassigned, service.DispatchAccepted, service.DispatchEnRoute, service.DispatchArrived, service.DispatchClosed)},
			Response: kitx.ListResponse[service.Dispatch]{}, Paged: true, Errors: errsOf(service.ErrDispatchStatusFilter),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, guard: districtS}), Target: district,
			Decode: t.DecodeDispatches, Endpoint: endpoints.MakeListDispatchesEndpoint(dsp)},
		{Name: "get_dispatch", Method: "GET", Path: p("/dispatches/{id}"), Tag: "dispatch", Summary: "Read a dispatch request",
			Response: service.Dispatch{}, Errors: errsOf(service.ErrDispatchNotFound),
			Rule: rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, guard: districtS}), Target: district,
			Decode: kitx.DecodeIDRequest, Endpoint: endpoints.MakeGetDispatchEndpoint(dsp)},
		{Name: "accept_dispatch", Method: "POST", Path: p("/dispatches/{id}/accept"), Tag: "dispatch", Summary: "Accept (签收) the request for your team, as its leader",
			Request: service.AcceptInput{}, Response: service.Dispatch{},
			Errors: errsOf(service.ErrDispatchNotFound, service.ErrDispatchTeamRequired, service.ErrDispatchNotOffered),
			Rule:   rule(map[auth.Role]auth.Scope{guard: selfS}), Target: at(targetDispatchLeader),
			Decode: kitx.DecodeActionRequest[service.AcceptInput], Endpoint: endpoints.MakeAcceptDispatchEndpoint(dsp)},
		{Name: "dispatch_step", Method: "POST", Path: p("/dispatches/{id}/steps"), Tag: "dispatch", Summary: "Record en route, arrival (到场), feedback (反馈) or closure",
			Description: "The accepting team's leader records en_route, arrived and feedback (with a note); the police (or HQ) close, after feedback.",
			Request:     service.StepInput{}, Response: service.Dispatch{},
			Errors: errsOf(service.ErrDispatchNotFound, service.ErrDispatchStepInvalid, service.ErrDispatchStepIllegal, service.ErrDispatchNoteRequired, service.ErrDispatchStepDenied),
			Rule:   rule(map[auth.Role]auth.Scope{hq: anyS, police: districtS, guard: selfS}), Target: at(targetDispatchLeader),
			Decode: kitx.DecodeActionRequest[service.StepInput], Endpoint: endpoints.MakeDispatchStepEndpoint(dsp)},

		{Name: "list_audit", Method: "GET", Path: p("/patrols/audit"), Tag: "audit", Summary: "The patrols service's audit log, newest first",
			Response: kitx.ListResponse[audit.Entry]{}, Paged: true, Params: audit.QueryParams(), Errors: errsOf(audit.Errors()...),
			Rule: planners(), Target: district, Decode: audit.DecodeListRequest, Endpoint: endpoints.MakeListAuditEndpoint(svc)},
	}
}

// API describes the patrols service for its OpenAPI document (pkg/apidoc):
// the route table, read without a service.
func API() kitx.API {
	return kitx.API{
		Service: ServiceName, Title: "Guildhall patrols API", Version: "v1",
		Description: "Patrols (巡防) of one district: volunteer-police teams (江城义警) drawn from the guards of every member company and gated on their " +
			"records; key areas and checkpoints; holiday patrol plans with shifts and assignments; checkpoint scans as proof of presence. " +
			"Coordinates are WGS-84 unless a request says crs gcj02. Every route is under /api/v1/districts/{district}.",
		Tags: []kitx.Tag{
			{Name: "teams", Description: "Volunteer-police teams and the roster's gate"},
			{Name: "areas", Description: "Key areas and their checkpoints"},
			{Name: "plans", Description: "Patrol plans, shifts, assignments and coverage"},
			{Name: "scans", Description: "Checkpoint scans, shift reports, patrol hours and missed tours"},
			{Name: "incidents", Description: "Incidents met on patrol and their hand-over to the police"},
			{Name: "dispatch", Description: "Police dispatch requests (警保联动) and their response timers"},
			{Name: "audit", Description: "Who changed what, when"},
		},
		Routes: routeTable(nil, nil, ""),
	}
}
