package eventsv1

// This file is hand-written (make proto regenerates only *.pb.go): the
// event type names every producer puts in Envelope.type and every consumer
// matches on. Use these constants, never a string literal, so a renamed or
// misspelt type is a compile error instead of an event nobody applies.
//
// Each type is the name of the payload message it carries; types_test.go
// holds the constants to the messages of this package.

// Event types of the membership service (gh.<district>.membership.v1).
const (
	TypeCompanyRegistered       = "CompanyRegistered"
	TypeCompanyStatusChanged    = "CompanyStatusChanged"
	TypeCompanyUpdated          = "CompanyUpdated"
	TypeGuardHired              = "GuardHired"
	TypeGuardUpdated            = "GuardUpdated"
	TypeGuardLeft               = "GuardLeft"
	TypeTrainingRecorded        = "TrainingRecorded"
	TypeBackgroundCheckRecorded = "BackgroundCheckRecorded"
	TypeCertificateIssued       = "CertificateIssued"
	TypeCertificateExpiring     = "CertificateExpiring"
	TypeCouncilMemberAppointed  = "CouncilMemberAppointed"
	TypeCouncilMemberUpdated    = "CouncilMemberUpdated"
)

// Event types of the meetings service (gh.<district>.meetings.v1).
const (
	TypeMeetingScheduled        = "MeetingScheduled"
	TypeMeetingUpdated          = "MeetingUpdated"
	TypeMeetingStatusChanged    = "MeetingStatusChanged"
	TypeAttendanceRecorded      = "AttendanceRecorded"
	TypeMinutesPublished        = "MinutesPublished"
	TypeResolutionAdopted       = "ResolutionAdopted"
	TypeActionItemCreated       = "ActionItemCreated"
	TypeActionItemStatusChanged = "ActionItemStatusChanged"
	TypeActionItemReminder      = "ActionItemReminder"
	TypeConventionSigned        = "ConventionSigned"
)

// Event types of the compliance service (gh.<district>.compliance.v1).
const (
	TypeFourHundredReached = "FourHundredReached"
	TypeFourHundredLost    = "FourHundredLost"
	TypeRequirementLapsing = "RequirementLapsing"
	TypeScoreboardSnapshot = "ScoreboardSnapshot"

	TypeInspectionTemplatePublished = "InspectionTemplatePublished"
	TypeInspectionRecorded          = "InspectionRecorded"
	TypeFindingStatusChanged        = "FindingStatusChanged"
	TypeRemediationEscalated        = "RemediationEscalated"
	TypeInspectionScheduleSet       = "InspectionScheduleSet"

	TypeDisputeReported        = "DisputeReported"
	TypeDisputeStepRecorded    = "DisputeStepRecorded"
	TypeDisputeStatusChanged   = "DisputeStatusChanged"
	TypeDisputeResponseOverdue = "DisputeResponseOverdue"
	TypeDisputeEscalationDue   = "DisputeEscalationDue"

	TypeFourOneCoverage = "FourOneCoverage"

	TypeFourHundredCountsChanged = "FourHundredCountsChanged"
)

// ComplianceTypes returns every event type of the compliance service.
func ComplianceTypes() []string {
	return []string{TypeFourHundredReached, TypeFourHundredLost, TypeRequirementLapsing, TypeScoreboardSnapshot,
		TypeInspectionTemplatePublished, TypeInspectionRecorded, TypeFindingStatusChanged, TypeRemediationEscalated, TypeInspectionScheduleSet,
		TypeDisputeReported, TypeDisputeStepRecorded, TypeDisputeStatusChanged, TypeDisputeResponseOverdue, TypeDisputeEscalationDue,
		TypeFourOneCoverage, TypeFourHundredCountsChanged}
}

// MembershipTypes returns every event type of the membership service.
func MembershipTypes() []string {
	return []string{
		TypeCompanyRegistered, TypeCompanyStatusChanged, TypeCompanyUpdated,
		TypeGuardHired, TypeGuardUpdated, TypeGuardLeft, TypeTrainingRecorded,
		TypeBackgroundCheckRecorded, TypeCertificateIssued, TypeCertificateExpiring,
		TypeCouncilMemberAppointed, TypeCouncilMemberUpdated,
	}
}

// MeetingsTypes returns every event type of the meetings service.
func MeetingsTypes() []string {
	return []string{
		TypeMeetingScheduled, TypeMeetingUpdated, TypeMeetingStatusChanged,
		TypeAttendanceRecorded, TypeMinutesPublished, TypeResolutionAdopted,
		TypeActionItemCreated, TypeActionItemStatusChanged, TypeActionItemReminder,
		TypeConventionSigned,
	}
}
