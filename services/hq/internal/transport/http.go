// Package transport serves HQ's endpoints over HTTP/JSON (go-kit).
package transport

import (
	"context"
	"net/http"
	"strconv"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"

	"github.com/guildhall/guildhall/services/hq/internal/endpoints"
)

// NewHTTPHandler returns the handler of the chained route table
// (kitx.Chain); other paths under /api/v1/hq/ get the API's 404 body. The
// endpoints enforce the policy, so the caller must have run
// auth.Authenticate on the request first; a request without a principal is
// answered 401 before it is decoded (kitx.Mount).
func NewHTTPHandler(routes []kitx.Route, opts ...kithttp.ServerOption) http.Handler {
	mux := http.NewServeMux()
	kitx.Mount(mux, routes, opts...)
	mux.Handle("/api/v1/hq/", kitx.NotFoundHandler())
	return mux
}

// DecodeEmpty returns the decoder of a route whose request is always req.
func DecodeEmpty(req any) kithttp.DecodeRequestFunc {
	return func(context.Context, *http.Request) (any, error) { return req, nil }
}

// DecodeDistrictRequest reads the path's district (and the page).
func DecodeDistrictRequest(_ context.Context, r *http.Request) (any, error) {
	return endpoints.DistrictRequest{District: r.PathValue("district")}, nil
}

// DecodeCompaniesRequest reads the path's district (and the page).
func DecodeCompaniesRequest(_ context.Context, r *http.Request) (any, error) {
	page, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return endpoints.CompaniesRequest{District: r.PathValue("district"), Page: page}, nil
}

// DecodeComplianceRequest reads the path's district.
func DecodeComplianceRequest(_ context.Context, r *http.Request) (any, error) {
	return endpoints.ComplianceRequest{District: r.PathValue("district")}, nil
}

// DecodePatrolsRequest reads the path's district.
func DecodePatrolsRequest(_ context.Context, r *http.Request) (any, error) {
	return endpoints.PatrolsRequest{District: r.PathValue("district")}, nil
}

// DecodeNoticesRequest reads the path's district and the page.
func DecodeNoticesRequest(_ context.Context, r *http.Request) (any, error) {
	page, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return endpoints.NoticesRequest{District: r.PathValue("district"), Page: page}, nil
}

// districtFilter reads the optional ?district filter of a city-wide list.
// Given twice it is refused rather than one value picked: the auth
// middleware and the service must see the same district.
func districtFilter(r *http.Request) (string, error) {
	vals := r.URL.Query()["district"]
	switch {
	case len(vals) > 1:
		return "", ErrDistrictFilterRepeated
	case len(vals) == 1 && vals[0] == "":
		return "", ErrDistrictFilterEmpty
	case len(vals) == 1:
		return vals[0], nil
	}
	return "", nil
}

// DecodeDistrictsRequest reads the district list's optional ?district.
func DecodeDistrictsRequest(_ context.Context, r *http.Request) (any, error) {
	d, err := districtFilter(r)
	if err != nil {
		return nil, err
	}
	return endpoints.DistrictsRequest{District: d}, nil
}

// DecodeConflictsRequest reads the conflict list's optional ?district.
func DecodeConflictsRequest(_ context.Context, r *http.Request) (any, error) {
	d, err := districtFilter(r)
	if err != nil {
		return nil, err
	}
	return endpoints.ConflictsRequest{District: d}, nil
}

// DecodeActionItemsRequest reads the page and the optional ?overdue=true|false.
func DecodeActionItemsRequest(_ context.Context, r *http.Request) (any, error) {
	page, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	req := endpoints.ActionItemsRequest{District: r.PathValue("district"), Page: page}
	switch vals := r.URL.Query()["overdue"]; {
	case len(vals) > 1:
		return nil, ErrOverdueInvalid
	case len(vals) == 1:
		v, err := strconv.ParseBool(vals[0])
		if err != nil {
			return nil, ErrOverdueInvalid
		}
		req.Overdue = v
	}
	return req, nil
}

// DecodePublishConventionRequest reads the body {version, title, text}
// with kitx.DecodeJSON (1 MiB limit, unknown fields such as published_at
// rejected). A decoding error travels in the request to be reported after
// the authorization check (endpoints.PublishConventionRequest).
func DecodePublishConventionRequest(_ context.Context, r *http.Request) (any, error) {
	var req endpoints.PublishConventionRequest
	req.DecodeErr = kitx.DecodeJSON(r, &req.Draft)
	return req, nil
}

// ErrOverdueInvalid means ?overdue was not one true or false (or was given
// twice): the kit's, the id the district's action-item list answers too.
// HQ answered request.overdue_invalid before issue 8; kitx.ErrOverdueInvalidHQ
// keeps that id as a deprecated alias.
var ErrOverdueInvalid = kitx.ErrOverdueInvalid

// Errors of the ?district filter of the district and conflict lists.
var (
	// ErrDistrictFilterRepeated means ?district was given more than once.
	ErrDistrictFilterRepeated = errs.InvalidField("request.district_repeated", "district", "give ?district at most once")
	// ErrDistrictFilterEmpty means ?district= was given without a value.
	ErrDistrictFilterEmpty = errs.InvalidField("request.district_empty", "district", "?district needs a district id")
)
