// Package transport holds the meetings service's own HTTP decoders, those
// its route table (routes.go) names beyond kitx's shared ones; the routes
// are mounted by node.Base.Serve with go-kit, on Go 1.22+ http.ServeMux
// patterns under /api/v1/districts/{district}.
package transport

import (
	"context"
	"net/http"
	"strconv"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/meetings/internal/endpoints"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
)

// DecodeListMeetings decodes the request of its route (see the route table).
func DecodeListMeetings(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return kitx.ListRequest[service.MeetingFilter]{Page: p, Filter: service.MeetingFilter{Type: q.Get("type"), Status: q.Get("status")}}, nil
}

// DecodeListInvitations decodes the request of its route (see the route table).
func DecodeListInvitations(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[struct{}]{ID: r.PathValue("id"), Page: p}, nil
}

// DecodeListResolutions decodes the request of its route (see the route table).
func DecodeListResolutions(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[string]{Page: p, Filter: r.URL.Query().Get("meeting_id")}, nil
}

// DecodeListActionItems decodes the request of its route (see the route table).
func DecodeListActionItems(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	f, err := actionItemFilter(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[service.ActionItemFilter]{Page: p, Filter: f}, nil
}

// DecodeExportActionItems reads the action-item list's filters and ?format.
func DecodeExportActionItems(_ context.Context, r *http.Request) (any, error) {
	format, err := kitx.DownloadFormat(r)
	if err != nil {
		return nil, err
	}
	f, err := actionItemFilter(r)
	if err != nil {
		return nil, err
	}
	return endpoints.ExportRequest[service.ActionItemFilter]{Filter: f, Format: format}, nil
}

// DecodeExportAttendance reads a meeting's attendance export: its id and ?format.
func DecodeExportAttendance(_ context.Context, r *http.Request) (any, error) {
	format, err := kitx.DownloadFormat(r)
	if err != nil {
		return nil, err
	}
	return endpoints.ExportRequest[struct{}]{ID: r.PathValue("id"), Format: format}, nil
}

func actionItemFilter(r *http.Request) (service.ActionItemFilter, error) {
	var err error
	q := r.URL.Query()
	f := service.ActionItemFilter{Status: q.Get("status"), OwnerCompanyID: q.Get("owner_company_id"), MeetingID: q.Get("meeting_id"), VisitID: q.Get("visit_id")}
	if v := q.Get("overdue"); v != "" {
		if f.Overdue, err = strconv.ParseBool(v); err != nil {
			return f, service.ErrActionItemOverdueInvalid
		}
	}
	return f, nil
}

// DecodeListSignatures decodes the request of its route (see the route table).
func DecodeListSignatures(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return kitx.ListRequest[service.SignatureFilter]{Page: p, Filter: service.SignatureFilter{
		CompanyID: q.Get("company_id"), ConventionVersion: q.Get("convention_version")}}, nil
}

// DecodeCompanyAttendance decodes the request of its route (see the route table).
func DecodeCompanyAttendance(_ context.Context, r *http.Request) (any, error) {
	since, err := kitx.QueryTime(r, "since", service.ErrAttendanceSinceInvalid)
	if err != nil {
		return nil, err
	}
	until, err := kitx.QueryTime(r, "until", service.ErrAttendanceUntilInvalid)
	if err != nil {
		return nil, err
	}
	return endpoints.CompanyAttendanceRequest{CompanyID: r.PathValue("id"), Since: since, Until: until}, nil
}

// DecodeMinutes decodes the request of its route (see the route table).
func DecodeMinutes(_ context.Context, r *http.Request) (any, error) {
	req := endpoints.MinutesRequest{ID: r.PathValue("id")}
	switch v := r.URL.Query().Get("version"); v {
	case "":
	case "draft":
		req.Draft = true
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, service.ErrMinutesVersionInvalid
		}
		req.Version = n
	}
	return req, nil
}

// DecodeCadence decodes the request of its route (see the route table).
func DecodeCadence(_ context.Context, r *http.Request) (any, error) {
	req := endpoints.CadenceRequest{Periods: 6}
	if v := r.URL.Query().Get("periods"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, service.ErrCadencePeriodsInvalid
		}
		req.Periods = n
	}
	return req, nil
}

// DecodeListFieldVisits decodes the request of its route (see the route table).
func DecodeListFieldVisits(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[service.FieldVisitFilter]{Page: p, Filter: service.FieldVisitFilter{CompanyID: r.URL.Query().Get("company_id")}}, nil
}

// DecodeVisitPlan decodes the request of its route (see the route table).
func DecodeVisitPlan(_ context.Context, r *http.Request) (any, error) {
	req := endpoints.CadenceRequest{Periods: 4}
	if v := r.URL.Query().Get("periods"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, service.ErrVisitPeriodsInvalid
		}
		req.Periods = n
	}
	return req, nil
}

// DecodeListServiceItems decodes the request of its route (see the route table).
func DecodeListServiceItems(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[service.ServiceItemFilter]{Page: p, Filter: service.ServiceItemFilter{Term: r.URL.Query().Get("term")}}, nil
}

// DecodeListBeneficiaries decodes the request of its route (see the route table).
func DecodeListBeneficiaries(_ context.Context, r *http.Request) (any, error) {
	return kitx.ListRequest[service.BeneficiaryFilter]{ID: r.PathValue("id"), Filter: service.BeneficiaryFilter{CompanyID: r.URL.Query().Get("company_id")}}, nil
}

// DecodeServicePlanProgress decodes the request of its route (see the route table).
func DecodeServicePlanProgress(_ context.Context, r *http.Request) (any, error) {
	return endpoints.TermRequest{Term: r.URL.Query().Get("term")}, nil
}
