package accounts

import (
	"errors"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/eventbus"
)

// Account is a local account of the built-in issuer as the API shows it.
// The password hash is deliberately not a field: nothing that renders an
// Account can leak it.
type Account struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Role      auth.Role `json:"role"`
	Districts []string  `json:"districts"`
	Company   string    `json:"company"`
	Guard     string    `json:"guard"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// Principal is the caller a token issued for the account describes; the
// subject is the account id (stable, unlike a display name).
func (a Account) Principal() auth.Principal {
	return auth.Principal{Subject: a.ID, Role: a.Role, Districts: a.Districts, Company: a.Company, Guard: a.Guard}
}

// Password limits. The upper bound keeps one login from hashing megabytes.
const (
	MinPasswordLen = 12  // characters
	MaxPasswordLen = 256 // bytes
)

// Stable error ids of the accounts API. Users script against them: never
// rename one.
var (
	// ErrLoginFailed is the one answer to a wrong password, an unknown
	// username and a disabled account, so a caller cannot tell them apart.
	ErrLoginFailed          = errs.E(errs.Unauthenticated, "auth.login_failed", "wrong username or password")
	ErrAccountNotFound      = errs.E(errs.NotFound, "account.not_found", "no such account")
	ErrUsernameInvalid      = errs.InvalidField("account.username_invalid", "username", "username must be 3 to 64 characters of a-z, 0-9, '.', '_' and '-'")
	ErrUsernameTaken        = errs.EField(errs.Conflict, "account.username_taken", "username", "an account with this username already exists")
	ErrPasswordTooShort     = errs.InvalidField("account.password_too_short", "password", "password must be at least 12 characters")
	ErrPasswordTooLong      = errs.InvalidField("account.password_too_long", "password", "password must be at most 256 bytes")
	ErrRoleInvalid          = errs.InvalidField("account.role_invalid", "role", "role must be hq-admin, district-admin, company-admin, police, guard or ops")
	ErrDistrictInvalid      = errs.InvalidField("account.district_invalid", "districts", "each district must be a district id (lower-case letters, digits and dashes), listed once")
	ErrScopeMismatch        = errs.E(errs.Unprocessable, "account.scope_mismatch", "the scope does not fit the role: district-admin needs districts; company-admin a district and a company; guard a district, a company and a guard id; police only districts; hq-admin and ops no scope")
	ErrScopeFieldTooLong    = errs.E(errs.Invalid, "account.scope_field_too_long", "company and guard must be at most 64 characters")
	ErrLastAdmin            = errs.E(errs.Conflict, "account.last_admin", "this is the last enabled hq-admin account; it cannot be disabled or demoted")
	ErrUpdateEmpty          = errs.E(errs.Invalid, "account.update_empty", "the update names no field")
	errBootstrapPasswordLen = errors.New("accounts: bootstrap password generator returned a short password")
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9._-]{3,64}$`)

// validUsername reports whether u is a well-formed username.
func validUsername(u string) bool { return usernamePattern.MatchString(u) }

// checkPassword applies the password policy to a new password.
func checkPassword(pw string) error {
	if len(pw) > MaxPasswordLen {
		return ErrPasswordTooLong
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return ErrPasswordTooShort
	}
	return nil
}

// checkScope validates an account's role and scope. The rules themselves
// are pkg/auth's (Principal.Validate, the same check every token passes),
// so an account can never be created that would mint a token the
// verifiers refuse; here they are only translated into API errors.
func checkScope(role auth.Role, districts []string, company, guard string) error {
	if !slices.Contains(auth.Roles, role) {
		return ErrRoleInvalid
	}
	seen := map[string]bool{}
	for _, d := range districts {
		if !eventbus.ValidName(d) || seen[d] {
			return ErrDistrictInvalid
		}
		seen[d] = true
	}
	if len(company) > 64 {
		return ErrScopeFieldTooLong.WithField("company")
	}
	if len(guard) > 64 {
		return ErrScopeFieldTooLong.WithField("guard")
	}
	p := auth.Principal{Subject: "check", Role: role, Districts: districts, Company: company, Guard: guard}
	if err := p.Validate(); err != nil {
		if errors.Is(err, auth.ErrUnknownRole) {
			return ErrRoleInvalid.Wrap(err)
		}
		return ErrScopeMismatch.Wrap(err)
	}
	return nil
}
