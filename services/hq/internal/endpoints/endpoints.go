// Package endpoints exposes HQ's service methods as go-kit endpoints: one
// maker per route of HQ's route table (routes.go at the module root), each
// taking a typed request and returning a kitx response that carries
// business errors in Failed() (go-kit's addsvc pattern), so they do not
// trip circuit breakers and the transport maps them once.
package endpoints

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/kitx"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// The endpoint names of HQ, as given to the endpoint middleware; the policy
// row of each is "hq." + name (e.g. "hq.summary").
const (
	NameSummary   = "summary"
	NameDistricts = "districts"
	NameDistrict  = "district"
	NameCompanies = "companies"
	NameConflicts = "conflicts"
	// NameActionItems lists a district's action items (岗位责任清单).
	NameActionItems = "action_items"
	// NameConvention reads the current self-discipline convention (《行业自律公约》).
	NameConvention = "convention"
	// NamePublishConvention publishes a new convention version.
	NamePublishConvention = "publish_convention"
	// NameCompliance is a district's compliance drill-down (issue 10 part 7).
	NameCompliance = "compliance"
	// NamePatrols is a district's patrols drill-down (issue 11 part 7).
	NamePatrols = "patrols"
	// NameNotices lists a district's notices with their receipts (issue 12 part 6).
	NameNotices = "notices"
)

// SummaryRequest asks for the city-wide summary.
type SummaryRequest struct{}

// MakeSummaryEndpoint returns the endpoint of Service.Summary.
func MakeSummaryEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		s, err := svc.Summary(ctx)
		return kitx.One(s, "", err), nil
	}
}

// DistrictsRequest asks for every registered district, or with District
// set only that district's view.
type DistrictsRequest struct {
	District string
}

// MakeDistrictsEndpoint returns the endpoint of Service.Districts.
func MakeDistrictsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(DistrictsRequest)
		d, err := svc.Districts(ctx, req.District)
		return kitx.Items(d, err), nil
	}
}

// DistrictRequest asks for one district.
type DistrictRequest struct {
	District string
}

// MakeDistrictEndpoint returns the endpoint of Service.District.
func MakeDistrictEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(DistrictRequest)
		d, err := svc.District(ctx, req.District)
		return kitx.One(d, "", err), nil
	}
}

// CompaniesRequest asks for a page of a district's companies.
type CompaniesRequest struct {
	District string
	Page     kitx.Page
}

// MakeCompaniesEndpoint returns the endpoint of Service.Companies.
func MakeCompaniesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(CompaniesRequest)
		p, err := svc.Companies(ctx, req.District, req.Page)
		return kitx.List(p.Items, p.NextCursor, err), nil
	}
}

// ConflictsRequest asks for the conflicts across districts: all of them,
// or with District set only those involving that district.
type ConflictsRequest struct {
	District string
}

// MakeConflictsEndpoint returns the endpoint of Service.Conflicts.
func MakeConflictsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(ConflictsRequest)
		c, err := svc.Conflicts(ctx, req.District)
		return kitx.Items(c, err), nil
	}
}

// ActionItemsRequest asks for a page of a district's action items; with
// Overdue only the open ones due before today (Asia/Shanghai).
type ActionItemsRequest struct {
	District string
	Overdue  bool
	Page     kitx.Page
}

// MakeActionItemsEndpoint returns the endpoint of Service.ActionItems.
func MakeActionItemsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(ActionItemsRequest)
		p, err := svc.ActionItems(ctx, req.District, service.ActionItemFilter{Overdue: req.Overdue}, req.Page)
		return kitx.List(p.Items, p.NextCursor, err), nil
	}
}

// ConventionRequest asks for the current convention.
type ConventionRequest struct{}

// MakeConventionEndpoint returns the endpoint of Service.Convention.
func MakeConventionEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		c, err := svc.Convention(ctx)
		return kitx.One(c, "", err), nil
	}
}

// PublishConventionRequest publishes a convention version. DecodeErr is
// the body's decoding error (malformed JSON, unknown field, too large):
// the transport keeps it in the request instead of failing, so it is only
// reported after the authorization middleware let the caller through, and
// a caller who may not publish learns nothing about how its body would be
// judged.
type PublishConventionRequest struct {
	Draft     service.ConventionDraft
	DecodeErr error
}

// MakePublishConventionEndpoint returns the endpoint of
// Service.PublishConvention.
func MakePublishConventionEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(PublishConventionRequest)
		if req.DecodeErr != nil {
			return kitx.Response[service.Convention]{Err: req.DecodeErr}, nil
		}
		c, err := svc.PublishConvention(ctx, req.Draft)
		return kitx.One(c, "", err), nil
	}
}

// ComplianceRequest asks for a district's compliance drill-down.
type ComplianceRequest struct {
	District string
}

// MakeComplianceEndpoint returns the endpoint of Service.Compliance.
func MakeComplianceEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(ComplianceRequest)
		v, err := svc.Compliance(ctx, req.District)
		return kitx.One(v, "", err), nil
	}
}

// PatrolsRequest asks for a district's patrols drill-down.
type PatrolsRequest struct {
	District string
}

// MakePatrolsEndpoint returns the endpoint of Service.Patrols.
func MakePatrolsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(PatrolsRequest)
		v, err := svc.Patrols(ctx, req.District)
		return kitx.One(v, "", err), nil
	}
}

// NoticesRequest asks for a page of a district's notices.
type NoticesRequest struct {
	District string
	Page     kitx.Page
}

// MakeNoticesEndpoint returns the endpoint of Service.Notices.
func MakeNoticesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(NoticesRequest)
		p, err := svc.Notices(ctx, req.District, req.Page)
		return kitx.List(p.Items, p.NextCursor, err), nil
	}
}
