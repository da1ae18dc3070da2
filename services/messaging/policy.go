package messaging

import (
	"context"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/messaging/internal/service"
)

// targetKind says where an endpoint's authorization target comes from.
type targetKind int

const (
	// targetDistrict: the node's district only.
	targetDistrict targetKind = iota + 1
	// targetSubCompany: the company is the path's {sub} (a receipt of a
	// notice: /notices/{id}/receipts/{sub}).
	targetSubCompany
	// targetCompany: the company is the path's {id} (/company-notices/{id}).
	targetCompany
	// targetGuard: the guard is the path's {id} (a leader's team notices:
	// /messaging/guards/{id}/team-notices).
	targetGuard
	// targetCity: HQ's city-wide resources (no district, no company), which
	// only city-wide callers match.
	targetCity
)

// Short names keep the tables one row per line.
const (
	hq     = auth.RoleHQAdmin
	da     = auth.RoleDistrictAdmin
	ca     = auth.RoleCompanyAdmin
	police = auth.RolePolice

	guard = auth.RoleGuard

	anyS      = auth.ScopeAny
	districtS = auth.ScopeDistrict
	companyS  = auth.ScopeCompany
	selfS     = auth.ScopeSelf
)

// rule is a policy row, built fresh for every table.
func rule(roles map[auth.Role]auth.Scope) auth.Rule { return auth.Rule{Roles: roles} }

// senders send a district's notices: the district lead (district-admin)
// for the district, the police office (police) for its districts. HQ
// sends directives instead (the HQ role), which every node materialises.
func senders() auth.Rule { return rule(map[auth.Role]auth.Scope{da: districtS, police: districtS}) }

// overseers read every notice, receipt and roll-up of the district: HQ,
// the district lead, the police.
func overseers() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS})
}

// overseersAndCompany are overseers and the company the path names.
func overseersAndCompany() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS})
}

// company is the company the path names, alone: a receipt is the
// company's own word (read, acknowledged); nobody answers for it.
func company() auth.Rule { return rule(map[auth.Role]auth.Scope{ca: companyS}) }

// liaisons are the members of a district's liaison channel: its lead, its
// companies, its police liaison officers, and HQ.
func liaisons() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: districtS})
}

// requesters post aid requests and publicity posts and decide on their
// own: the district lead, and a company-admin of the district (the service
// holds it to its own company's).
func requesters() auth.Rule { return rule(map[auth.Role]auth.Scope{da: districtS, ca: districtS}) }

// districtCompanies are the district's company-admins (an offer is a
// company's own word).
func districtCompanies() auth.Rule { return rule(map[auth.Role]auth.Scope{ca: districtS}) }

// leadOnly is the district lead: the district's review of publicity.
func leadOnly() auth.Rule { return rule(map[auth.Role]auth.Scope{da: districtS}) }

// leaderAndLead see a leader's team notices: the leader (the guard the
// path names, alone of the guards) and the district lead. Not HQ, the
// police or the companies: what patrols tells a leader about the team's
// members is the team's business.
func leaderAndLead() auth.Rule { return rule(map[auth.Role]auth.Scope{guard: selfS, da: districtS}) }

// leader is the guard the path names, alone: the read of a team notice is
// the leader's own receipt.
func leader() auth.Rule { return rule(map[auth.Role]auth.Scope{guard: selfS}) }

// admins read the audit log.
func admins() auth.Rule { return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS}) }

// hqOnly issues directives.
func hqOnly() auth.Rule { return rule(map[auth.Role]auth.Scope{hq: anyS}) }

// hqReaders read directives and their delivery: HQ and the city-wide
// police office (a police caller scoped to districts does not match the
// city target).
func hqReaders() auth.Rule { return rule(map[auth.Role]auth.Scope{hq: anyS, police: districtS}) }

// EndpointPrefix prefixes the messaging endpoint names in the policy
// table: "messaging.<route name>".
const EndpointPrefix = ServiceName + "."

// Policy returns the messaging service's policy table, keyed
// "messaging.<route name>": one row per route of both route tables (the
// district node's and the HQ role's), written next to its route.
func Policy() auth.Policy { return kitx.Policy(ServiceName, allRoutes()) }

// Route is one HTTP route of the service and its row in Policy.
type Route = kitx.RouteInfo

// Routes returns every route a district node serves.
func Routes() []Route {
	return kitx.API{Service: ServiceName, Routes: districtRoutes(nil, nil, "")}.RouteInfos()
}

// HQRoutes returns every route the HQ role serves.
func HQRoutes() []Route { return kitx.API{Service: ServiceName, Routes: hqRoutes(nil)}.RouteInfos() }

// authorizer resolves the authorization target of a request.
type authorizer struct {
	district string
}

func (a *authorizer) target(_ context.Context, kind targetKind, req any) auth.Target {
	switch kind {
	case targetCity:
		return auth.Target{}
	case targetSubCompany:
		t := auth.Target{District: a.district}
		switch r := req.(type) {
		case kitx.IDRequest:
			t.Company = r.SubID
		case kitx.ActionRequest[service.ReadInput]:
			t.Company = r.SubID
		case kitx.ActionRequest[service.AcknowledgeInput]:
			t.Company = r.SubID
		}
		return t
	case targetCompany:
		return auth.Target{District: a.district, Company: kitx.ResourceID(req)}
	case targetGuard:
		return auth.Target{District: a.district, Guard: kitx.ResourceID(req)}
	}
	return auth.Target{District: a.district}
}
