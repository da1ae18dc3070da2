package membership

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/services/membership/internal/endpoints"
	"github.com/guildhall/guildhall/services/membership/internal/service"
	"github.com/guildhall/guildhall/services/membership/internal/transport"
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

// endpointRule is one row of the table: where the target comes from and
// which role may call the endpoint with what scope.
type endpointRule struct {
	target targetKind
	roles  map[auth.Role]auth.Scope
}

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

// rules is THE authorization table of the membership service: one row per
// route of transport.Routes, keyed by the route's name. A role not named
// is denied; in particular ops (metrics and health, no personal data) has
// no row here, and guard only reads its own record. hq-admin is city-wide
// everywhere; district-admin has full control of its districts' data.
// Police is the supervising authority: read-only, on every GET except the
// audit log (the issue gives that to admins; police oversight reads the
// data, not who of the association touched it). It is a function, not a
// package variable, so no caller can change the table at run time.
func rules() map[string]endpointRule {
	return map[string]endpointRule{
		// Admitting a member is the association's decision, not the applicant's.
		"register_company": {targetDistrict, map[auth.Role]auth.Scope{hq: anyS, da: districtS}},
		// The member directory carries other companies' contact persons and
		// phones: association-internal, so company-admin is denied (it reads
		// its own company with get_company); police supervises all companies.
		"list_companies": {targetDistrict, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS}},
		// A company-admin reads its own company only.
		"get_company": {targetCompanyID, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}},
		// A company-admin keeps its own contact, Party and union fields
		// current; name, licence, level and convention are the association's
		// records (enforced per field by companyAdminFields).
		"update_company": {targetCompanyID, map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}},
		// Status (admission, suspension, lapse) is the association's
		// decision, never the company's own.
		"change_company_status": {targetCompanyID, map[auth.Role]auth.Scope{hq: anyS, da: districtS}},
		// A company hires into its own company only.
		"hire_guard": {targetCompanyField, map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}},
		// A company sees its own guards; police reads any company's roster.
		"list_company_guards": {targetCompanyField, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}},
		// A CSV import is many hires: same scope as hire_guard.
		"start_guard_import": {targetCompanyField, map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}},
		// An import job's report belongs to the company it imported into.
		"get_import": {targetImportID, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}},
		// District-wide list: a company-admin must name its own company_id
		// (else 403, never a silently filtered list).
		"list_guards": {targetCompanyField, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}},
		// A guard reads their own record; a company-admin its own guards.
		"get_guard": {targetGuardID, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS, guard: selfS}},
		// The employer keeps its guards' records; a guard cannot edit their own.
		"update_guard": {targetGuardID, map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}},
		// The employer records a guard's leaving.
		"guard_leaves": {targetGuardID, map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}},
		// The employer records the training it gave; a guard cannot credit themselves hours.
		"record_training": {targetGuardID, map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}},
		// A guard reads their own training record.
		"list_trainings": {targetGuardID, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS, guard: selfS}},
		// The employer records the result of its guards' background checks.
		"record_background_check": {targetGuardID, map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}},
		// The employer records the certificate its guard was issued.
		"issue_certificate": {targetGuardID, map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}},
		// The council is the association's own governance.
		"appoint_council_member": {targetDistrict, map[auth.Role]auth.Scope{hq: anyS, da: districtS}},
		// Police may read who sits on the council (every GET but audit);
		// companies and guards have no business in the council roster here.
		"list_council_members": {targetDistrict, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS}},
		// The council is the association's own governance.
		"update_council_member": {targetDistrict, map[auth.Role]auth.Scope{hq: anyS, da: districtS}},
		// The audit log is for admins only (issue 3): police oversight
		// reads the data, not the association's internal trail.
		"list_audit": {targetDistrict, map[auth.Role]auth.Scope{hq: anyS, da: districtS}},
	}
}

// EndpointPrefix prefixes the membership endpoint names in the policy
// table: "membership.<route name>".
const EndpointPrefix = ServiceName + "."

// Policy returns the membership service's policy table, keyed
// "membership.<endpoint>" for every route (Routes), for the city-wide
// authorization matrix. The national ID number in guard responses is
// further masked per role (see the package's RevealIDNumber rules: full
// for hq-admin, police and the guard's own company-admin; masked for
// everyone else).
func Policy() auth.Policy {
	p := auth.Policy{}
	for name, r := range rules() {
		p[EndpointPrefix+name] = auth.Rule{Roles: r.roles}
	}
	return p
}

// Route is one HTTP route of the service, as the matrix tests walk them.
type Route struct {
	// Method is the HTTP method.
	Method string
	// Pattern is the full path pattern, e.g.
	// "/api/v1/districts/{district}/guards/{id}".
	Pattern string
	// Endpoint is the route's name in the policy table, e.g.
	// "membership.get_guard".
	Endpoint string
}

// Routes returns every route the handler serves.
func Routes() []Route {
	var out []Route
	for _, rt := range transport.Routes(endpoints.Set{}) {
		out = append(out, Route{Method: rt.Method, Pattern: transport.Prefix + rt.Path, Endpoint: EndpointPrefix + rt.Name})
	}
	return out
}

// ErrCompanyFieldForbidden means a company-admin tried to change a field of
// its own company that only the association may change.
var ErrCompanyFieldForbidden = errs.E(errs.Forbidden, "company.field_forbidden",
	"this field is kept by the association; ask your district group to change it")

// authorizer builds the auth middleware of each endpoint: it resolves the
// target (reading a guard's or import's company when the path names one)
// and enforces the policy table.
type authorizer struct {
	district string
	svc      *service.Membership
	logger   *slog.Logger
	policy   auth.Policy
	rules    map[string]endpointRule
}

func newAuthorizer(district string, svc *service.Membership, logger *slog.Logger) (*authorizer, error) {
	a := &authorizer{district: district, svc: svc, logger: logger, policy: Policy(), rules: rules()}
	// Every route must have a row: a route without one would be denied at
	// run time anyway, but a node that cannot serve a route is a build
	// mistake to catch at start, not in production traffic.
	for _, rt := range transport.Routes(endpoints.Set{}) {
		if _, ok := a.rules[rt.Name]; !ok {
			return nil, fmt.Errorf("membership: route %s %s (%s) has no policy row", rt.Method, rt.Path, rt.Name)
		}
	}
	if err := a.policy.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// middleware returns the authorization middleware of the named endpoint.
func (a *authorizer) middleware(name string) endpoint.Middleware {
	rule := a.rules[name] // a missing row gives target 0: district only, and Decide denies (no policy)
	check := auth.Middleware(a.policy, EndpointPrefix+name, func(ctx context.Context, req any) auth.Target {
		return a.target(ctx, rule.target, req)
	})
	if name == "update_company" {
		return func(next endpoint.Endpoint) endpoint.Endpoint { return check(companyAdminFields(next)) }
	}
	return check
}

// resourceIDer is what the decoded request of a /…/{id} route implements.
type resourceIDer interface{ ResourceID() string }

// companyOf returns the company a company-scoped request acts on: the
// path's {id} of hire/import/company guard list, the company_id filter of
// the district-wide guard list.
func companyOf(req any) string {
	switch r := req.(type) {
	case service.HireGuardInput:
		return r.CompanyID
	case service.StartImportInput:
		return r.CompanyID
	case endpoints.ListGuardsRequest:
		return r.Filter.CompanyID
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
	id := ""
	if r, ok := req.(resourceIDer); ok {
		id = r.ResourceID()
	}
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
// (regulatory facts the association verified at admission), level (the
// association's ranking) and convention version (which self-discipline
// convention the association recorded it as signing). Contact, Party and
// union fields stay the company's to keep current. Other roles pass.
func companyAdminFields(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		p, ok := auth.FromContext(ctx)
		if ok && p.Role == auth.RoleCompanyAdmin {
			if r, ok := request.(endpoints.UpdateRequest[service.UpdateCompanyInput]); ok {
				in := r.Input
				for _, f := range []struct {
					name string
					set  bool
				}{
					{"name", in.Name != nil}, {"licence_number", in.LicenceNumber != nil},
					{"level", in.Level != nil}, {"convention_version", in.ConventionVersion != nil},
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
