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
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-kit/kit/endpoint"
	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sync/errgroup"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/services/meetings/internal/service"
	"github.com/guildhall/guildhall/services/meetings/internal/store"
	"github.com/guildhall/guildhall/services/meetings/internal/transport"
)

// ServiceName is the service's name in topics, metrics and elections.
const ServiceName = "meetings"

// ConventionKey is the etcd key of the association's current convention
// (city-wide policy): JSON {version, title, text, published_at}.
const ConventionKey = "/guildhall/policy/convention"

// CadenceKey returns the etcd key of a district's roundtable cadence: JSON
// {"per":"month","count":1}.
func CadenceKey(district string) string {
	return "/guildhall/config/" + district + "/meetings/roundtable-cadence"
}

// openAPI is the service's OpenAPI 3 document, generated from the route
// table by `make openapi` (pkg/apidoc); a test fails when it is stale.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIDocument returns the service's OpenAPI 3 document.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPI...) }

// Convention is a version of the self-discipline convention (《行业自律公约》).
type Convention = service.Convention

// Cadence is a district's expected roundtables per period.
type Cadence = service.Cadence

// DefaultCadence is the cadence when etcd has none: one roundtable a month
// (肖军's "定期召开片区行业圆桌会").
var DefaultCadence = Cadence{Per: "month", Count: 1}

// Config configures a meetings node.
type Config struct {
	// District is the district this node serves, e.g. "jingkai".
	District string
	// DBPath is the SQLite file, e.g. data/jingkai/meetings.db.
	DBPath string
	// Storage tunes SQLite.
	Storage storage.Config
	// Etcd holds the live convention and cadence; nil (tests) uses
	// DefaultConvention and DefaultCadence only.
	Etcd *clientv3.Client
	// DefaultConvention is the convention while etcd has none (zero: none
	// published).
	DefaultConvention Convention
	// DefaultCadence overrides the package's DefaultCadence when set.
	DefaultCadence Cadence
	// CheckInGrace is how long after a meeting's end its codes still work
	// (default 2h).
	CheckInGrace time.Duration
	// ReminderInterval is how often Run looks for action items to remind
	// (default 1h; an item is reminded at most once a day anyway).
	ReminderInterval time.Duration
	// TrustProxy takes a request's client address for the audit log from
	// the last X-Forwarded-For entry (the one the trusted proxy appended).
	TrustProxy bool
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// Errors of Config.Validate.
var (
	ErrBadDistrict = errors.New("meetings: district must be lower-case letters, digits and dashes")
	ErrNoDBPath    = errors.New("meetings: a database path is required")
)

// Validate checks the configuration.
func (c Config) Validate() error {
	if !eventbus.ValidName(c.District) {
		return fmt.Errorf("%w: %q", ErrBadDistrict, c.District)
	}
	if c.DBPath == "" {
		return ErrNoDBPath
	}
	if c.DefaultCadence != (Cadence{}) {
		if err := service.ValidateCadence(c.DefaultCadence); err != nil {
			return fmt.Errorf("meetings: default cadence: %w", err)
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
}

// Node is a running meetings service of one district.
type Node struct {
	cfg        Config
	db         *storage.DB
	outbox     *eventbus.Outbox
	svc        *service.Meetings
	handler    http.Handler
	logger     *slog.Logger
	convention *config.Value[Convention]
	cadence    *config.Value[Cadence]
}

// ParseConvention decodes and validates a convention as stored in etcd.
func ParseConvention(raw []byte) (Convention, error) {
	var c Convention
	if err := json.Unmarshal(raw, &c); err != nil {
		return Convention{}, fmt.Errorf("meetings: convention: %w", err)
	}
	if err := service.ValidateConvention(c); err != nil {
		return Convention{}, err
	}
	return c, nil
}

// ParseCadence decodes and validates a roundtable cadence as stored in etcd.
func ParseCadence(raw []byte) (Cadence, error) {
	var c Cadence
	if err := json.Unmarshal(raw, &c); err != nil {
		return Cadence{}, fmt.Errorf("meetings: cadence: %w", err)
	}
	return c, service.ValidateCadence(c)
}

// PublishConvention makes c the association's current convention, city-wide:
// every district node's watch picks it up. It is HQ's operation (the lead
// mounts it as an HQ endpoint); c is validated first, and the error of an
// invalid one has the id convention.invalid.
func PublishConvention(ctx context.Context, cli *clientv3.Client, c Convention) error {
	if err := service.ValidateConvention(c); err != nil {
		return err
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("meetings: convention: %w", err)
	}
	if _, err := cli.Put(ctx, ConventionKey, string(raw)); err != nil {
		return fmt.Errorf("meetings: publish convention: %w", err)
	}
	return nil
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
	if cfg.DefaultCadence == (Cadence{}) {
		cfg.DefaultCadence = DefaultCadence
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
	conv := config.NewValue(cfg.Etcd, ConventionKey, cfg.DefaultConvention, ParseConvention, logger, nil)
	cad := config.NewValue(cfg.Etcd, CadenceKey(cfg.District), cfg.DefaultCadence, ParseCadence, logger, nil)
	svc := service.New(cfg.District, store.New(db, outbox), conv.Load, cad.Load, logger,
		service.Options{CheckInGrace: cfg.CheckInGrace, Now: cfg.Now})
	az := &authorizer{district: cfg.District, svc: svc, logger: logger}
	// The endpoint middleware chain (route middleware, authorization,
	// then Deps.Endpoint's instrumentation outermost, so 401s and 403s are
	// counted and traced like any other outcome) is kitx.Chain's, the same
	// in every service.
	routes, err := kitx.Chain(ServiceName, routeTable(svc, az, transport.BasePath(cfg.District)), deps.Endpoint)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Node{
		cfg: cfg, db: db, outbox: outbox, svc: svc, logger: logger, convention: conv, cadence: cad,
		handler: transport.NewHTTPHandler(cfg.District, routes, logger, transport.Options{TrustProxy: cfg.TrustProxy}),
	}, nil
}

// Handler serves /api/v1/districts/<district>/meetings…, /action-items,
// /resolutions, /convention…, /attendance…, /roundtables… and /meetings/audit (the membership service owns /audit);
// another district's path gets 404 district.not_found. Every endpoint
// enforces Policy: the host must run auth.Authenticate in front of it.
func (n *Node) Handler() http.Handler { return n.handler }

// Outbox is the node's outbox, for the relay that publishes it.
func (n *Node) Outbox() *eventbus.Outbox { return n.outbox }

// DB is the node's database.
func (n *Node) DB() *storage.DB { return n.db }

// District is the district the node serves.
func (n *Node) District() string { return n.cfg.District }

// SendReminders runs one reminder pass now (Run does it on its ticker) and
// returns how many ActionItemReminder events it emitted.
func (n *Node) SendReminders(ctx context.Context) (int, error) { return n.svc.SendReminders(ctx) }

// Run does the node's background work until ctx ends: action item
// reminders (at start, then every ReminderInterval), idempotency-key expiry,
// and, with etcd, watching the convention and the roundtable cadence.
func (n *Node) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if n.cfg.Etcd != nil {
		g.Go(func() error { return n.convention.Run(ctx) })
		g.Go(func() error { return n.cadence.Run(ctx) })
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

// Ready reports whether the node's database answers and can take writes
// (its disk has room; see storage.DB.Ready).
func (n *Node) Ready(ctx context.Context) error {
	if err := n.db.Ready(ctx); err != nil {
		return fmt.Errorf("meetings: database: %w", err)
	}
	return nil
}

// Close closes the database. Stop Run first.
func (n *Node) Close() error { return n.db.Close() }

// OpenAPI returns the service's OpenAPI 3 document.
func (n *Node) OpenAPI() []byte { return OpenAPIDocument() }
