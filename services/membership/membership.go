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
	"slices"
	"sync"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/policy"
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
	// Etcd holds the city-wide certificate-expiry window
	// (policy.CertificateExpiryKey, read with policy.ParseCertificateExpiry
	// and watched while Run runs); nil (tests) uses
	// policy.DefaultCertificateExpiry.
	Etcd *clientv3.Client
	// Registerer receives the counters of the live etcd value (reloads,
	// rejected values, etcd errors); nil counts nothing.
	Registerer prometheus.Registerer
	// Now is the service clock (certified on duty, the expiry window);
	// nil is time.Now.
	Now func() time.Time
}

// policyWait bounds how long the first certificate-expiry check waits for
// the window's etcd value.
const policyWait = 30 * time.Second

// AnnounceExpiringCertificates runs one expiry check now (Run does it
// hourly) and returns how many CertificateExpiring events it emitted.
func (n *Node) AnnounceExpiringCertificates(ctx context.Context) (int, error) {
	return n.svc.AnnounceExpiringCertificates(ctx)
}

// Node is a running membership service of one district. Its database,
// outbox and handler are node.Base's (Handler, Outbox, DB, District,
// OpenAPI, Ready, Close).
type Node struct {
	*node.Base
	cfg    Config
	deps   Deps
	store  *store.Store
	svc    *service.Membership
	logger *slog.Logger
	expiry *config.Value[policy.CertificateExpiry]
}

// New opens and migrates the node's database and wires the service. Call
// Run for its background work and Close when done.
func New(ctx context.Context, cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := node.Logger(deps.Logger)
	hasher, err := pii.NewHasher(cfg.IDHashKey)
	if err != nil {
		return nil, fmt.Errorf("membership: %w", err)
	}
	base, err := node.OpenDistrict(ctx, node.District{Service: ServiceName, District: cfg.District, DBPath: cfg.DBPath,
		Storage: cfg.Storage, StorageMetrics: deps.Storage, Migrate: store.Migrate, Document: openAPI})
	if err != nil {
		return nil, err
	}
	st := store.New(base.DB(), base.Outbox())
	expiry := config.NewValue(deps.Etcd, policy.CertificateExpiryKey, policy.DefaultCertificateExpiry, policy.ParseCertificateExpiry, logger, deps.Registerer)
	opts := []service.Option{service.WithCertificateExpiry(expiry.Load)}
	if deps.Now != nil {
		opts = append(opts, service.WithClock(deps.Now))
	}
	svc := service.New(cfg.District, st, service.PKGIDRules(hasher), cfg.Sealer, logger, opts...)
	var api service.Service = service.LoggingMiddleware(logger)(svc)
	az := &authorizer{district: cfg.District, svc: svc, logger: logger}
	// The endpoint middleware chain (route middleware, authorization,
	// then Deps.Endpoint's instrumentation outermost, so 401s and 403s are
	// counted and traced like any other outcome) is kitx.Chain's, the same
	// in every service.
	if err := base.Serve(routeTable(api, az, kitx.DistrictPath(cfg.District)), deps.Endpoint,
		service.ErrDistrictNotFound, cfg.TrustProxy, logger); err != nil {
		_ = base.Close()
		return nil, err
	}
	return &Node{Base: base, cfg: cfg, deps: deps, store: st, svc: svc, logger: logger, expiry: expiry}, nil
}

// Run does the node's background work — guard imports (resuming jobs a
// restart interrupted), idempotency-key expiry, re-sealing stored ID
// numbers with the current key after a rotation (at start, then hourly),
// announcing certificates entering the expiry window (at start, then
// hourly; once each), with Deps.Etcd watching that window and, with
// Config.Brokers, consuming the district's meetings topic — until ctx ends.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	// The expiry window's watch and the daily announcement of expiring
	// certificates run beside the service's own work.
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	if n.deps.Etcd != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.expiry.Run(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("membership: watching the certificate-expiry window failed", "err", err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		// The first check waits for the city's window (at most
		// policyWait): announcing with the default in the moment before
		// etcd's value is read would send events a 10-day window never
		// would. With etcd down it goes ahead with the default.
		if n.deps.Etcd != nil {
			t := time.NewTimer(policyWait)
			select {
			case <-n.expiry.Loaded():
			case <-t.C:
				n.logger.Warn("membership: the certificate-expiry window is not read from etcd yet; checking with the default", "default_days", policy.DefaultCertificateExpiry.WindowDays)
			case <-ctx.Done():
			}
			t.Stop()
		}
		n.svc.RunCertificateExpiry(ctx)
	}()
	if len(n.cfg.Brokers) == 0 {
		return n.svc.Run(ctx)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		transport.MeetingsEvents{
			District: n.cfg.District, Store: n.store, Service: n.svc, Wake: n.Outbox().Notify,
			Consumer: eventbus.ConsumerConfig{
				Brokers: n.cfg.Brokers, DB: n.DB(),
				Logger:  n.logger, // NewConsumer names its component and topic itself
				Metrics: n.deps.Bus, Dialer: n.deps.Dialer, Transport: n.deps.Transport,
			},
		}.Run(ctx)
	}()
	err := n.svc.Run(ctx)
	cancel()
	<-done
	return err
}
