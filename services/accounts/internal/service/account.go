package service

import (
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/auth"
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

// BootstrapUsername is the username of the bootstrap hq-admin account.
const BootstrapUsername = "admin"

// bootstrapPasswordBytes is the entropy of the bootstrap password: 24
// random bytes are 32 URL-safe base64 characters (192 bits).
const bootstrapPasswordBytes = 24

// LoginInput is the body of POST /api/v1/auth/login.
type LoginInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LogValue keeps the password out of any log line the input ends up in.
func (in LoginInput) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", in.Username), slog.String("password", "[redacted]"))
}

// CreateInput is the body of POST /api/v1/auth/accounts.
type CreateInput struct {
	Username  string    `json:"username"`
	Password  string    `json:"password"`
	Role      auth.Role `json:"role"`
	Districts []string  `json:"districts"`
	Company   string    `json:"company"`
	Guard     string    `json:"guard"`
}

// LogValue keeps the password out of any log line the input ends up in.
func (in CreateInput) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", in.Username), slog.String("role", string(in.Role)), slog.String("password", "[redacted]"))
}

// UpdateInput is the body of PATCH /api/v1/auth/accounts/{id}: the fields
// to change (absent or null: unchanged). The resulting role and scope must
// fit together, so changing the role usually changes the scope in the same
// request (e.g. "districts": [] when promoting to hq-admin).
type UpdateInput struct {
	Role      *auth.Role `json:"role"`
	Districts *[]string  `json:"districts"`
	Company   *string    `json:"company"`
	Guard     *string    `json:"guard"`
	Disabled  *bool      `json:"disabled"`
}

// PasswordInput is the body of POST /api/v1/auth/accounts/{id}/password.
type PasswordInput struct {
	Password string `json:"password"`
}

// LogValue keeps the password out of any log line the input ends up in.
func (PasswordInput) LogValue() slog.Value { return slog.StringValue("[redacted]") }

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
