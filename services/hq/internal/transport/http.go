// Package transport serves HQ's endpoints over HTTP/JSON (go-kit).
package transport

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"

	"github.com/guildhall/guildhall/services/hq/internal/endpoints"
)

// Route is one HTTP route of HQ.
type Route struct {
	// Pattern is the method and path pattern (http.ServeMux syntax).
	Pattern string
	// Name is the endpoint's name (endpoints.Name…); its policy row is
	// endpoints.PolicyName(Name).
	Name     string
	endpoint endpoint.Endpoint
	decode   kithttp.DecodeRequestFunc
}

// Routes lists every route HQ serves with the endpoint behind it; the
// OpenAPI test checks each is documented and the authorization tests that
// each has a policy row. Routes(endpoints.Set{}) lists them without a
// service.
func Routes(set endpoints.Set) []Route {
	return []Route{
		{"GET /api/v1/hq/summary", endpoints.NameSummary, set.SummaryEndpoint, decodeEmpty(endpoints.SummaryRequest{})},
		{"GET /api/v1/hq/districts", endpoints.NameDistricts, set.DistrictsEndpoint, decodeEmpty(endpoints.DistrictsRequest{})},
		{"GET /api/v1/hq/districts/{district}", endpoints.NameDistrict, set.DistrictEndpoint, decodeDistrictRequest},
		{"GET /api/v1/hq/districts/{district}/companies", endpoints.NameCompanies, set.CompaniesEndpoint, decodeCompaniesRequest},
		{"GET /api/v1/hq/conflicts", endpoints.NameConflicts, set.ConflictsEndpoint, decodeConflictsRequest},
		{"GET /api/v1/hq/districts/{district}/action-items", endpoints.NameActionItems, set.ActionItemsEndpoint, decodeActionItemsRequest},
		{"GET /api/v1/hq/convention", endpoints.NameConvention, set.ConventionEndpoint, decodeEmpty(endpoints.ConventionRequest{})},
		{"PUT /api/v1/hq/convention", endpoints.NamePublishConvention, set.PublishConventionEndpoint, decodePublishConventionRequest},
	}
}

// NewHTTPHandler returns the handler of every HQ route; other paths under
// /api/v1/hq/ get the API's 404 body. The endpoints of set enforce the
// policy, so the caller must have run auth.Authenticate on the request
// first; a request without a principal is answered 401.
func NewHTTPHandler(set endpoints.Set, opts ...kithttp.ServerOption) http.Handler {
	options := kitx.ServerOptions(opts...)
	mux := http.NewServeMux()
	for _, rt := range Routes(set) {
		mux.Handle(rt.Pattern, kithttp.NewServer(rt.endpoint, authenticatedFirst(rt.decode), kitx.EncodeJSONResponse, options...))
	}
	mux.Handle("/api/v1/hq/", kitx.NotFoundHandler())
	return mux
}

// authenticatedFirst skips decoding a request without a principal: it
// hands the endpoint an anonymous request, which the endpoint's auth
// middleware answers 401 (counted and traced by the endpoint middleware
// like any refusal) before anything reads it. So an anonymous caller
// learns only that it needs a token, never how its parameters would have
// been validated (no 400 before the 401).
func authenticatedFirst(dec kithttp.DecodeRequestFunc) kithttp.DecodeRequestFunc {
	return func(ctx context.Context, r *http.Request) (any, error) {
		if _, err := auth.RequirePrincipal(ctx); err != nil {
			return anonymous{}, nil
		}
		return dec(ctx, r)
	}
}

// anonymous is the request of a caller without a principal; no endpoint
// ever sees it past the auth middleware.
type anonymous struct{}

func decodeEmpty(req any) kithttp.DecodeRequestFunc {
	return func(context.Context, *http.Request) (any, error) { return req, nil }
}

func decodeDistrictRequest(_ context.Context, r *http.Request) (any, error) {
	return endpoints.DistrictRequest{District: r.PathValue("district")}, nil
}

func decodeCompaniesRequest(_ context.Context, r *http.Request) (any, error) {
	page, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return endpoints.CompaniesRequest{District: r.PathValue("district"), Page: page}, nil
}

// decodeConflictsRequest reads the optional ?district filter. Given twice
// it is refused rather than one value picked: the auth middleware and the
// service must see the same district.
func decodeConflictsRequest(_ context.Context, r *http.Request) (any, error) {
	vals := r.URL.Query()["district"]
	switch {
	case len(vals) > 1:
		return nil, ErrDistrictFilterRepeated
	case len(vals) == 1 && vals[0] == "":
		return nil, ErrDistrictFilterEmpty
	case len(vals) == 1:
		return endpoints.ConflictsRequest{District: vals[0]}, nil
	}
	return endpoints.ConflictsRequest{}, nil
}

// decodeActionItemsRequest reads the page and the optional ?overdue=true|false.
func decodeActionItemsRequest(_ context.Context, r *http.Request) (any, error) {
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

// decodePublishConventionRequest reads the body {version, title, text}
// with kitx.DecodeJSON (1 MiB limit, unknown fields such as published_at
// rejected). A decoding error travels in the request to be reported after
// the authorization check (endpoints.PublishConventionRequest).
func decodePublishConventionRequest(_ context.Context, r *http.Request) (any, error) {
	var req endpoints.PublishConventionRequest
	req.DecodeErr = kitx.DecodeJSON(r, &req.Draft)
	return req, nil
}

// ErrOverdueInvalid means ?overdue was not one true or false.
var ErrOverdueInvalid = errs.InvalidField("request.overdue_invalid", "overdue", "?overdue is true or false, given at most once")

// Errors of the conflicts filter.
var (
	// ErrDistrictFilterRepeated means ?district was given more than once.
	ErrDistrictFilterRepeated = errs.InvalidField("request.district_repeated", "district", "give ?district at most once")
	// ErrDistrictFilterEmpty means ?district= was given without a value.
	ErrDistrictFilterEmpty = errs.InvalidField("request.district_empty", "district", "?district needs a district id")
)
