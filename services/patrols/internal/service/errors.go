package service

import (
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/idempotency"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Stable error ids of the patrols API. Users script against them: never
// rename one.
var (
	// ErrDistrictNotFound is the kit's: one id for every service.
	ErrDistrictNotFound = kitx.ErrDistrictNotFound

	// Roster gating (江城义警): why a guard may not join a team. Each is
	// also a reason of a TeamMemberSuspended event.
	ErrGuardUnknown            = errs.EField(errs.NotFound, "team.guard_unknown", "guard_id", "no such guard in this district as patrols knows it (one hired a moment ago may not be known yet: retry)")
	ErrGuardNotActive          = errs.EField(errs.Unprocessable, "team.guard_not_active", "guard_id", "the guard has left their company")
	ErrGuardNotVolunteer       = errs.EField(errs.Unprocessable, "team.guard_not_volunteer", "guard_id", "the guard is not a volunteer-police member (江城义警)")
	ErrGuardUncertified        = errs.EField(errs.Unprocessable, "team.guard_uncertified", "guard_id", "the guard holds no guard certificate (保安员证)")
	ErrGuardCertificateExpired = errs.EField(errs.Unprocessable, "team.guard_certificate_expired", "guard_id", "the guard's certificate is past its last valid day (Asia/Shanghai)")
	ErrGuardBackgroundCheck    = errs.EField(errs.Unprocessable, "team.guard_background_check", "guard_id", "the guard's background check (背景审查) has not passed")
	ErrGuardOtherCompany       = errs.EField(errs.Unprocessable, "team.guard_other_company", "guard_id", "a company's team takes only that company's guards")

	ErrTeamNotFound        = errs.E(errs.NotFound, "team.not_found", "no such team")
	ErrTeamNameRequired    = errs.InvalidField("team.name_required", "name", "a team needs a name (at most 100 characters)")
	ErrTeamCompanyInvalid  = errs.InvalidField("team.company_id_invalid", "company_id", "a team's company_id is at most 64 characters (empty: a district team)")
	ErrTeamLeaderRequired  = errs.InvalidField("team.leader_required", "leader_guard_id", "a team needs a leader: leader_guard_id (at most 64 characters)")
	ErrTeamGuardIDRequired = errs.InvalidField("team.guard_id_required", "guard_id", "guard_id is required (at most 64 characters)")
	ErrTeamMemberDuplicate = errs.EField(errs.Conflict, "team.member_duplicate", "guard_id", "the guard is already a member of this team")

	ErrAreaNotFound       = errs.E(errs.NotFound, "area.not_found", "no such key area")
	ErrAreaNameRequired   = errs.InvalidField("area.name_required", "name", "a key area needs a name (at most 100 characters)")
	ErrAreaShapeInvalid   = errs.InvalidField("area.shape_invalid", "shape", "shape is polygon (with 3 to 200 polygon points) or circle (with center and radius_m)")
	ErrAreaPolygonInvalid = errs.InvalidField("area.polygon_invalid", "polygon", "a polygon has 3 to 200 points, each a valid latitude and longitude")
	ErrAreaCenterInvalid  = errs.InvalidField("area.center_invalid", "center", "center must be a valid latitude and longitude")
	ErrAreaRadiusInvalid  = errs.InvalidField("area.radius_invalid", "radius_m", "radius_m is 10 to 20000 metres")
	ErrCRSInvalid         = errs.InvalidField("geo.crs_invalid", "crs", "crs is wgs84 (GPS, the default) or gcj02 (Chinese map tiles)")
	// ErrLocationInvalid is every location field's: a checkpoint's, a
	// scan's, a dispatch request's, an incident's.
	ErrLocationInvalid = errs.InvalidField("geo.location_invalid", "location", "location must be a valid latitude and longitude")

	ErrCheckpointNotFound     = errs.E(errs.NotFound, "checkpoint.not_found", "no such checkpoint")
	ErrCheckpointNameRequired = errs.InvalidField("checkpoint.name_required", "name", "a checkpoint needs a name (at most 100 characters)")
	ErrCheckpointTagKind      = errs.InvalidField("checkpoint.tag_kind_invalid", "tag_kind", "tag_kind is qr or nfc")
	ErrCheckpointTagValue     = errs.InvalidField("checkpoint.tag_value_invalid", "tag_value", "tag_value is 8 to 128 printable characters")
	ErrCheckpointTagDuplicate = errs.EField(errs.Conflict, "checkpoint.tag_duplicate", "tag_value", "another checkpoint has this tag value")
	ErrCheckpointLocation     = ErrLocationInvalid
	ErrCheckpointOutsideArea  = errs.EField(errs.Unprocessable, "checkpoint.outside_area", "location", "the checkpoint lies outside its key area")

	ErrPlanNotFound       = errs.E(errs.NotFound, "plan.not_found", "no such patrol plan")
	ErrPlanNameRequired   = errs.InvalidField("plan.name_required", "name", "a plan needs a name (at most 100 characters)")
	ErrPlanAreaRequired   = errs.InvalidField("plan.area_id_required", "area_id", "area_id must name a key area of this district")
	ErrPlanPeriodInvalid  = errs.InvalidField("plan.period_invalid", "ends_at", "a plan's period starts and ends on whole minutes, ends after it starts, and lasts at most 62 days")
	ErrShiftNotFound      = errs.E(errs.NotFound, "shift.not_found", "no such shift")
	ErrShiftTimesInvalid  = errs.InvalidField("shift.times_invalid", "ends_at", "a shift starts and ends on whole minutes inside its plan's period, ends after it starts and lasts at most 24 hours")
	ErrShiftRequired      = errs.InvalidField("shift.required_invalid", "required", "required (headcount) is 1 to 500")
	ErrShiftRouteInvalid  = errs.InvalidField("shift.route_invalid", "route", "route is 1 to 100 checkpoint ids of the plan's area, none twice")
	ErrShiftExpectedScans = errs.InvalidField("shift.expected_scans_invalid", "expected_scans", "expected_scans is 0 to 10000")

	ErrAssignNotMember    = errs.EField(errs.Unprocessable, "assignment.not_member", "guard_id", "the guard is not a member of a volunteer team of this district (or of team_id)")
	ErrAssignSuspended    = errs.EField(errs.Unprocessable, "assignment.member_suspended", "guard_id", "the guard is suspended from shifts until they meet the roster's conditions again")
	ErrAssignDoubleBook   = errs.EField(errs.Conflict, "assignment.double_booked", "guard_id", "the guard (the same person, in this district or another) is assigned to another shift at an overlapping time")
	ErrAssignmentNotFound = errs.EField(errs.NotFound, "assignment.not_found", "guard_id", "the guard is not assigned to this shift")
	ErrAssignDuplicate    = errs.EField(errs.Conflict, "assignment.duplicate", "guard_id", "the guard is already assigned to this shift")
	ErrAssignShiftFull    = errs.E(errs.Conflict, "assignment.shift_full", "the shift has its required headcount")
	ErrAssignShiftOver    = errs.E(errs.Conflict, "assignment.shift_over", "the shift has ended")
	ErrCoverageWindow     = errs.InvalidField("coverage.window_invalid", "to", "from and to are RFC 3339 times on whole hours, to after from, at most 31 days apart")
	ErrHoursWindow        = errs.InvalidField("patrol_hours.window_invalid", "to", "from and to are RFC 3339 times, to after from, at most 366 days apart")
	ErrAnomalyKindFilter  = errs.InvalidField("missed_tour.kind_invalid", "kind", "kind is not_started or not_finished")

	// Scan input.
	ErrScanTagRequired   = errs.InvalidField("scan.tag_required", "tag", "tag is the scanned QR/NFC value (at most 128 characters)")
	ErrScanTimeRequired  = errs.InvalidField("scan.scanned_at_required", "scanned_at", "scanned_at is the device's time of the scan (RFC 3339)")
	ErrScanLocation      = ErrLocationInvalid
	ErrScanAccuracy      = errs.InvalidField("scan.accuracy_invalid", "accuracy_m", "accuracy_m is 0 to 10000 metres")
	ErrScanDeviceID      = errs.InvalidField("scan.device_id_required", "device_id", "device_id is required (at most 64 characters)")
	ErrScanDeviceSeq     = errs.InvalidField("scan.device_seq_invalid", "device_seq", "device_seq is the device's positive sequence number of the scan")
	ErrScanGuardRequired = errs.InvalidField("scan.guard_id_required", "guard_id", "guard_id is the scanning guard (at most 64 characters)")
	ErrScanDeviceTime    = errs.InvalidField("scan.device_time_required", "device_time", "device_time is the device's clock at upload (RFC 3339)")
	ErrBatchEmpty        = errs.InvalidField("scan_batch.empty", "scans", "a batch has 1 to 5000 scans")
	ErrBatchSeqDuplicate = errs.InvalidField("scan_batch.device_seq_duplicate", "scans.device_seq", "two scans of one batch have the same device_seq")

	// Scan acceptance: a valid scan that is not proof of presence.
	ErrScanTagUnknown   = errs.EField(errs.Unprocessable, "scan.tag_unknown", "tag", "no checkpoint of this district has this tag")
	ErrScanOutsideShift = errs.EField(errs.Unprocessable, "scan.outside_shift", "scanned_at", "no shift whose route has this checkpoint runs at this time (grace included)")
	ErrScanNotAssigned  = errs.EField(errs.Unprocessable, "scan.guard_not_assigned", "guard_id", "the guard is not assigned to the shift that runs here now")
	ErrScanTooFar       = errs.EField(errs.Unprocessable, "scan.too_far", "location", "the scan's position is farther from the checkpoint than the tolerance")
	ErrScanRepeat       = errs.EField(errs.Unprocessable, "scan.repeat", "scanned_at", "the guard scanned this checkpoint less than the repeat interval before or after")
	ErrScanInFuture     = errs.EField(errs.Unprocessable, "scan.in_future", "scanned_at", "the scan's time (corrected) is after its upload")

	ErrIdempotencyKeyReused = idempotency.ErrKeyReused
	ErrIdempotencyKeyLong   = idempotency.ErrKeyInvalid
)
