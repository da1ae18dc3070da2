// Package transport holds the patrols service's own HTTP decoders, those
// its route table (routes.go) names beyond kitx's shared ones, and the
// consumer of the district's membership topic (events.go).
package transport

import (
	"context"
	"net/http"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/patrols/internal/endpoints"
	"github.com/guildhall/guildhall/services/patrols/internal/service"
)

// DecodeList decodes a plain paged list.
func DecodeList(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[struct{}]{Page: p}, nil
}

// DecodeMissedTours decodes the missed-tour list: its ?kind and page.
func DecodeMissedTours(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[string]{Page: p, Filter: r.URL.Query().Get("kind")}, nil
}

// DecodeCoverage decodes ?from, ?to and ?area_id.
func DecodeCoverage(_ context.Context, r *http.Request) (any, error) {
	return window(r, service.ErrCoverageWindow)
}

// DecodeHours decodes ?from and ?to.
func DecodeHours(_ context.Context, r *http.Request) (any, error) {
	return window(r, service.ErrHoursWindow)
}

func window(r *http.Request, bad error) (endpoints.Window, error) {
	from, err := kitx.QueryTime(r, "from", bad)
	if err != nil {
		return endpoints.Window{}, bad
	}
	to, err := kitx.QueryTime(r, "to", bad)
	if err != nil {
		return endpoints.Window{}, bad
	}
	return endpoints.Window{AreaID: r.URL.Query().Get("area_id"), From: from, To: to}, nil
}

// DecodeInput decodes a JSON body of T that names no path resource.
func DecodeInput[T any](_ context.Context, r *http.Request) (any, error) {
	in, err := kitx.DecodeBody[T](r)
	if err != nil {
		return nil, err
	}
	return in, nil
}

// DecodeDispatches decodes the dispatch list: its ?status and page.
func DecodeDispatches(_ context.Context, r *http.Request) (any, error) {
	p, err := kitx.ParsePage(r)
	if err != nil {
		return nil, err
	}
	return kitx.ListRequest[string]{Page: p, Filter: r.URL.Query().Get("status")}, nil
}
