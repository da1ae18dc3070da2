package meetings

import (
	"context"
	"errors"
	"log/slog"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/meetings/internal/endpoints"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
)

// targetKind says where an endpoint's authorization target comes from.
type targetKind int

const (
	// targetDistrict: the node's district only.
	targetDistrict targetKind = iota + 1
	// targetCompanyPath: the company is the path's {id}
	// (/attendance/companies/{id}).
	targetCompanyPath
	// targetCompanyField: the company is a field of the request (the
	// signature's company_id, the owner_company_id filter of a list).
	targetCompanyField
	// targetCheckInCode: the company is that of the invitation the
	// request's check-in code opens (read from the database).
	targetCheckInCode
	// targetActionItem: the company is the owner of the path's action item
	// (read from the database).
	targetActionItem
	// targetVisit: the company is that of the path's field visit (read
	// from the database).
	targetVisit
)

// Short names keep the table one row per line.
const (
	hq     = auth.RoleHQAdmin
	da     = auth.RoleDistrictAdmin
	ca     = auth.RoleCompanyAdmin
	police = auth.RolePolice

	anyS      = auth.ScopeAny
	districtS = auth.ScopeDistrict
	companyS  = auth.ScopeCompany
)

// admins run meetings: HQ city-wide, a district-admin in its districts.
func admins() auth.Rule { return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS}) }

// readers read the district's meetings: admins, police (the supervising
// authority, read-only) and the district's company-admins.
func readers() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: districtS})
}

// supervisors read what is the association's and the police's business but
// not the member companies' (other companies' attendance, the rates).
func supervisors() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS})
}

// rule is a policy row. The rows are built fresh for every table, so no
// caller can change another's at run time.
func rule(roles map[auth.Role]auth.Scope) auth.Rule { return auth.Rule{Roles: roles} }

// EndpointPrefix prefixes the meetings endpoint names in the policy table:
// "meetings.<route name>".
const EndpointPrefix = ServiceName + "."

// Policy returns the meetings service's policy table, keyed
// "meetings.<route name>": one row per route of the route table
// (routes.go), where each row is written next to its route.
func Policy() auth.Policy { return kitx.Policy(ServiceName, routeTable(nil, nil, "")) }

// Route is one HTTP route of the service and its row in Policy (e.g.
// meetings.get_meeting), as the matrix tests and a router in front of the service walk
// them.
type Route = kitx.RouteInfo

// Routes returns every route the handler serves, from the route table.
func Routes() []Route { return API().RouteInfos() }

// authorizer resolves the authorization target of the routes whose target
// is a stored resource's company (a check-in code's, an action item's).
type authorizer struct {
	district string
	svc      *service.Meetings
	logger   *slog.Logger
}

// target resolves what req acts on. A code or id that opens nothing leaves
// the company empty, which no scoped caller matches: a company-admin gets
// the same 403 whether the code is wrong or another company's, so the
// answer reveals nothing; admins go on to the service's own error.
func (a *authorizer) target(ctx context.Context, kind targetKind, req any) auth.Target {
	t := auth.Target{District: a.district}
	id := kitx.ResourceID(req)
	var err error
	switch kind {
	case targetCompanyPath:
		t.Company = id
	case targetCompanyField:
		switch r := req.(type) {
		case service.SignInput:
			t.Company = r.CompanyID
		case kitx.ListRequest[service.ActionItemFilter]:
			t.Company = r.Filter.OwnerCompanyID
		case endpoints.ExportRequest[service.ActionItemFilter]:
			t.Company = r.Filter.OwnerCompanyID
		case kitx.ListRequest[service.FieldVisitFilter]:
			t.Company = r.Filter.CompanyID
		case kitx.ListRequest[service.BeneficiaryFilter]:
			t.Company = r.Filter.CompanyID
		case kitx.ActionRequest[service.FeedbackInput]:
			t.Company = r.Input.CompanyID
		}
	case targetCheckInCode:
		if r, ok := req.(kitx.ActionRequest[service.CheckInInput]); ok && r.Input.Code != "" {
			t.Company, err = a.svc.InvitationCompany(ctx, id, r.Input.Code)
		}
	case targetActionItem:
		t.Company, err = a.svc.ActionItemCompany(ctx, id)
	case targetVisit:
		t.Company, err = a.svc.VisitCompany(ctx, id)
	}
	if err != nil && !errs.IsKind(err, errs.NotFound) && !errors.Is(err, context.Canceled) {
		a.logger.ErrorContext(ctx, "meetings: resolve authorization target", "kind", int(kind), "err", err)
	}
	return t
}
