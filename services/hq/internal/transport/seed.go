package transport

import (
	"context"
	"net/http"

	"github.com/guildhall/guildhall/services/hq/internal/endpoints"
)

// DecodeUnvisitedRequest reads the path's district.
func DecodeUnvisitedRequest(_ context.Context, r *http.Request) (any, error) {
	return endpoints.UnvisitedRequest{District: r.PathValue("district")}, nil
}
