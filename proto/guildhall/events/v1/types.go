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

	// Field visits and the practical-services plan (issue 17).
	TypeFieldVisitRecorded       = "FieldVisitRecorded"
	TypeServicePlanItemCreated   = "ServicePlanItemCreated"
	TypeServicePlanMilestoneDone = "ServicePlanMilestoneDone"
	TypeServiceBeneficiaryAdded  = "ServiceBeneficiaryAdded"
	TypeServiceFeedbackGiven     = "ServiceFeedbackGiven"
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

	TypeEvaluationPublished = "EvaluationPublished"

	TypeObligationCompleted = "ObligationCompleted"
	TypeObligationMissed    = "ObligationMissed"

	// The wage guarantee (issue 17 part 2).
	TypeWageDeclared            = "WageDeclared"
	TypeWageDeclarationReviewed = "WageDeclarationReviewed"
	TypeWageDeclarationMissed   = "WageDeclarationMissed"

	// Fair-competition complaints (issue 17 part 4).
	TypeComplaintFiled            = "ComplaintFiled"
	TypeComplaintAnswered         = "ComplaintAnswered"
	TypeComplaintStatusChanged    = "ComplaintStatusChanged"
	TypeComplaintAnswerOverdue    = "ComplaintAnswerOverdue"
	TypeComplaintMediationOverdue = "ComplaintMediationOverdue"
)

// ComplianceTypes returns every event type of the compliance service.
func ComplianceTypes() []string {
	return []string{TypeFourHundredReached, TypeFourHundredLost, TypeRequirementLapsing, TypeScoreboardSnapshot,
		TypeInspectionTemplatePublished, TypeInspectionRecorded, TypeFindingStatusChanged, TypeRemediationEscalated, TypeInspectionScheduleSet,
		TypeDisputeReported, TypeDisputeStepRecorded, TypeDisputeStatusChanged, TypeDisputeResponseOverdue, TypeDisputeEscalationDue,
		TypeFourOneCoverage, TypeFourHundredCountsChanged, TypeEvaluationPublished,
		TypeObligationCompleted, TypeObligationMissed,
		TypeWageDeclared, TypeWageDeclarationReviewed, TypeWageDeclarationMissed,
		TypeComplaintFiled, TypeComplaintAnswered, TypeComplaintStatusChanged, TypeComplaintAnswerOverdue, TypeComplaintMediationOverdue}
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
		TypeFieldVisitRecorded, TypeServicePlanItemCreated, TypeServicePlanMilestoneDone,
		TypeServiceBeneficiaryAdded, TypeServiceFeedbackGiven,
	}
}

// Event types of the patrols service (gh.<district>.patrols.v1).
const (
	TypeTeamCreated              = "TeamCreated"
	TypeTeamMemberJoined         = "TeamMemberJoined"
	TypeTeamMemberSuspended      = "TeamMemberSuspended"
	TypeTeamMemberReinstated     = "TeamMemberReinstated"
	TypeKeyAreaCreated           = "KeyAreaCreated"
	TypeCheckpointCreated        = "CheckpointCreated"
	TypePatrolPlanCreated        = "PatrolPlanCreated"
	TypePatrolShiftCreated       = "PatrolShiftCreated"
	TypeShiftAssigned            = "ShiftAssigned"
	TypeShiftAssignmentCancelled = "ShiftAssignmentCancelled"
	TypeCheckpointScanned        = "CheckpointScanned"
	TypeMissedTour               = "MissedTour"
	TypeDispatchRaised           = "DispatchRaised"
	TypeDispatchOffered          = "DispatchOffered"
	TypeDispatchStep             = "DispatchStep"
	TypeDispatchEscalated        = "DispatchEscalated"
	TypeDispatchTargetBreached   = "DispatchTargetBreached"
	TypeIncidentReported         = "IncidentReported"
	TypeIncidentUpdated          = "IncidentUpdated"
	TypeDoubleBookingResolved    = "DoubleBookingResolved"
	TypeMissedTourWithdrawn      = "MissedTourWithdrawn"
)

// PatrolsTypes returns every event type of the patrols service.
func PatrolsTypes() []string {
	return []string{
		TypeTeamCreated, TypeTeamMemberJoined, TypeTeamMemberSuspended, TypeTeamMemberReinstated,
		TypeKeyAreaCreated, TypeCheckpointCreated, TypePatrolPlanCreated, TypePatrolShiftCreated,
		TypeShiftAssigned, TypeShiftAssignmentCancelled, TypeCheckpointScanned, TypeMissedTour,
		TypeDispatchRaised, TypeDispatchOffered, TypeDispatchStep, TypeDispatchEscalated, TypeDispatchTargetBreached,
		TypeIncidentReported, TypeIncidentUpdated,
		TypeDoubleBookingResolved, TypeMissedTourWithdrawn,
	}
}

// TypeHeartbeat is the type of a district service's heartbeat on its
// district's node topic (gh.<district>.node.v1; node.proto).
const TypeHeartbeat = "Heartbeat"

// ServiceNode is the envelope service of the node topic's heartbeats.
const ServiceNode = "node"

// TypesOf returns the event types service emits (nil for a service of no
// known types); a heartbeat announces them.
func TypesOf(service string) []string {
	switch service {
	case "membership":
		return MembershipTypes()
	case "meetings":
		return MeetingsTypes()
	case "patrols":
		return PatrolsTypes()
	case "messaging":
		return MessagingTypes()
	case "compliance":
		return ComplianceTypes()
	}
	return nil
}

// SchemaVersion is the payload schema version this build writes for every
// type: each event is still at its first version. A type whose payload
// changes incompatibly gets its own entry here and a new version number.
const SchemaVersion uint32 = 1

// Event types of the messaging service: notices and receipts on
// gh.<district>.messaging.v1, directives on gh.hq.directives.v1.
const (
	TypeNoticePublished     = "NoticePublished"
	TypeNoticeRevised       = "NoticeRevised"
	TypeReceiptRead         = "ReceiptRead"
	TypeReceiptAcknowledged = "ReceiptAcknowledged"
	TypeNoticeReminderSent  = "NoticeReminderSent"
	TypeDirectiveIssued     = "DirectiveIssued"
	TypeDirectiveRevised    = "DirectiveRevised"
	TypeLiaisonThreadOpened = "LiaisonThreadOpened"
	TypeLiaisonPostAdded    = "LiaisonPostAdded"
	TypeLiaisonThreadRead   = "LiaisonThreadRead"

	TypeAidRequestPosted       = "AidRequestPosted"
	TypeAidRequestClosed       = "AidRequestClosed"
	TypeAidOfferMade           = "AidOfferMade"
	TypeAidOfferAccepted       = "AidOfferAccepted"
	TypePublicityPostSubmitted = "PublicityPostSubmitted"
	TypePublicityPostReviewed  = "PublicityPostReviewed"
	TypePublicityPostPublished = "PublicityPostPublished"
	TypePublicityPostRejected  = "PublicityPostRejected"
)

// MessagingTypes returns every event type of the messaging service.
func MessagingTypes() []string {
	return []string{
		TypeNoticePublished, TypeNoticeRevised, TypeReceiptRead,
		TypeReceiptAcknowledged, TypeNoticeReminderSent, TypeDirectiveIssued, TypeDirectiveRevised,
		TypeLiaisonThreadOpened, TypeLiaisonPostAdded, TypeLiaisonThreadRead,
		TypeAidRequestPosted, TypeAidRequestClosed, TypeAidOfferMade, TypeAidOfferAccepted,
		TypePublicityPostSubmitted, TypePublicityPostReviewed, TypePublicityPostPublished, TypePublicityPostRejected,
	}
}
