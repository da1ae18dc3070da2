// Package endpoints turns the compliance read API into go-kit endpoints:
// one maker per route of the route table (routes.go), each returning a
// response that carries business errors in Failed().
package endpoints

import (
	"context"
	"fmt"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// MakeScoreboardEndpoint returns the endpoint of get_scoreboard.
func MakeScoreboardEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		v, err := svc.Scoreboard(ctx)
		return kitx.One(v, "", err), nil
	}
}

// MakeListCompaniesEndpoint returns the endpoint of list_company_scores.
func MakeListCompaniesEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[struct{}])
		items, next, err := svc.ListCompanies(ctx, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeCompanyEndpoint returns the endpoint of get_company_score.
func MakeCompanyEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := svc.Company(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(v, "", err), nil
	}
}

// MakeListGapsEndpoint returns the endpoint of list_gaps.
func MakeListGapsEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.GapFilter])
		items, next, err := svc.Gaps(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeTrendEndpoint returns the endpoint of get_trend.
func MakeTrendEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		items, err := svc.Trend(ctx, request.(service.TrendRequest))
		return kitx.Items(items, err), nil
	}
}

// MakePolicyEndpoint returns the endpoint of get_policy.
func MakePolicyEndpoint(svc *service.Compliance) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		v, err := svc.GetPolicy(ctx)
		return kitx.One(v, "", err), nil
	}
}

// MakeCreateTemplateEndpoint returns the endpoint of create_template.
func MakeCreateTemplateEndpoint(svc *service.Inspections, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		t, err := svc.CreateTemplate(ctx, request.(service.TemplateInput))
		return kitx.Created(t, base+"/compliance/templates/"+t.ID, "", 201, err), nil
	}
}

// MakeNewTemplateVersionEndpoint returns the endpoint of new_template_version.
func MakeNewTemplateVersionEndpoint(svc *service.Inspections, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.TemplateInput])
		t, err := svc.NewTemplateVersion(ctx, r.ID, r.Input)
		return kitx.Created(t, fmt.Sprintf("%s/compliance/templates/%s?version=%d", base, t.ID, t.Version), "", 201, err), nil
	}
}

// TemplateRequest reads one version of a template (0: the latest).
type TemplateRequest struct {
	ID      string
	Version int
}

// ResourceID implements kitx's resource naming.
func (r TemplateRequest) ResourceID() string { return r.ID }

// MakeGetTemplateEndpoint returns the endpoint of get_template.
func MakeGetTemplateEndpoint(svc *service.Inspections) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(TemplateRequest)
		t, err := svc.GetTemplate(ctx, r.ID, r.Version)
		return kitx.One(t, "", err), nil
	}
}

// MakeRecordInspectionEndpoint returns the endpoint of record_inspection.
func MakeRecordInspectionEndpoint(svc *service.Inspections, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		in, err := svc.RecordInspection(ctx, request.(service.InspectionInput))
		return kitx.Created(in, base+"/compliance/inspections/"+in.ID, "", 201, err), nil
	}
}

// MakeGetInspectionEndpoint returns the endpoint of get_inspection.
func MakeGetInspectionEndpoint(svc *service.Inspections) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		in, err := svc.GetInspection(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(in, "", err), nil
	}
}

// MakeListInspectionsEndpoint returns the endpoint of list_inspections.
func MakeListInspectionsEndpoint(svc *service.Inspections) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[string])
		items, next, err := svc.ListInspections(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeGetFindingEndpoint returns the endpoint of get_finding.
func MakeGetFindingEndpoint(svc *service.Inspections) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		f, err := svc.GetFinding(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(f, kitx.ETag(f.Version), err), nil
	}
}

// MakeChangeFindingStatusEndpoint returns the endpoint of change_finding_status.
func MakeChangeFindingStatusEndpoint(svc *service.Inspections) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.FindingStatusInput])
		f, err := svc.ChangeFindingStatus(ctx, r.ID, r.Input)
		return kitx.One(f, kitx.ETag(f.Version), err), nil
	}
}

// MakeCreateScheduleEndpoint returns the endpoint of create_schedule.
func MakeCreateScheduleEndpoint(svc *service.Inspections, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		s, err := svc.CreateSchedule(ctx, request.(service.ScheduleInput))
		return kitx.Created(s, base+"/compliance/schedules/"+s.CompanyID+"/report", "", 201, err), nil
	}
}

// ScheduleReportRequest reads a company's schedule report.
type ScheduleReportRequest struct {
	CompanyID string
	Periods   int
}

// ResourceID implements kitx's resource naming.
func (r ScheduleReportRequest) ResourceID() string { return r.CompanyID }

// MakeScheduleReportEndpoint returns the endpoint of schedule_report.
func MakeScheduleReportEndpoint(svc *service.Inspections) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(ScheduleReportRequest)
		rep, err := svc.GetScheduleReport(ctx, r.CompanyID, r.Periods)
		return kitx.One(rep, "", err), nil
	}
}

// MakeReportDisputeEndpoint returns the endpoint of report_dispute.
func MakeReportDisputeEndpoint(svc *service.Disputes, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		d, err := svc.Report(ctx, request.(service.DisputeInput))
		return kitx.Created(d, base+"/compliance/disputes/"+d.ID, kitx.ETag(d.Version), 201, err), nil
	}
}

// MakeGetDisputeEndpoint returns the endpoint of get_dispute.
func MakeGetDisputeEndpoint(svc *service.Disputes) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		d, err := svc.Get(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(d, kitx.ETag(d.Version), err), nil
	}
}

// MakeListDisputesEndpoint returns the endpoint of list_disputes.
func MakeListDisputesEndpoint(svc *service.Disputes) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.DisputeFilter])
		items, next, err := svc.List(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeAddDisputeStepEndpoint returns the endpoint of add_dispute_step.
func MakeAddDisputeStepEndpoint(svc *service.Disputes) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.StepInput])
		d, err := svc.AddStep(ctx, r.ID, r.Input)
		return kitx.One(d, kitx.ETag(d.Version), err), nil
	}
}

// MakeChangeDisputeStatusEndpoint returns the endpoint of change_dispute_status.
func MakeChangeDisputeStatusEndpoint(svc *service.Disputes) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.DisputeStatusInput])
		d, err := svc.ChangeStatus(ctx, r.ID, r.Input)
		return kitx.One(d, kitx.ETag(d.Version), err), nil
	}
}

// MakeDisputeStatsEndpoint returns the endpoint of dispute_stats.
func MakeDisputeStatsEndpoint(svc *service.Disputes) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		st, err := svc.Stats(ctx)
		return kitx.One(st, "", err), nil
	}
}

// MakeRecordFourOneEndpoint returns the endpoint of record_four_one_check.
func MakeRecordFourOneEndpoint(svc *service.FourOne, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		c, err := svc.Record(ctx, request.(service.FourOneInput))
		return kitx.Created(c, base+"/compliance/four-one-checks/"+c.ID, "", 201, err), nil
	}
}

// MakeGetFourOneEndpoint returns the endpoint of get_four_one_check.
func MakeGetFourOneEndpoint(svc *service.FourOne) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		c, err := svc.Get(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(c, "", err), nil
	}
}

// MakeListFourOneEndpoint returns the endpoint of list_four_one_checks.
func MakeListFourOneEndpoint(svc *service.FourOne) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[string])
		items, next, err := svc.List(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// CoverageRequest reads a company's coverage of a month.
type CoverageRequest struct {
	CompanyID string
	Period    string
}

// MakeFourOneCoverageEndpoint returns the endpoint of four_one_coverage.
func MakeFourOneCoverageEndpoint(svc *service.FourOne) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(CoverageRequest)
		c, err := svc.Coverage(ctx, r.CompanyID, r.Period)
		return kitx.One(c, "", err), nil
	}
}

// AuditLister lists the service's audit log (the store's audit.Store).
type AuditLister interface {
	ListAudit(ctx context.Context, f audit.Filter, p kitx.Page) ([]audit.Entry, string, error)
}

// MakeListAuditEndpoint returns the endpoint of list_audit.
func MakeListAuditEndpoint(a AuditLister) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[audit.Filter])
		items, next, err := a.ListAudit(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// TimelinessRequest reads the timeliness report.
type TimelinessRequest struct {
	Periods    int
	Obligation string
}

// MakeTimelinessEndpoint returns the endpoint of timeliness.
func MakeTimelinessEndpoint(svc *service.Timeliness) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(TimelinessRequest)
		rep, err := svc.Report(ctx, r.Obligation, r.Periods)
		return kitx.One(rep, "", err), nil
	}
}

// EvaluationRequest reads a version of an evaluation (0: the newest).
type EvaluationRequest struct {
	ID      string
	Version int64
}

// ResourceID implements kitx's resource naming.
func (r EvaluationRequest) ResourceID() string { return r.ID }

// MakeComputeEvaluationEndpoint returns the endpoint of compute_evaluation.
func MakeComputeEvaluationEndpoint(svc *service.Evaluations) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		e, err := svc.Compute(ctx, request.(service.EvaluationInput))
		return kitx.One(e, kitx.ETag(e.Version), err), nil
	}
}

// MakePublishEvaluationEndpoint returns the endpoint of publish_evaluation.
func MakePublishEvaluationEndpoint(svc *service.Evaluations) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		e, err := svc.Publish(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(e, kitx.ETag(e.Version), err), nil
	}
}

// MakeAdjustEvaluationEndpoint returns the endpoint of adjust_evaluation.
func MakeAdjustEvaluationEndpoint(svc *service.Evaluations) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.AdjustmentInput])
		e, err := svc.Adjust(ctx, r.ID, r.Input)
		return kitx.One(e, kitx.ETag(e.Version), err), nil
	}
}

// MakeCorrectEvaluationEndpoint returns the endpoint of correct_evaluation.
func MakeCorrectEvaluationEndpoint(svc *service.Evaluations) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.CorrectionInput])
		e, err := svc.Correct(ctx, r.ID, r.Input)
		return kitx.One(e, kitx.ETag(e.Version), err), nil
	}
}

// MakeGetEvaluationEndpoint returns the endpoint of get_evaluation.
func MakeGetEvaluationEndpoint(svc *service.Evaluations) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(EvaluationRequest)
		e, err := svc.Get(ctx, r.ID, r.Version)
		return kitx.One(e, kitx.ETag(e.Version), err), nil
	}
}

// MakeListEvaluationsEndpoint returns the endpoint of list_evaluations.
func MakeListEvaluationsEndpoint(svc *service.Evaluations) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.EvaluationFilter])
		items, next, err := svc.List(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// WageStatsRequest is the request of wage_stats: the month ("" is the
// last ended one).
type WageStatsRequest struct{ Month string }

// MakeDeclareWagesEndpoint returns the endpoint of declare_wages.
func MakeDeclareWagesEndpoint(svc *service.Wages, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		w, err := svc.Declare(ctx, request.(service.WageInput))
		return kitx.Created(w, base+"/compliance/wages/"+w.ID, kitx.ETag(w.Version), 201, err), nil
	}
}

// MakeGetWageDeclarationEndpoint returns the endpoint of get_wage_declaration.
func MakeGetWageDeclarationEndpoint(svc *service.Wages) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		w, err := svc.Get(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(w, kitx.ETag(w.Version), err), nil
	}
}

// MakeListWageDeclarationsEndpoint returns the endpoint of list_wage_declarations.
func MakeListWageDeclarationsEndpoint(svc *service.Wages) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.WageFilter])
		items, next, err := svc.List(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeReviewWageDeclarationEndpoint returns the endpoint of review_wage_declaration.
func MakeReviewWageDeclarationEndpoint(svc *service.Wages) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.WageReviewInput])
		w, err := svc.Review(ctx, r.ID, r.Input)
		return kitx.One(w, kitx.ETag(w.Version), err), nil
	}
}

// MakeWageStatsEndpoint returns the endpoint of wage_stats.
func MakeWageStatsEndpoint(svc *service.Wages) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		st, err := svc.Stats(ctx, request.(WageStatsRequest).Month)
		return kitx.One(st, "", err), nil
	}
}

// MakeFileComplaintEndpoint returns the endpoint of file_complaint.
func MakeFileComplaintEndpoint(svc *service.Complaints, base string) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		c, err := svc.File(ctx, request.(service.ComplaintInput))
		return kitx.Created(c, base+"/compliance/complaints/"+c.ID, kitx.ETag(c.Version), 201, err), nil
	}
}

// MakeGetComplaintEndpoint returns the endpoint of get_complaint.
func MakeGetComplaintEndpoint(svc *service.Complaints) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		c, err := svc.Get(ctx, request.(kitx.IDRequest).ID)
		return kitx.One(c, kitx.ETag(c.Version), err), nil
	}
}

// MakeListComplaintsEndpoint returns the endpoint of list_complaints.
func MakeListComplaintsEndpoint(svc *service.Complaints) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ListRequest[service.ComplaintFilter])
		items, next, err := svc.List(ctx, r.Filter, r.Page)
		return kitx.List(items, next, err), nil
	}
}

// MakeAnswerComplaintEndpoint returns the endpoint of answer_complaint.
func MakeAnswerComplaintEndpoint(svc *service.Complaints) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.ComplaintAnswerInput])
		c, err := svc.Answer(ctx, r.ID, r.Input)
		return kitx.One(c, kitx.ETag(c.Version), err), nil
	}
}

// MakeChangeComplaintStatusEndpoint returns the endpoint of change_complaint_status.
func MakeChangeComplaintStatusEndpoint(svc *service.Complaints) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.ComplaintStatusInput])
		c, err := svc.ChangeStatus(ctx, r.ID, r.Input)
		return kitx.One(c, kitx.ETag(c.Version), err), nil
	}
}

// MakeWithdrawComplaintEndpoint returns the endpoint of withdraw_complaint.
func MakeWithdrawComplaintEndpoint(svc *service.Complaints) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(kitx.ActionRequest[service.ComplaintWithdrawInput])
		c, err := svc.Withdraw(ctx, r.ID, r.Input)
		return kitx.One(c, kitx.ETag(c.Version), err), nil
	}
}

// MakeComplaintStatsEndpoint returns the endpoint of complaint_stats.
func MakeComplaintStatsEndpoint(svc *service.Complaints) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		st, err := svc.Stats(ctx)
		return kitx.One(st, "", err), nil
	}
}
