// Package auth decides who is calling and what they may do: tokens (JWT,
// verified against an OIDC issuer's JWKS in production or issued by the
// standalone binary's own issuer), roles and scopes, and the one policy table
// every service's endpoints are checked against.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Role is what a caller is allowed to be (API.md).
type Role string

// The roles of API.md.
const (
	RoleHQAdmin       Role = "hq-admin"
	RoleDistrictAdmin Role = "district-admin"
	RoleCompanyAdmin  Role = "company-admin"
	RolePolice        Role = "police"
	RoleGuard         Role = "guard"
	RoleOps           Role = "ops"
)

// Roles lists every role, for tables and tests that walk them all.
var Roles = []Role{RoleHQAdmin, RoleDistrictAdmin, RoleCompanyAdmin, RolePolice, RoleGuard, RoleOps}

// Principal is the authenticated caller of a request.
type Principal struct {
	// Subject is the token's subject: an account id or username.
	Subject string
	// Role is the caller's role.
	Role Role
	// Districts scopes district-admin and police (empty for police means
	// city-wide); company-admin and guard belong to exactly one district.
	Districts []string
	// Company scopes company-admin and guard.
	Company string
	// Guard is the guard's own record id, for the guard role.
	Guard string
}

// InDistrict reports whether the principal's district scope covers d.
// hq-admin and ops are city-wide; police without districts is city-wide.
func (p Principal) InDistrict(d string) bool {
	switch p.Role {
	case RoleHQAdmin, RoleOps:
		return true
	case RolePolice:
		if len(p.Districts) == 0 {
			return true
		}
	}
	for _, x := range p.Districts {
		if x == d {
			return true
		}
	}
	return false
}

// Sentinel errors of Principal.Validate. They describe the token's defect
// for logs; callers of a Verifier only ever see ErrTokenInvalid.
var (
	// ErrUnknownRole means the role is empty or not one of Roles.
	ErrUnknownRole = errors.New("auth: unknown role")
	// ErrScopeMismatch means the scope fields do not fit the role.
	ErrScopeMismatch = errors.New("auth: scope does not fit the role")
)

// Validate checks that the role is known and that the scope fits it:
// district-admin has at least one district; company-admin and guard have
// exactly one district and a company; a guard also has a guard id; police
// may have districts (none = city-wide) but nothing else; hq-admin and ops
// have no scope at all. A scope field a role does not use is an error, not
// ignored, so a token minted with a confused scope is refused outright.
func (p Principal) Validate() error {
	if !slices.Contains(Roles, p.Role) {
		return fmt.Errorf("%w %q", ErrUnknownRole, p.Role)
	}
	if slices.Contains(p.Districts, "") {
		return fmt.Errorf("%w: empty district", ErrScopeMismatch)
	}
	bad := func(what string) error { return fmt.Errorf("%w: %s %s", ErrScopeMismatch, p.Role, what) }
	switch p.Role {
	case RoleHQAdmin, RoleOps:
		if len(p.Districts) > 0 || p.Company != "" || p.Guard != "" {
			return bad("has no scope")
		}
	case RoleDistrictAdmin:
		if len(p.Districts) == 0 {
			return bad("needs at least one district")
		}
		if p.Company != "" || p.Guard != "" {
			return bad("has no company or guard scope")
		}
	case RolePolice:
		if p.Company != "" || p.Guard != "" {
			return bad("has no company or guard scope")
		}
	case RoleCompanyAdmin, RoleGuard:
		if len(p.Districts) != 1 || p.Company == "" {
			return bad("needs exactly one district and a company")
		}
		if p.Role == RoleGuard && p.Guard == "" {
			return bad("needs a guard id")
		}
		if p.Role == RoleCompanyAdmin && p.Guard != "" {
			return bad("has no guard scope")
		}
	}
	return nil
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of the request, if it was authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
