// Package accounts is the standalone binary's local account store and its
// built-in sign-in: POST /api/v1/auth/login checks a username and an
// argon2id-hashed password and returns a JWT from an auth.LocalIssuer;
// hq-admin manages the accounts (create, list, change role and scope,
// disable, reset password); every write is audited in the same transaction.
// Production deployments sign in through an external OIDC issuer instead
// and do not run this service.
//
// It is built like every service: New wires its layers (store → service →
// endpoints → HTTP) from a Config of settings and the Deps it is given, and
// the guildhall binary links it like the district services.
package accounts

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/accounts/internal/service"
	"github.com/guildhall/guildhall/services/accounts/internal/store"
	"github.com/guildhall/guildhall/services/accounts/internal/transport"
)

// ServiceName prefixes the service's endpoint names in the policy table
// and in the instrumentation middleware.
const ServiceName = "accounts"

// BootstrapUsername is the username of the bootstrap hq-admin account
// (EnsureBootstrapAdmin).
const BootstrapUsername = service.BootstrapUsername

// openAPI is the OpenAPI 3 document of the service's routes, generated
// from the route table by `make openapi` (pkg/apidoc); a test fails when
// it is stale.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIDocument returns the OpenAPI 3 document of the service's routes
// (a copy; callers may merge it into theirs).
func OpenAPIDocument() []byte { return append([]byte(nil), openAPI...) }

// Config configures an accounts node.
type Config struct {
	// DBPath is the SQLite file of the accounts, e.g. data/auth/accounts.db
	// (required, unused when Storage.DSN is set).
	DBPath string
	// Storage tunes SQLite, or with a DSN puts the accounts in schema
	// "accounts" of that PostgreSQL database instead.
	Storage storage.Config
	// TrustProxy takes the client address (for the login limiter and the
	// audit log) from the last X-Forwarded-For entry (the one the trusted
	// proxy appended); set it only behind a proxy that sets that header.
	// Off: the connection's peer address.
	TrustProxy bool
}

// Errors of Config.Validate and New.
var (
	ErrNoDBPath = errors.New("accounts: a database path is required")
	ErrNoIssuer = errors.New("accounts: a local token issuer is required")
)

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.DBPath == "" {
		return ErrNoDBPath
	}
	return c.Storage.Validate()
}

// Deps are the node's collaborators.
type Deps struct {
	// Issuer signs the tokens of successful logins; required. Its JWKS is
	// served at /api/v1/auth/jwks.json and its Verifier, wrapped by the
	// node's (Node.Verifier), authenticates the management requests.
	Issuer *auth.LocalIssuer
	// Limiter throttles failed logins; nil gets auth's defaults: within a
	// minute, the 6th attempt after 5 failures of one account from one
	// address, the 21st of one account from anywhere and the 101st from one
	// address over all accounts are refused (429 with Retry-After).
	Limiter *auth.LoginLimiter
	// Logger receives the node's logs; nil discards them.
	Logger *slog.Logger
	// Endpoint, if not nil, returns the middleware chain (instrumenting,
	// tracing) of one endpoint; it wraps the policy check.
	Endpoint func(service, endpoint string) endpoint.Middleware
	// Now is the clock of the accounts' timestamps, the audit log and the
	// live verifier's cache; nil is time.Now.
	Now func() time.Time
	// Directory, if set, is asked whether a new account's districts are
	// registered and its company is one of its district's: otherwise 422
	// account.scope_unknown, and 503 account.directory_unavailable when it
	// cannot answer; nothing is written either way. nil checks only the
	// scope's form (the guildhall binary always gives one).
	Directory Directory
}

// Directory is what the accounts ask about the districts and companies an
// account's scope names (service.Directory).
type Directory = service.Directory

// Node is the open account store with its HTTP handler.
type Node struct {
	db       *storage.DB
	svc      *service.Accounts
	verifier *service.LiveVerifier
	handler  http.Handler
}

// New opens and migrates the accounts database and wires the service.
// Call Close when done.
func New(ctx context.Context, cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Issuer == nil {
		return nil, ErrNoIssuer
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	limiter := deps.Limiter
	if limiter == nil {
		limiter = auth.NewLoginLimiter(auth.LoginLimiterConfig{})
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	db, err := storage.Open(ctx, cfg.DBPath, cfg.Storage, "accounts") // with a DSN: schema "accounts" of that database
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("accounts: %w", err)
	}
	svc, err := service.New(store.New(db), deps.Issuer, limiter, logger, now)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if deps.Directory != nil {
		svc.UseDirectory(deps.Directory)
	}
	live := service.NewLiveVerifier(deps.Issuer.Verifier(), svc, now)
	// A write to an account ends its cached state at once, so in this
	// process a disabled or re-scoped account's tokens stop on the next
	// request rather than after service.LiveTTL.
	svc.OnChange(live.Forget)
	// The endpoint middleware chain (authorization, then Deps.Endpoint's
	// instrumentation outermost, so 401s and 403s are counted and traced
	// like any other outcome) is kitx.Chain's, the same in every service.
	routes, err := kitx.Chain(ServiceName, routeTable(svc, deps.Issuer.JWKS()), deps.Endpoint)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Node{
		db: db, svc: svc, verifier: live,
		handler: transport.NewHTTPHandler(routes, live, logger, transport.Options{TrustProxy: cfg.TrustProxy}),
	}, nil
}

// Handler serves /api/v1/auth/…: login, the JWKS, /me and account
// management. It authenticates bearer tokens with Verifier unless an outer
// auth.Authenticate already decided the request (which must then have used
// Verifier too: the standalone binary authenticates every route with it).
func (n *Node) Handler() http.Handler { return n.handler }

// Verifier is the one verifier for the issuer's tokens: a token counts only
// while its account exists, is enabled and still has the role and scope the
// token names. Every route that accepts these tokens must authenticate with
// it; the issuer's plain verifier knows nothing of disabled accounts.
func (n *Node) Verifier() auth.Verifier { return n.verifier }

// OpenAPI returns the OpenAPI 3 document of the handler's routes.
func (n *Node) OpenAPI() []byte { return OpenAPIDocument() }

// EnsureBootstrapAdmin creates the hq-admin account BootstrapUsername with
// a random password when the store has no account, returning the password
// (this is the only time it exists in clear) and created true; otherwise it
// returns "", false. The caller prints it once:
//
//	bootstrap admin: username admin password <password>
func (n *Node) EnsureBootstrapAdmin(ctx context.Context) (password string, created bool, err error) {
	return n.svc.EnsureBootstrapAdmin(ctx)
}

// Audit returns the audit rows of an account ("" for all accounts), oldest
// first: pkg/audit's entries, of resource "account" and resource_id the
// account's id.
func (n *Node) Audit(ctx context.Context, accountID string) ([]audit.Entry, error) {
	return n.svc.AccountAudit(ctx, accountID)
}

// DB is the accounts database.
func (n *Node) DB() *storage.DB { return n.db }

// Close closes the database.
func (n *Node) Close() error { return n.db.Close() }
