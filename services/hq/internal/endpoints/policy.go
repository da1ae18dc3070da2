package endpoints

import (
	"context"

	"github.com/guildhall/guildhall/pkg/auth"
)

// The endpoint names of HQ, as given to the endpoint middleware; the policy
// row of each is ServiceName + "." + name (e.g. "hq.summary").
const (
	NameSummary   = "summary"
	NameDistricts = "districts"
	NameDistrict  = "district"
	NameCompanies = "companies"
	NameConflicts = "conflicts"
	// NameActionItems lists a district's action items (岗位责任清单).
	NameActionItems = "action_items"
	// NameConvention reads the current self-discipline convention (《行业自律公约》).
	NameConvention = "convention"
	// NamePublishConvention publishes a new convention version.
	NamePublishConvention = "publish_convention"
)

// Names lists every endpoint of the Set, in the order of New.
var Names = []string{NameSummary, NameDistricts, NameDistrict, NameCompanies, NameConflicts, NameActionItems,
	NameConvention, NamePublishConvention}

// PolicyName returns the policy row of the endpoint called name.
func PolicyName(name string) string { return ServiceName + "." + name }

// Policy returns HQ's rows of the policy table. Every (role × endpoint) cell
// is decided here on purpose; a role left out of a row is denied, and so is
// an endpoint without a row (auth.ErrNoPolicy), so a new endpoint is closed
// until someone writes its row.
//
// HQ's views are of two kinds. The summary and the district list are
// aggregates (counts and rates, freshness) with no record of any person or
// company in them; the district view is the same aggregate for one district.
// The per-company rows name companies (business data of one district) and
// the conflicts name people by the keyed hash of their national ID number
// and the companies and guard records they hold in each district, which is
// personal data. The scopes below follow that line.
func Policy() auth.Policy {
	return auth.Policy{
		PolicyName(NameSummary): {Roles: map[auth.Role]auth.Scope{
			// HQ's own view of the whole city.
			auth.RoleHQAdmin: auth.ScopeAny,
			// "Read HQ summaries" (API.md): a city-wide aggregate with no
			// personal data, so a district's vice-president may compare
			// their district with the city.
			auth.RoleDistrictAdmin: auth.ScopeAny,
			// Read-only oversight; the aggregate tells a district-scoped
			// police office nothing about any person or company.
			auth.RolePolice: auth.ScopeAny,
			// Freshness and counts are what ops watches; no personal data.
			auth.RoleOps: auth.ScopeAny,
			// company-admin, guard: denied. They have no oversight role and
			// their own data is in their district's API.
		}},
		PolicyName(NameDistricts): {Roles: map[auth.Role]auth.Scope{
			// Same reasoning as the summary: one aggregate row per district
			// (counts, rates, freshness), no person, no company.
			auth.RoleHQAdmin:       auth.ScopeAny,
			auth.RoleDistrictAdmin: auth.ScopeAny,
			auth.RolePolice:        auth.ScopeAny,
			// Which district is stale or behind is an operational question.
			auth.RoleOps: auth.ScopeAny,
		}},
		PolicyName(NameDistrict): {Roles: map[auth.Role]auth.Scope{
			auth.RoleHQAdmin: auth.ScopeAny,
			// One district's own view is for its own admins; another
			// district's is 403, not an empty body (the districts list
			// already gives everyone the headline numbers).
			auth.RoleDistrictAdmin: auth.ScopeDistrict,
			// City-wide police or the police office of this district.
			auth.RolePolice: auth.ScopeDistrict,
			// An aggregate with the consumer's freshness: what ops needs to
			// diagnose one stale district. No personal data.
			auth.RoleOps: auth.ScopeAny,
		}},
		PolicyName(NameCompanies): {Roles: map[auth.Role]auth.Scope{
			auth.RoleHQAdmin: auth.ScopeAny,
			// Per-company rows are the district's business data: its own
			// admins only.
			auth.RoleDistrictAdmin: auth.ScopeDistrict,
			// Supervising the companies is the police office's job, within
			// its districts.
			auth.RolePolice: auth.ScopeDistrict,
			// ops: denied; company names and credit codes are not metrics.
			// company-admin: denied even for its own district, since the
			// rows show its competitors.
		}},
		PolicyName(NameConflicts): {Roles: map[auth.Role]auth.Scope{
			// The whole list, or one district's part of it.
			auth.RoleHQAdmin: auth.ScopeAny,
			// Only ?district=<own>: the conflicts involving its district,
			// where the positions in other districts are reduced to the
			// district and since when (service.RedactOutside), so it
			// learns that one of its guards also works elsewhere without
			// learning the other district's companies or records. Without
			// ?district the target has no district and a scoped caller is
			// refused (403), never handed a silently filtered list.
			auth.RoleDistrictAdmin: auth.ScopeDistrict,
			// City-wide police see the whole list; district-scoped police,
			// like a district-admin, only ?district=<one of theirs>.
			auth.RolePolice: auth.ScopeDistrict,
			// ops: denied; id hashes identify people, and ops has no
			// personal data. company-admin, guard: denied.
		}},
		PolicyName(NameActionItems): {Roles: map[auth.Role]auth.Scope{
			// HQ follows every district's resolutions up ("HQ can see").
			auth.RoleHQAdmin: auth.ScopeAny,
			// The district lead accepts its district's items and chases
			// the overdue ones; another district's list is 403.
			auth.RoleDistrictAdmin: auth.ScopeDistrict,
			// Read-only oversight: the police officers' requirements at a
			// meeting become action items; city-wide police any district,
			// a district's police office its own.
			auth.RolePolice: auth.ScopeDistrict,
			// ops: denied; the items name companies and people and are no
			// metric (the overdue count is, on /metrics). company-admin:
			// denied even for its own district, since the list shows the
			// other companies' items. guard: denied.
		}},
		// The convention is city-wide policy with no district, company or
		// person in it, so every allowed role has ScopeAny: a district
		// scope could never match (the request has no district) and would
		// lock out exactly the scoped callers who must read it.
		PolicyName(NameConvention): {Roles: map[auth.Role]auth.Scope{
			// HQ publishes it and follows the signature rate.
			auth.RoleHQAdmin: auth.ScopeAny,
			// The district lead runs the signing at the district's
			// meetings and must present the current wording.
			auth.RoleDistrictAdmin: auth.ScopeAny,
			// A company signs it: its head must read what they sign.
			auth.RoleCompanyAdmin: auth.ScopeAny,
			// The police oversee the industry's self-discipline and state
			// requirements against it at the meetings.
			auth.RolePolice: auth.ScopeAny,
			// guard: denied. Guards do not sign (their company does) and
			// HQ's API is no guard-facing channel; the company passes the
			// convention on. ops: denied; policy text is no operational
			// signal, and ops sees that the key is watched on /metrics.
		}},
		PolicyName(NamePublishConvention): {Roles: map[auth.Role]auth.Scope{
			// Only the association (HQ) publishes the convention: it is
			// city-wide policy that every district's signing campaign and
			// signature rate follow at once, so no district, company,
			// police office or operator may change it. A publication is
			// logged (subject, role, version), HQ having no audit table.
			auth.RoleHQAdmin: auth.ScopeAny,
		}},
	}
}

// target returns the function that tells the auth middleware what a
// request of the endpoint called name acts on: the district of the path
// (district, companies) or of the ?district filter (conflicts); nil for the
// city-wide endpoints, whose rows only use ScopeAny.
func target(name string) func(context.Context, any) auth.Target {
	switch name {
	case NameDistrict:
		return func(_ context.Context, req any) auth.Target {
			r, _ := req.(DistrictRequest)
			return auth.Target{District: r.District}
		}
	case NameCompanies:
		return func(_ context.Context, req any) auth.Target {
			r, _ := req.(CompaniesRequest)
			return auth.Target{District: r.District}
		}
	case NameConflicts:
		return func(_ context.Context, req any) auth.Target {
			r, _ := req.(ConflictsRequest)
			return auth.Target{District: r.District}
		}
	case NameActionItems:
		return func(_ context.Context, req any) auth.Target {
			r, _ := req.(ActionItemsRequest)
			return auth.Target{District: r.District}
		}
	}
	return nil
}

// Target returns what request (a decoded request of the endpoint called
// name) acts on, as the auth middleware sees it; matrix tests use it to ask
// Policy().Decide the same question the middleware asks.
func Target(ctx context.Context, name string, request any) auth.Target {
	if f := target(name); f != nil {
		return f(ctx, request)
	}
	return auth.Target{}
}
