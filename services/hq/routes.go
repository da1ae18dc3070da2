package hq

import (
	"context"
	"net/http"
	"slices"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/policy"

	e "github.com/guildhall/guildhall/services/hq/internal/endpoints"
	"github.com/guildhall/guildhall/services/hq/internal/service"
	t "github.com/guildhall/guildhall/services/hq/internal/transport"
)

// ServiceName names HQ in endpoint middleware labels and policy rows
// ("hq.<route name>").
const ServiceName = "hq"

// routeTable is THE table of HQ: every route once, with its response type
// (the OpenAPI document is generated from it), its row of the policy table
// and where its authorization target comes from, its decoder and its
// endpoint. svc may be nil: the document generator and the tests read the
// table without a service, and nothing in a row is called until a request
// arrives.
//
// Every (role × route) cell is decided here on purpose; a role left out of
// a row is denied, and so is a route without a row, so a new route is
// closed until someone writes its row. HQ's views are of two kinds. The
// summary is a city-wide aggregate (counts and rates, freshness) with no
// record of any person or company in it; the district view, and the
// district list that is every district's view, are the same aggregate per
// district, scoped like the district's own data. The per-company rows name
// companies (business data of one district) and the conflicts name people
// by the keyed hash of their national ID number and the companies and guard
// records they hold in each district, which is personal data. The scopes
// below follow that line.
func routeTable(svc service.Service) []kitx.Route {
	districtParam := kitx.Param{Name: "district", In: "path", Description: "a district id: lower-case letters, digits and dashes, e.g. jingkai"}
	bad := service.ErrDistrictInvalid
	return []kitx.Route{
		{Name: e.NameSummary, Method: "GET", Path: "/api/v1/hq/summary", Tag: "hq",
			Summary:  "City-wide summary over every district in the read model",
			Response: service.Summary{}, Errors: []*errs.Error{readModel},
			Rule: rule(map[auth.Role]auth.Scope{
				// HQ's own view of the whole city.
				auth.RoleHQAdmin: auth.ScopeAny,
				// "Read HQ summaries" (API.md): a city-wide aggregate with
				// no personal data, so a district's vice-president may
				// compare their district with the city.
				auth.RoleDistrictAdmin: auth.ScopeAny,
				// Read-only oversight; the aggregate tells a district-scoped
				// police office nothing about any person or company.
				auth.RolePolice: auth.ScopeAny,
				// Freshness and counts are what ops watches; no personal data.
				auth.RoleOps: auth.ScopeAny,
				// company-admin, guard: denied. They have no oversight role
				// and their own data is in their district's API.
			}),
			Decode: t.DecodeEmpty(e.SummaryRequest{}), Endpoint: e.MakeSummaryEndpoint(svc)},
		{Name: e.NameDistricts, Method: "GET", Path: "/api/v1/hq/districts", Tag: "hq",
			Summary: "One item per registered district, with its freshness; or ?district=<id>, that district's item alone",
			Params: []kitx.Param{kitx.Query("district", "only this district's item (the view of /api/v1/hq/districts/{district}); "+
				"a district-scoped caller must give one of its districts")},
			Response: kitx.ItemsResponse[service.DistrictView]{},
			Errors:   []*errs.Error{bad, t.ErrDistrictFilterEmpty, t.ErrDistrictFilterRepeated, service.ErrDistrictNotFound, readModel},
			Rule: rule(map[auth.Role]auth.Scope{
				// The list is every district's view, so it is open exactly
				// as the district view is (hq.district below): before issue
				// 9 a district-admin read every district here while
				// /hq/districts/{other} was 403, two answers to one
				// question. City-wide callers read the whole list.
				auth.RoleHQAdmin: auth.ScopeAny,
				// Only ?district=<own>: its own district's item. Without
				// ?district the target has no district and a scoped caller
				// is refused (403), never handed a silently filtered list
				// (the conflicts row's rule); the city-wide figures are the
				// summary's.
				auth.RoleDistrictAdmin: auth.ScopeDistrict,
				// City-wide police the whole list; a district's police
				// office, like a district-admin, ?district=<one of theirs>.
				auth.RolePolice: auth.ScopeDistrict,
				// Which district is stale or behind is an operational
				// question; aggregates only, no personal data.
				auth.RoleOps: auth.ScopeAny,
			}),
			Target: districtOf, Decode: t.DecodeDistrictsRequest, Endpoint: e.MakeDistrictsEndpoint(svc)},
		{Name: e.NameDistrict, Method: "GET", Path: "/api/v1/hq/districts/{district}", Tag: "hq",
			Summary: "One district, registered or present in the read model", Params: []kitx.Param{districtParam},
			Response: service.DistrictView{}, Errors: []*errs.Error{bad, service.ErrDistrictNotFound, readModel},
			Rule: rule(map[auth.Role]auth.Scope{
				auth.RoleHQAdmin: auth.ScopeAny,
				// One district's own view is for its own admins; another
				// district's is 403, not an empty body (and so is the list,
				// hq.districts, without ?district=<own>).
				auth.RoleDistrictAdmin: auth.ScopeDistrict,
				// City-wide police or the police office of this district.
				auth.RolePolice: auth.ScopeDistrict,
				// An aggregate with the consumer's freshness: what ops needs
				// to diagnose one stale district. No personal data.
				auth.RoleOps: auth.ScopeAny,
			}),
			Target: districtOf, Decode: t.DecodeDistrictRequest, Endpoint: e.MakeDistrictEndpoint(svc)},
		{Name: e.NameCompanies, Method: "GET", Path: "/api/v1/hq/districts/{district}/companies", Tag: "hq",
			Summary: "A district's companies with their active guards' tallies, in id order", Params: []kitx.Param{districtParam},
			Response: kitx.ListResponse[service.CompanyRow]{}, Paged: true, Errors: []*errs.Error{bad, service.ErrDistrictNotFound, readModel},
			Rule: rule(map[auth.Role]auth.Scope{
				auth.RoleHQAdmin: auth.ScopeAny,
				// Per-company rows are the district's business data: its own
				// admins only.
				auth.RoleDistrictAdmin: auth.ScopeDistrict,
				// Supervising the companies is the police office's job,
				// within its districts.
				auth.RolePolice: auth.ScopeDistrict,
				// ops: denied; company names and credit codes are not
				// metrics. company-admin: denied even for its own district,
				// since the rows show its competitors.
			}),
			Target: districtOf, Decode: t.DecodeCompaniesRequest, Endpoint: e.MakeCompaniesEndpoint(svc)},
		{Name: e.NameConflicts, Method: "GET", Path: "/api/v1/hq/conflicts", Tag: "hq",
			Summary: "Conflicts only HQ can see: one person active as a guard in two districts, one credit code registered in two, " +
				"one guard certificate number in two districts or held by two people; all of them, or those involving ?district",
			Description: "Each conflict has its kind, the districts, and the records involved with their company names and links " +
				"(the API paths of the district records). Guard names are not sent to HQ (personal data stays in the district): a " +
				"caller allowed to read the record there follows its link. first_seen_at is when HQ first saw the conflict.",
			Params: []kitx.Param{kitx.Query("district", "only the conflicts involving this district; the positions in other "+
				"districts are then reduced to their district (and a guard's active_since): their companies, records, names and "+
				"links are the other district's data")},
			Response: kitx.ItemsResponse[service.Conflict]{},
			Errors:   []*errs.Error{bad, t.ErrDistrictFilterEmpty, t.ErrDistrictFilterRepeated, service.ErrDistrictNotFound, readModel},
			Rule: rule(map[auth.Role]auth.Scope{
				// The whole list, or one district's part of it.
				auth.RoleHQAdmin: auth.ScopeAny,
				// Only ?district=<own>: the conflicts involving its
				// district, where the positions in other districts are
				// reduced to the district and since when
				// (service.RedactOutside), so it learns that one of its
				// guards also works elsewhere without learning the other
				// district's companies or records. Without ?district the
				// target has no district and a scoped caller is refused
				// (403), never handed a silently filtered list.
				auth.RoleDistrictAdmin: auth.ScopeDistrict,
				// City-wide police see the whole list; district-scoped
				// police, like a district-admin, only ?district=<one of
				// theirs>.
				auth.RolePolice: auth.ScopeDistrict,
				// ops: denied; id hashes identify people, and ops has no
				// personal data. company-admin, guard: denied.
			}),
			Target: districtOf, Decode: t.DecodeConflictsRequest, Endpoint: e.MakeConflictsEndpoint(svc)},
		{Name: e.NameActionItems, Method: "GET", Path: "/api/v1/hq/districts/{district}/action-items", Tag: "hq",
			Summary: "A district's action items (all, or ?overdue=true only the overdue ones), in id order",
			Params: []kitx.Param{districtParam, {Name: "overdue", In: "query", Type: "boolean",
				Description: "true: only open items due before today (Asia/Shanghai); false or absent: every item"}},
			Response: kitx.ListResponse[service.ActionItemRow]{}, Paged: true,
			Errors: []*errs.Error{bad, t.ErrOverdueInvalid, service.ErrDistrictNotFound, readModel},
			Rule: rule(map[auth.Role]auth.Scope{
				// HQ follows every district's resolutions up ("HQ can see").
				auth.RoleHQAdmin: auth.ScopeAny,
				// The district lead accepts its district's items and chases
				// the overdue ones; another district's list is 403.
				auth.RoleDistrictAdmin: auth.ScopeDistrict,
				// Read-only oversight: the police officers' requirements at
				// a meeting become action items; city-wide police any
				// district, a district's police office its own.
				auth.RolePolice: auth.ScopeDistrict,
				// ops: denied; the items name companies and people and are
				// no metric (the overdue count is, on /metrics).
				// company-admin: denied even for its own district, since the
				// list shows the other companies' items. guard: denied.
			}),
			Target: districtOf, Decode: t.DecodeActionItemsRequest, Endpoint: e.MakeActionItemsEndpoint(svc)},
		// The city view's drill-downs (issues 10, 11, 12) are scoped like
		// the companies: they name the district's companies (and notices'
		// titles), which is the district's business data, so ops, whose
		// district view keeps the aggregates, has none of them.
		{Name: e.NameCompliance, Method: "GET", Path: "/api/v1/hq/districts/{district}/compliance", Tag: "city",
			Summary: "A district's compliance as its compliance service reports it, with a row per company",
			Description: "The four-100% rates (the compliance service's policy) with the district's daily trend, hazard inspections " +
				"and findings, disputes by status, this month's two-four-one coverage, the newest ratings and the timeliness of " +
				"each obligation (inspection, four_one, roundtable) from compliance's ObligationCompleted/Missed, over the newest " +
				"period whose deadline passed. A company row exists for each company HQ knows of the district; each section says " +
				"whether it was reported (null is not 0).",
			Params: []kitx.Param{districtParam}, Response: service.ComplianceView{},
			Errors: []*errs.Error{bad, service.ErrDistrictNotFound, readModel},
			Rule: rule(map[auth.Role]auth.Scope{
				auth.RoleHQAdmin: auth.ScopeAny,
				// The district lead follows its own companies up; another
				// district's rows are 403.
				auth.RoleDistrictAdmin: auth.ScopeDistrict,
				// Read-only oversight: the police judge the association on
				// the four 100%; city-wide or their own districts.
				auth.RolePolice: auth.ScopeDistrict,
				// ops, company-admin, guard: denied (company rows; a
				// company would see its competitors' ratings).
			}),
			Target: districtOf, Decode: t.DecodeComplianceRequest, Endpoint: e.MakeComplianceEndpoint(svc)},
		{Name: e.NamePatrols, Method: "GET", Path: "/api/v1/hq/districts/{district}/patrols", Tag: "city",
			Summary: "A district's patrols: volunteer strength, shifts, patrol hours, missed tours, incidents, dispatch response, " +
				"with each company's volunteers",
			Params: []kitx.Param{districtParam}, Response: service.PatrolsView{},
			Errors: []*errs.Error{bad, service.ErrDistrictNotFound, readModel},
			Rule: rule(map[auth.Role]auth.Scope{
				auth.RoleHQAdmin:       auth.ScopeAny,
				auth.RoleDistrictAdmin: auth.ScopeDistrict,
				// Police–security linkage (警保联动) is the police's own
				// business: they read the response times, city-wide or of
				// their districts.
				auth.RolePolice: auth.ScopeDistrict,
				// ops, company-admin, guard: denied (company rows).
			}),
			Target: districtOf, Decode: t.DecodePatrolsRequest, Endpoint: e.MakePatrolsEndpoint(svc)},
		{Name: e.NameNotices, Method: "GET", Path: "/api/v1/hq/districts/{district}/notices", Tag: "city",
			Summary: "A district's notices with their acknowledgement counts, in id order",
			Description: "Each notice of the district node (its own, the police office's and the HQ directives it materialised) " +
				"with recipients, read and acknowledged of its current revision. The per-district delivery of HQ directives " +
				"(pending at node, receipts flowing) is the HQ-role messaging instance's view, " + service.DirectivesLink + ".",
			Params: []kitx.Param{districtParam}, Response: kitx.ListResponse[service.NoticeRow]{}, Paged: true,
			Errors: []*errs.Error{bad, service.ErrDistrictNotFound, readModel},
			Rule: rule(map[auth.Role]auth.Scope{
				auth.RoleHQAdmin: auth.ScopeAny,
				// The district lead chases its companies' acknowledgements.
				auth.RoleDistrictAdmin: auth.ScopeDistrict,
				// The police office sends notices itself and follows them.
				auth.RolePolice: auth.ScopeDistrict,
				// ops, company-admin, guard: denied (notice titles are
				// business content, not metrics).
			}),
			Target: districtOf, Decode: t.DecodeNoticesRequest, Endpoint: e.MakeNoticesEndpoint(svc)},
		// The convention is city-wide policy with no district, company or
		// person in it, so every allowed role has ScopeAny: a district
		// scope could never match (the request has no district) and would
		// lock out exactly the scoped callers who must read it.
		{Name: e.NameUnvisited, Method: "GET", Path: "/api/v1/hq/districts/{district}/field-visits/unvisited", Tag: "city",
			Summary: "A district's active companies not visited for the city-wide visit plan's months (片区负责人下沉调研)",
			Description: "As the district's meetings service lists them (/field-visits/unvisited), from the FieldVisitRecorded " +
				"events and the companies HQ holds as active: a company's clock starts at its last visit or, never visited, the " +
				"day it became active. The count is field_visits.unvisited of the district view.",
			Params: []kitx.Param{districtParam}, Response: service.UnvisitedView{},
			Errors: []*errs.Error{bad, service.ErrDistrictNotFound, readModel},
			Rule: rule(map[auth.Role]auth.Scope{
				auth.RoleHQAdmin: auth.ScopeAny,
				// The district lead plans the visits of its districts.
				auth.RoleDistrictAdmin: auth.ScopeDistrict,
				// Police read-only, of their districts: the meetings
				// service's own list admits them too (supervisors).
				auth.RolePolice: auth.ScopeDistrict,
				// ops (no company rows), company-admin, guard: denied, as
				// on the district's own list.
			}),
			Target: districtOf, Decode: t.DecodeUnvisitedRequest, Endpoint: e.MakeUnvisitedEndpoint(svc)},
		{Name: e.NameConvention, Method: "GET", Path: "/api/v1/hq/convention", Tag: "convention",
			Summary:  "The association's current self-discipline convention (《行业自律公约》), as every district's meetings service sees it",
			Response: service.Convention{},
			Errors:   []*errs.Error{service.ErrConventionNotPublished, service.ErrConventionStoredInvalid, service.ErrConventionUnavailable},
			Rule: rule(map[auth.Role]auth.Scope{
				// HQ publishes it and follows the signature rate.
				auth.RoleHQAdmin: auth.ScopeAny,
				// The district lead runs the signing at the district's
				// meetings and must present the current wording.
				auth.RoleDistrictAdmin: auth.ScopeAny,
				// A company signs it: its head must read what they sign.
				auth.RoleCompanyAdmin: auth.ScopeAny,
				// The police oversee the industry's self-discipline and
				// state requirements against it at the meetings.
				auth.RolePolice: auth.ScopeAny,
				// guard: denied. Guards do not sign (their company does)
				// and HQ's API is no guard-facing channel; the company
				// passes the convention on. ops: denied; policy text is no
				// operational signal, and ops sees that the key is watched
				// on /metrics.
			}),
			Decode: t.DecodeEmpty(e.ConventionRequest{}), Endpoint: e.MakeConventionEndpoint(svc)},
		{Name: e.NamePublishConvention, Method: "PUT", Path: "/api/v1/hq/convention", Tag: "convention",
			Summary: "Publish a version of the self-discipline convention; it becomes the current one city-wide",
			Description: "Every district's meetings node and HQ's signature rate follow it without a restart. The publication time is " +
				"the server's. Re-submitting the current version unchanged writes nothing and answers it. The body is read only " +
				"after the caller is allowed to publish.",
			Request: service.ConventionDraft{}, Response: service.Convention{},
			Errors: []*errs.Error{service.ErrConventionVersionRequired, service.ErrConventionVersionInvalid, service.ErrConventionTitleRequired,
				service.ErrConventionTitleTooLong, service.ErrConventionTextRequired, service.ErrConventionTextTooLong,
				service.ErrConventionVersionExists, service.ErrConventionNotNewer, service.ErrConventionUnavailable},
			Rule: rule(map[auth.Role]auth.Scope{
				// Only the association (HQ) publishes the convention: it is
				// city-wide policy that every district's signing campaign
				// and signature rate follow at once, so no district,
				// company, police office or operator may change it. A
				// publication is logged (subject, role, version), HQ having
				// no audit table.
				auth.RoleHQAdmin: auth.ScopeAny,
			}),
			Decode: t.DecodePublishConventionRequest, Endpoint: e.MakePublishConventionEndpoint(svc)},
	}
}

// readModel is the error of a read model that cannot be read (a 500).
var readModel = service.ErrReadModel

// rule is a policy row. The rows are built fresh for every table, so no
// caller can change another's at run time.
func rule(roles map[auth.Role]auth.Scope) auth.Rule { return auth.Rule{Roles: roles} }

// districtOf is the authorization target of the routes that name a
// district: the path's (district, companies, action items) or the
// ?district filter's (districts, conflicts; absent: the city-wide list,
// which only city-wide callers may read).
func districtOf(_ context.Context, req any) auth.Target {
	switch r := req.(type) {
	case e.DistrictsRequest:
		return auth.Target{District: r.District}
	case e.DistrictRequest:
		return auth.Target{District: r.District}
	case e.CompaniesRequest:
		return auth.Target{District: r.District}
	case e.ConflictsRequest:
		return auth.Target{District: r.District}
	case e.ActionItemsRequest:
		return auth.Target{District: r.District}
	case e.ComplianceRequest:
		return auth.Target{District: r.District}
	case e.PatrolsRequest:
		return auth.Target{District: r.District}
	case e.NoticesRequest:
		return auth.Target{District: r.District}
	case e.UnvisitedRequest:
		return auth.Target{District: r.District}
	}
	return auth.Target{}
}

// NewHandler returns HQ's HTTP handler over svc (the node's service, or a
// test's): the route table chained (authorization inside instrument, which
// may be nil) and mounted. The host must run auth.Authenticate in front of
// it.
func NewHandler(svc service.Service, instrument func(service, endpoint string) endpoint.Middleware) (http.Handler, error) {
	routes, err := kitx.Chain(ServiceName, routeTable(svc), instrument)
	if err != nil {
		return nil, err
	}
	return t.NewHTTPHandler(routes), nil
}

// API describes HQ for its OpenAPI document (pkg/apidoc): the route table,
// read without a service.
func API() kitx.API {
	return kitx.API{
		Service: ServiceName, Title: "Guildhall HQ", Version: "v1",
		Description: "The association HQ's city-wide read model, built only from the districts' membership, meetings, compliance, " +
			"patrols and messaging events (gh.<district>.membership.v1, gh.<district>.meetings.v1, gh.<district>.compliance.v1, " +
			"gh.<district>.patrols.v1, gh.<district>.messaging.v1), with each district's freshness. The token's role and " +
			"district claims decide what the caller may read; company-admin and guard have no HQ view.",
		Tags: []kitx.Tag{
			{Name: "hq", Description: "The city-wide read model"},
			{Name: "convention", Description: "The association's self-discipline convention, city-wide policy"},
			{Name: "city", Description: "The city view's drill-downs of the districts' compliance, patrols and messaging events"},
		},
		Routes: routeTable(nil),
		Enums:  []kitx.Enum{{Type: policy.Period(""), Values: policy.PeriodNames()}},
	}
}

// OpenAPIDocument returns HQ's OpenAPI 3 document (a copy).
func OpenAPIDocument() []byte { return slices.Clone(openAPI) }
