package auth

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/guildhall/guildhall/pkg/errs"
)

// testPolicy has one row per scope shape a service uses.
var testPolicy = Policy{
	// A guard's record: company-admins see their own company's, a guard
	// their own, police read, ops nothing.
	"membership.get_guard": {Roles: map[Role]Scope{
		RoleHQAdmin:       ScopeAny,
		RoleDistrictAdmin: ScopeDistrict,
		RoleCompanyAdmin:  ScopeCompany,
		RolePolice:        ScopeDistrict,
		RoleGuard:         ScopeSelf,
	}},
	// A write: no police, no guard.
	"membership.hire_guard": {Roles: map[Role]Scope{
		RoleHQAdmin:       ScopeAny,
		RoleDistrictAdmin: ScopeDistrict,
		RoleCompanyAdmin:  ScopeCompany,
	}},
	// City-wide summary.
	"hq.summary": {Roles: map[Role]Scope{
		RoleHQAdmin:       ScopeAny,
		RoleDistrictAdmin: ScopeAny,
		RolePolice:        ScopeAny,
		RoleOps:           ScopeAny,
	}},
}

func TestPolicyDecideMatrix(t *testing.T) {
	t.Parallel()
	principals := map[string]Principal{
		"hq-admin":                       {Subject: "hq", Role: RoleHQAdmin},
		"district-admin of d1":           {Subject: "da", Role: RoleDistrictAdmin, Districts: []string{"d1"}},
		"company-admin of d1/c1":         {Subject: "ca", Role: RoleCompanyAdmin, Districts: []string{"d1"}, Company: "c1"},
		"police of d1":                   {Subject: "p1", Role: RolePolice, Districts: []string{"d1"}},
		"city-wide police":               {Subject: "pc", Role: RolePolice},
		"guard g1 of d1/c1":              {Subject: "g", Role: RoleGuard, Districts: []string{"d1"}, Company: "c1", Guard: "g1"},
		"ops":                            {Subject: "o", Role: RoleOps},
		"district-admin of d1 and d2":    {Subject: "da2", Role: RoleDistrictAdmin, Districts: []string{"d1", "d2"}},
		"company-admin of d2/c1 (clash)": {Subject: "ca2", Role: RoleCompanyAdmin, Districts: []string{"d2"}, Company: "c1"},
	}
	targets := map[string]Target{
		"own district, own company, own guard":     {District: "d1", Company: "c1", Guard: "g1"},
		"own district, own company, another guard": {District: "d1", Company: "c1", Guard: "g2"},
		"own district, another company":            {District: "d1", Company: "c2", Guard: "g3"},
		"another district, same company id":        {District: "d2", Company: "c1", Guard: "g1"},
		"another district, another company":        {District: "d2", Company: "c9", Guard: "g9"},
		"no district named":                        {},
	}
	// allowed lists, per principal, the targets membership.get_guard allows;
	// every other (principal, target) pair must be 403.
	all := []string{
		"own district, own company, own guard", "own district, own company, another guard",
		"own district, another company", "another district, same company id",
		"another district, another company", "no district named",
	}
	d1 := all[:3]
	allowed := map[string][]string{
		"hq-admin":                       all,
		"district-admin of d1":           d1,
		"company-admin of d1/c1":         {"own district, own company, own guard", "own district, own company, another guard"},
		"police of d1":                   d1,
		"city-wide police":               all,
		"guard g1 of d1/c1":              {"own district, own company, own guard"},
		"ops":                            nil,
		"district-admin of d1 and d2":    all[:5],
		"company-admin of d2/c1 (clash)": {"another district, same company id"},
	}
	for pn, p := range principals {
		for tn, tg := range targets {
			t.Run(fmt.Sprintf("%s on %s", pn, tn), func(t *testing.T) {
				err := testPolicy.Decide(p, "membership.get_guard", tg)
				if slices.Contains(allowed[pn], tn) {
					if err != nil {
						t.Fatalf("denied: %v", err)
					}
					return
				}
				if !errors.Is(err, ErrForbidden) {
					t.Fatalf("Decide = %v, want auth.forbidden", err)
				}
				if status, body := errs.HTTP(err); status != http.StatusForbidden || body.Error.ID != "auth.forbidden" {
					t.Fatalf("HTTP = %d %s", status, body.Error.ID)
				}
			})
		}
	}
}

func TestPolicyEveryRoleOnEveryEndpoint(t *testing.T) {
	t.Parallel()
	own := Target{District: "d1", Company: "c1", Guard: "g1"}
	other := Target{District: "d2", Company: "c2", Guard: "g2"}
	scoped := map[Role]Principal{
		RoleHQAdmin:       {Role: RoleHQAdmin},
		RoleDistrictAdmin: {Role: RoleDistrictAdmin, Districts: []string{"d1"}},
		RoleCompanyAdmin:  {Role: RoleCompanyAdmin, Districts: []string{"d1"}, Company: "c1"},
		RolePolice:        {Role: RolePolice, Districts: []string{"d1"}},
		RoleGuard:         {Role: RoleGuard, Districts: []string{"d1"}, Company: "c1", Guard: "g1"},
		RoleOps:           {Role: RoleOps},
	}
	for _, ep := range testPolicy.Endpoints() {
		for _, r := range Roles {
			scope := testPolicy[ep].Roles[r]
			wantOwn := scope != ScopeDeny
			wantOther := scope == ScopeAny
			if gotOwn := testPolicy.Decide(scoped[r], ep, own) == nil; gotOwn != wantOwn {
				t.Errorf("%s %s on own scope: allowed=%v, want %v", r, ep, gotOwn, wantOwn)
			}
			if gotOther := testPolicy.Decide(scoped[r], ep, other) == nil; gotOther != wantOther {
				t.Errorf("%s %s on another district: allowed=%v, want %v", r, ep, gotOther, wantOther)
			}
		}
	}
}

func TestPolicyWithoutRowFailsClosed(t *testing.T) {
	t.Parallel()
	err := testPolicy.Decide(Principal{Subject: "hq", Role: RoleHQAdmin}, "membership.fire_everyone", Target{})
	if !errors.Is(err, ErrNoPolicy) {
		t.Fatalf("Decide = %v, want auth.no_policy", err)
	}
	if status, body := errs.HTTP(err); status != http.StatusForbidden || body.Error.ID != "auth.no_policy" {
		t.Fatalf("HTTP = %d %s", status, body.Error.ID)
	}
	// A row whose role maps to ScopeDeny (the zero value) denies too.
	p := Policy{"x.y": {Roles: map[Role]Scope{RoleHQAdmin: ScopeDeny}}}
	if err := p.Decide(Principal{Role: RoleHQAdmin}, "x.y", Target{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("ScopeDeny row: %v", err)
	}
	// An unknown role (an unvalidated principal) is denied everywhere.
	if err := testPolicy.Decide(Principal{Role: "root"}, "hq.summary", Target{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("unknown role: %v", err)
	}
}

func TestPolicyEndpointsAndValidate(t *testing.T) {
	t.Parallel()
	want := []string{"hq.summary", "membership.get_guard", "membership.hire_guard"}
	if got := testPolicy.Endpoints(); !slices.Equal(got, want) {
		t.Fatalf("Endpoints = %v, want %v", got, want)
	}
	if err := testPolicy.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	bad := []Policy{
		{"a.b": {Roles: map[Role]Scope{"root": ScopeAny}}},
		{"a.b": {Roles: map[Role]Scope{RolePolice: ScopeCompany}}},
		{"a.b": {Roles: map[Role]Scope{RoleCompanyAdmin: ScopeSelf}}},
		{"a.b": {Roles: map[Role]Scope{RoleHQAdmin: Scope(42)}}},
		{"": {Roles: map[Role]Scope{RoleHQAdmin: ScopeAny}}},
	}
	for _, p := range bad {
		if err := p.Validate(); !errors.Is(err, ErrPolicyInvalid) {
			t.Errorf("%v: Validate = %v, want ErrPolicyInvalid", p, err)
		}
	}
	if ScopeCompany.String() != "company" || Scope(42).String() != "scope(42)" {
		t.Fatal("Scope.String")
	}
}
