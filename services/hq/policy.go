package hq

import (
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Policy returns HQ's rows of the policy table ("hq.summary",
// "hq.districts", "hq.district", "hq.companies", "hq.conflicts",
// "hq.action_items", "hq.convention", "hq.publish_convention"), the same
// table the node's endpoints enforce; the reason for each cell is written
// next to its route in routes.go. The city-wide authorization matrix walks
// it together with Routes.
func Policy() auth.Policy { return kitx.Policy(ServiceName, routeTable(nil)) }

// Route is one HTTP route of HQ and the policy row that guards it, as the
// matrix tests walk them.
type Route struct {
	// Method is the HTTP method.
	Method string
	// Pattern is the full path pattern, e.g. "/api/v1/hq/districts/{district}".
	Pattern string
	// Endpoint is the route's row in Policy, e.g. "hq.district".
	Endpoint string
}

// Routes lists every route the node's Handler serves with its policy row.
// For the routes with {district} in the path the target's district is that
// path value; GET /api/v1/hq/conflicts takes it from ?district (absent:
// the city-wide list, which only city-wide callers may read).
func Routes() []Route {
	var out []Route
	for _, r := range routeTable(nil) {
		out = append(out, Route{Method: r.Method, Pattern: r.Path, Endpoint: r.PolicyKey(ServiceName)})
	}
	return out
}
