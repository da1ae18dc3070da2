package accounts

import (
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
)

// Policy returns the policy table of the service's endpoints: account
// management is hq-admin's alone; /me is open to every authenticated role.
// It is read from the route table, built fresh on each call so no caller
// can change another's table.
func Policy() auth.Policy { return kitx.Policy(ServiceName, routeTable(nil, nil)) }

// admin is the row of the management routes: hq-admin's alone.
func admin() auth.Rule {
	return auth.Rule{Roles: map[auth.Role]auth.Scope{auth.RoleHQAdmin: auth.ScopeAny}}
}

// everyone is the row of /me: every authenticated role.
func everyone() auth.Rule {
	r := auth.Rule{Roles: map[auth.Role]auth.Scope{}}
	for _, role := range auth.Roles {
		r.Roles[role] = auth.ScopeAny
	}
	return r
}

// Route is one HTTP route of the service and its row in Policy (e.g.
// accounts.get_account; the row a public route would have, were it
// protected), as the matrix tests and a router in front of the service
// walk them.
type Route = kitx.RouteInfo

// Routes returns every route the handler serves, from the route table.
func Routes() []Route { return API().RouteInfos() }
