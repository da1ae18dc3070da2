// Package endpoints exposes HQ's service methods as go-kit endpoints.
package endpoints

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"

	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// ServiceName names HQ in endpoint middleware labels.
const ServiceName = "hq"

// Set collects HQ's endpoints.
type Set struct {
	SummaryEndpoint   endpoint.Endpoint
	DistrictsEndpoint endpoint.Endpoint
	DistrictEndpoint  endpoint.Endpoint
	CompaniesEndpoint endpoint.Endpoint
	ConflictsEndpoint endpoint.Endpoint
	// ActionItemsEndpoint lists a district's action items.
	ActionItemsEndpoint endpoint.Endpoint
	// ConventionEndpoint returns the current convention.
	ConventionEndpoint endpoint.Endpoint
	// PublishConventionEndpoint publishes a convention version.
	PublishConventionEndpoint endpoint.Endpoint
}

// New returns the endpoints of svc. Each one is guarded by the auth
// middleware with its row of Policy (always: there is no way to build an
// unguarded Set, so no caller can forget it) and, when mw is not nil,
// wrapped in mw(ServiceName, name) outside that (instrumenting, tracing),
// so refused requests are counted and traced like any other error.
func New(svc service.Service, mw func(service, endpoint string) endpoint.Middleware) Set {
	policy := Policy()
	wrap := func(name string, e endpoint.Endpoint) endpoint.Endpoint {
		e = auth.Middleware(policy, PolicyName(name), target(name))(e)
		if mw == nil {
			return e
		}
		return mw(ServiceName, name)(e)
	}
	return Set{
		SummaryEndpoint:           wrap(NameSummary, MakeSummaryEndpoint(svc)),
		DistrictsEndpoint:         wrap(NameDistricts, MakeDistrictsEndpoint(svc)),
		DistrictEndpoint:          wrap(NameDistrict, MakeDistrictEndpoint(svc)),
		CompaniesEndpoint:         wrap(NameCompanies, MakeCompaniesEndpoint(svc)),
		ConflictsEndpoint:         wrap(NameConflicts, MakeConflictsEndpoint(svc)),
		ActionItemsEndpoint:       wrap(NameActionItems, MakeActionItemsEndpoint(svc)),
		ConventionEndpoint:        wrap(NameConvention, MakeConventionEndpoint(svc)),
		PublishConventionEndpoint: wrap(NamePublishConvention, MakePublishConventionEndpoint(svc)),
	}
}

// SummaryRequest asks for the city-wide summary.
type SummaryRequest struct{}

// SummaryResponse is the city-wide summary.
type SummaryResponse struct {
	service.Summary
	Err error `json:"-"`
}

// Failed implements kitx.Failer.
func (r SummaryResponse) Failed() error { return r.Err }

// MakeSummaryEndpoint returns the endpoint of Service.Summary.
func MakeSummaryEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		s, err := svc.Summary(ctx)
		return SummaryResponse{Summary: s, Err: err}, nil
	}
}

// DistrictsRequest asks for every registered district.
type DistrictsRequest struct{}

// DistrictsResponse lists the registered districts.
type DistrictsResponse struct {
	Items []service.DistrictView `json:"items"`
	Err   error                  `json:"-"`
}

// Failed implements kitx.Failer.
func (r DistrictsResponse) Failed() error { return r.Err }

// MakeDistrictsEndpoint returns the endpoint of Service.Districts.
func MakeDistrictsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		d, err := svc.Districts(ctx)
		if d == nil {
			d = []service.DistrictView{}
		}
		return DistrictsResponse{Items: d, Err: err}, nil
	}
}

// DistrictRequest asks for one district.
type DistrictRequest struct {
	District string
}

// DistrictResponse is one district.
type DistrictResponse struct {
	service.DistrictView
	Err error `json:"-"`
}

// Failed implements kitx.Failer.
func (r DistrictResponse) Failed() error { return r.Err }

// MakeDistrictEndpoint returns the endpoint of Service.District.
func MakeDistrictEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(DistrictRequest)
		d, err := svc.District(ctx, req.District)
		return DistrictResponse{DistrictView: d, Err: err}, nil
	}
}

// CompaniesRequest asks for a page of a district's companies.
type CompaniesRequest struct {
	District string
	Page     kitx.Page
}

// CompaniesResponse is a page of a district's companies.
type CompaniesResponse struct {
	Items         []service.CompanyRow `json:"items"`
	NextPageToken string               `json:"next_page_token"`
	Err           error                `json:"-"`
}

// Failed implements kitx.Failer.
func (r CompaniesResponse) Failed() error { return r.Err }

// MakeCompaniesEndpoint returns the endpoint of Service.Companies.
func MakeCompaniesEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(CompaniesRequest)
		p, err := svc.Companies(ctx, req.District, req.Page)
		return CompaniesResponse{Items: p.Items, NextPageToken: kitx.PageToken(p.NextCursor), Err: err}, nil
	}
}

// ConflictsRequest asks for the people active in more than one district:
// all of them, or with District set only those active in that district.
type ConflictsRequest struct {
	District string
}

// ConflictsResponse lists the conflicts.
type ConflictsResponse struct {
	Items []service.Conflict `json:"items"`
	Err   error              `json:"-"`
}

// Failed implements kitx.Failer.
func (r ConflictsResponse) Failed() error { return r.Err }

// MakeConflictsEndpoint returns the endpoint of Service.Conflicts.
func MakeConflictsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(ConflictsRequest)
		c, err := svc.Conflicts(ctx, req.District)
		if c == nil {
			c = []service.Conflict{}
		}
		return ConflictsResponse{Items: c, Err: err}, nil
	}
}

// ActionItemsRequest asks for a page of a district's action items; with
// Overdue only the open ones due before today (Asia/Shanghai).
type ActionItemsRequest struct {
	District string
	Overdue  bool
	Page     kitx.Page
}

// ActionItemsResponse is a page of a district's action items.
type ActionItemsResponse struct {
	Items         []service.ActionItemRow `json:"items"`
	NextPageToken string                  `json:"next_page_token"`
	Err           error                   `json:"-"`
}

// Failed implements kitx.Failer.
func (r ActionItemsResponse) Failed() error { return r.Err }

// MakeActionItemsEndpoint returns the endpoint of Service.ActionItems.
func MakeActionItemsEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(ActionItemsRequest)
		p, err := svc.ActionItems(ctx, req.District, service.ActionItemFilter{Overdue: req.Overdue}, req.Page)
		return ActionItemsResponse{Items: p.Items, NextPageToken: kitx.PageToken(p.NextCursor), Err: err}, nil
	}
}

// ConventionRequest asks for the current convention.
type ConventionRequest struct{}

// ConventionResponse is a convention version (the current one, or the one
// just published).
type ConventionResponse struct {
	service.Convention
	Err error `json:"-"`
}

// Failed implements kitx.Failer.
func (r ConventionResponse) Failed() error { return r.Err }

// MakeConventionEndpoint returns the endpoint of Service.Convention.
func MakeConventionEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		c, err := svc.Convention(ctx)
		return ConventionResponse{Convention: c, Err: err}, nil
	}
}

// PublishConventionRequest publishes a convention version. DecodeErr is
// the body's decoding error (malformed JSON, unknown field, too large):
// the transport keeps it in the request instead of failing, so it is only
// reported after the auth middleware let the caller through, and a caller
// who may not publish learns nothing about how its body would be judged.
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
			return ConventionResponse{Err: req.DecodeErr}, nil
		}
		c, err := svc.PublishConvention(ctx, req.Draft)
		return ConventionResponse{Convention: c, Err: err}, nil
	}
}
