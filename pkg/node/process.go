package node

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
	"github.com/segmentio/kafka-go"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
)

// EnvPrefix prefixes the environment variable of every flag: flag
// "kafka.brokers" ← GUILDHALL_KAFKA_BROKERS (config.ApplyEnv; flags win).
const EnvPrefix = "GUILDHALL"

// OpenAPIPath is where every service binary serves its OpenAPI document.
const OpenAPIPath = "/api/v1/openapi.json"

// Flags are the settings every service binary takes, under the same names
// in each: the listeners, the database file, logs, SQLite, Kafka, etcd,
// tracing and the OIDC issuer of the tokens.
type Flags struct {
	// HTTPAddr is the API's listen address (-http.addr).
	HTTPAddr string
	// AdminAddr is the listen address of /healthz, /readyz and /metrics
	// (-admin.addr); "same" serves them on HTTPAddr.
	AdminAddr string
	// DBPath is the node's SQLite file (-db.path).
	DBPath string
	// ShutdownTimeout is how long in-flight requests get on shutdown.
	ShutdownTimeout time.Duration
	Log             telemetry.LogConfig
	Storage         storage.Config
	Kafka           config.Kafka
	Etcd            config.Etcd
	Tracing         telemetry.TracingConfig
	// OIDC is the external token issuer; a binary refuses to start without
	// one, since every endpoint needs an authenticated caller.
	OIDC auth.OIDCConfig
}

// RegisterFlags registers the flags under prefix. A DBPath set before is
// -db.path's default (HQ's data/hq/hq.db; a district binary leaves it
// empty and defaults to data/<district>/<service>.db, DistrictFlags).
func (f *Flags) RegisterFlags(prefix string, fs *flag.FlagSet) {
	fs.StringVar(&f.HTTPAddr, prefix+"http.addr", ":8080", "listen address of the API")
	fs.StringVar(&f.AdminAddr, prefix+"admin.addr", ":9090", `listen address of /healthz, /readyz and /metrics (keep it off the public network); "same" serves them on -http.addr`)
	dbHelp := "SQLite file of the node"
	if f.DBPath == "" {
		dbHelp += " (default data/<district>/<service>.db)"
	}
	fs.StringVar(&f.DBPath, prefix+"db.path", f.DBPath, dbHelp)
	fs.DurationVar(&f.ShutdownTimeout, prefix+"shutdown-timeout", 15*time.Second, "how long in-flight requests get on shutdown")
	f.Log = telemetry.LogConfig{Level: "info"}
	f.Log.RegisterFlags(prefix, fs) // log.level, log.file
	f.Storage.RegisterFlags(prefix, fs)
	f.Kafka.RegisterFlags(prefix, fs)
	f.Etcd.RegisterFlags(prefix, fs)
	f.Tracing.RegisterFlags(prefix, fs)
	f.OIDC.RegisterFlags(prefix, fs)
}

// ErrNoAuth means no OIDC issuer is configured.
var ErrNoAuth = errors.New("-auth.oidc.issuer, -auth.oidc.audience and -auth.oidc.jwks-url are required: a service does not serve its API without authentication")

// Validate checks the flags, reporting every problem at once.
func (f *Flags) Validate() error {
	problems := []error{telemetry.ValidateAdminAddr(f.AdminAddr), f.Log.Validate(), f.Storage.Validate(),
		f.Kafka.Validate(), f.Etcd.Validate(), f.Tracing.Validate()}
	// Without an issuer no request could be authenticated: refuse to start
	// rather than serve an API that answers 401 to everyone.
	if !f.OIDC.Enabled() {
		problems = append(problems, ErrNoAuth)
	} else {
		problems = append(problems, f.OIDC.Validate())
	}
	return errors.Join(problems...)
}

// DistrictFlags are the settings a district service's binary takes on top
// of Flags: its district, the outbox relay's election and retention, and
// whether a trusted proxy names the client.
type DistrictFlags struct {
	// District is the district the node serves (-district).
	District string
	// TrustProxy takes a request's client address for the audit log from
	// the last X-Forwarded-For entry (-http.trust-proxy).
	TrustProxy bool
	// ElectionTTL is how many seconds a dead relay leader's etcd lease
	// lives (-relay.election-ttl).
	ElectionTTL int
	// Candidate is this replica's name in the relay election
	// (-relay.candidate, default the hostname).
	Candidate string
	// OutboxRetention is how long sent outbox rows are kept
	// (-outbox.retention).
	OutboxRetention time.Duration
	// HeartbeatInterval is how often the service beats on its district's
	// node topic (-heartbeat.interval); HQ calls it silent after three
	// intervals without one.
	HeartbeatInterval time.Duration
}

// RegisterFlags registers the flags under prefix.
func (d *DistrictFlags) RegisterFlags(prefix string, fs *flag.FlagSet) {
	fs.StringVar(&d.District, prefix+"district", "", "district this node serves, e.g. jingkai (required)")
	fs.BoolVar(&d.TrustProxy, prefix+"http.trust-proxy", false, "record the last X-Forwarded-For entry (the one the trusted reverse proxy appended) as a request's client address in the audit log (only behind such a proxy)")
	fs.IntVar(&d.ElectionTTL, prefix+"relay.election-ttl", 10, "seconds before a dead relay leader's etcd lease expires")
	host, _ := os.Hostname()
	fs.StringVar(&d.Candidate, prefix+"relay.candidate", host, "this replica's name in the relay election: unique among live replicas, stable across its restarts (the pod name)")
	fs.DurationVar(&d.OutboxRetention, prefix+"outbox.retention", 7*24*time.Hour, "how long sent outbox rows are kept to refill a broker that lost them (consumers' inbox retention must be longer)")
	fs.DurationVar(&d.HeartbeatInterval, prefix+"heartbeat.interval", eventbus.DefaultHeartbeatInterval, "how often the service publishes its heartbeat on gh.<district>.node.v1 (HQ calls it silent after 3 intervals; HQ's -heartbeat.interval must match)")
}

// Errors of DistrictFlags.Validate.
var (
	ErrNoDistrict  = errors.New("-district is required")
	ErrBadDistrict = errors.New("a district is lower-case letters, digits and dashes")
	ErrElectionTTL = errors.New("-relay.election-ttl must be at least 1")
	ErrRetention   = errors.New("-outbox.retention must be at least 1h")
	ErrNoCandidate = errors.New("-relay.candidate is required (the hostname could not be read)")
	ErrHeartbeat   = errors.New("-heartbeat.interval must be at least 1s")
)

// Validate checks the flags, reporting every problem at once.
func (d *DistrictFlags) Validate() error {
	var problems []error
	if d.District == "" {
		problems = append(problems, ErrNoDistrict)
	} else if !eventbus.ValidName(d.District) {
		problems = append(problems, fmt.Errorf("-district %q: %w", d.District, ErrBadDistrict))
	}
	if d.ElectionTTL < 1 {
		problems = append(problems, ErrElectionTTL)
	}
	if d.OutboxRetention < time.Hour {
		problems = append(problems, ErrRetention)
	}
	if d.Candidate == "" {
		problems = append(problems, ErrNoCandidate)
	}
	if d.HeartbeatInterval < time.Second {
		problems = append(problems, ErrHeartbeat)
	}
	return errors.Join(problems...)
}

// DefaultDBPath returns the district's database file of service when
// -db.path is not given: data/<district>/<service>.db.
func (d *DistrictFlags) DefaultDBPath(service string) string {
	return filepath.Join("data", d.District, service+".db")
}

// Config is a service binary's configuration: a struct of Flags (and
// DistrictFlags) and its own settings, with the same two methods as every
// component's.
type Config interface {
	RegisterFlags(prefix string, fs *flag.FlagSet)
	Validate() error
}

// Parse reads cfg from args, then from the environment through lookup
// (GUILDHALL_<FLAG>; flags win), and validates it, every problem at once.
// usage, if not empty, heads the -h text before the flag list; -h and
// parse errors are written to stderr.
func Parse(name string, cfg Config, args []string, lookup func(string) (string, bool), stderr io.Writer, usage string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags("", fs)
	if usage != "" {
		fs.Usage = func() {
			fmt.Fprint(fs.Output(), usage)
			fs.PrintDefaults()
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, EnvPrefix, lookup); err != nil {
		return err
	}
	return cfg.Validate()
}

// RunFunc is a service binary's runMain: it parses args (and the
// environment through lookup), logs to stderr, calls ready (if not nil)
// with its listeners' addresses once they accept, and runs until ctx ends
// or SIGINT or SIGTERM arrives.
type RunFunc func(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer, ready func(api, admin string)) error

// Main runs a binary's runMain the way its main function does, with the
// process's arguments, environment and stderr, and returns the exit code:
// 0, or 1 after printing "<name>: <error>" on stderr. Use it as
// func main() { os.Exit(node.Main("hq", runMain)) }.
func Main(name string, run RunFunc) int {
	if err := run(context.Background(), os.Args[1:], os.LookupEnv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	return 0
}

// Process is what a service binary runs its node in: opened by Start from
// the binary's Flags, shared by everything the node needs from the
// process, closed by Close.
type Process struct {
	// Logger is the process's JSON log, every record naming the service
	// (and the district of a district service).
	Logger *slog.Logger
	// Registry holds every metric the process exposes on /metrics.
	Registry *prometheus.Registry
	// Endpoint is the endpoint middleware chain of every endpoint
	// (telemetry.EndpointMetrics.For): metrics, then tracing.
	Endpoint func(service, endpoint string) endpoint.Middleware
	// Bus, Storage are the event bus and storage metrics of the process.
	Bus     *eventbus.Metrics
	Storage *storage.Metrics
	// Verifier checks the bearer tokens of the OIDC issuer; Serve keeps
	// its keys fresh.
	Verifier *auth.JWKSVerifier
	// Etcd is connected to -etcd.endpoints.
	Etcd *clientv3.Client
	// Dialer and Transport are the Kafka connectors of -kafka.* (TLS,
	// SASL).
	Dialer    *kafka.Dialer
	Transport *kafka.Transport

	flags   Flags
	closers []func()
}

// Start opens the process of service (district "" for HQ) from f: the log
// (to stderr, or -log.file), tracing (service.name guildhall-<service>
// unless -tracing.service-name says otherwise), the token verifier, the
// metrics registry with the endpoint, event bus and storage metrics on it,
// the Kafka connectors and the etcd client. Nothing listens yet (Serve).
func Start(ctx context.Context, f Flags, service, district string, stderr io.Writer) (p *Process, err error) {
	p = &Process{flags: f}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	logger, closeLog, err := f.Log.Open("", stderr)
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, func() { _ = closeLog() })
	p.Logger = logger.With("service", service)
	if district != "" {
		p.Logger = p.Logger.With("district", district)
	}
	if f.Tracing.ServiceName == "" || f.Tracing.ServiceName == telemetry.DefaultServiceName {
		f.Tracing.ServiceName = telemetry.DefaultServiceName + "-" + service
	}
	shutdownTracing, err := telemetry.SetupTracing(ctx, f.Tracing)
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdownTracing(sctx)
	})
	if p.Verifier, err = auth.NewJWKSVerifier(f.OIDC, nil, p.Logger.With("component", "auth")); err != nil {
		return nil, err
	}
	p.Registry = telemetry.NewRegistry()
	p.Endpoint = telemetry.NewEndpointMetrics(p.Registry).For(district)
	p.Bus = eventbus.NewMetrics(p.Registry)
	if p.Storage, err = storage.NewMetrics(p.Registry); err != nil {
		return nil, err
	}
	if p.Dialer, err = f.Kafka.Dialer(); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	if p.Transport, err = f.Kafka.Transport(); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	cli, err := f.Etcd.Client(nil)
	if err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	p.closers = append(p.closers, func() { _ = cli.Close() })
	p.Etcd = cli
	return p, nil
}

// Close closes what Start opened, the last first. Close the node first.
func (p *Process) Close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
	p.closers = nil
}

// APIHandler returns the API listener's handler: the service's OpenAPI
// document at OpenAPIPath, api under each of prefixes (e.g.
// "/api/v1/districts/"), the API's JSON 404 everywhere else (the admin
// paths included), every request authenticated first (auth.Authenticate
// only puts the caller's principal in the context; the endpoints answer
// 401 and 403, so the document stays open) and written to the access log.
func (p *Process) APIHandler(doc []byte, api http.Handler, prefixes ...string) http.Handler {
	mux := http.NewServeMux()
	// Behind Authenticate the mux routes a copy of the request: kitx.Route
	// names the route in the access log all the same.
	mux.Handle("GET "+OpenAPIPath, kitx.RouteHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})))
	for _, prefix := range prefixes {
		mux.Handle(prefix, api)
	}
	mux.Handle("/", kitx.NotFoundHandler())
	return telemetry.HTTPMiddleware(auth.Authenticate(p.Verifier)(mux), p.Logger)
}

// AdminHandler returns the admin listener's handler: /healthz, /readyz
// (every check must pass) and /metrics of the process's registry.
func (p *Process) AdminHandler(checks map[string]telemetry.Check) http.Handler {
	return telemetry.AdminHandler(p.Registry, checks)
}

// Relay returns the relay that publishes outbox to Kafka while this
// replica holds the etcd election of its district and service.
func (p *Process) Relay(outbox *eventbus.Outbox, d DistrictFlags) (*eventbus.Relay, error) {
	return eventbus.NewRelay(eventbus.RelayConfig{
		Brokers:   p.flags.Kafka.Brokers,
		Outbox:    outbox,
		Elector:   eventbus.NewEtcdElector(p.Etcd, eventbus.ElectionKey(d.District, outbox.Service()), d.Candidate, d.ElectionTTL),
		Logger:    p.Logger, // NewRelay adds its component
		Metrics:   p.Bus,
		Transport: p.Transport,
		Retention: d.OutboxRetention,
	})
}

// Serve opens the API listener (-http.addr, serving api) and the admin
// listener (-admin.addr, serving admin), calls ready, if not nil, with
// their addresses, and runs them and tasks (the node's Run, its relay)
// with the verifier's key refresh until ctx ends or SIGINT or SIGTERM
// arrives, then shuts down gracefully (telemetry.Serve).
func (p *Process) Serve(ctx context.Context, api, admin http.Handler, ready func(api, admin string), tasks ...func(context.Context) error) error {
	ls, err := telemetry.Listen(p.flags.HTTPAddr, p.flags.AdminAddr, api, admin)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ls.APIAddr(), ls.AdminAddr())
	}
	// The verifier keeps the issuer's keys fresh, so requests rarely wait
	// for a fetch; a failed fetch keeps the cached keys.
	return telemetry.Serve(ctx, p.Logger, ls, p.flags.ShutdownTimeout, append(tasks, p.Verifier.Run)...)
}

// DistrictNode is what a district service's Node offers its binary: the
// methods of Base and the service's own Run.
type DistrictNode interface {
	Handler() http.Handler
	OpenAPI() []byte
	Outbox() *eventbus.Outbox
	Ready(ctx context.Context) error
	Run(ctx context.Context) error
	Close() error
}

// Heartbeat returns the heartbeat of outbox's service, reporting relay's
// leadership.
func (p *Process) Heartbeat(outbox *eventbus.Outbox, relay *eventbus.Relay, d DistrictFlags) (*eventbus.Heartbeat, error) {
	return eventbus.NewHeartbeat(eventbus.HeartbeatConfig{
		Brokers:   p.flags.Kafka.Brokers,
		Outbox:    outbox,
		Instance:  d.Candidate,
		Version:   Version(),
		Leading:   relay.Leading,
		Interval:  d.HeartbeatInterval,
		Transport: p.Transport,
		Logger:    p.Logger,
		Metrics:   p.Bus,
	})
}

// ServeDistrict serves a district service's node in the process until ctx
// ends (Serve): its API under /api/v1/districts/ with its document, its
// database as the readiness check (/readyz's "database"), its Run, the
// relay of its outbox and its heartbeat. It closes n when done.
func (p *Process) ServeDistrict(ctx context.Context, n DistrictNode, d DistrictFlags, ready func(api, admin string)) error {
	defer n.Close()
	relay, err := p.Relay(n.Outbox(), d)
	if err != nil {
		return err
	}
	hb, err := p.Heartbeat(n.Outbox(), relay, d)
	if err != nil {
		return err
	}
	return p.Serve(ctx, p.APIHandler(n.OpenAPI(), n.Handler(), "/api/v1/districts/"),
		p.AdminHandler(map[string]telemetry.Check{"database": n.Ready}), ready, n.Run, relay.Run, hb.Run)
}
