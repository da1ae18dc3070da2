// Command meetings runs one district's meetings service on its own (the
// Kubernetes deployment): the HTTP API and /api/v1/openapi.json on
// -http.addr, /healthz, /readyz and /metrics on the admin listener
// -admin.addr (default :9090; "same" puts them on the API listener), the
// background work (action item reminders,
// idempotency-key expiry, and the etcd watches of the association's
// convention and the district's roundtable cadence), and the outbox relay to
// Kafka, which publishes only while this replica holds the district's etcd
// election. Every API request must carry a bearer token from the configured
// OIDC issuer (-auth.oidc.*, required); the admin endpoints and the OpenAPI
// document stay open.
//
// Every flag can also be set from the environment: flag "kafka.brokers" ←
// GUILDHALL_KAFKA_BROKERS; flags win.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/services/meetings"
)

func main() {
	if err := runMain(context.Background(), os.Args[1:], os.LookupEnv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "meetings:", err)
		os.Exit(1)
	}
}

// Config is the command's configuration.
type Config struct {
	District        string
	HTTPAddr        string
	AdminAddr       string
	DBPath          string
	TrustProxy      bool
	ElectionTTL     int
	OutboxRetention time.Duration
	Candidate       string
	ShutdownTimeout time.Duration
	Log             telemetry.LogConfig
	Storage         storage.Config
	Kafka           config.Kafka
	Etcd            config.Etcd
	Tracing         telemetry.TracingConfig
	// OIDC is the external token issuer; the service refuses to start
	// without one, since every endpoint needs an authenticated caller.
	OIDC auth.OIDCConfig
}

// RegisterFlags registers every flag of the command.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.District, "district", "", "district this node serves, e.g. jingkai (required)")
	fs.StringVar(&c.HTTPAddr, "http.addr", ":8080", "listen address of the API")
	fs.StringVar(&c.AdminAddr, "admin.addr", ":9090", `listen address of /healthz, /readyz and /metrics (keep it off the public network); "same" serves them on -http.addr`)
	fs.StringVar(&c.DBPath, "db.path", "", "SQLite file (default data/<district>/meetings.db)")
	fs.BoolVar(&c.TrustProxy, "http.trust-proxy", false, "record the last X-Forwarded-For entry (the one the trusted reverse proxy appended) as a request's client address in the audit log (only behind such a proxy)")
	fs.IntVar(&c.ElectionTTL, "relay.election-ttl", 10, "seconds before a dead relay leader's etcd lease expires")
	fs.DurationVar(&c.OutboxRetention, "outbox.retention", 7*24*time.Hour, "how long sent outbox rows are kept to refill a broker that lost them (consumers' inbox retention must be longer)")
	host, _ := os.Hostname()
	fs.StringVar(&c.Candidate, "relay.candidate", host, "this replica's name in the relay election: unique among live replicas, stable across its restarts (the pod name)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long in-flight requests get on shutdown")
	c.Log = telemetry.LogConfig{Level: "info"}
	c.Log.RegisterFlags("", fs) // log.level, log.file
	c.Storage.RegisterFlags("", fs)
	c.Kafka.RegisterFlags("", fs)
	c.Etcd.RegisterFlags("", fs)
	c.Tracing.RegisterFlags("", fs)
	c.OIDC.RegisterFlags("", fs)
}

// Errors of Config.Validate.
var (
	errNoDistrict = errors.New("-district is required")
	errTTL        = errors.New("-relay.election-ttl must be at least 1")
	errRetention  = errors.New("-outbox.retention must be at least 1h")
)

// Validate checks the configuration, reporting every problem at once.
func (c *Config) Validate() error {
	var problems []error
	if c.District == "" {
		problems = append(problems, errNoDistrict)
	} else if !eventbus.ValidName(c.District) {
		problems = append(problems, fmt.Errorf("-district %q: %w", c.District, meetings.ErrBadDistrict))
	}
	if c.ElectionTTL < 1 {
		problems = append(problems, errTTL)
	}
	if c.OutboxRetention < time.Hour {
		problems = append(problems, errRetention)
	}
	if c.Candidate == "" {
		problems = append(problems, errors.New("relay.candidate is required (the hostname could not be read)"))
	}
	if err := c.Log.Validate(); err != nil {
		problems = append(problems, err)
	}
	if err := telemetry.ValidateAdminAddr(c.AdminAddr); err != nil {
		problems = append(problems, err)
	}
	// Without an issuer no request could be authenticated: refuse to start
	// rather than serve an API that answers 401 to everyone. Etcd is
	// required too: it holds the convention and the cadence the node
	// watches, and the relay election.
	for _, err := range []error{c.Storage.Validate(), c.Kafka.Validate(), c.Etcd.Validate(), c.Tracing.Validate(), c.OIDC.Validate()} {
		if err != nil {
			problems = append(problems, err)
		}
	}
	return errors.Join(problems...)
}

// runMain parses args (and the environment through lookup), wires the
// service and runs it until ctx ends or a SIGINT/SIGTERM arrives. ready, if
// not nil, is called with the API's and the admin routes' listen addresses
// once both listeners accept.
func runMain(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer, ready func(api, admin string)) error {
	fs := flag.NewFlagSet("meetings", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, "GUILDHALL", lookup); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.DBPath == "" {
		cfg.DBPath = filepath.Join("data", cfg.District, "meetings.db")
	}
	logger, closeLog, err := cfg.Log.Open("", stderr)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }()
	logger = logger.With("service", meetings.ServiceName, "district", cfg.District)

	shutdownTracing, err := telemetry.SetupTracing(ctx, cfg.Tracing)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdownTracing(sctx)
	}()

	verifier, err := auth.NewJWKSVerifier(cfg.OIDC, nil, logger.With("component", "auth"))
	if err != nil {
		return err
	}
	// The client is opened before the node because the node watches the
	// convention and cadence keys through it; it is closed after the node
	// (deferred first, runs last).
	cli, err := cfg.Etcd.Client(nil)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer cli.Close()
	reg := telemetry.NewRegistry()
	app, err := wire(ctx, cfg, cli, verifier, logger, reg)
	if err != nil {
		return err
	}
	defer app.node.Close()

	transport, err := cfg.Kafka.Transport()
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	relay, err := eventbus.NewRelay(eventbus.RelayConfig{
		Brokers:   cfg.Kafka.Brokers,
		Outbox:    app.node.Outbox(),
		Elector:   eventbus.NewEtcdElector(cli, eventbus.ElectionKey(cfg.District, meetings.ServiceName), cfg.Candidate, cfg.ElectionTTL),
		Logger:    logger, // NewRelay adds its component
		Metrics:   app.bus,
		Transport: transport,
		Retention: cfg.OutboxRetention,
	})
	if err != nil {
		return err
	}

	ls, err := telemetry.Listen(cfg.HTTPAddr, cfg.AdminAddr, app.handler, app.admin)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ls.APIAddr(), ls.AdminAddr())
	}
	return telemetry.Serve(ctx, logger, ls, cfg.ShutdownTimeout,
		app.node.Run, relay.Run,
		verifier.Run, // keeps the issuer's keys fresh so requests rarely wait for a fetch
	)
}

// app is the wired service: the node and the process's HTTP handlers.
type app struct {
	node *meetings.Node
	// handler serves the API and its OpenAPI document.
	handler http.Handler
	// admin serves /healthz, /readyz and /metrics.
	admin http.Handler
	// bus is the event bus metrics of the process, used by the relay.
	bus *eventbus.Metrics
}

// wire builds the node with instrumenting and tracing endpoint middleware,
// the HTTP handler of the API (authenticated with v) and its OpenAPI
// document, and the handler of the admin endpoints (open, for the admin
// listener only: the API answers 404 for them).
func wire(ctx context.Context, cfg Config, cli *clientv3.Client, v auth.Verifier, logger *slog.Logger, reg *prometheus.Registry) (*app, error) {
	epm := telemetry.NewEndpointMetrics(reg)
	bus := eventbus.NewMetrics(reg)
	sm, err := storage.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	node, err := meetings.New(ctx, meetings.Config{
		District: cfg.District, DBPath: cfg.DBPath, Storage: cfg.Storage, TrustProxy: cfg.TrustProxy,
	}, meetings.Deps{
		// The live convention and roundtable cadence come from etcd.
		Etcd:       cli,
		Logger:     logger,
		Storage:    sm,
		Registerer: reg,
		Endpoint: func(service, name string) endpoint.Middleware {
			return endpoint.Chain(epm.Middleware(service, cfg.District, name), telemetry.TracingMiddleware(service, name))
		},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(node.OpenAPI())
	})
	// Authenticate only puts the caller in the context; each endpoint's
	// policy middleware answers 401/403.
	mux.Handle("/api/v1/districts/", auth.Authenticate(v)(node.Handler()))
	mux.Handle("/", kitx.NotFoundHandler())
	return &app{
		node:    node,
		handler: telemetry.HTTPMiddleware(mux, logger),
		admin:   telemetry.AdminHandler(reg, map[string]telemetry.Check{"database": node.Ready}),
		bus:     bus,
	}, nil
}
