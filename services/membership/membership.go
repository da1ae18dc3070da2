// Package membership is the membership service of a district node: member
// companies (保安从业单位), guards (保安员), the council (理事会) and bulk
// guard imports. New wires its layers (store → service → endpoints → HTTP)
// so that both the service's own binary and the all-in-one guildhall binary
// link the same code.
package membership

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/go-kit/kit/endpoint"
	"github.com/segmentio/kafka-go"

	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/membership/internal/service"
	"github.com/guildhall/guildhall/services/membership/internal/store"
	"github.com/guildhall/guildhall/services/membership/internal/transport"
)

// ServiceName is the service's name in topics, metrics and elections.
const ServiceName = "membership"

// openAPI is the service's OpenAPI 3 document, generated from the route
// table by `make openapi` (pkg/apidoc); a test fails when it is stale.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIDocument returns the service's OpenAPI 3 document.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPI...) }

// Config configures a membership node.
type Config struct {
	// District is the district this node serves, e.g. "jingkai"; it must
	// be a valid topic name part (eventbus.ValidName).
	District string
	// DBPath is the SQLite file, e.g. data/jingkai/membership.db.
	DBPath string
	// Storage tunes SQLite.
	Storage storage.Config
	// IDHashKey is the city-wide HMAC key for national ID numbers.
	IDHashKey []byte
	// Sealer encrypts the national ID numbers (and uploaded import files)
	// the node stores; required. Build it from the district's key file
	// with pii.ParseKeyring; it may hold old keys so values sealed before
	// a rotation still open.
	Sealer *pii.Sealer
	// TrustProxy takes a request's client address for the audit log from
	// the last X-Forwarded-For entry (the one the trusted proxy appended); set it only behind a proxy that sets
	// that header. Off: the connection's peer address.
	TrustProxy bool
	// Brokers are the Kafka bootstrap addresses the node consumes its
	// district's meetings topic from (gh.<district>.meetings.v1), so a
	// company's signature of the current convention becomes its
	// convention_version. Empty: no consumer (the convention version is
	// then only set through the API).
	Brokers []string
}

// Errors of Config.Validate.
var (
	ErrBadDistrict = errors.New("membership: district must be lower-case letters, digits and dashes")
	ErrNoDBPath    = errors.New("membership: a database path is required")
	ErrShortKey    = fmt.Errorf("membership: the ID hash key must be at least %d bytes", pii.MinKeyLen)
	ErrNoSealer    = errors.New("membership: a sealing keyring for personal data is required")
	ErrEmptyBroker = errors.New("membership: a Kafka broker address is empty")
)

// Validate checks the configuration.
func (c Config) Validate() error {
	if !eventbus.ValidName(c.District) {
		return fmt.Errorf("%w: %q", ErrBadDistrict, c.District)
	}
	if c.DBPath == "" {
		return ErrNoDBPath
	}
	if len(c.IDHashKey) < pii.MinKeyLen {
		return ErrShortKey
	}
	if c.Sealer == nil {
		return ErrNoSealer
	}
	if slices.Contains(c.Brokers, "") {
		return ErrEmptyBroker
	}
	return c.Storage.Validate()
}

// Deps are the node's collaborators.
type Deps struct {
	// Logger receives the node's logs; nil discards them.
	Logger *slog.Logger
	// Endpoint, if not nil, returns the middleware chain (instrumenting,
	// tracing) for one endpoint of a service.
	Endpoint func(service, endpoint string) endpoint.Middleware
	// Bus holds the event bus metrics shared by the process, for the
	// meetings consumer; nil uses unregistered metrics.
	Bus *eventbus.Metrics
	// Storage counts the writes the process's databases refused for lack of
	// disk (shared by the process, like Bus); nil counts nothing.
	Storage *storage.Metrics
	// Dialer is an optional Kafka dialer (TLS, SASL) for the meetings
	// consumer's group; nil for plain TCP.
	Dialer *kafka.Dialer
	// Transport is an optional Kafka transport (TLS, SASL) for the
	// meetings consumer's fetches, dead letters and lag; nil for plain TCP.
	Transport kafka.RoundTripper
}

// Node is a running membership service of one district.
type Node struct {
	cfg     Config
	deps    Deps
	db      *storage.DB
	outbox  *eventbus.Outbox
	store   *store.Store
	svc     *service.Membership
	handler http.Handler
	logger  *slog.Logger
}

// New opens and migrates the node's database and wires the service. Call
// Run for its background work and Close when done.
func New(ctx context.Context, cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hasher, err := pii.NewHasher(cfg.IDHashKey)
	if err != nil {
		return nil, fmt.Errorf("membership: %w", err)
	}
	db, err := storage.OpenSQLite(ctx, cfg.DBPath, cfg.Storage)
	if err != nil {
		return nil, err
	}
	db.Instrument(deps.Storage, cfg.District+"."+ServiceName)
	if err := store.Migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	outbox, err := eventbus.NewOutbox(db, cfg.District, ServiceName)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	st := store.New(db, outbox)
	svc := service.New(cfg.District, st, service.PKGIDRules(hasher), cfg.Sealer, logger)
	var api service.Service = service.LoggingMiddleware(logger)(svc)
	az := &authorizer{district: cfg.District, svc: svc, logger: logger}
	// The endpoint middleware chain (route middleware, authorization,
	// then Deps.Endpoint's instrumentation outermost, so 401s and 403s are
	// counted and traced like any other outcome) is kitx.Chain's, the same
	// in every service.
	routes, err := kitx.Chain(ServiceName, routeTable(api, az, kitx.DistrictPath(cfg.District)), deps.Endpoint)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Node{
		cfg: cfg, deps: deps, db: db, outbox: outbox, store: st, svc: svc, logger: logger,
		handler: transport.NewHTTPHandler(cfg.District, routes, logger, transport.Options{TrustProxy: cfg.TrustProxy}),
	}, nil
}

// Handler serves /api/v1/districts/<district>/…; another district's path
// gets 404 district.not_found. Every endpoint enforces Policy: the host
// must run auth.Authenticate in front of it to put the caller's principal
// in the request context; a request without one gets 401.
func (n *Node) Handler() http.Handler { return n.handler }

// Outbox is the node's outbox, for the relay that publishes it.
func (n *Node) Outbox() *eventbus.Outbox { return n.outbox }

// DB is the node's database.
func (n *Node) DB() *storage.DB { return n.db }

// District is the district the node serves.
func (n *Node) District() string { return n.cfg.District }

// Run does the node's background work — guard imports (resuming jobs a
// restart interrupted), idempotency-key expiry, re-sealing stored ID
// numbers with the current key after a rotation (at start, then hourly)
// and, with Config.Brokers, consuming the district's meetings topic — until
// ctx ends.
func (n *Node) Run(ctx context.Context) error {
	if len(n.cfg.Brokers) == 0 {
		return n.svc.Run(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.consumeMeetings(ctx)
	}()
	err := n.svc.Run(ctx)
	cancel()
	<-done
	return err
}

// Ready reports whether the node's database answers and can take writes
// (its disk has room; see storage.DB.Ready).
func (n *Node) Ready(ctx context.Context) error {
	if err := n.db.Ready(ctx); err != nil {
		return fmt.Errorf("membership: database: %w", err)
	}
	return nil
}

// Close closes the database. Stop Run first.
func (n *Node) Close() error { return n.db.Close() }

// OpenAPI returns the service's OpenAPI 3 document.
func (n *Node) OpenAPI() []byte { return OpenAPIDocument() }
