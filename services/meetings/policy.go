package meetings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/services/meetings/internal/endpoints"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
	"github.com/guildhall/guildhall/services/meetings/internal/transport"
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

	anyS      = auth.ScopeAny
	districtS = auth.ScopeDistrict
	companyS  = auth.ScopeCompany
)

// admins run meetings: HQ city-wide, a district-admin in its districts.
func admins() map[auth.Role]auth.Scope { return map[auth.Role]auth.Scope{hq: anyS, da: districtS} }

// readers read the district's meetings: admins, police (the supervising
// authority, read-only) and the district's company-admins.
func readers() map[auth.Role]auth.Scope {
	return map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: districtS}
}

// supervisors read what is the association's and the police's business but
// not the member companies' (other companies' attendance, the rates).
func supervisors() map[auth.Role]auth.Scope {
	return map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS}
}

// rules is THE authorization table of the meetings service: one row per
// route of transport.Routes. A role not named is denied; guard and ops have
// no row anywhere (meetings are the association's and its members'
// business). hq-admin is city-wide; district-admin runs its districts'
// meetings and accepts action items; police reads within its scope and
// checks itself in; a company-admin reads its district's meetings, checks
// in its own invitation, signs the convention for its own company and marks
// its own action items done. A function, not a variable, so no caller can
// change the table at run time.
func rules() map[string]endpointRule {
	return map[string]endpointRule{
		"create_meeting":        {targetDistrict, admins()},
		"list_meetings":         {targetDistrict, readers()},
		"get_meeting":           {targetDistrict, readers()},
		"update_meeting":        {targetDistrict, admins()},
		"change_meeting_status": {targetDistrict, admins()},
		"add_agenda_item":       {targetDistrict, admins()},
		"list_agenda":           {targetDistrict, readers()},
		"reorder_agenda":        {targetDistrict, admins()},
		"invite":                {targetDistrict, admins()},
		// Who else was invited (and whether they came) is the association's
		// and the police's, not a competitor's.
		"list_invitations":  {targetDistrict, supervisors()},
		"record_attendance": {targetDistrict, admins()},
		// A company-admin checks in only the invitation its code opens for
		// its own company; police (a person invitation) within its scope.
		"check_in":           {targetCheckInCode, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}},
		"meeting_attendance": {targetDistrict, supervisors()},
		// A company sees its own attendance record.
		"company_attendance":  {targetCompanyPath, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}},
		"add_minute_entry":    {targetDistrict, admins()},
		"update_minute_entry": {targetDistrict, admins()},
		"delete_minute_entry": {targetDistrict, admins()},
		"publish_minutes":     {targetDistrict, admins()},
		"get_minutes":         {targetDistrict, readers()},
		"adopt_resolution":    {targetDistrict, admins()},
		"list_resolutions":    {targetDistrict, readers()},
		"get_resolution":      {targetDistrict, readers()},
		// A company-admin lists its own action items (owner_company_id
		// must be its company: a 403, never a silently filtered list).
		"list_action_items": {targetCompanyField, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}},
		"get_action_item":   {targetActionItem, map[auth.Role]auth.Scope{hq: anyS, da: districtS, police: districtS, ca: companyS}},
		// A company-admin marks its own item done; accepting or reopening
		// is the district lead's (enforced in the service:
		// action_item.accept_forbidden).
		"change_action_item_status": {targetActionItem, map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}},
		"get_convention":            {targetDistrict, readers()},
		// A company-admin signs for its own company only.
		"sign_convention":    {targetCompanyField, map[auth.Role]auth.Scope{hq: anyS, da: districtS, ca: companyS}},
		"list_signatures":    {targetDistrict, supervisors()},
		"signature_rate":     {targetDistrict, supervisors()},
		"roundtable_cadence": {targetDistrict, supervisors()},
		// The audit log is for admins only (issue 3).
		"list_audit": {targetDistrict, admins()},
	}
}

// EndpointPrefix prefixes the meetings endpoint names in the policy table:
// "meetings.<route name>".
const EndpointPrefix = ServiceName + "."

// Policy returns the meetings service's policy table, keyed
// "meetings.<endpoint>" for every route (Routes).
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
	// "/api/v1/districts/{district}/meetings/{id}".
	Pattern string
	// Endpoint is the route's name in the policy table, e.g.
	// "meetings.get_meeting".
	Endpoint string
}

// Routes returns every route the handler serves.
func Routes() []Route {
	var out []Route
	for _, rt := range transport.Routes(nil) {
		out = append(out, Route{Method: rt.Method, Pattern: transport.Prefix + rt.Path, Endpoint: EndpointPrefix + rt.Name})
	}
	return out
}

// authorizer builds the auth middleware of each endpoint.
type authorizer struct {
	district string
	svc      *service.Meetings
	logger   *slog.Logger
	policy   auth.Policy
	rules    map[string]endpointRule
}

func newAuthorizer(district string, svc *service.Meetings, logger *slog.Logger) (*authorizer, error) {
	a := &authorizer{district: district, svc: svc, logger: logger, policy: Policy(), rules: rules()}
	// Every route must have a row: a missing one is a build mistake to
	// catch at start, not in production traffic.
	for _, rt := range transport.Routes(nil) {
		if _, ok := a.rules[rt.Name]; !ok {
			return nil, fmt.Errorf("meetings: route %s %s (%s) has no policy row", rt.Method, rt.Path, rt.Name)
		}
	}
	if err := a.policy.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// middleware returns the authorization middleware of the named endpoint.
func (a *authorizer) middleware(name string) endpoint.Middleware {
	rule := a.rules[name]
	return auth.Middleware(a.policy, EndpointPrefix+name, func(ctx context.Context, req any) auth.Target {
		return a.target(ctx, rule.target, req)
	})
}

// resourceIDer is what the decoded request of a /…/{id} route implements.
type resourceIDer interface{ ResourceID() string }

// target resolves what req acts on. A code or id that opens nothing leaves
// the company empty, which no scoped caller matches: a company-admin gets
// the same 403 whether the code is wrong or another company's, so the
// answer reveals nothing; admins go on to the service's own error.
func (a *authorizer) target(ctx context.Context, kind targetKind, req any) auth.Target {
	t := auth.Target{District: a.district}
	id := ""
	if r, ok := req.(resourceIDer); ok {
		id = r.ResourceID()
	}
	var err error
	switch kind {
	case targetCompanyPath:
		t.Company = id
	case targetCompanyField:
		switch r := req.(type) {
		case service.SignInput:
			t.Company = r.CompanyID
		case endpoints.ListRequest[service.ActionItemFilter]:
			t.Company = r.Filter.OwnerCompanyID
		}
	case targetCheckInCode:
		if r, ok := req.(endpoints.ActionRequest[service.CheckInInput]); ok && r.Input.Code != "" {
			t.Company, err = a.svc.InvitationCompany(ctx, id, r.Input.Code)
		}
	case targetActionItem:
		t.Company, err = a.svc.ActionItemCompany(ctx, id)
	}
	if err != nil && !errs.IsKind(err, errs.NotFound) && !errors.Is(err, context.Canceled) {
		a.logger.ErrorContext(ctx, "meetings: resolve authorization target", "kind", int(kind), "err", err)
	}
	return t
}
