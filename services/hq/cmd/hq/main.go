// Command hq runs the association HQ on its own (one Kubernetes release with
// role=hq): it consumes every registered district's membership and meetings
// topics from Kafka, watches the district registry in etcd, and serves the city-wide
// read model under /api/v1/hq/… and /api/v1/openapi.json on -http.addr,
// and /healthz, /readyz and /metrics on the admin listener -admin.addr
// (default :9090; "same" puts them on the API listener).
//
// Every /api/v1/hq/… request must carry "Authorization: Bearer <JWT>" from
// the association's OpenID Connect issuer, verified through its JWKS; the
// role and scope claims decide what the caller may see (hq.Policy). The
// admin routes and the OpenAPI document stay open. The command refuses to
// start without -auth.oidc.issuer, -auth.oidc.audience and
// -auth.oidc.jwks-url: an HQ without authentication is a misconfiguration,
// not a mode.
//
// Flags (env GUILDHALL_<FLAG> with dots and dashes as underscores; flags win):
// -http.addr, -admin.addr, -db.path (formerly -hq.db-path), -hq.group-id, -hq.stale-after,
// -auth.oidc.issuer, -auth.oidc.audience, -auth.oidc.jwks-url,
// -auth.oidc.refresh-interval, -kafka.*, -etcd.*, -sqlite.*, -tracing.*,
// -log.level, -log.file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"

	"github.com/guildhall/guildhall/services/hq"
)

func main() {
	if err := runMain(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hq:", err)
		os.Exit(1)
	}
}

// Config is the command's configuration.
type Config struct {
	HTTPAddr   string
	AdminAddr  string
	DBPath     string
	GroupID    string
	StaleAfter time.Duration
	Log        telemetry.LogConfig
	Kafka      config.Kafka
	Etcd       config.Etcd
	Storage    storage.Config
	Tracing    telemetry.TracingConfig
	OIDC       auth.OIDCConfig
}

// RegisterFlags registers every flag of the command.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.HTTPAddr, "http.addr", ":8080", "listen address of the API")
	fs.StringVar(&c.AdminAddr, "admin.addr", ":9090", `listen address of /healthz, /readyz and /metrics (keep it off the public network); "same" serves them on -http.addr`)
	fs.StringVar(&c.DBPath, "db.path", "data/hq/hq.db", "SQLite file of HQ's read model")
	// The flag's name before it matched the other services' -db.path; kept
	// so existing deployments start.
	fs.StringVar(&c.DBPath, "hq.db-path", "data/hq/hq.db", "deprecated: use -db.path")
	fs.StringVar(&c.GroupID, "hq.group-id", hq.DefaultGroupID, "Kafka consumer group of HQ")
	fs.DurationVar(&c.StaleAfter, "hq.stale-after", hq.DefaultStaleAfter, "how long a district may be behind with nothing applied before it is stale")
	c.Log = telemetry.LogConfig{Level: "info"}
	c.Log.RegisterFlags("", fs) // log.level, log.file
	c.Kafka.RegisterFlags("", fs)
	c.Etcd.RegisterFlags("", fs)
	c.Storage.RegisterFlags("", fs)
	c.Tracing.RegisterFlags("", fs)
	c.OIDC.RegisterFlags("", fs)
}

// Validate checks the configuration, reporting every problem at once.
func (c *Config) Validate() error {
	var problems []error
	if err := telemetry.ValidateAdminAddr(c.AdminAddr); err != nil {
		problems = append(problems, err)
	}
	// The district registry lives in etcd: HQ cannot run without it.
	for _, err := range []error{c.Log.Validate(), c.Tracing.Validate(), c.Kafka.Validate(), c.Etcd.Validate(), c.hqConfig().Validate()} {
		if err != nil {
			problems = append(problems, err)
		}
	}
	// Without an issuer no request could be authenticated: refuse to start
	// rather than serve an API that answers 401 to everyone.
	if !c.OIDC.Enabled() {
		problems = append(problems, ErrNoAuth)
	}
	return errors.Join(problems...)
}

// usage is the head of the -h text; the flag list follows it.
const usage = `Usage: hq [flags]

Runs the association HQ: consumes every registered district's membership
and meetings topics and serves the city-wide read model under /api/v1/hq/.

Authentication is required. Every /api/v1/hq/ request carries
"Authorization: Bearer <JWT>" signed (RS256 or ES256) by the OIDC issuer:
  -auth.oidc.issuer     exact iss of accepted tokens (required)
  -auth.oidc.audience   aud the tokens must be issued for (required)
  -auth.oidc.jwks-url   the issuer's JSON Web Key Set, https (required;
                        plain http only to a loopback address)
  -auth.oidc.refresh-interval  how often the keys are refetched
Tokens carry the claims role (hq-admin, district-admin, police, ops, ...)
and districts; hq-admin sees everything, district-admin and district-scoped
police their own districts' views. /api/v1/openapi.json needs no token,
nor do /healthz, /readyz and /metrics, which are served on -admin.addr
only (default :9090; "same" serves them on -http.addr).

Every flag may also be set in the environment as GUILDHALL_<FLAG>, e.g.
GUILDHALL_AUTH_OIDC_ISSUER; flags win.

Flags:
`

// ErrNoAuth is returned when no OIDC issuer is configured.
var ErrNoAuth = errors.New("-auth.oidc.issuer, -auth.oidc.audience and -auth.oidc.jwks-url are required: HQ does not serve its API without authentication")

func (c *Config) hqConfig() hq.Config {
	return hq.Config{DBPath: c.DBPath, Storage: c.Storage, Brokers: []string(c.Kafka.Brokers), GroupID: c.GroupID, StaleAfter: c.StaleAfter}
}

func runMain(args []string) error {
	fs := flag.NewFlagSet("hq", flag.ContinueOnError)
	var f Config
	f.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, "GUILDHALL", os.LookupEnv); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	dialer, err := f.Kafka.Dialer()
	if err != nil {
		return err
	}
	transport, err := f.Kafka.Transport()
	if err != nil {
		return err
	}
	logger, closeLog, err := f.Log.Open("", os.Stderr)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }()
	// Validates the OIDC settings (all three set, https JWKS); no I/O yet.
	verifier, err := auth.NewJWKSVerifier(f.OIDC, nil, logger)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.Tracing.ServiceName == "" || f.Tracing.ServiceName == telemetry.DefaultServiceName {
		f.Tracing.ServiceName = "guildhall-hq"
	}
	shutdownTracing, err := telemetry.SetupTracing(ctx, f.Tracing)
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTracing(context.Background()) }()

	cli, err := f.Etcd.Client(nil)
	if err != nil {
		return fmt.Errorf("hq: etcd client: %w", err)
	}
	defer cli.Close()
	reg := telemetry.NewRegistry()
	w, err := wire(ctx, f.hqConfig(), logger, reg, config.NewRegistry(cli, logger, reg), cli, kafkaDeps{dialer, transport}, verifier)
	if err != nil {
		return err
	}
	defer w.node.Close()

	ls, err := telemetry.Listen(f.HTTPAddr, f.AdminAddr, w.handler, w.admin)
	if err != nil {
		return fmt.Errorf("hq: %w", err)
	}

	// In-flight requests get 10 s to finish on shutdown.
	return telemetry.Serve(ctx, logger, ls, 10*time.Second,
		w.node.Run,
		verifier.Run, // keeps the issuer's keys fresh; a failed fetch keeps the cached keys
	)
}

// kafkaDeps are the TLS/SASL-aware Kafka connectors; zero values mean plain TCP.
type kafkaDeps struct {
	dialer    *kafka.Dialer
	transport kafka.RoundTripper
}

// wiring is the assembled process: the node and its HTTP handlers.
type wiring struct {
	node *hq.Node
	// handler serves the API and its OpenAPI document.
	handler http.Handler
	// admin serves /healthz, /readyz and /metrics, for the admin listener.
	admin http.Handler
}

// wire builds the node and mounts its API and the OpenAPI document on one
// handler, with endpoint metrics and tracing on every endpoint, and the
// admin routes on another. Every API request goes through
// auth.Authenticate with verifier; it never answers by itself, so the
// document stays open while the node's endpoints refuse a request without
// a valid token. The API answers the admin paths with the JSON 404.
func wire(ctx context.Context, cfg hq.Config, logger *slog.Logger, reg *prometheus.Registry, districts hq.Districts, etcd *clientv3.Client, kd kafkaDeps, verifier auth.Verifier) (*wiring, error) {
	if verifier == nil {
		return nil, ErrNoAuth
	}
	em := telemetry.NewEndpointMetrics(reg)
	mw := func(service, name string) endpoint.Middleware {
		return endpoint.Chain(telemetry.TracingMiddleware(service, name), em.Middleware(service, "", name))
	}
	sm, err := storage.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	node, err := hq.New(ctx, cfg, hq.Deps{
		Logger:     logger,
		Districts:  districts,
		Bus:        eventbus.NewMetrics(reg),
		Storage:    sm,
		Registerer: reg,
		Endpoint:   mw,
		Dialer:     kd.dialer,
		Transport:  kd.transport,
		// The convention policy and the roundtable cadences live in the
		// same etcd as the district registry.
		Etcd: etcd,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	doc := node.OpenAPI()
	// Behind Authenticate the mux routes a copy of the request: kitx.Route
	// names the route in the access log all the same.
	mux.Handle("GET /api/v1/openapi.json", kitx.RouteHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})))
	mux.Handle("/api/v1/hq/", node.Handler())
	mux.Handle("/", kitx.NotFoundHandler())
	return &wiring{
		node:    node,
		handler: telemetry.HTTPMiddleware(auth.Authenticate(verifier)(mux), logger),
		admin:   telemetry.AdminHandler(reg, map[string]telemetry.Check{"hq": node.Ready}),
	}, nil
}
