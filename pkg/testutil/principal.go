package testutil

import (
	"net/http"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/pkg/auth"
)

// The test headers let a request to a service's handler carry a principal,
// as auth.Authenticate puts a token's in the request context in the
// binaries (WithHeaderPrincipal reads them): subject, role, the
// comma-separated districts, company and guard. A request without
// SubjectHeader is a city-wide hq-admin's, unless it sets AnonymousHeader:
// then it carries no principal at all.
const (
	SubjectHeader   = "X-Test-Subject"
	RoleHeader      = "X-Test-Role"
	DistrictsHeader = "X-Test-Districts"
	CompanyHeader   = "X-Test-Company"
	GuardHeader     = "X-Test-Guard"
	AnonymousHeader = "X-Test-Anonymous"
)

// Anonymous is the header pair of a request without a principal.
var Anonymous = []string{AnonymousHeader, "1"}

// PrincipalHeaders returns the test header pairs (for Client.Do) that make
// a request p's, labelled subject when p has none.
func PrincipalHeaders(p auth.Principal, subject string) []string {
	if p.Subject != "" {
		subject = p.Subject
	}
	h := []string{SubjectHeader, subject, RoleHeader, string(p.Role)}
	if len(p.Districts) > 0 {
		h = append(h, DistrictsHeader, strings.Join(p.Districts, ","))
	}
	if p.Company != "" {
		h = append(h, CompanyHeader, p.Company)
	}
	if p.Guard != "" {
		h = append(h, GuardHeader, p.Guard)
	}
	return h
}

// HeaderPrincipal returns the principal r's test headers describe (false:
// none). A role scoped to districts without DistrictsHeader is in
// district, the node's own.
func HeaderPrincipal(r *http.Request, district string) (auth.Principal, bool) {
	if r.Header.Get(AnonymousHeader) != "" {
		return auth.Principal{}, false
	}
	sub := r.Header.Get(SubjectHeader)
	if sub == "" {
		return auth.Principal{Subject: "test-admin", Role: auth.RoleHQAdmin}, true
	}
	p := auth.Principal{Subject: sub, Role: auth.Role(r.Header.Get(RoleHeader)),
		Company: r.Header.Get(CompanyHeader), Guard: r.Header.Get(GuardHeader)}
	if d := r.Header.Get(DistrictsHeader); d != "" {
		p.Districts = strings.Split(d, ",")
	} else if p.Role != auth.RoleHQAdmin && p.Role != auth.RoleOps && p.Role != auth.RolePolice {
		p.Districts = []string{district}
	}
	return p, true
}

// WithHeaderPrincipal serves h with the principal of each request's test
// headers in its context (HeaderPrincipal), failing t for a principal no
// token could carry (a test that meant to send one would test nothing).
func WithHeaderPrincipal(t testing.TB, h http.Handler, district string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := HeaderPrincipal(r, district); ok {
			if err := p.Validate(); err != nil && p.Role != "" {
				t.Errorf("test principal %+v is not one a token could carry: %v", p, err)
			}
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		}
		h.ServeHTTP(w, r)
	})
}

// HQAdmin returns a city-wide hq-admin, the caller every route of every
// service lets through to its decoder and validation (what a fuzz target
// wants to reach).
func HQAdmin() *auth.Principal {
	return &auth.Principal{Subject: "test-hq-admin", Role: auth.RoleHQAdmin}
}
