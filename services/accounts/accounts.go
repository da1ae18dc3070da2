// Package accounts is the standalone binary's local account store and its
// built-in sign-in: POST /api/v1/auth/login checks a username and an
// argon2id-hashed password and returns a JWT from an auth.LocalIssuer;
// hq-admin manages the accounts (create, list, change role and scope,
// disable, reset password); every write is audited in the same transaction.
// Production deployments sign in through an external OIDC issuer instead
// and do not run this package.
//
// It is built like a service (store → service → go-kit endpoints → HTTP)
// and linked into the guildhall binary by New.
package accounts

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-kit/kit/endpoint"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
)

// openAPI is the OpenAPI 3 document of the package's routes, generated from
// the route table by `make openapi` (pkg/apidoc); a test fails when it is
// stale.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIDocument returns the OpenAPI 3 document of the routes of this
// package (a copy; callers may merge it into theirs).
func OpenAPIDocument() []byte { return append([]byte(nil), openAPI...) }

// Config configures a Node.
type Config struct {
	// DBPath is the SQLite file of the accounts, e.g. data/accounts.db.
	DBPath string
	// Storage tunes SQLite.
	Storage storage.Config
	// Issuer signs the tokens of successful logins; required. Its JWKS is
	// served at /api/v1/auth/jwks.json and its Verifier authenticates the
	// management requests.
	Issuer *auth.LocalIssuer
	// Limiter throttles failed logins; nil gets auth's defaults: within a
	// minute, the 6th attempt after 5 failures of one account from one
	// address, the 21st of one account from anywhere and the 101st from one
	// address over all accounts are refused (429 with Retry-After).
	Limiter *auth.LoginLimiter
	// TrustProxy takes the client address (for the limiter and the audit
	// log) from the last X-Forwarded-For entry (the one the trusted proxy appended); set it only behind a proxy
	// that sets that header. Off: the connection's peer address.
	TrustProxy bool
	// Endpoint, if not nil, returns the middleware chain (instrumenting,
	// tracing) of one endpoint; it wraps the policy check.
	Endpoint func(service, endpoint string) endpoint.Middleware
}

// Errors of Config.Validate.
var (
	ErrNoDBPath = errors.New("accounts: a database path is required")
	ErrNoIssuer = errors.New("accounts: a local token issuer is required")
)

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.DBPath == "" {
		return ErrNoDBPath
	}
	if c.Issuer == nil {
		return ErrNoIssuer
	}
	return c.Storage.Validate()
}

// Node is the open account store with its HTTP handler.
type Node struct {
	db       *storage.DB
	svc      *service
	verifier *liveVerifier
	handler  http.Handler
}

// New opens and migrates the accounts database and wires the service.
// logger may be nil (logs discarded). Call Close when done.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	limiter := cfg.Limiter
	if limiter == nil {
		limiter = auth.NewLoginLimiter(auth.LoginLimiterConfig{})
	}
	db, err := storage.OpenSQLite(ctx, cfg.DBPath, cfg.Storage)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("accounts: %w", err)
	}
	svc, err := newService(&store{db: db}, cfg.Issuer, limiter, logger)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	live := newLiveVerifier(cfg.Issuer.Verifier(), svc)
	// A write to an account ends its cached state at once, so in this
	// process a disabled or re-scoped account's tokens stop on the next
	// request rather than after liveTTL.
	svc.onChange = live.forget
	// The policy check sits inside instrumentation (kitx.Chain) so metrics
	// see the 401s and 403s too.
	routes, err := kitx.Chain(ServiceName, routeTable(svc, cfg.Issuer.JWKS()), cfg.Endpoint)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Node{
		db:       db,
		svc:      svc,
		verifier: live,
		handler:  newHTTPHandler(routes, live, cfg.TrustProxy, logger),
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

// EnsureBootstrapAdmin creates the hq-admin account "admin" with a random
// password when the store has no account, returning the password (this is
// the only time it exists in clear) and created true; otherwise it returns
// "", false. The caller prints it once:
//
//	bootstrap admin: username admin password <password>
func (n *Node) EnsureBootstrapAdmin(ctx context.Context) (password string, created bool, err error) {
	return n.svc.EnsureBootstrapAdmin(ctx)
}

// Audit returns the audit rows of an account ("" for all accounts), oldest
// first.
func (n *Node) Audit(ctx context.Context, accountID string) ([]AuditEntry, error) {
	return n.svc.Audit(ctx, accountID)
}

// DB is the accounts database.
func (n *Node) DB() *storage.DB { return n.db }

// Close closes the database.
func (n *Node) Close() error { return n.db.Close() }
