package membership

import (
	"context"
	"errors"
	"log/slog"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/services/membership/internal/service"
)

// targetKind says where an endpoint's authorization target comes from.
type targetKind int

const (
	// targetDistrict: the node's district only (district-wide resources:
	// registering or listing companies, the council, the audit log).
	targetDistrict targetKind = iota + 1
	// targetCompanyID: the company is the path's {id} (/companies/{id}…).
	targetCompanyID
	// targetCompanyField: the company is a field of the decoded request
	// (the path's {id} of hire/import/company guard list, or the
	// company_id filter of the district-wide guard list).
	targetCompanyField
	// targetGuardID: the path's {id} is a guard; its company is read from
	// the database before deciding.
	targetGuardID
	// targetImportID: the path's {id} is an import job; its company is
	// read from the database before deciding.
	targetImportID
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

// EndpointPrefix prefixes the membership endpoint names in the policy
// table: "membership.<route name>".
const EndpointPrefix = ServiceName + "."

// Policy returns the membership service's policy table, keyed
// "membership.<route name>": one row per route of the route table
// (routes.go), where each row is written next to its route. The national
// ID number in guard responses is further masked per role (see the
// package's RevealIDNumber rules: full for hq-admin, police and the guard's
// own company-admin; masked for everyone else).
func Policy() auth.Policy { return kitx.Policy(ServiceName, routeTable(nil, nil, "")) }

// rule is a policy row. The rows are built fresh for every table, so no
// caller can change another's at run time.
func rule(roles map[auth.Role]auth.Scope) auth.Rule { return auth.Rule{Roles: roles} }

// Route is one HTTP route of the service and its row in Policy (e.g.
// membership.get_guard), as the matrix tests and a router in front of the service walk
// them.
type Route = kitx.RouteInfo

// Routes returns every route the handler serves, from the route table.
func Routes() []Route { return API().RouteInfos() }

// ErrCompanyFieldForbidden means a company-admin tried to change a field of
// its own company that only the association may change.
var ErrCompanyFieldForbidden = errs.E(errs.Forbidden, "company.field_forbidden",
	"this field is kept by the association; ask your district group to change it")

// authorizer resolves the authorization target of the routes whose target
// is a stored resource's company (a guard's, an import's), reading it from
// the database before the policy decides.
type authorizer struct {
	district string
	svc      *service.Membership
	logger   *slog.Logger
}

// companyOf returns the company a company-scoped request acts on: the
// path's {id} of hire/import/company guard list, the company_id filter of
// the district-wide guard list.
func companyOf(req any) string {
	switch r := req.(type) {
	case service.HireGuardInput:
		return r.CompanyID
	case service.StartImportInput:
		return r.CompanyID
	case service.ExportGuardsInput:
		return r.Filter.CompanyID
	case kitx.ListRequest[service.GuardFilter]:
		return r.Filter.CompanyID
	case kitx.ListRequest[service.ExpiringFilter]:
		return r.Filter.CompanyID
	case service.SearchRequest:
		return r.Input.CompanyID
	}
	return ""
}

// target resolves what req acts on. An id that names nothing leaves the
// company empty, which no scoped caller matches: a company-admin asking for
// an unknown (or another company's) guard gets the same 403, so the answer
// does not reveal whether the guard exists; admins go on to the service's
// 404.
func (a *authorizer) target(ctx context.Context, kind targetKind, req any) auth.Target {
	t := auth.Target{District: a.district}
	id := kitx.ResourceID(req)
	var err error
	switch kind {
	case targetCompanyID:
		t.Company = id
	case targetCompanyField:
		t.Company = companyOf(req)
	case targetGuardID:
		t.Guard = id
		t.Company, err = a.svc.GuardCompany(ctx, id)
	case targetImportID:
		t.Company, err = a.svc.ImportCompany(ctx, id)
	}
	if err != nil && !errs.IsKind(err, errs.NotFound) && !errors.Is(err, context.Canceled) {
		// Fails closed for scoped callers (empty company); logged because
		// a database that cannot answer this one-row read is a fault.
		a.logger.ErrorContext(ctx, "membership: resolve authorization target", "kind", int(kind), "err", err)
	}
	return t
}

// companyAdminFields refuses a company-admin's PATCH of the fields of its
// own company that are the association's records: name and licence number
// (regulatory facts the association verified at admission) and level (the
// association's ranking). Contact, Party and union fields stay the
// company's to keep current. Other roles pass. convention_version is no
// one's to PATCH (the service refuses it for every role: only a signature
// sets it).
func companyAdminFields(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		p, ok := auth.FromContext(ctx)
		if ok && p.Role == auth.RoleCompanyAdmin {
			if r, ok := request.(kitx.UpdateRequest[service.UpdateCompanyInput]); ok {
				in := r.Input
				for _, f := range []struct {
					name string
					set  bool
				}{
					{"name", in.Name != nil}, {"licence_number", in.LicenceNumber != nil},
					{"level", in.Level != nil},
				} {
					if f.set {
						return nil, ErrCompanyFieldForbidden.WithField(f.name)
					}
				}
			}
		}
		return next(ctx, request)
	}
}
