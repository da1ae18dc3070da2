package auth

import "github.com/golang-jwt/jwt/v5"

// Claims is the JWT payload of a Guildhall token: the registered claims
// (sub, iss, aud, exp, iat, nbf, jti) plus the caller's role and scope. An
// external OIDC issuer must put the same four private claims in its tokens.
type Claims struct {
	jwt.RegisteredClaims
	// Role is one of Roles.
	Role Role `json:"role"`
	// Districts scopes district-admin, police, company-admin and guard.
	Districts []string `json:"districts,omitempty"`
	// Company scopes company-admin and guard.
	Company string `json:"company,omitempty"`
	// Guard is the guard role's own record id.
	Guard string `json:"guard,omitempty"`
}

// Principal returns the caller the claims describe. It does not validate
// them; see Principal.Validate.
func (c *Claims) Principal() Principal {
	return Principal{
		Subject:   c.Subject,
		Role:      c.Role,
		Districts: c.Districts,
		Company:   c.Company,
		Guard:     c.Guard,
	}
}
