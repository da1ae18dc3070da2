package hq

import (
	"github.com/guildhall/guildhall/pkg/auth"

	"github.com/guildhall/guildhall/services/hq/internal/endpoints"
	"github.com/guildhall/guildhall/services/hq/internal/transport"
)

// Policy returns HQ's rows of the policy table ("hq.summary",
// "hq.districts", "hq.district", "hq.companies", "hq.conflicts",
// "hq.action_items", "hq.convention", "hq.publish_convention"), the same
// table the node's endpoints enforce; the reason for each cell is written
// next to it in internal/endpoints/policy.go. The city-wide authorization
// matrix walks it together with Routes.
func Policy() auth.Policy { return endpoints.Policy() }

// Route is one HTTP route of HQ and the policy row that guards it.
type Route struct {
	// Pattern is the method and path pattern, e.g.
	// "GET /api/v1/hq/districts/{district}".
	Pattern string
	// Endpoint is the endpoint's row in Policy, e.g. "hq.district".
	Endpoint string
}

// Routes lists every route the node's Handler serves with its policy row.
// For the routes with {district} in the path the target's district is that
// path value; GET /api/v1/hq/conflicts takes it from ?district (absent:
// the city-wide list, which only city-wide callers may read).
func Routes() []Route {
	rs := transport.Routes(endpoints.Set{})
	out := make([]Route, len(rs))
	for i, r := range rs {
		out[i] = Route{Pattern: r.Pattern, Endpoint: endpoints.PolicyName(r.Name)}
	}
	return out
}
