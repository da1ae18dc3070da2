package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
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
	"github.com/guildhall/guildhall/pkg/telemetry"
)

// Audit actions, one per kind of write to accounts.
const (
	ActionCreate        = "account.create"
	ActionUpdate        = "account.update"
	ActionPasswordReset = "account.password_reset"
	// ActionBootstrap is the first hq-admin account created on an empty
	// store, by the node itself (subject SystemSubject).
	ActionBootstrap = "account.bootstrap"
)

// SystemSubject is the audit subject of writes the node makes on its own
// (the bootstrap admin), with no request behind them.
const SystemSubject = "system"

// AnonymousSubject is the audit subject of a write whose context carries no
// principal; the management endpoints refuse those, so it only shows up if
// the service is called directly.
const AnonymousSubject = "anonymous"

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

// service is the accounts business logic: login, management, bootstrap.
type service struct {
	store   *store
	issuer  *auth.LocalIssuer
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
}

// changed tells onChange that the account id was written.
func (s *service) changed(id string) {
	if s.onChange != nil {
		s.onChange(id)
	}
}

func newService(st *store, issuer *auth.LocalIssuer, limiter *auth.LoginLimiter, logger *slog.Logger) (*service, error) {
	pw, err := randomPassword()
	if err != nil {
		return nil, err
	}
	dummy, err := auth.HashPassword(pw)
	if err != nil {
		return nil, fmt.Errorf("accounts: dummy hash: %w", err)
	}
	return &service{store: st, issuer: issuer, limiter: limiter, logger: logger, dummyHash: dummy, now: time.Now}, nil
}

// randomPassword returns 32 URL-safe characters from crypto/rand.
func randomPassword() (string, error) {
	b := make([]byte, bootstrapPasswordBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("accounts: random password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Login checks username and password and returns a signed token. A wrong
// password, an unknown username and a disabled account all get
// ErrLoginFailed after the same argon2id work; more than the limiter's
// failures per (account, address), per account or per address get
// auth.ErrTooManyAttempts.
func (s *service) Login(ctx context.Context, in LoginInput, remoteIP string) (string, time.Time, error) {
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
	r, found, err := s.store.byUsername(ctx, username)
	if err != nil {
		return "", time.Time{}, err
	}
	hash := s.dummyHash
	if found {
		hash = r.hash
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

// Create adds an account.
func (s *service) Create(ctx context.Context, in CreateInput) (Account, error) {
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
	err = s.store.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.store.insert(ctx, tx, a, hash); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorFromContext(ctx), ActionCreate, a.ID, fields)
	})
	if err != nil {
		return Account{}, err
	}
	return a, nil
}

// Get returns one account.
func (s *service) Get(ctx context.Context, id string) (Account, error) {
	r, err := s.store.byID(ctx, id)
	return r.Account, err
}

// List returns a page of accounts in creation order and the cursor of the
// next page ("" on the last).
func (s *service) List(ctx context.Context, page kitx.Page) ([]Account, string, error) {
	// One extra row tells whether there is a next page.
	items, err := s.store.list(ctx, page.Cursor, page.Size+1)
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

// Update changes an account's role, scope or disabled flag. pre, when set
// (the request's If-Match), is the version the caller read: 412 unless it
// is the current one. An
// update that changes nothing writes nothing (and audits nothing).
func (s *service) Update(ctx context.Context, id string, pre kitx.Precondition, in UpdateInput) (Account, error) {
	if in.Role == nil && in.Districts == nil && in.Company == nil && in.Guard == nil && in.Disabled == nil {
		return Account{}, ErrUpdateEmpty
	}
	var out Account
	err := s.store.db.InTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.store.byIDTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := pre.Check(cur.Version); err != nil {
			return err
		}
		next := cur.Account
		next.Districts = slices.Clone(cur.Districts)
		var fields []string
		if in.Role != nil && *in.Role != cur.Role {
			next.Role = *in.Role
			fields = append(fields, "role")
		}
		if in.Districts != nil {
			d := *in.Districts
			if d == nil {
				d = []string{}
			}
			if !slices.Equal(d, cur.Districts) {
				next.Districts = d
				fields = append(fields, "districts")
			}
		}
		if in.Company != nil && *in.Company != cur.Company {
			next.Company = *in.Company
			fields = append(fields, "company")
		}
		if in.Guard != nil && *in.Guard != cur.Guard {
			next.Guard = *in.Guard
			fields = append(fields, "guard")
		}
		if in.Disabled != nil && *in.Disabled != cur.Disabled {
			next.Disabled = *in.Disabled
			fields = append(fields, "disabled")
		}
		if err := checkScope(next.Role, next.Districts, next.Company, next.Guard); err != nil {
			return err
		}
		if len(fields) == 0 {
			out = cur.Account
			return nil
		}
		// Disabling or demoting the last enabled hq-admin would leave
		// nobody able to manage accounts (and no bootstrap to recover, since
		// the store is not empty).
		if cur.Role == auth.RoleHQAdmin && !cur.Disabled && (next.Role != auth.RoleHQAdmin || next.Disabled) {
			n, err := s.store.otherEnabledAdmins(ctx, tx, cur.ID)
			if err != nil {
				return err
			}
			if n == 0 {
				return ErrLastAdmin
			}
		}
		next.Version = cur.Version + 1
		next.UpdatedAt = s.now().UTC()
		ok, err := s.store.update(ctx, tx, next, cur.Version)
		if err != nil {
			return err
		}
		if !ok {
			return kitx.ErrEtagStale
		}
		out = next
		return s.audit(ctx, tx, actorFromContext(ctx), ActionUpdate, cur.ID, fields)
	})
	if err == nil {
		s.changed(id)
	}
	return out, err
}

// ResetPassword sets a new password on an account.
func (s *service) ResetPassword(ctx context.Context, id string, in PasswordInput) error {
	if err := checkPassword(in.Password); err != nil {
		return err
	}
	// Existence is checked before the (costly) hash, so a typo'd id is a
	// fast 404; the transaction below checks again.
	if _, err := s.store.byID(ctx, id); err != nil {
		return err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return fmt.Errorf("accounts: hash: %w", err)
	}
	return s.store.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.store.byIDTx(ctx, tx, id); err != nil {
			return err
		}
		if err := s.store.setPassword(ctx, tx, id, hash, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorFromContext(ctx), ActionPasswordReset, id, []string{"password"})
	})
}

// EnsureBootstrapAdmin creates the hq-admin account "admin" with a random
// password when the store has no account at all, and returns that password
// (the only time it is ever available) with created true. On a store that
// has any account, even a disabled one, it does nothing: the bootstrap
// happens once in a store's life.
func (s *service) EnsureBootstrapAdmin(ctx context.Context) (string, bool, error) {
	n, err := s.store.count(ctx)
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
	err = s.store.db.InTx(ctx, func(tx *sql.Tx) error {
		// Checked again under the write lock: another process sharing the
		// file may have bootstrapped since the count above.
		n, err := s.store.countTx(ctx, tx)
		if err != nil || n > 0 {
			return err
		}
		if err := s.store.insert(ctx, tx, a, hash); err != nil {
			return err
		}
		created = true
		return s.audit(ctx, tx, actor{Subject: SystemSubject}, ActionBootstrap, a.ID, []string{"username", "password", "role"})
	})
	if err != nil || !created {
		return "", false, err
	}
	s.logger.InfoContext(ctx, "bootstrap admin account created", "account_id", a.ID, "username", BootstrapUsername)
	return pw, true, nil
}

// Audit returns the audit rows of an account ("" for every account), oldest
// first.
func (s *service) Audit(ctx context.Context, accountID string) ([]AuditEntry, error) {
	return s.store.audit(ctx, accountID)
}

// actor is who makes a write, as the audit log records it.
type actor struct {
	Subject, Role, Scope, RequestID, RemoteIP string
}

type remoteIPKey struct{}

// withRemoteIP returns ctx carrying the client address of the request.
func withRemoteIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, remoteIPKey{}, ip)
}

func remoteIPFromContext(ctx context.Context) string {
	ip, _ := ctx.Value(remoteIPKey{}).(string)
	return ip
}

// actorFromContext reads the writer of a request from ctx: the principal
// auth put there, the request id of telemetry.HTTPMiddleware and the remote
// address the transport recorded.
func actorFromContext(ctx context.Context) actor {
	a := actor{Subject: AnonymousSubject, RequestID: telemetry.RequestIDFromContext(ctx), RemoteIP: remoteIPFromContext(ctx)}
	if p, ok := auth.FromContext(ctx); ok && p.Subject != "" {
		a.Subject, a.Role, a.Scope = p.Subject, string(p.Role), audit.Scope(p)
	}
	return a
}

func (s *service) audit(ctx context.Context, tx *sql.Tx, a actor, action, accountID string, fields []string) error {
	return s.store.insertAudit(ctx, tx, AuditEntry{
		At: s.now().UTC(), Subject: a.Subject, Role: a.Role, Scope: a.Scope, Action: action,
		AccountID: accountID, FieldsChanged: fields, RequestID: a.RequestID, RemoteIP: a.RemoteIP,
	})
}
