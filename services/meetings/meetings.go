// Package meetings is the meetings service of a district node: council,
// president's office, district working meetings and roundtables, their
// agenda, invitations and check-in, minutes, resolutions and action items,
// and the self-discipline convention campaign. New wires its layers
// (store → service → endpoints → HTTP) so that both a service binary and
// the all-in-one guildhall binary link the same code.
package meetings

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sync/errgroup"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/node"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
	"github.com/guildhall/guildhall/services/meetings/internal/store"
	"github.com/guildhall/guildhall/services/meetings/internal/transport"
)

// ServiceName is the service's name in topics, metrics and elections.
const ServiceName = "meetings"

// openAPI is the service's OpenAPI 3 document, generated from the route
// table by `make openapi` (pkg/apidoc); a test fails when it is stale.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIDocument returns the service's OpenAPI 3 document.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPI...) }

// Convention is a version of the self-discipline convention (《行业自律公约》),
// city-wide policy at policy.ConventionKey.
type Convention = service.Convention

// Cadence is a district's expected roundtables per period, at
// policy.CadenceKey; policy.DefaultCadence while the key is absent.
type Cadence = service.Cadence

// VisitPlan is the city-wide field-visit plan, at policy.VisitPlanKey;
// policy.DefaultVisitPlan while the key is absent.
type VisitPlan = service.VisitPlan

// Config configures a meetings node.
type Config struct {
	// District is the district this node serves, e.g. "jingkai".
	District string
	// DBPath is the SQLite file, e.g. data/jingkai/meetings.db.
	DBPath string
	// Storage tunes SQLite.
	Storage storage.Config
	// DefaultConvention is the convention while etcd has none (zero: none
	// published); tests set it. The cadence's default is not a setting:
	// it is policy.DefaultCadence, the one HQ assumes too.
	DefaultConvention Convention
	// CheckInGrace is how long after a meeting's end its codes still work
	// (default 2h).
	CheckInGrace time.Duration
	// ReminderInterval is how often Run looks for action items to remind
	// (default 1h; an item is reminded at most once a day anyway).
	ReminderInterval time.Duration
	// TrustProxy takes a request's client address for the audit log from
	// the last X-Forwarded-For entry (the one the trusted proxy appended).
	TrustProxy bool
	// Brokers are the Kafka bootstrap addresses the node consumes its
	// district's membership topic from (gh.<district>.membership.v1), to
	// keep its projection of the district's companies: invitations and
	// signatures name a company from it, and the convention rate counts
	// its active ones. Empty: no consumer, so no company is known and
	// every invitation of a company is company.not_found (tests that need
	// companies put them with Node.PutCompany).
	Brokers []string
}

// Errors of Config.Validate.
var (
	ErrBadDistrict = errors.New("meetings: district must be lower-case letters, digits and dashes")
	ErrNoDBPath    = errors.New("meetings: a database path is required")
	ErrEmptyBroker = errors.New("meetings: a Kafka broker address is empty")
)

// Validate checks the configuration.
func (c Config) Validate() error {
	if !eventbus.ValidName(c.District) {
		return fmt.Errorf("%w: %q", ErrBadDistrict, c.District)
	}
	if c.DBPath == "" {
		return ErrNoDBPath
	}
	if slices.Contains(c.Brokers, "") {
		return ErrEmptyBroker
	}
	if c.DefaultConvention != (Convention{}) {
		if err := c.DefaultConvention.Validate(); err != nil {
			return fmt.Errorf("meetings: default convention: %w", err)
		}
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
	// Storage counts the writes the process's databases refused for lack of
	// disk (shared by the process); nil counts nothing.
	Storage *storage.Metrics
	// Registerer receives the counters of the live etcd values (the
	// convention, the roundtable cadence): reloads, rejected values, etcd
	// errors. Shared by the process's services; nil counts nothing.
	Registerer prometheus.Registerer
	// Etcd holds the live convention and cadence (pkg/policy's keys, read
	// with its Parse functions, as HQ reads them); nil (tests) uses
	// Config.DefaultConvention and policy.DefaultCadence only.
	Etcd *clientv3.Client
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Bus holds the event bus metrics shared by the process, for the
	// membership consumer; nil uses unregistered metrics.
	Bus *eventbus.Metrics
	// Dialer is an optional Kafka dialer (TLS, SASL) for the membership
	// consumer's group; nil for plain TCP.
	Dialer *kafka.Dialer
	// Transport is an optional Kafka transport (TLS, SASL) for the
	// membership consumer's fetches, dead letters and lag; nil for plain TCP.
	Transport kafka.RoundTripper
}

// Node is a running meetings service of one district. Its database,
// outbox and handler are node.Base's (Handler, Outbox, DB, District,
// OpenAPI, Ready, Close); the handler serves /meetings…, /action-items,
// /resolutions, /convention…, /attendance…, /roundtables… and
// /meetings/audit under /api/v1/districts/<district> (the membership
// service owns /audit).
type Node struct {
	*node.Base
	cfg        Config
	deps       Deps
	etcd       bool
	store      *store.Store
	svc        *service.Meetings
	logger     *slog.Logger
	convention *config.Value[Convention]
	cadence    *config.Value[Cadence]
	visitPlan  *config.Value[VisitPlan]
}

// New opens and migrates the node's database and wires the service. Call
// Run for its background work and Close when done.
func New(ctx context.Context, cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := node.Logger(deps.Logger)
	base, err := node.OpenDistrict(ctx, node.District{Service: ServiceName, District: cfg.District, DBPath: cfg.DBPath,
		Storage: cfg.Storage, StorageMetrics: deps.Storage, Migrate: store.Migrate, Document: openAPI})
	if err != nil {
		return nil, err
	}
	conv := config.NewValue(deps.Etcd, policy.ConventionKey, cfg.DefaultConvention, policy.ParseConvention, logger, deps.Registerer)
	cad := config.NewValue(deps.Etcd, policy.CadenceKey(cfg.District), policy.DefaultCadence, policy.ParseCadence, logger, deps.Registerer)
	// The visit plan is city-wide, like the convention: HQ reads the same
	// key to judge every district by the same plan.
	vp := config.NewValue(deps.Etcd, policy.VisitPlanKey, policy.DefaultVisitPlan, policy.ParseVisitPlan, logger, deps.Registerer)
	st := store.New(base.DB(), base.Outbox())
	svc := service.New(cfg.District, st, conv.Load, cad.Load, logger,
		service.Options{CheckInGrace: cfg.CheckInGrace, Now: deps.Now, VisitPlan: vp.Load})
	az := &authorizer{district: cfg.District, svc: svc, logger: logger}
	// The endpoint middleware chain (route middleware, authorization,
	// then Deps.Endpoint's instrumentation outermost, so 401s and 403s are
	// counted and traced like any other outcome) is kitx.Chain's, the same
	// in every service.
	if err := base.Serve(routeTable(svc, az, kitx.DistrictPath(cfg.District)), deps.Endpoint,
		service.ErrDistrictNotFound, cfg.TrustProxy, logger); err != nil {
		_ = base.Close()
		return nil, err
	}
	return &Node{Base: base, cfg: cfg, deps: deps, etcd: deps.Etcd != nil, store: st, svc: svc, logger: logger, convention: conv, cadence: cad, visitPlan: vp}, nil
}

// SendReminders runs one reminder pass now (Run does it on its ticker) and
// returns how many ActionItemReminder events it emitted.
func (n *Node) SendReminders(ctx context.Context) (int, error) { return n.svc.SendReminders(ctx) }

// PutCompany puts c into the node's projection of the district's
// companies as an applied membership event would (versions only move
// forward), for a node without Config.Brokers: tests, and seeding a demo.
func (n *Node) PutCompany(ctx context.Context, c Company) error {
	_, err := n.store.PutCompany(ctx, c)
	return err
}

// Company is a member company as the node's projection holds it.
type Company = service.Company

// Run does the node's background work until ctx ends: action item
// reminders (at start, then every ReminderInterval), idempotency-key expiry,
// with etcd, watching the convention and the roundtable cadence, and, with
// Config.Brokers, consuming the district's membership topic into the
// projection of its companies.
func (n *Node) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if len(n.cfg.Brokers) > 0 {
		g.Go(func() error {
			transport.MembershipEvents{
				District: n.cfg.District, Store: n.store,
				Consumer: eventbus.ConsumerConfig{
					Brokers: n.cfg.Brokers, DB: n.DB(),
					Logger:  n.logger, // NewConsumer names its component and topic itself
					Metrics: n.deps.Bus, Dialer: n.deps.Dialer, Transport: n.deps.Transport,
				},
			}.Run(ctx)
			return nil
		})
	}
	if n.etcd {
		g.Go(func() error { return n.convention.Run(ctx) })
		g.Go(func() error { return n.cadence.Run(ctx) })
		g.Go(func() error { return n.visitPlan.Run(ctx) })
	}
	g.Go(func() error {
		every := n.cfg.ReminderInterval
		if every <= 0 {
			every = time.Hour
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if sent, err := n.svc.SendReminders(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("meetings: action item reminders failed; will retry", "err", err)
			} else if sent > 0 {
				n.logger.Info("meetings: action item reminders sent", "count", sent)
			}
			if _, err := n.svc.ExpireIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
				n.logger.Error("meetings: idempotency key expiry failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
	return g.Wait()
}
