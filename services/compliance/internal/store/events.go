package store

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/guildhall/guildhall/pkg/eventbus"
	eventsv1 "github.com/guildhall/guildhall/proto/guildhall/events/v1"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// events turns the scoreboard's changes into outbox events. Protobuf stays
// here, out of the service layer.
var events = eventbus.Mapping[service.Change]{
	Type:      func(c service.Change) string { return c.Type },
	Aggregate: aggregate,
	Payload:   payload,
}

func aggregate(c service.Change) (eventbus.Aggregate, error) {
	switch c.Type {
	case service.EventFourHundredReached, service.EventFourHundredLost, service.EventCountsChanged:
		if c.Score == nil {
			break
		}
		return eventbus.Aggregate{Type: "company_score", ID: c.Score.CompanyID, Version: c.Score.Version}, nil
	case service.EventRequirementLapsing:
		if c.Lapse == nil {
			break
		}
		l := c.Lapse
		return eventbus.Aggregate{Type: "requirement_lapse", ID: l.GuardID + "/" + l.Criterion + "/" + l.LapsesOn, Version: 1}, nil
	case service.EventScoreboardSnapshot:
		if c.Snapshot == nil {
			break
		}
		return eventbus.Aggregate{Type: "scoreboard_snapshot", ID: c.Snapshot.CompanyID + "/" + c.Snapshot.Day, Version: 1}, nil
	case service.EventTemplatePublished:
		if c.Template == nil {
			break
		}
		return eventbus.Aggregate{Type: "inspection_template", ID: c.Template.ID, Version: int64(c.Template.Version)}, nil
	case service.EventInspectionRecorded:
		if c.Inspection == nil {
			break
		}
		return eventbus.Aggregate{Type: "inspection", ID: c.Inspection.ID, Version: 1}, nil
	case service.EventFindingStatusChanged, service.EventRemediationEscalated:
		if c.Finding == nil {
			break
		}
		return eventbus.Aggregate{Type: "finding", ID: c.Finding.ID, Version: c.Finding.Version}, nil
	case service.EventInspectionScheduleSet:
		if c.Schedule == nil {
			break
		}
		return eventbus.Aggregate{Type: "inspection_schedule", ID: c.Schedule.CompanyID, Version: 1}, nil
	case service.EventDisputeReported, service.EventDisputeStepRecorded, service.EventDisputeStatusChanged,
		service.EventDisputeResponseOverdue, service.EventDisputeEscalationDue:
		if c.Dispute == nil {
			break
		}
		return eventbus.Aggregate{Type: "dispute", ID: c.Dispute.ID, Version: c.Dispute.Version}, nil
	case service.EventFourOneCoverage:
		if c.Coverage == nil {
			break
		}
		return eventbus.Aggregate{Type: "four_one_coverage", ID: c.Coverage.CompanyID + "/" + c.Coverage.Period, Version: c.Coverage.Checked}, nil
	case service.EventEvaluationPublished:
		if c.Evaluation == nil {
			break
		}
		// The contract (95ccfd5): the company+period id, the version as
		// the sequence.
		return eventbus.Aggregate{Type: "evaluation", ID: c.Evaluation.ID, Version: c.Evaluation.Version}, nil
	case service.EventObligationCompleted, service.EventObligationMissed:
		if c.Obligation == nil {
			break
		}
		o := c.Obligation
		return eventbus.Aggregate{Type: "obligation", ID: o.CompanyID + "/" + o.Obligation + "/" + o.Period, Version: 1}, nil
	case service.EventWageDeclared, service.EventWageDeclarationReviewed, service.EventWageDeclarationMissed:
		if c.Wage == nil {
			break
		}
		return eventbus.Aggregate{Type: "wage_declaration", ID: c.Wage.CompanyID + "/" + c.Wage.Month, Version: c.Wage.Version}, nil
	case service.EventComplaintFiled, service.EventComplaintAnswered, service.EventComplaintStatusChanged,
		service.EventComplaintAnswerOverdue, service.EventComplaintMediationOverdue:
		if c.Complaint == nil {
			break
		}
		return eventbus.Aggregate{Type: "complaint", ID: c.Complaint.ID, Version: c.Complaint.Version}, nil
	}
	return eventbus.Aggregate{}, fmt.Errorf("store: change %s has no aggregate", c.Type)
}

func counts(district, company, day string, c service.Counts, version int64) *eventsv1.FourHundredCounts {
	return &eventsv1.FourHundredCounts{District: district, CompanyId: company, Day: day, Active: c.Active,
		BackgroundChecked: c.BackgroundChecked, Trained: c.Trained, Certified: c.Certified, BadgeService: c.BadgeService, Version: version}
}

func payload(district string, c service.Change) (proto.Message, error) {
	switch c.Type {
	case service.EventFourHundredReached:
		s := c.Score
		return &eventsv1.FourHundredReached{Counts: counts(district, s.CompanyID, c.Day, s.Counts, s.Version), Criterion: c.Criterion}, nil
	case service.EventFourHundredLost:
		s := c.Score
		return &eventsv1.FourHundredLost{Counts: counts(district, s.CompanyID, c.Day, s.Counts, s.Version), Criterion: c.Criterion}, nil
	case service.EventCountsChanged:
		s := c.Score
		return &eventsv1.FourHundredCountsChanged{Counts: counts(district, s.CompanyID, c.Day, s.Counts, s.Version)}, nil
	case service.EventRequirementLapsing:
		l := c.Lapse
		return &eventsv1.RequirementLapsing{District: district, CompanyId: l.CompanyID, GuardId: l.GuardID, Criterion: l.Criterion,
			LapsesOn: l.LapsesOn, DaysLeft: int32(l.DaysLeft), WindowDate: l.WindowDate, Hours: l.Hours, RequiredHours: l.RequiredHours}, nil
	case service.EventScoreboardSnapshot:
		s := c.Snapshot
		var v int64
		if c.Score != nil {
			v = c.Score.Version
		}
		return &eventsv1.ScoreboardSnapshot{Counts: counts(district, s.CompanyID, s.Day, s.Counts, v)}, nil
	case service.EventTemplatePublished:
		t := c.Template
		n := 0
		for _, sec := range t.Sections {
			n += len(sec.Items)
		}
		return &eventsv1.InspectionTemplatePublished{District: district, TemplateId: t.ID, Version: int32(t.Version), Name: t.Name,
			Items: int32(n), PassMark: t.PassMark}, nil
	case service.EventInspectionRecorded:
		in := c.Inspection
		m := &eventsv1.InspectionRecorded{District: district, InspectionId: in.ID, CompanyId: in.CompanyID, Site: in.Site,
			TemplateId: in.TemplateID, TemplateVersion: int32(in.TemplateVersion), Inspector: in.Inspector, InspectedOn: in.InspectedOn,
			ForPeriod: in.ForPeriod, Earned: in.Score.Earned, Applicable: in.Score.Applicable, Result: in.Score.Result,
			CriticalFailed: in.Score.CriticalFailed, Findings: int32(len(in.Findings)), RecordedAt: timestamppb.New(in.RecordedAt)}
		if in.Score.Score != nil {
			m.ScoreReported, m.Score = true, *in.Score.Score
		}
		return m, nil
	case service.EventFindingStatusChanged:
		return &eventsv1.FindingStatusChanged{Finding: finding(district, c.Finding), FromStatus: c.FromStatus, ToStatus: c.ToStatus, By: c.By}, nil
	case service.EventRemediationEscalated:
		return &eventsv1.RemediationEscalated{Finding: finding(district, c.Finding), Level: c.Level, DaysOverdue: int32(c.DaysOverdue)}, nil
	case service.EventInspectionScheduleSet:
		sc := c.Schedule
		return &eventsv1.InspectionScheduleSet{District: district, CompanyId: sc.CompanyID, Period: string(sc.Period), Count: int32(sc.Count),
			StartsOn: sc.StartsOn}, nil
	case service.EventDisputeReported:
		return &eventsv1.DisputeReported{Dispute: dispute(district, c.Dispute)}, nil
	case service.EventDisputeStepRecorded:
		kind := ""
		if n := len(c.Dispute.Timeline); n > 0 {
			kind = c.Dispute.Timeline[n-1].Kind
		}
		return &eventsv1.DisputeStepRecorded{Dispute: dispute(district, c.Dispute), StepKind: kind}, nil
	case service.EventDisputeStatusChanged:
		return &eventsv1.DisputeStatusChanged{Dispute: dispute(district, c.Dispute), FromStatus: c.FromStatus, ToStatus: c.ToStatus, By: c.By}, nil
	case service.EventDisputeResponseOverdue:
		return &eventsv1.DisputeResponseOverdue{Dispute: dispute(district, c.Dispute)}, nil
	case service.EventDisputeEscalationDue:
		return &eventsv1.DisputeEscalationDue{Dispute: dispute(district, c.Dispute)}, nil
	case service.EventFourOneCoverage:
		v := c.Coverage
		return &eventsv1.FourOneCoverage{District: district, CompanyId: v.CompanyID, Period: v.Period, Checked: v.Checked, Active: v.Active}, nil
	case service.EventEvaluationPublished:
		return &eventsv1.EvaluationPublished{Evaluation: evaluation(district, c.Evaluation)}, nil
	case service.EventObligationCompleted:
		return &eventsv1.ObligationCompleted{Timeliness: obligation(district, c.Obligation)}, nil
	case service.EventObligationMissed:
		return &eventsv1.ObligationMissed{Timeliness: obligation(district, c.Obligation)}, nil
	case service.EventWageDeclared:
		return &eventsv1.WageDeclared{Declaration: wage(district, c.Wage)}, nil
	case service.EventWageDeclarationReviewed:
		return &eventsv1.WageDeclarationReviewed{Declaration: wage(district, c.Wage), By: c.By, Note: c.Wage.ReviewNote}, nil
	case service.EventWageDeclarationMissed:
		return &eventsv1.WageDeclarationMissed{Declaration: wage(district, c.Wage)}, nil
	case service.EventComplaintFiled:
		return &eventsv1.ComplaintFiled{Complaint: complaint(district, c.Complaint)}, nil
	case service.EventComplaintAnswered:
		return &eventsv1.ComplaintAnswered{Complaint: complaint(district, c.Complaint)}, nil
	case service.EventComplaintStatusChanged:
		return &eventsv1.ComplaintStatusChanged{Complaint: complaint(district, c.Complaint), FromStatus: c.FromStatus, ToStatus: c.ToStatus, By: c.By}, nil
	case service.EventComplaintAnswerOverdue:
		return &eventsv1.ComplaintAnswerOverdue{Complaint: complaint(district, c.Complaint)}, nil
	case service.EventComplaintMediationOverdue:
		return &eventsv1.ComplaintMediationOverdue{Complaint: complaint(district, c.Complaint)}, nil
	}
	return nil, nil
}

// wage is the event snapshot of a wage declaration: counts and sums,
// never a guard's name.
func wage(district string, w *service.WageDeclaration) *eventsv1.WageDeclaration {
	return &eventsv1.WageDeclaration{District: district, CompanyId: w.CompanyID, Month: w.Month, Status: w.Status, PaidInFull: w.PaidInFull,
		PaidOn: w.PaidOn, GuardsAffected: int64(w.GuardsAffected), ArrearsAmount: w.ArrearsAmount, Guarantee: w.Guarantee, OnTime: w.OnTime,
		DisputeId: w.DisputeID, Version: w.Version}
}

// complaint is the event snapshot of c: ids, kind, status, timers and
// outcome, never its free text (description, evidence, answer, finding).
// The compliance topic is HQ's only: the complainant's id goes with it.
func complaint(district string, c *service.Complaint) *eventsv1.ComplaintCase {
	m := &eventsv1.ComplaintCase{Id: c.ID, District: district, ComplainantId: c.ComplainantID, AccusedId: c.AccusedID,
		ComplainantDisclosed: c.DiscloseComplainant, Kind: c.Kind, Status: c.Status, FiledAt: timestamppb.New(c.FiledAt),
		AnswerDue: timestamppb.New(c.AnswerDue), Outcome: c.Outcome, CountsAgainst: c.CountsAgainst, AnswerOverdue: c.AnswerOverdue,
		MediationOverdue: c.MediationOverdue, EvidenceCount: int64(len(c.Evidence)), Version: c.Version}
	ts := func(t *time.Time) *timestamppb.Timestamp {
		if t == nil {
			return nil
		}
		return timestamppb.New(*t)
	}
	if c.Answer != nil {
		m.AnsweredAt = timestamppb.New(c.Answer.At)
	}
	m.MediationDue = ts(c.MediationDue)
	if c.ResolvedAt != nil {
		m.ClosedAt = ts(c.ResolvedAt)
	} else if c.WithdrawnAt != nil {
		m.ClosedAt = ts(c.WithdrawnAt)
	}
	return m
}

// dispute is the event snapshot of d: the parties' roles, never their names.
func dispute(district string, d *service.Dispute) *eventsv1.DisputeCase {
	m := &eventsv1.DisputeCase{Id: d.ID, District: district, CompanyId: d.CompanyID, Kind: d.Kind, Status: d.Status, EscalatedTo: d.EscalatedTo,
		ReportedAt: timestamppb.New(d.ReportedAt), ResponseDue: timestamppb.New(d.ResponseDue), ResponseOverdue: d.ResponseLate,
		EscalationDue: d.EscalationDue, Version: d.Version}
	for _, p := range d.Parties {
		m.PartyRoles = append(m.PartyRoles, p.Role)
	}
	if d.Amount != nil {
		m.AmountReported, m.Amount = true, *d.Amount
	}
	ts := func(t *time.Time) *timestamppb.Timestamp {
		if t == nil {
			return nil
		}
		return timestamppb.New(*t)
	}
	m.RespondedAt, m.MediationDue, m.ClosedAt = ts(d.RespondedAt), ts(d.MediationDue), ts(d.ClosedAt)
	return m
}

func finding(district string, f *service.Finding) *eventsv1.HazardFinding {
	return &eventsv1.HazardFinding{Id: f.ID, District: district, InspectionId: f.InspectionID, CompanyId: f.CompanyID, ItemId: f.ItemID,
		Severity: f.Severity, RemediationOwner: f.RemediationOwner, RemediationDue: f.RemediationDue, Status: f.Status,
		VerifiedBy: f.VerifiedBy, Escalated: f.Escalated, Version: f.Version, UpdatedAt: timestamppb.New(f.UpdatedAt)}
}

// evaluation is the event snapshot of a published rating: the breakdown's
// figures (criterion, weight, points, reported, how much evidence), never
// the evidence itself, which stays in the API.
func evaluation(district string, e *service.Evaluation) *eventsv1.Evaluation {
	m := &eventsv1.Evaluation{Id: e.ID, District: district, CompanyId: e.CompanyID, Period: e.Period, Version: e.Version,
		Grade: e.Grade, PolicyVersion: e.PolicyVersion, CorrectionReason: e.CorrectionReason, PublishedByRole: e.PublishedByRole}
	if e.Score != nil {
		m.Score, m.ScoreReported = *e.Score, true
	}
	if e.PublishedAt != nil {
		m.PublishedAt = timestamppb.New(*e.PublishedAt)
	}
	for _, c := range e.Criteria {
		m.Criteria = append(m.Criteria, &eventsv1.EvaluationCriterion{Criterion: c.Criterion, Weight: c.Weight, Points: c.Points,
			Reported: c.Reported, EvidenceCount: int64(len(c.Evidence))})
	}
	return m
}

func obligation(district string, o *service.ObligationPeriod) *eventsv1.ObligationTimeliness {
	return &eventsv1.ObligationTimeliness{District: district, CompanyId: o.CompanyID, Obligation: o.Obligation, Period: o.Period,
		Expected: int64(o.Expected), Done: int64(o.Done), OnTime: int64(o.OnTime)}
}
