package endpoints

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/hq/internal/service"
)

// NameUnvisited lists a district's companies not visited for the visit
// plan's months (issue 17).
const NameUnvisited = "unvisited"

// UnvisitedRequest asks for a district's unvisited companies.
type UnvisitedRequest struct {
	District string
}

// MakeUnvisitedEndpoint returns the endpoint of Service.Unvisited.
func MakeUnvisitedEndpoint(svc service.Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(UnvisitedRequest)
		v, err := svc.Unvisited(ctx, req.District)
		return kitx.One(v, "", err), nil
	}
}
