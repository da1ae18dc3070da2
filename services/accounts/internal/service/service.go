// Package service is the accounts business layer: sign-in (an argon2id
// password check, a throttle on failures, a signed token), the management
// of the local accounts by hq-admin (create, list, change role and scope,
// disable, reset password) and the bootstrap admin of an empty store.
// Every write is audited in its own transaction; the live verifier ends a
// token as soon as its account no longer stands behind it.
package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/versioned"
)

// Service is the accounts API.
type Service interface {
	// Login checks a username and password and returns a signed token and
	// its expiry.
	Login(ctx context.Context, in LoginInput, remoteIP string) (string, time.Time, error)
	// Create adds an account.
	Create(ctx context.Context, in CreateInput) (Account, error)
	// Get returns one account.
	Get(ctx context.Context, id string) (Account, error)
	// List returns a page of accounts in creation order and the cursor of
	// the next page ("" on the last).
	List(ctx context.Context, page kitx.Page) ([]Account, string, error)
	// Update changes an account's role, scope or disabled flag; pre, when
	// set (the request's If-Match), must name its current version.
	Update(ctx context.Context, id string, pre kitx.Precondition, in UpdateInput) (Account, error)
	// ResetPassword sets a new password on an account.
	ResetPassword(ctx context.Context, id string, in PasswordInput) error
}

// Directory tells whether an account's scope names what exists: the
// district registry and each district's companies. The guildhall binary
// answers from the etcd registry and HQ's read model.
type Directory interface {
	// DistrictKnown reports whether district is in the registry.
	DistrictKnown(ctx context.Context, district string) (bool, error)
	// CompanyInDistrict reports whether company is a company of district.
	CompanyInDistrict(ctx context.Context, district, company string) (bool, error)
}

// Issuer signs the token of a successful login (auth.LocalIssuer).
type Issuer interface {
	Issue(p auth.Principal) (token string, expires time.Time, err error)
}

// Accounts implements Service.
type Accounts struct {
	// Log records the service's writes and lists them (AccountAudit).
	audit.Log
	repo    Repository
	issuer  Issuer
	limiter *auth.LoginLimiter
	logger  *slog.Logger
	// dummyHash is checked against for unknown usernames, so a login for
	// an account that does not exist costs the same argon2id run as one
	// that does and timing does not reveal which usernames exist.
	dummyHash string
	now       func() time.Time
	// onChange, if set, is told the id of every account a committed write
	// changed (the live verifier forgets what it cached of it).
	onChange func(id string)
	// directory, if set, is asked whether a new account's districts and
	// company exist (checkScopeKnown).
	directory Directory
}

var _ Service = (*Accounts)(nil)

// New returns the accounts service over repo: tokens from issuer, failed
// logins throttled by limiter, timestamps from now.
func New(repo Repository, issuer Issuer, limiter *auth.LoginLimiter, logger *slog.Logger, now func() time.Time) (*Accounts, error) {
	pw, err := randomPassword()
	if err != nil {
		return nil, err
	}
	dummy, err := auth.HashPassword(pw)
	if err != nil {
		return nil, fmt.Errorf("accounts: dummy hash: %w", err)
	}
	return &Accounts{Log: audit.NewLog(now, repo), repo: repo, issuer: issuer, limiter: limiter, logger: logger, dummyHash: dummy, now: now}, nil
}

// UseDirectory has Create and Update check an account's districts and company
// against d; without one only their form is checked.
func (s *Accounts) UseDirectory(d Directory) { s.directory = d }

// checkScopeKnown refuses a scope that names a district the registry does
// not hold (any role with districts: district-admin, police, company-admin,
// guard) or a company that is not its district's (company-admin, guard),
// with ErrScopeUnknown; a directory that cannot answer is
// ErrDirectoryUnavailable, never an unchecked account. It runs after the
// form checks (checkScope), so the company's district is the account's
// only one.
func (s *Accounts) checkScopeKnown(ctx context.Context, districts []string, company string) error {
	if s.directory == nil {
		return nil
	}
	for _, d := range districts {
		ok, err := s.directory.DistrictKnown(ctx, d)
		if err != nil {
			return ErrDirectoryUnavailable.Wrap(err)
		}
		if !ok {
			return ErrScopeUnknown.WithField("districts").Wrap(fmt.Errorf("accounts: district %q is not registered", d))
		}
	}
	if company == "" || len(districts) == 0 {
		return nil
	}
	ok, err := s.directory.CompanyInDistrict(ctx, districts[0], company)
	if err != nil {
		return ErrDirectoryUnavailable.Wrap(err)
	}
	if !ok {
		return ErrScopeUnknown.WithField("company").Wrap(fmt.Errorf("accounts: company %q is not in district %q", company, districts[0]))
	}
	return nil
}

// OnChange has fn told the id of every account a committed write changes.
func (s *Accounts) OnChange(fn func(id string)) { s.onChange = fn }

// changed tells onChange that the account id was written.
func (s *Accounts) changed(id string) {
	if s.onChange != nil {
		s.onChange(id)
	}
}

// randomPassword returns 32 URL-safe characters from crypto/rand.
func randomPassword() (string, error) {
	b := make([]byte, bootstrapPasswordBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("accounts: random password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Login implements Service. A wrong password, an unknown username and a
// disabled account all get ErrLoginFailed after the same argon2id work;
// more than the limiter's failures per (account, address), per account or
// per address get auth.ErrTooManyAttempts.
func (s *Accounts) Login(ctx context.Context, in LoginInput, remoteIP string) (string, time.Time, error) {
	username := strings.ToLower(strings.TrimSpace(in.Username))
	// Attempt counts this try as a failure up front (Succeeded takes it
	// back), so parallel guesses cannot all pass before one is recorded.
	if err := s.limiter.Attempt(username, remoteIP); err != nil {
		s.logger.WarnContext(ctx, "login throttled", "remote_ip", remoteIP)
		return "", time.Time{}, err
	}
	pw := in.Password
	if len(pw) > MaxPasswordLen {
		pw = "" // never matches; still pays for one hash below
	}
	r, found, err := s.repo.ByUsername(ctx, username)
	if err != nil {
		return "", time.Time{}, err
	}
	hash := s.dummyHash
	if found {
		hash = r.Hash
	}
	ok := auth.CheckPassword(hash, pw) && found && pw != ""
	switch {
	case !found:
		// The typed username is not logged: people type passwords into
		// the username field, and an unknown name is the likely case.
		s.logger.InfoContext(ctx, "login failed", "reason", "unknown_account", "remote_ip", remoteIP)
		return "", time.Time{}, ErrLoginFailed
	case !ok:
		s.logger.InfoContext(ctx, "login failed", "reason", "wrong_password", "account_id", r.ID, "remote_ip", remoteIP)
		return "", time.Time{}, ErrLoginFailed
	case r.Disabled:
		s.logger.InfoContext(ctx, "login failed", "reason", "disabled", "account_id", r.ID, "remote_ip", remoteIP)
		return "", time.Time{}, ErrLoginFailed
	}
	token, exp, err := s.issuer.Issue(r.Principal())
	if err != nil {
		return "", time.Time{}, fmt.Errorf("accounts: issue token for %s: %w", r.ID, err)
	}
	s.limiter.Succeeded(username, remoteIP)
	s.logger.InfoContext(ctx, "login", "account_id", r.ID, "role", string(r.Role), "remote_ip", remoteIP)
	return token, exp, nil
}

// Create implements Service.
func (s *Accounts) Create(ctx context.Context, in CreateInput) (Account, error) {
	in.Username = strings.TrimSpace(in.Username)
	if !validUsername(in.Username) {
		return Account{}, ErrUsernameInvalid
	}
	if err := checkPassword(in.Password); err != nil {
		return Account{}, err
	}
	if in.Districts == nil {
		in.Districts = []string{}
	}
	if err := checkScope(in.Role, in.Districts, in.Company, in.Guard); err != nil {
		return Account{}, err
	}
	// Before the costly hash, and before anything is written.
	if err := s.checkScopeKnown(ctx, in.Districts, in.Company); err != nil {
		return Account{}, err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: hash: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Account{}, fmt.Errorf("accounts: id: %w", err)
	}
	now := s.now().UTC()
	a := Account{
		ID: id.String(), Username: in.Username, Role: in.Role, Districts: in.Districts,
		Company: in.Company, Guard: in.Guard, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	fields := []string{"username", "password", "role"}
	if len(a.Districts) > 0 {
		fields = append(fields, "districts")
	}
	if a.Company != "" {
		fields = append(fields, "company")
	}
	if a.Guard != "" {
		fields = append(fields, "guard")
	}
	err = s.repo.Tx(ctx, func(q Queries) error {
		if err := q.Insert(ctx, a, hash); err != nil {
			return err
		}
		return s.Audit(ctx, q, ActionCreate, ResourceAccount, a.ID, fields)
	})
	if err != nil {
		return Account{}, err
	}
	return a, nil
}

// Get implements Service.
func (s *Accounts) Get(ctx context.Context, id string) (Account, error) {
	r, err := s.repo.ByID(ctx, id)
	return r.Account, err
}

// List implements Service.
func (s *Accounts) List(ctx context.Context, page kitx.Page) ([]Account, string, error) {
	// One extra row tells whether there is a next page.
	items, err := s.repo.List(ctx, page.Cursor, page.Size+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(items) > page.Size {
		items = items[:page.Size]
		next = items[len(items)-1].ID
	}
	return items, next, nil
}

// Update implements Service: pre, when set (the request's If-Match), is
// the version the caller read: 412 unless it is the current one. An update
// that changes nothing writes nothing (and audits nothing).
func (s *Accounts) Update(ctx context.Context, id string, pre kitx.Precondition, in UpdateInput) (Account, error) {
	if in.Role == nil && in.Districts == nil && in.Company == nil && in.Guard == nil && in.Disabled == nil {
		return Account{}, ErrUpdateEmpty
	}
	r, err := versioned.Update(ctx, versioned.WithoutEvents(s.repo.Tx), accounts, id, pre, func(q Queries, r *Row) (Edit, error) {
		cur := r.Account
		var fields []string
		if in.Role != nil && *in.Role != cur.Role {
			r.Role = *in.Role
			fields = append(fields, "role")
		}
		if in.Districts != nil {
			d := *in.Districts
			if d == nil {
				d = []string{}
			}
			if !slices.Equal(d, cur.Districts) {
				r.Districts = d
				fields = append(fields, "districts")
			}
		}
		if in.Company != nil && *in.Company != cur.Company {
			r.Company = *in.Company
			fields = append(fields, "company")
		}
		if in.Guard != nil && *in.Guard != cur.Guard {
			r.Guard = *in.Guard
			fields = append(fields, "guard")
		}
		if in.Disabled != nil && *in.Disabled != cur.Disabled {
			r.Disabled = *in.Disabled
			fields = append(fields, "disabled")
		}
		if err := checkScope(r.Role, r.Districts, r.Company, r.Guard); err != nil {
			return Edit{}, err
		}
		if len(fields) == 0 {
			return Edit{}, nil
		}
		// A re-scoped account must name what exists, as a new one must:
		// otherwise a PATCH would be the way around Create's check. Only a
		// change of the scope asks the directory (disabling does not).
		if slices.ContainsFunc(fields, func(f string) bool { return f == "role" || f == "districts" || f == "company" }) {
			if err := s.checkScopeKnown(ctx, r.Districts, r.Company); err != nil {
				return Edit{}, err
			}
		}
		// Disabling or demoting the last enabled hq-admin would leave
		// nobody able to manage accounts (and no bootstrap to recover, since
		// the store is not empty).
		if cur.Role == auth.RoleHQAdmin && !cur.Disabled && (r.Role != auth.RoleHQAdmin || r.Disabled) {
			n, err := q.OtherEnabledAdmins(ctx, cur.ID)
			if err != nil {
				return Edit{}, err
			}
			if n == 0 {
				return Edit{}, ErrLastAdmin
			}
		}
		return s.edit(ctx, ActionUpdate, cur.ID, fields), nil
	})
	if err == nil {
		s.changed(id)
	}
	return r.Account, err
}

// ResetPassword implements Service: a new password hash is a new version
// of the account, written like any other change (versioned.Update).
func (s *Accounts) ResetPassword(ctx context.Context, id string, in PasswordInput) error {
	if err := checkPassword(in.Password); err != nil {
		return err
	}
	// Existence is checked before the (costly) hash, so a typo'd id is a
	// fast 404; the update below reads the account again.
	if _, err := s.repo.ByID(ctx, id); err != nil {
		return err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return fmt.Errorf("accounts: hash: %w", err)
	}
	_, err = versioned.Update(ctx, versioned.WithoutEvents(s.repo.Tx), accounts, id, kitx.Precondition{}, func(_ Queries, r *Row) (Edit, error) {
		r.Hash = hash
		return s.edit(ctx, ActionPasswordReset, r.ID, []string{"password"}), nil
	})
	return err
}

// EnsureBootstrapAdmin creates the hq-admin account BootstrapUsername with
// a random password when the store has no account at all, and returns that
// password (the only time it is ever available) with created true. On a
// store that has any account, even a disabled one, it does nothing: the
// bootstrap happens once in a store's life.
func (s *Accounts) EnsureBootstrapAdmin(ctx context.Context) (string, bool, error) {
	n, err := s.repo.Count(ctx)
	if err != nil || n > 0 {
		return "", false, err
	}
	pw, err := randomPassword()
	if err != nil {
		return "", false, err
	}
	if len(pw) < 20 {
		return "", false, errBootstrapPasswordLen
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return "", false, fmt.Errorf("accounts: hash: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", false, fmt.Errorf("accounts: id: %w", err)
	}
	now := s.now().UTC()
	a := Account{ID: id.String(), Username: BootstrapUsername, Role: auth.RoleHQAdmin, Districts: []string{}, CreatedAt: now, UpdatedAt: now, Version: 1}
	created := false
	err = s.repo.Tx(ctx, func(q Queries) error {
		// Checked again under the write lock: another process sharing the
		// file may have bootstrapped since the count above.
		n, err := q.Count(ctx)
		if err != nil || n > 0 {
			return err
		}
		if err := q.Insert(ctx, a, hash); err != nil {
			return err
		}
		created = true
		return s.AuditAs(ctx, q, audit.Actor{Subject: audit.SystemSubject}, ActionBootstrap, ResourceAccount, a.ID, []string{"username", "password", "role"})
	})
	if err != nil || !created {
		return "", false, err
	}
	s.logger.InfoContext(ctx, "bootstrap admin account created", "account_id", a.ID, "username", BootstrapUsername)
	return pw, true, nil
}

// auditPage is how many audit rows AccountAudit reads at a time.
const auditPage = 500

// AccountAudit returns the audit rows of an account ("" for every
// account), oldest first.
func (s *Accounts) AccountAudit(ctx context.Context, accountID string) ([]audit.Entry, error) {
	f := audit.Filter{Resource: ResourceAccount, ResourceID: accountID}
	out := []audit.Entry{}
	page := kitx.Page{Size: auditPage}
	for {
		items, next, err := s.ListAudit(ctx, f, page)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			break
		}
		page.Cursor = next
	}
	slices.Reverse(out)
	return out, nil
}
