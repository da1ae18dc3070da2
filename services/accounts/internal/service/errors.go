package service

import (
	"errors"

	"github.com/guildhall/guildhall/pkg/errs"
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

// Errors of an account's scope that the directory (Directory) refuses or
// cannot judge. A scope naming what does not exist is 422 like
// account.scope_mismatch: well-formed, but not an account that can be.
var (
	// ErrScopeUnknown names a district that is not in the registry, or a
	// company that is not one of its district's; the use site names the
	// field (districts or company).
	ErrScopeUnknown = errs.E(errs.Unprocessable, "account.scope_unknown",
		"the scope names a district that is not registered, or a company that is not in the account's district")
	// ErrDirectoryUnavailable means the registry or the companies could not
	// be read (etcd or HQ's read model down): nothing is created rather than
	// a scope accepted unchecked.
	ErrDirectoryUnavailable = errs.E(errs.Unavailable, "account.directory_unavailable",
		"the district registry or the companies cannot be read right now, so the scope cannot be checked; nothing was created, retry")
)

// ErrAccountsUnavailable answers a request whose token cannot be checked
// against its account because the accounts cannot be read.
var ErrAccountsUnavailable = errs.E(errs.Unavailable, "auth.accounts_unavailable", "accounts cannot be checked right now")
