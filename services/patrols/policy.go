package patrols

import (
	"context"
	"errors"
	"log/slog"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/patrols/internal/service"
)

// targetKind says where an endpoint's authorization target comes from.
type targetKind int

const (
	// targetDistrict: the node's district only.
	targetDistrict targetKind = iota + 1
	// targetTeamCompany: the company of a team to create (its company_id).
	targetTeamCompany
	// targetGuardBody: the guard the request's guard_id names, and that
	// guard's company (from the projection of membership's guards).
	targetGuardBody
	// targetGuardPath: the same for the path's {id}.
	targetGuardPath
	// targetDispatchLeader: the leader of the team a dispatch step is
	// for (the accepting team named, or the team that accepted).
	targetDispatchLeader
	// targetIncidentReporter: the guard who reported the path's incident.
	targetIncidentReporter
	// targetAssignmentGuard: the guard of the path's {sub} (an
	// assignment's), and that guard's company.
	targetAssignmentGuard
)

// Short names keep the table one row per line.
const (
	hq     = auth.RoleHQAdmin
	da     = auth.RoleDistrictAdmin
	ca     = auth.RoleCompanyAdmin
	police = auth.RolePolice
	guard  = auth.RoleGuard

	anyS      = auth.ScopeAny
	districtS = auth.ScopeDistrict
	companyS  = auth.ScopeCompany
	selfS     = auth.ScopeSelf
)

// planners set up the district's patrols (areas, checkpoints, plans,
// shifts): HQ city-wide and the district lead (district-admin).
func planners() auth.Rule { return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS}) }

// supervisors read the reports: HQ, the district lead and the police (the
// linkage's other side, 警保联动), read-only.
func supervisors() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS})
}

// readers read the district's teams, areas and plans: the supervisors,
// the district's company-admins (whose guards serve) and its guards (team
// leaders and members see the plan they serve in; tag values are never in
// a read).
func readers() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: districtS, guard: districtS})
}

// forGuard is a request about one guard: the planners, the guard's own
// company-admin, and the guard themself.
func forGuard() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS, guard: selfS})
}

func rule(roles map[auth.Role]auth.Scope) auth.Rule { return auth.Rule{Roles: roles} }

// EndpointPrefix prefixes the patrols endpoint names in the policy table:
// "patrols.<route name>".
const EndpointPrefix = ServiceName + "."

// Policy returns the patrols service's policy table, keyed
// "patrols.<route name>": one row per route of the route table.
func Policy() auth.Policy { return kitx.Policy(ServiceName, routeTable(nil, nil, "")) }

// Route is one HTTP route of the service and its row in Policy.
type Route = kitx.RouteInfo

// Routes returns every route the handler serves, from the route table.
func Routes() []Route { return API().RouteInfos() }

// authorizer resolves the authorization targets that need the projection.
type authorizer struct {
	district string
	svc      *service.Patrols
	logger   *slog.Logger
}

// target resolves what req acts on. A guard the projection does not know
// leaves the company empty, which no company-scoped caller matches (a
// company-admin cannot tell an unknown guard from another company's); a
// guard acting for themself is still matched by the guard id, and the
// service answers team.guard_unknown.
func (a *authorizer) target(ctx context.Context, kind targetKind, req any) auth.Target {
	t := auth.Target{District: a.district}
	var guardID string
	switch kind {
	case targetTeamCompany:
		if r, ok := req.(service.CreateTeamInput); ok {
			t.Company = r.CompanyID
		}
		return t
	case targetGuardPath:
		guardID = kitx.ResourceID(req)
	case targetAssignmentGuard:
		if r, ok := req.(kitx.IDRequest); ok {
			guardID = r.SubID
		}
	case targetIncidentReporter:
		reporter, err := a.svc.IncidentReporter(ctx, kitx.ResourceID(req))
		if err != nil && !errs.IsKind(err, errs.NotFound) && !errors.Is(err, context.Canceled) {
			a.logger.ErrorContext(ctx, "patrols: resolve incident reporter", "err", err)
		}
		t.Guard = reporter
		return t
	case targetDispatchLeader:
		var team string
		if r, ok := req.(kitx.ActionRequest[service.AcceptInput]); ok {
			team = r.Input.TeamID
		}
		leader, err := a.svc.DispatchLeader(ctx, kitx.ResourceID(req), team)
		if err != nil && !errs.IsKind(err, errs.NotFound) && !errors.Is(err, context.Canceled) {
			a.logger.ErrorContext(ctx, "patrols: resolve dispatch leader", "err", err)
		}
		t.Guard = leader
		return t
	case targetGuardBody:
		switch r := req.(type) {
		case kitx.ActionRequest[service.JoinInput]:
			guardID = r.Input.GuardID
		case kitx.ActionRequest[service.AssignInput]:
			guardID = r.Input.GuardID
		case service.ScanInput:
			guardID = r.GuardID
		case service.BatchInput:
			guardID = r.GuardID
		case service.IncidentInput:
			guardID = r.GuardID
		}
	default:
		return t
	}
	t.Guard = guardID
	if guardID == "" {
		return t
	}
	company, err := a.svc.GuardCompany(ctx, guardID)
	if err != nil && !errs.IsKind(err, errs.NotFound) && !errors.Is(err, context.Canceled) {
		a.logger.ErrorContext(ctx, "patrols: resolve authorization target", "kind", int(kind), "err", err)
	}
	t.Company = company
	return t
}
