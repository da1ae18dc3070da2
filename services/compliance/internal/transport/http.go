package transport

import (
	"context"
	"net/http"
	"strconv"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/compliance/internal/endpoints"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// DecodeListGaps decodes the request of list_gaps (see the route table).
func DecodeListGaps(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return kitx.ListRequest[service.GapFilter]{Page: p, Filter: service.GapFilter{CompanyID: q.Get("company_id"), Criterion: q.Get("criterion")}}, nil
}

// DecodeTrend decodes the request of get_trend (see the route table).
func DecodeTrend(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	req := service.TrendRequest{CompanyID: q.Get("company_id"), Days: 30}
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, service.ErrTrendDaysInvalid
		}
		req.Days = n
	}
	return req, nil
}

// DecodeListCompanies decodes the request of list_company_scores.
func DecodeListCompanies(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[struct{}]{Page: p}, nil
}

// DecodeGetTemplate decodes get_template: the path's id and ?version.
func DecodeGetTemplate(_ context.Context, r *http.Request) (any, error) {
	req := endpoints.TemplateRequest{ID: r.PathValue("id")}
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, service.ErrTemplateVersionInvalid
		}
		req.Version = n
	}
	return req, nil
}

// DecodeListInspections decodes list_inspections.
func DecodeListInspections(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[string]{Page: p, Filter: r.URL.Query().Get("company_id")}, nil
}

// DecodeScheduleReport decodes schedule_report.
func DecodeScheduleReport(_ context.Context, r *http.Request) (any, error) {
	req := endpoints.ScheduleReportRequest{CompanyID: r.PathValue("id"), Periods: 6}
	if v := r.URL.Query().Get("periods"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, service.ErrSchedulePeriodsInvalid
		}
		req.Periods = n
	}
	return req, nil
}

// DecodeListDisputes decodes list_disputes.
func DecodeListDisputes(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return kitx.ListRequest[service.DisputeFilter]{Page: p, Filter: service.DisputeFilter{Status: q.Get("status"), Kind: q.Get("kind"), CompanyID: q.Get("company_id")}}, nil
}

// DecodeFourOneCoverage decodes four_one_coverage.
func DecodeFourOneCoverage(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	return endpoints.CoverageRequest{CompanyID: q.Get("company_id"), Period: q.Get("period")}, nil
}

// DecodeTimeliness decodes timeliness.
func DecodeTimeliness(_ context.Context, r *http.Request) (any, error) {
	req := endpoints.TimelinessRequest{Periods: 6}
	if v := r.URL.Query().Get("periods"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, service.ErrSchedulePeriodsInvalid
		}
		req.Periods = n
	}
	return req, nil
}

// DecodeObligationTimeliness decodes timeliness: ?obligation= and ?periods=.
func DecodeObligationTimeliness(ctx context.Context, r *http.Request) (any, error) {
	req, err := DecodeTimeliness(ctx, r)
	if err != nil {
		return nil, err
	}
	t := req.(endpoints.TimelinessRequest)
	t.Obligation = r.URL.Query().Get("obligation")
	if t.Obligation == "" {
		t.Obligation = service.ObligationInspection
	}
	return t, nil
}

// DecodeComputeEvaluation decodes compute_evaluation's body.
func DecodeComputeEvaluation(_ context.Context, r *http.Request) (any, error) {
	return kitx.DecodeBody[service.EvaluationInput](r)
}

// DecodeListEvaluations decodes list_evaluations.
func DecodeListEvaluations(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return kitx.ListRequest[service.EvaluationFilter]{Page: p, Filter: service.EvaluationFilter{CompanyID: q.Get("company_id"), Period: q.Get("period")}}, nil
}

// DecodeGetEvaluation decodes get_evaluation: the path's id and ?version.
func DecodeGetEvaluation(_ context.Context, r *http.Request) (any, error) {
	req := endpoints.EvaluationRequest{ID: r.PathValue("id")}
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return nil, service.ErrEvaluationVersionBad
		}
		req.Version = n
	}
	return req, nil
}

// DecodeListWageDeclarations decodes list_wage_declarations.
func DecodeListWageDeclarations(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return kitx.ListRequest[service.WageFilter]{Page: p, Filter: service.WageFilter{CompanyID: q.Get("company_id"), Month: q.Get("month"), Status: q.Get("status")}}, nil
}

// DecodeWageStats decodes wage_stats: ?month=.
func DecodeWageStats(_ context.Context, r *http.Request) (any, error) {
	return endpoints.WageStatsRequest{Month: r.URL.Query().Get("month")}, nil
}

// DecodeListComplaints decodes list_complaints: ?company_id= (either
// side), ?side=, ?status=, ?kind=. There is no complainant filter: the
// accused must not be able to probe who complained.
func DecodeListComplaints(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return kitx.ListRequest[service.ComplaintFilter]{Page: p, Filter: service.ComplaintFilter{CompanyID: q.Get("company_id"), Side: q.Get("side"),
		Status: q.Get("status"), Kind: q.Get("kind")}}, nil
}
