package compliance

import (
	"context"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/compliance/internal/endpoints"
	"github.com/guildhall/guildhall/services/compliance/internal/service"
)

// targetKind says where an endpoint's authorization target comes from.
type targetKind int

const (
	// targetDistrict: the node's district only.
	targetDistrict targetKind = iota + 1
	// targetCompanyPath: the company is the path's {id}.
	targetCompanyPath
	// targetCompanyField: the company is the request's company_id filter
	// (a company-admin must name its own: a 403, never a silently
	// filtered list).
	targetCompanyField
	// targetInspection: the company of the path's inspection (read from
	// the database).
	targetInspection
	// targetFinding: the company of the path's finding.
	targetFinding
	// targetDispute: the company of the path's dispute.
	targetDispute
	// targetFourOne: the company of the path's two-four-one check.
	targetFourOne
	// targetEvaluation: the company of the path's evaluation.
	targetEvaluation
	// targetWage: the company of the path's wage declaration.
	targetWage
	// targetComplaint: the caller's company if it is a party to the
	// path's complaint (complainant or accused), else none.
	targetComplaint
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

// supervisors see the whole district's scoreboard and every company's
// gaps: HQ city-wide, the district lead and the police (the four 100% are
// the police's targets) in their districts.
func supervisors() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS})
}

// companyReaders are the supervisors and a company-admin for its own
// company only: it sees its own guards' gaps, never another company's.
func companyReaders() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS})
}

// readers read what is no company's secret: the policy in force.
func readers() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: districtS})
}

// admins run the district's inspection programme: the association's
// templates and each company's schedule.
func admins() auth.Rule { return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS}) }

// inspectors record inspections: the association, the police in their
// districts, and a company of its own sites.
func inspectors() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS})
}

// remediators move a finding on: the association and the finding's own
// company (the police read, and do not remediate).
func remediators() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS})
}

// reporters report a dispute: the association and the company concerned.
func reporters() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS})
}

// answerers answer a complaint: the accused company's admin only (the
// service refuses the complainant's: complaint.not_party). The
// association mediates; it does not answer for a company.
func answerers() auth.Rule { return rule(map[auth.Role]auth.Scope{ca: companyS}) }

// fourOneReaders are the only callers of a two-four-one check's contents
// (issue 10): the guard's own company-admin, hq-admin and the police. Not
// the district-admin: the association's district lead sees coverage, not
// what a guard said.
func fourOneReaders() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, police: districtS, ca: companyS})
}

// raters compute and publish evaluations, and correct a published one
// from late evidence: the association (HQ, the district lead) and the
// police, who judge the association's companies.
func raters() auth.Rule {
	return rule(map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS})
}

// adjusters add a reviewed adjustment to a rating: the police and HQ only
// (issue 10), not the district lead who computes it.
func adjusters() auth.Rule { return rule(map[auth.Role]auth.Scope{hq: anyS, police: districtS}) }

// rule is a policy row, built fresh for every table.
func rule(roles map[auth.Role]auth.Scope) auth.Rule { return auth.Rule{Roles: roles} }

// EndpointPrefix prefixes the compliance endpoint names in the policy
// table: "compliance.<route name>".
const EndpointPrefix = ServiceName + "."

// Policy returns the compliance service's policy table, keyed
// "compliance.<route name>", one row per route of the route table.
func Policy() auth.Policy { return kitx.Policy(ServiceName, routeTable(services{}, nil, "")) }

// Route is one HTTP route of the service and its row in Policy.
type Route = kitx.RouteInfo

// Routes returns every route the handler serves, from the route table.
func Routes() []Route { return API().RouteInfos() }

// authorizer resolves the authorization target of a request.
type authorizer struct {
	district string
	ins      *service.Inspections
	disputes *service.Disputes
	fourOne  *service.FourOne
	evals    *service.Evaluations
	wages    *service.Wages
	compl    *service.Complaints
}

// target resolves what req acts on. An id that opens nothing leaves the
// company empty, which no company-scoped caller matches: the same 403 as
// another company's, revealing nothing.
func (a *authorizer) target(ctx context.Context, kind targetKind, req any) auth.Target {
	t := auth.Target{District: a.district}
	switch kind {
	case targetCompanyPath:
		t.Company = kitx.ResourceID(req)
	case targetCompanyField:
		switch r := req.(type) {
		case kitx.ListRequest[service.GapFilter]:
			t.Company = r.Filter.CompanyID
		case service.TrendRequest:
			t.Company = r.CompanyID
		case service.InspectionInput:
			t.Company = r.CompanyID
		case kitx.ListRequest[string]:
			t.Company = r.Filter
		case service.DisputeInput:
			t.Company = r.CompanyID
		case kitx.ListRequest[service.DisputeFilter]:
			t.Company = r.Filter.CompanyID
		case service.FourOneInput:
			t.Company = r.CompanyID
		case endpoints.CoverageRequest:
			t.Company = r.CompanyID
		case service.EvaluationInput:
			t.Company = r.CompanyID
		case kitx.ListRequest[service.EvaluationFilter]:
			t.Company = r.Filter.CompanyID
		case service.WageInput:
			t.Company = r.CompanyID
		case kitx.ListRequest[service.WageFilter]:
			t.Company = r.Filter.CompanyID
		case service.ComplaintInput:
			t.Company = r.ComplainantID
		case kitx.ListRequest[service.ComplaintFilter]:
			t.Company = r.Filter.CompanyID
		}
	case targetInspection:
		if in, err := a.ins.GetInspection(ctx, kitx.ResourceID(req)); err == nil {
			t.Company = in.CompanyID
		}
	case targetFinding:
		t.Company = a.ins.FindingCompany(ctx, kitx.ResourceID(req))
	case targetDispute:
		t.Company = a.disputes.Company(ctx, kitx.ResourceID(req))
	case targetFourOne:
		t.Company = a.fourOne.Company(ctx, kitx.ResourceID(req))
	case targetEvaluation:
		t.Company = a.evals.Company(ctx, kitx.ResourceID(req))
	case targetWage:
		t.Company = a.wages.Company(ctx, kitx.ResourceID(req))
	case targetComplaint:
		// Two companies may read a complaint: the target is the caller's
		// own if it is either party (a company-scoped rule then matches).
		pr, _ := auth.FromContext(ctx)
		t.Company = a.compl.Party(ctx, kitx.ResourceID(req), pr.Company)
	}
	return t
}
