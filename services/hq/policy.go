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

// Route is one HTTP route of the service and its row in Policy (e.g.
// hq.district), as the matrix tests and a router in front of the service walk
// them.
type Route = kitx.RouteInfo

// Routes returns every route the handler serves, from the route table.
// For the routes with {district} in the path the target's district is that
// path value; GET /api/v1/hq/districts and /api/v1/hq/conflicts take it
// from ?district (absent: the city-wide list, which only city-wide callers
// may read).
func Routes() []Route { return API().RouteInfos() }
