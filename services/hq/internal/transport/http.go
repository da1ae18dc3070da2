// Package transport serves HQ's endpoints over HTTP/JSON (go-kit).
package transport

import (
	"context"
	"net/http"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/kitx"

	"github.com/guildhall/guildhall/services/hq/internal/endpoints"
)

// Routes are the method and path patterns HQ serves (http.ServeMux syntax);
// the OpenAPI test checks each is documented.
var Routes = []string{
	"GET /api/v1/hq/summary",
	"GET /api/v1/hq/districts",
	"GET /api/v1/hq/districts/{district}",
	"GET /api/v1/hq/districts/{district}/companies",
	"GET /api/v1/hq/conflicts",
}

// NewHTTPHandler returns the handler of every HQ route; other paths under
// /api/v1/hq/ get the API's 404 body.
func NewHTTPHandler(set endpoints.Set, opts ...kithttp.ServerOption) http.Handler {
	options := kitx.ServerOptions(opts...)
	server := func(e endpoint.Endpoint, dec kithttp.DecodeRequestFunc) http.Handler {
		return kithttp.NewServer(e, dec, kitx.EncodeJSONResponse, options...)
	}
	mux := http.NewServeMux()
	mux.Handle(Routes[0], server(set.SummaryEndpoint, decodeEmpty(endpoints.SummaryRequest{})))
	mux.Handle(Routes[1], server(set.DistrictsEndpoint, decodeEmpty(endpoints.DistrictsRequest{})))
	mux.Handle(Routes[2], server(set.DistrictEndpoint, decodeDistrictRequest))
	mux.Handle(Routes[3], server(set.CompaniesEndpoint, decodeCompaniesRequest))
	mux.Handle(Routes[4], server(set.ConflictsEndpoint, decodeEmpty(endpoints.ConflictsRequest{})))
	mux.Handle("/api/v1/hq/", kitx.NotFoundHandler())
	return mux
}

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
