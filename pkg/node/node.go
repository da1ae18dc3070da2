// Package node is the frame every Guildhall service runs in, so that a
// service (and the next one written) declares only what is its own:
//
//   - OpenDB and Base, what a service's New builds on: its SQLite
//     database (opened, counted, migrated) and, for a district service,
//     its outbox and its HTTP handler built from its route table;
//   - Flags, DistrictFlags, Parse, Start and Process, what a service's
//     binary (cmd/<svc>/main.go) builds on: the flags every binary takes,
//     parsed from the command line and the environment, and the process
//     around the node (JSON log, metrics registry, tracing, the OIDC
//     verifier, etcd, the relay, the API and admin listeners, a graceful
//     shutdown).
package node

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/guildhall/guildhall/pkg/audit"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
)

// OpenDB opens the database (storage.Open: the SQLite file at path, or with
// cfg.DSN the PostgreSQL schema named after name), counts the writes it
// refuses for lack of disk on m as name (nil m counts nothing), and runs
// each migration in order. On any error the database is closed again.
func OpenDB(ctx context.Context, path string, cfg storage.Config, m *storage.Metrics, name string, migrations ...func(context.Context, *storage.DB) error) (*storage.DB, error) {
	db, err := storage.Open(ctx, path, cfg, name)
	if err != nil {
		return nil, err
	}
	db.Instrument(m, name)
	for _, migrate := range migrations {
		if err := migrate(ctx, db); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	return db, nil
}

// Logger returns l, or a logger that discards everything when l is nil
// (a Deps without one).
func Logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// District describes one district service's node to OpenDistrict.
type District struct {
	// Service is the service's name in topics, metrics and elections,
	// e.g. "membership".
	Service string
	// District is the district the node serves, e.g. "jingkai".
	District string
	// DBPath and Storage are the node's database and its tuning.
	DBPath  string
	Storage storage.Config
	// StorageMetrics counts the writes the database refuses for lack of
	// disk (shared by the process); nil counts nothing.
	StorageMetrics *storage.Metrics
	// Migrate creates or upgrades the service's tables (its store's
	// migrations). OpenDistrict migrates the outbox's tables itself
	// (eventbus.Migrate) after it: the outbox is the Base's.
	Migrate func(context.Context, *storage.DB) error
	// Document is the service's OpenAPI document (Base.OpenAPI).
	Document []byte
}

// Base is what every district service's Node is built on (it embeds it):
// the node's database and outbox and, once Serve has built it, its HTTP
// handler. Its methods are the Node's.
type Base struct {
	d       District
	db      *storage.DB
	outbox  *eventbus.Outbox
	handler http.Handler
}

// OpenDistrict opens and migrates the node's database (OpenDB, counted as
// "<district>.<service>": the service's migrations, then the outbox's) and
// opens its outbox. Close it when done.
func OpenDistrict(ctx context.Context, d District) (*Base, error) {
	db, err := OpenDB(ctx, d.DBPath, d.Storage, d.StorageMetrics, d.District+"."+d.Service, MigrateDistrict(d.Migrate))
	if err != nil {
		return nil, err
	}
	outbox, err := eventbus.NewOutbox(db, d.District, d.Service)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Base{d: d, db: db, outbox: outbox}, nil
}

// MigrateDistrict is the whole migration of a district node's database, as
// OpenDistrict runs it: the service's own (migrate, its store.Migrate; nil
// for none), then the outbox's tables (eventbus.Migrate). A test that opens
// a store's database without a node migrates it with this, so that its
// database is the node's.
func MigrateDistrict(migrate func(context.Context, *storage.DB) error) func(context.Context, *storage.DB) error {
	return func(ctx context.Context, db *storage.DB) error {
		if migrate != nil {
			if err := migrate(ctx, db); err != nil {
				return err
			}
		}
		return eventbus.Migrate(ctx, db)
	}
}

// Serve builds the node's handler from its route table, the one way every
// district service does: the endpoint middleware chain applied by
// kitx.Chain (instrument, if not nil, outermost), the routes mounted by
// kitx.DistrictHandler for the node's district (another district's path is
// notFound), internal errors logged to logger, and each request's client
// address kept for the audit log (from the last X-Forwarded-For entry when
// trustProxy, the trusted proxy's). It fails on a table kitx.CheckRoutes
// refuses.
func (b *Base) Serve(routes []kitx.Route, instrument func(service, endpoint string) endpoint.Middleware, notFound error, trustProxy bool, logger *slog.Logger) error {
	chained, err := kitx.Chain(b.d.Service, routes, instrument)
	if err != nil {
		return err
	}
	b.handler = kitx.DistrictHandler(b.d.District, notFound, chained,
		kithttp.ServerErrorHandler(kitx.ErrorLogger{Logger: Logger(logger), Service: b.d.Service}),
		audit.RecordRemoteIP(trustProxy))
	return nil
}

// Handler serves the node's routes under /api/v1/districts/<district>/;
// another district's path gets the node's not-found error. Every endpoint
// enforces its policy row: the host must run auth.Authenticate in front of
// it to put the caller's principal in the request context; a request
// without one gets 401.
func (b *Base) Handler() http.Handler { return b.handler }

// Outbox is the node's outbox, for the relay that publishes it.
func (b *Base) Outbox() *eventbus.Outbox { return b.outbox }

// DB is the node's database.
func (b *Base) DB() *storage.DB { return b.db }

// District is the district the node serves.
func (b *Base) District() string { return b.d.District }

// OpenAPI returns the service's OpenAPI 3 document (a copy).
func (b *Base) OpenAPI() []byte { return slices.Clone(b.d.Document) }

// Ready reports whether the node's database answers and can take writes
// (its disk has room; see storage.DB.Ready).
func (b *Base) Ready(ctx context.Context) error {
	if err := b.db.Ready(ctx); err != nil {
		return fmt.Errorf("%s: database: %w", b.d.Service, err)
	}
	return nil
}

// Close closes the database. Stop the node's Run first.
func (b *Base) Close() error { return b.db.Close() }
