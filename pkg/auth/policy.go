package auth

import (
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Scope says how a role's scope must match the request's target for a rule
// to allow it. The zero value denies, so a half-written row fails closed.
type Scope int

// The scopes of a policy row.
const (
	// ScopeDeny denies the role (the same as leaving it out).
	ScopeDeny Scope = iota
	// ScopeAny allows the role city-wide, whatever the target.
	ScopeAny
	// ScopeDistrict allows when the target's district is in the caller's
	// districts (hq-admin, ops and police without districts are city-wide).
	ScopeDistrict
	// ScopeCompany allows when the district matches and the target's
	// company is the caller's company.
	ScopeCompany
	// ScopeSelf allows a guard on their own record: the district matches,
	// the target's guard is the caller's guard, and the target's company,
	// when the request names one, is the caller's company.
	ScopeSelf
)

var scopeNames = map[Scope]string{
	ScopeDeny:     "deny",
	ScopeAny:      "any",
	ScopeDistrict: "district",
	ScopeCompany:  "company",
	ScopeSelf:     "self",
}

// String returns the scope's name.
func (s Scope) String() string {
	if n, ok := scopeNames[s]; ok {
		return n
	}
	return fmt.Sprintf("scope(%d)", int(s))
}

// Rule is one row of the policy table: the scope each allowed role has on
// the endpoint. A role not in Roles is denied.
type Rule struct {
	Roles map[Role]Scope
}

// Policy is THE policy table: one Rule per endpoint, keyed
// "service.endpoint" (e.g. "membership.hire_guard"). Every service checks
// its endpoints against it through Middleware; an endpoint without a row is
// denied, so forgetting a row fails closed.
type Policy map[string]Rule

// Target is what a request acts on, as the service's transport knows it
// (path parameters, or the stored resource's owner): the district, the
// company and the guard. Empty fields are unknown, and never match a scoped
// caller.
type Target struct {
	District, Company, Guard string
}

// Decide returns nil if pr may call endpoint on target, ErrNoPolicy when the
// endpoint has no row, and ErrForbidden otherwise (cross-district included:
// the caller gets a 403, never a silently empty answer).
func (p Policy) Decide(pr Principal, endpoint string, target Target) error {
	rule, ok := p[endpoint]
	if !ok {
		return ErrNoPolicy.Wrap(fmt.Errorf("auth: no policy row for %q", endpoint))
	}
	scope := rule.Roles[pr.Role]
	if scope.allows(pr, target) {
		return nil
	}
	return ErrForbidden.Wrap(fmt.Errorf("auth: %s (%s scope) may not call %q on %+v", pr.Role, scope, endpoint, target))
}

func (s Scope) allows(pr Principal, t Target) bool {
	switch s {
	case ScopeAny:
		return true
	case ScopeDistrict:
		return inDistrict(pr, t.District)
	case ScopeCompany:
		return inDistrict(pr, t.District) && t.Company != "" && t.Company == pr.Company
	case ScopeSelf:
		return inDistrict(pr, t.District) && t.Guard != "" && t.Guard == pr.Guard &&
			(t.Company == "" || t.Company == pr.Company)
	default:
		return false
	}
}

// inDistrict is Principal.InDistrict, except that an unknown (empty) target
// district only matches city-wide callers: a scoped caller must be shown to
// be in the district, not merely not shown to be outside it.
func inDistrict(pr Principal, d string) bool {
	if d == "" {
		return cityWide(pr)
	}
	return pr.InDistrict(d)
}

func cityWide(pr Principal) bool {
	switch pr.Role {
	case RoleHQAdmin, RoleOps:
		return true
	case RolePolice:
		return len(pr.Districts) == 0
	}
	return false
}

// Endpoints returns every endpoint with a row, sorted, for matrix tests.
func (p Policy) Endpoints() []string {
	out := make([]string, 0, len(p))
	for e := range p {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// ErrPolicyInvalid is the sentinel of Policy.Validate.
var ErrPolicyInvalid = errors.New("auth: invalid policy table")

// Validate checks the table itself: every row names known roles with a
// scope that role can have (a company scope for a role without a company,
// or self for anyone but a guard, could never allow, so it is a mistake).
// Services call it in a test so a typo fails the build, not a request.
func (p Policy) Validate() error {
	var errsOut []error
	for _, e := range p.Endpoints() {
		if e == "" {
			errsOut = append(errsOut, fmt.Errorf("%w: empty endpoint name", ErrPolicyInvalid))
		}
		for role, scope := range p[e].Roles {
			if !slices.Contains(Roles, role) {
				errsOut = append(errsOut, fmt.Errorf("%w: %s: unknown role %q", ErrPolicyInvalid, e, role))
				continue
			}
			if !scopeFits(role, scope) {
				errsOut = append(errsOut, fmt.Errorf("%w: %s: role %s cannot have scope %s", ErrPolicyInvalid, e, role, scope))
			}
		}
	}
	return errors.Join(errsOut...)
}

func scopeFits(r Role, s Scope) bool {
	switch s {
	case ScopeDeny, ScopeAny, ScopeDistrict:
		return true
	case ScopeCompany:
		return r == RoleCompanyAdmin || r == RoleGuard
	case ScopeSelf:
		return r == RoleGuard
	}
	return false
}
