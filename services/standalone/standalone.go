// Package standalone runs a whole city in one process: a real embedded etcd,
// an in-process Kafka-protocol broker, the HQ node and a membership node for
// every district in the registry, all on one API listener (with the admin
// routes on a second, loopback one by default). Pointed at real
// brokers and etcd endpoints (flags or GUILDHALL_* env), the same process
// runs a real node and starts neither embedded server.
package standalone

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/devstack"
	"github.com/guildhall/guildhall/pkg/errs"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/kitx"
	"github.com/guildhall/guildhall/pkg/pii"
	"github.com/guildhall/guildhall/pkg/policy"
	"github.com/guildhall/guildhall/pkg/storage"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/services/accounts"
	"github.com/guildhall/guildhall/services/hq"
	"github.com/guildhall/guildhall/services/meetings"
	"github.com/guildhall/guildhall/services/meetings/seed"
	"github.com/guildhall/guildhall/services/messaging"
	"github.com/guildhall/guildhall/services/standalone/internal/demo"
	"github.com/guildhall/guildhall/web/console"
)

// Config configures the standalone binary.
type Config struct {
	HTTPAddr string
	// AdminAddr is the listener of /healthz, /readyz and /metrics, or
	// telemetry.AdminOnAPIListener to serve them on HTTPAddr.
	AdminAddr string
	// TrustProxy takes a request's client address (for the login limiter
	// and the audit logs) from the last X-Forwarded-For entry (the one the trusted proxy appended).
	TrustProxy    bool
	DataDir       string
	BrokerAddr    string
	BrokerPersist bool
	Kafka         config.Kafka
	// NodeKafka, when set, gives each node (HQNode or a district id) its
	// own Kafka client settings (TLS, SASL principal, client id; the
	// brokers are the city's), as production gives each release its own
	// KafkaUser (charts/guildhall templates/kafka.yaml): a city whose
	// every node is held to its own ACLs. nil: every node uses Kafka's.
	NodeKafka      func(node string) config.Kafka
	Etcd           config.Etcd
	Storage        storage.Config
	Tracing        telemetry.TracingConfig
	Demo           bool
	DemoWhenEmpty  bool
	DemoSeed       int64
	RunHQ          bool
	Districts      string // comma list of district nodes to run; empty = every registered district
	IDHashKeyFile  string
	SealKeyFile    string
	StaleAfter     time.Duration
	ElectionTTL    int
	RelayRetention time.Duration
	// HeartbeatInterval is how often each district service beats on its
	// district's node topic, and what HQ counts three of before it calls
	// one silent (zero: eventbus.DefaultHeartbeatInterval).
	HeartbeatInterval time.Duration
	OIDC              auth.OIDCConfig
	TokenTTL          time.Duration
	// Now is the clock of the compliance and HQ nodes (their periods,
	// deadlines and "today"); nil is time.Now. No flag sets it: the
	// end-to-end tests move it past a period's deadline.
	Now func() time.Time
	// Log is the JSON log: stderr at warn by default, so the start-up
	// lines are what a person sees; a relative Log.File is under DataDir.
	// Start is handed the logger (Log.Open(DataDir, …)) and only reports
	// where it goes.
	Log telemetry.LogConfig
}

// RegisterFlags registers the binary's flags on fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.HTTPAddr, "http.addr", ":8080", "address of the HTTP API")
	fs.StringVar(&c.AdminAddr, "admin.addr", "127.0.0.1:8081", `address of /healthz, /readyz and /metrics (loopback by default: the metrics are per-district business figures); "same" serves them on -http.addr`)
	fs.BoolVar(&c.TrustProxy, "http.trust-proxy", false, "take a request's client address (for the login limiter and the audit logs) from the last X-Forwarded-For entry, the one the trusted reverse proxy appended (only behind such a proxy)")
	fs.StringVar(&c.DataDir, "data.dir", "./data", "directory for SQLite files, the embedded etcd and the broker log")
	fs.StringVar(&c.BrokerAddr, "broker.addr", "127.0.0.1:9092", "listen address of the in-process Kafka-protocol broker (used when -kafka.brokers is empty)")
	fs.BoolVar(&c.BrokerPersist, "broker.persist", true, "keep the in-process broker's log under the data dir across restarts")
	c.Kafka.RegisterFlags("", fs)
	c.Etcd.RegisterFlags("", fs)
	c.Storage.RegisterFlags("", fs)
	c.Tracing.RegisterFlags("", fs)
	fs.BoolVar(&c.Demo, "demo", false, "fill every district that has no companies yet with deterministic synthetic data")
	fs.BoolVar(&c.DemoWhenEmpty, "demo.when-empty", false, "like -demo, but only when the data dir is new")
	fs.Int64Var(&c.DemoSeed, "demo.seed", 20250923, "seed of the demo-data generator")
	fs.BoolVar(&c.RunHQ, "hq", true, "run the HQ node in this process")
	fs.StringVar(&c.Districts, "districts", "", "comma-separated district nodes to run (empty: every district in the registry)")
	fs.StringVar(&c.IDHashKeyFile, "pii.id-hash-key-file", "", "file holding the hex HMAC key for national ID numbers (default <data.dir>/secrets/id-hash.key, created on first start)")
	fs.StringVar(&c.SealKeyFile, "pii.seal-key-file", "", "keyring encrypting national ID numbers at rest, lines [<kid>:]<64 hex digits> (default <data.dir>/secrets/pii-seal.key, created on first start)")
	fs.DurationVar(&c.StaleAfter, "hq.stale-after", 2*time.Minute, "HQ marks a district stale when it is behind and nothing arrived for this long")
	fs.IntVar(&c.ElectionTTL, "relay.election-ttl", 5, "seconds a dead relay leader keeps its etcd lease")
	fs.DurationVar(&c.RelayRetention, "outbox.retention", 7*24*time.Hour, "how long sent outbox rows are kept to refill a broker that lost them")
	fs.DurationVar(&c.HeartbeatInterval, "heartbeat.interval", eventbus.DefaultHeartbeatInterval, "how often each district service publishes its heartbeat on gh.<district>.node.v1; HQ calls a service silent after 3 intervals without one")
	c.OIDC.RegisterFlags("", fs)
	fs.DurationVar(&c.TokenTTL, "auth.token-ttl", 12*time.Hour, "lifetime of the tokens the built-in issuer signs at /api/v1/auth/login")
	c.Log = telemetry.LogConfig{Level: "warn"}
	c.Log.RegisterFlags("", fs)
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var problems []error
	if c.DataDir == "" {
		problems = append(problems, errors.New("standalone: data.dir is required"))
	}
	if c.ElectionTTL < 1 {
		problems = append(problems, errors.New("standalone: relay.election-ttl must be at least 1"))
	}
	if c.HeartbeatInterval < 0 {
		problems = append(problems, errors.New("standalone: heartbeat.interval must not be negative"))
	}
	if err := telemetry.ValidateAdminAddr(c.AdminAddr); err != nil {
		problems = append(problems, err)
	}
	for _, d := range c.districtList() {
		if !eventbus.ValidName(d) {
			problems = append(problems, fmt.Errorf("standalone: bad district id %q in -districts", d))
		}
	}
	// Empty broker and etcd lists mean "run the embedded ones", so those
	// configs are only validated when they point somewhere.
	checks := []interface{ Validate() error }{&c.Storage, &c.Tracing, &c.Log}
	if c.OIDC.Enabled() {
		checks = append(checks, &c.OIDC)
	}
	if len(c.Kafka.Brokers) > 0 {
		checks = append(checks, &c.Kafka)
	}
	if len(c.Etcd.Endpoints) > 0 {
		checks = append(checks, &c.Etcd)
	}
	for _, v := range checks {
		if err := v.Validate(); err != nil {
			problems = append(problems, err)
		}
	}
	return errors.Join(problems...)
}

func (c *Config) districtList() []string {
	var out []string
	for _, d := range strings.Split(c.Districts, ",") {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// DefaultDistricts are registered on the first start of a standalone city:
// the district group of the seed meeting.
var DefaultDistricts = []config.District{
	{ID: "jingkai", Name: "Jingkai (Wuhan Economic & Technological Development Zone)", NameZH: "经开", LeadVicePresident: "罗灯亮", PoliceLiaison: "徐谦（经开区公安分局）"},
	{ID: "caidian", Name: "Caidian", NameZH: "蔡甸", LeadVicePresident: "罗灯亮", PoliceLiaison: "高巍（蔡甸区公安分局）"},
}

// City is a running standalone process.
type City struct {
	cfg       Config
	logger    *slog.Logger
	out       *lineWriter
	started   atomic.Bool // Start has returned: later news is printed as it happens
	reg       *prometheus.Registry
	bus       *eventbus.Metrics
	storage   *storage.Metrics
	epm       *telemetry.EndpointMetrics
	etcd      *devstack.Etcd
	broker    *devstack.Broker
	cli       *clientv3.Client
	brokers   []string
	registry  *config.Registry
	hq        *hq.Node
	idKey     []byte
	sealer    *pii.Sealer
	listeners *telemetry.Listeners
	freshDir  bool
	lock      *os.File
	verifier  auth.Verifier
	accounts  *accounts.Node
	candidate string

	mu        sync.RWMutex
	districts map[string]*districtNode

	ctx       context.Context
	cancel    context.CancelFunc
	closeOnce sync.Once
	wg        sync.WaitGroup
	errc      chan error

	// hqMessaging is the messaging service in its HQ role beside HQ: the
	// directives on gh.hq.directives.v1 and their delivery per district.
	hqMessaging *messaging.Node

	// kafka holds each node's Kafka connectors (kafkaFor).
	kafka kafkaClients
}

// Start brings the city up: etcd, broker, registry, HQ, district nodes, the
// API listener and the admin listener. It returns once both are being
// served; Wait blocks until ctx ends or a component fails.
func Start(ctx context.Context, cfg Config, logger *slog.Logger, out io.Writer) (_ *City, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &City{
		cfg: cfg, logger: logger, out: &lineWriter{w: out},
		reg:       telemetry.NewRegistry(),
		districts: map[string]*districtNode{},
		errc:      make(chan error, 16),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	c.bus = eventbus.NewMetrics(c.reg)
	if c.storage, err = storage.NewMetrics(c.reg); err != nil {
		return nil, err
	}
	c.epm = telemetry.NewEndpointMetrics(c.reg)

	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("standalone: data dir: %w", err)
	}
	c.freshDir = freshDataDir(cfg.DataDir, cfg.Log.Path(cfg.DataDir))
	// Two processes on one data dir would share SQLite files, the etcd
	// data and the broker log; refuse instead of corrupting them.
	if c.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	c.printf("guildhall: starting the city in %s (JSON logs: %s)\n", cfg.DataDir, cfg.Log.Describe(cfg.DataDir))
	// The election candidate names this process and survives its restarts
	// (the data dir is locked to one process), so a killed relay that comes
	// back reclaims leadership at once instead of waiting out its lease.
	host, _ := os.Hostname()
	absDir, _ := filepath.Abs(cfg.DataDir)
	c.candidate = host + ":" + absDir
	if c.idKey, err = loadOrCreateKey(c.keyFile()); err != nil {
		return nil, err
	}
	// A generated seal key file holds one bare key (key id k1); a keyring
	// of several lines is for rotation, so only a missing file is created.
	sealFile := c.cfg.SealKeyFile
	if sealFile == "" {
		sealFile = filepath.Join(cfg.DataDir, "secrets", "pii-seal.key")
	}
	if _, err := os.Stat(sealFile); errors.Is(err, os.ErrNotExist) {
		if _, err := loadOrCreateKey(sealFile); err != nil {
			return nil, err
		}
	}
	sealRing, err := os.ReadFile(sealFile)
	if err != nil {
		return nil, fmt.Errorf("standalone: read seal key file: %w", err)
	}
	if c.sealer, err = pii.ParseKeyring(string(sealRing)); err != nil {
		return nil, fmt.Errorf("standalone: %s: %w", sealFile, err)
	}
	if err := c.startAuth(ctx); err != nil {
		return nil, err
	}

	if len(cfg.Etcd.Endpoints) == 0 {
		if c.etcd, err = devstack.StartEtcd(ctx, filepath.Join(cfg.DataDir, "etcd")); err != nil {
			return nil, fmt.Errorf("standalone: embedded etcd: %w", err)
		}
		c.cli = c.etcd.Client
		c.printf("etcd (embedded): %s\n", strings.Join(c.etcd.Endpoints, ","))
	} else {
		if c.cli, err = cfg.Etcd.Client(nil); err != nil {
			return nil, fmt.Errorf("standalone: etcd client: %w", err)
		}
		c.printf("etcd: %s\n", strings.Join(cfg.Etcd.Endpoints, ","))
	}

	if len(cfg.Kafka.Brokers) == 0 {
		bc := devstack.BrokerConfig{Addr: cfg.BrokerAddr}
		if cfg.BrokerPersist {
			bc.DataDir = filepath.Join(cfg.DataDir, "broker")
		}
		if c.broker, err = devstack.StartBroker(bc); err != nil {
			return nil, fmt.Errorf("standalone: in-process broker: %w", err)
		}
		c.brokers = []string{c.broker.Addr}
		c.printf("kafka broker (in-process): %s\n", c.broker.Addr)
		if c.broker.Recovered {
			c.println("kafka broker: the last run did not stop cleanly; its log was discarded and the districts re-publish their outboxes")
		}
	} else {
		c.brokers = cfg.Kafka.Brokers
		c.printf("kafka brokers: %s\n", strings.Join(c.brokers, ","))
	}

	c.registry = config.NewRegistry(c.cli, logger, c.reg)
	for _, d := range DefaultDistricts {
		if _, err := c.registry.RegisterIfAbsent(ctx, d); err != nil {
			return nil, fmt.Errorf("standalone: register %s: %w", d.ID, err)
		}
		// The seed report asks each district group to hold its roundtable
		// "定期"; policy.DefaultCadence (monthly) is what every reader
		// assumes without the key, written so a district lead finds it to
		// change in etcd.
		cadence, err := policy.EncodeCadence(policy.DefaultCadence)
		if err != nil {
			return nil, fmt.Errorf("standalone: roundtable cadence: %w", err)
		}
		if err := putIfAbsent(ctx, c.cli, policy.CadenceKey(d.ID), string(cadence)); err != nil {
			return nil, fmt.Errorf("standalone: roundtable cadence of %s: %w", d.ID, err)
		}
	}

	if cfg.RunHQ {
		hqKafka, err := c.kafkaFor(HQNode)
		if err != nil {
			return nil, err
		}
		c.hq, err = hq.New(ctx, hq.Config{
			DBPath:     filepath.Join(cfg.DataDir, "hq", "hq.db"),
			Storage:    cfg.Storage,
			Brokers:    c.brokers,
			StaleAfter: cfg.StaleAfter,
		}, hq.Deps{
			Logger:     logger.With("node", "hq"),
			Districts:  c.registry,
			Bus:        c.bus,
			Storage:    c.storage,
			Registerer: c.reg,
			Endpoint:   c.endpointMiddleware("hq"),
			Etcd:       c.cli,
			Dialer:     hqKafka.dialer,
			Transport:  hqKafka.roundTripper(),
			Now:        cfg.Now,
		})
		if err != nil {
			return nil, fmt.Errorf("standalone: hq: %w", err)
		}
		c.goRun("hq", c.hq.Run)
		if err := c.startHQMessaging(ctx); err != nil {
			return nil, err
		}
	}

	districts, err := c.registry.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("standalone: list districts: %w", err)
	}
	c.syncDistricts(ctx, districts)
	c.goRun("registry", func(ctx context.Context) error {
		return c.registry.Watch(ctx, func(ds []config.District) { c.syncDistricts(ctx, ds) })
	})

	api := telemetry.HTTPMiddleware(auth.Authenticate(c.verifier)(c.routes()), logger)
	if c.listeners, err = telemetry.Listen(cfg.HTTPAddr, cfg.AdminAddr, api, c.adminHandler()); err != nil {
		return nil, fmt.Errorf("standalone: %w", err)
	}
	for _, s := range c.listeners.Servers() {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			// JSONErrorListener: even net/http's own refusals are JSON.
			if err := s.HTTP.Serve(telemetry.JSONErrorListener(s.Listener)); err != nil && !errors.Is(err, http.ErrServerClosed) {
				c.errc <- fmt.Errorf("standalone: %s listener: %w", s.Name, err)
			}
		}()
	}
	c.printf("guildhall: serving the city on http://%s\n", displayAddr(c.listeners.API.Listener.Addr()))
	c.printf("guildhall: metrics and health on http://%s (/metrics, /healthz, /readyz)\n", c.displayAdminAddr())
	c.printf("guildhall: %s\n", c.nodesLine())

	if cfg.Demo || (cfg.DemoWhenEmpty && c.freshDir) {
		if err := c.loadDemo(ctx); err != nil {
			return nil, err
		}
	}
	c.started.Store(true)
	return c, nil
}

// nodesLine says which nodes this process runs: "districts caidian, jingkai
// and HQ".
func (c *City) nodesLine() string {
	ds := c.RunningDistricts()
	var line string
	switch len(ds) {
	case 0:
		line = "no district nodes yet (they start when their districts are registered)"
	case 1:
		line = "district " + ds[0]
	default:
		line = "districts " + strings.Join(ds, ", ")
	}
	if c.hq != nil {
		line += " and HQ"
	}
	return line
}

// freshDataDir reports whether dir holds nothing yet but, perhaps, the log
// file (opened before Start, possibly in a directory of its own under dir):
// a data dir where the demo may be loaded.
func freshDataDir(dir, logFile string) bool {
	entries, _ := os.ReadDir(dir)
	var logEntry string
	if logFile != "" {
		if rel, err := filepath.Rel(dir, logFile); err == nil && filepath.IsLocal(rel) {
			logEntry, _, _ = strings.Cut(filepath.ToSlash(rel), "/")
		}
	}
	for _, e := range entries {
		if e.Name() != logEntry {
			return false
		}
	}
	return true
}

// lineWriter serialises the human lines of the city: district nodes can
// start (and print) while the demo is still loading.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *City) printf(format string, args ...any) {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	fmt.Fprintf(c.out.w, format, args...)
}

func (c *City) println(line string) { c.printf("%s\n", line) }

// displayAdminAddr is the admin listener's address as a user would type it.
func (c *City) displayAdminAddr() string {
	if c.listeners.Admin.Listener == nil {
		return displayAddr(c.listeners.API.Listener.Addr())
	}
	return displayAddr(c.listeners.Admin.Listener.Addr())
}

func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func (c *City) keyFile() string {
	if c.cfg.IDHashKeyFile != "" {
		return c.cfg.IDHashKeyFile
	}
	return filepath.Join(c.cfg.DataDir, "secrets", "id-hash.key")
}

// loadOrCreateKey reads a hex key, creating a random 32-byte one (0600) on
// first start so no key is ever baked into the code.
func loadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("standalone: key dir: %w", err)
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("standalone: write key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("standalone: read key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("standalone: %s must hold at least 16 hex-encoded bytes", path)
	}
	return key, nil
}

func (c *City) endpointMiddleware(district string) func(service, name string) endpoint.Middleware {
	return c.epm.For(district)
}

// goRun runs a component until the city stops; a failure is reported to Wait.
func (c *City) goRun(name string, run func(context.Context) error) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := run(c.ctx); err != nil && c.ctx.Err() == nil {
			c.errc <- fmt.Errorf("standalone: %s: %w", name, err)
		}
	}()
}

// syncDistricts starts a membership node (and its relay) for every district
// this process should run that is not running yet. Districts removed from
// the registry keep running until restart: their data is still served.
func (c *City) syncDistricts(ctx context.Context, ds []config.District) {
	want := map[string]bool{}
	for _, d := range c.cfg.districtList() {
		want[d] = true
	}
	for _, d := range ds {
		if len(want) > 0 && !want[d.ID] {
			continue
		}
		c.mu.RLock()
		_, running := c.districts[d.ID]
		c.mu.RUnlock()
		if running {
			continue
		}
		if err := c.startDistrict(ctx, d.ID); err != nil {
			c.logger.Error("district node failed to start", "district", d.ID, "err", err)
			if c.started.Load() {
				c.printf("guildhall: district %s registered but its node failed to start (see the log): %v\n", d.ID, err)
			}
			continue
		}
		c.logger.Info("district node started", "district", d.ID)
		if c.started.Load() {
			c.printf("guildhall: district %s registered, its node started\n", d.ID)
		}
	}
}

// DistrictHandler returns the handler of a running district's services.
func (c *City) DistrictHandler(id string) (http.Handler, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	dn, ok := c.districts[id]
	if !ok {
		return nil, false
	}
	return dn.handler, true
}

// RunningDistricts lists the district nodes of this process.
func (c *City) RunningDistricts() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.districts))
	for id := range c.districts {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Addr is the address the HTTP API listens on.
func (c *City) Addr() string { return c.listeners.APIAddr() }

// AdminAddr is the address /healthz, /readyz and /metrics are served on:
// the admin listener's, or the API's with -admin.addr=same.
func (c *City) AdminAddr() string { return c.listeners.AdminAddr() }

// BrokerAddrs are the Kafka bootstrap addresses the city uses.
func (c *City) BrokerAddrs() []string { return c.brokers }

// Etcd is the etcd client the city uses.
func (c *City) Etcd() *clientv3.Client { return c.cli }

// Registry is the district registry.
func (c *City) Registry() *config.Registry { return c.registry }

// HQ is the HQ node, nil when -hq=false.
func (c *City) HQ() *hq.Node { return c.hq }

// Wait blocks until ctx ends or a component fails.
func (c *City) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-c.errc:
		return err
	}
}

// Close stops everything gracefully: the listeners drain, relays resign
// leadership, databases close, then the broker and etcd stop.
func (c *City) Close() { c.closeOnce.Do(c.close) }

func (c *City) close() {
	if c.listeners != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		for _, s := range c.listeners.Servers() {
			_ = s.HTTP.Shutdown(sctx)
		}
		cancel()
	}
	c.cancel()
	c.wg.Wait()
	c.kafka.closeIdle()
	c.mu.Lock()
	for _, dn := range c.districts {
		_ = dn.close()
	}
	c.districts = map[string]*districtNode{}
	c.mu.Unlock()
	if c.hq != nil {
		_ = c.hq.Close()
	}
	if c.hqMessaging != nil {
		_ = c.hqMessaging.Close()
	}
	if c.broker != nil {
		c.broker.Close()
	}
	if c.etcd != nil {
		_ = c.etcd.Close()
	} else if c.cli != nil {
		_ = c.cli.Close()
	}
	if c.accounts != nil {
		_ = c.accounts.Close()
	}
	if c.lock != nil {
		_ = c.lock.Close() // releases the flock
	}
}

// startAuth sets up who may call the API: an external OIDC issuer when
// -auth.oidc.* is configured, else the built-in issuer (signing key under
// <data>/secrets) with the local account store at /api/v1/auth/, whose
// first start creates a one-time bootstrap admin.
func (c *City) startAuth(ctx context.Context) error {
	if c.cfg.OIDC.Enabled() {
		v, err := auth.NewJWKSVerifier(c.cfg.OIDC, &http.Client{Timeout: 10 * time.Second}, c.logger.With("component", "oidc"))
		if err != nil {
			return fmt.Errorf("standalone: oidc: %w", err)
		}
		c.verifier = v
		c.printf("auth: tokens from %s\n", c.cfg.OIDC.Issuer)
		return nil
	}
	issuer, err := auth.NewLocalIssuer(filepath.Join(c.cfg.DataDir, "secrets"), LocalIssuerName, LocalAudience, c.cfg.TokenTTL)
	if err != nil {
		return fmt.Errorf("standalone: token issuer: %w", err)
	}
	c.accounts, err = accounts.New(ctx, accounts.Config{
		DBPath:     filepath.Join(c.cfg.DataDir, "auth", "accounts.db"),
		Storage:    c.cfg.Storage,
		TrustProxy: c.cfg.TrustProxy,
	}, accounts.Deps{
		Issuer:    issuer,
		Limiter:   auth.NewLoginLimiter(auth.LoginLimiterConfig{}),
		Logger:    c.logger.With("component", "accounts"),
		Endpoint:  c.endpointMiddleware(""),
		Directory: cityDirectory{c},
	})
	if err != nil {
		return fmt.Errorf("standalone: accounts: %w", err)
	}
	// A token counts only while its account is enabled and unchanged, so
	// disabling an account or changing its role takes effect at once.
	c.verifier = c.accounts.Verifier()
	password, created, err := c.accounts.EnsureBootstrapAdmin(ctx)
	if err != nil {
		return fmt.Errorf("standalone: bootstrap admin: %w", err)
	}
	if created {
		c.printf("bootstrap admin: username %s password %s\n", accounts.BootstrapUsername, password)
		c.println("  (shown once, on the first start of this data dir: note the password)")
	}
	return nil
}

// directoryTimeout bounds one question to the directory, so that an etcd
// that does not answer is a quick 503, not a request hanging to its end.
const directoryTimeout = 5 * time.Second

// errNoHQ is the directory's answer about companies in a process that
// does not run HQ, whose read model is where it looks them up.
var errNoHQ = errors.New("standalone: HQ does not run in this process (-hq=false); the companies of a district cannot be looked up")

// cityDirectory answers the accounts' questions about an account's scope
// (accounts.Directory): a district is known when the etcd registry holds a
// valid entry for it, a company when HQ's read model holds it in that
// district (as of the last event HQ applied from there: a company
// registered a moment ago is known within a second or two). Either store
// not answering is an error, which the accounts turn into 503
// account.directory_unavailable rather than accept the scope unchecked.
// It reads c's registry and HQ when asked: they are set up after the
// accounts, before the API serves.
type cityDirectory struct{ c *City }

// DistrictKnown implements accounts.Directory.
func (d cityDirectory) DistrictKnown(ctx context.Context, district string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, directoryTimeout)
	defer cancel()
	// List skips invalid entries, as HQ and the city do: such a district
	// is not registered.
	ds, err := d.c.registry.List(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ds, func(x config.District) bool { return x.ID == district }), nil
}

// CompanyInDistrict implements accounts.Directory.
func (d cityDirectory) CompanyInDistrict(ctx context.Context, district, company string) (bool, error) {
	if d.c.hq == nil {
		return false, errNoHQ
	}
	ctx, cancel := context.WithTimeout(ctx, directoryTimeout)
	defer cancel()
	return d.c.hq.CompanyInDistrict(ctx, district, company)
}

// The built-in issuer's names, in every token it signs.
const (
	LocalIssuerName = "guildhall-standalone"
	LocalAudience   = "guildhall"
)

// asSystem runs h as the city itself (an hq-admin principal named subject),
// for work the process does on its own behalf, such as loading demo data.
func asSystem(h http.Handler, subject string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Subject: subject, Role: auth.RoleHQAdmin})))
	})
}

// ErrDataDirInUse reports a data dir locked by another running process.
var ErrDataDirInUse = errors.New("standalone: the data dir is in use by another guildhall process")

func lockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("standalone: lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrDataDirInUse, dir)
		}
		return nil, fmt.Errorf("standalone: lock data dir: %w", err)
	}
	return f, nil
}

func (c *City) loadDemo(ctx context.Context) error {
	for _, id := range c.RunningDistricts() {
		h, _ := c.DistrictHandler(id)
		h = asSystem(h, "system:demo")
		if has, err := hasCompanies(h, id); err != nil || has {
			if err != nil {
				return err
			}
			c.printf("demo: %s already has companies, left as it is\n", id)
			continue
		}
		// The generated records are dated around the seed report; this
		// year's refresher gives today's city a training rate.
		ds := demo.WithRefreshers(demo.Generate(c.cfg.DemoSeed, id), time.Now())
		st, err := demo.Load(ctx, h, ds)
		if err != nil {
			return fmt.Errorf("standalone: demo data for %s: %w", id, err)
		}
		c.printf("demo: %s filled with %d companies, %d guards, %d council members\n", id, st.Companies, st.Guards, st.CouncilMembers)
		if id == SeedMeetingDistrict {
			if err := c.loadSeedMeeting(ctx, h); err != nil {
				return err
			}
		}
	}
	return nil
}

// SeedMeetingDistrict hosts the demo's copy of the 2025-09-23 district
// working meeting of the 经开/蔡甸 group (shared/seed), held in 经开.
const SeedMeetingDistrict = "jingkai"

// demoConvention is the convention the demo signs when the association has
// published none yet: its text is what the seed report says it commits to.
var demoConvention = meetings.Convention{
	Version:     "2025",
	Title:       "武汉市保安服务行业自律公约",
	Text:        "各会员单位以书面承诺践行规范经营理念，依法依规严守底线，合法依规经营，承担社会责任，公平友善竞争，杜绝恶意竞争行为，严控企业风险，畅通信息共享交流，共同促进行业健康规范发展。",
	PublishedAt: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC),
}

// loadSeedMeeting enters the seed meeting through the district's API, with
// the district's active companies as the attending member units.
func (c *City) loadSeedMeeting(ctx context.Context, h http.Handler) error {
	// Through the convention's one publisher (the compare-and-swap HQ's
	// PUT uses), and only while none is published: the demo never replaces
	// the association's own.
	if _, err := policy.PublishConventionIfAbsent(ctx, c.cli, demoConvention); err != nil {
		return fmt.Errorf("standalone: publish demo convention: %w", err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/districts/"+SeedMeetingDistrict+"/companies?status=active&page_size=500", nil))
	var list struct {
		Items []struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			ContactName string `json:"contact_name"`
		} `json:"items"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil {
		return fmt.Errorf("standalone: list companies for the seed meeting: %d %s", rec.Code, rec.Body.String())
	}
	companies := make([]seed.Company, 0, len(list.Items))
	for _, it := range list.Items {
		companies = append(companies, seed.Company{ID: it.ID, Name: it.Name, Head: it.ContactName})
	}
	// The district's meetings node may not have seen the convention yet,
	// nor the companies just registered (it learns them from membership's
	// events): wait until its rate counts them all as active.
	deadline := time.Now().Add(30 * time.Second)
	for {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/districts/"+SeedMeetingDistrict+"/convention/rate", nil))
		var rate struct {
			Companies int `json:"companies"`
		}
		if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &rate) == nil && rate.Companies >= len(companies) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	if _, err := seed.Load(ctx, h, SeedMeetingDistrict, companies); err != nil {
		return fmt.Errorf("standalone: seed meeting: %w", err)
	}
	// The district lead's field visit and the practical-services plan; the
	// companies' feedback is theirs to give, so it goes in as each
	// company's company-admin, not as the system.
	ids := make([]string, 0, len(companies))
	for _, co := range companies {
		ids = append(ids, co.ID)
	}
	if raw, ok := c.DistrictHandler(SeedMeetingDistrict); ok {
		if _, err := demo.LoadFieldwork(ctx, h, SeedMeetingDistrict, ids, func(co string) http.Handler {
			return demo.AsCompanyAdmin(raw, SeedMeetingDistrict, co)
		}); err != nil {
			return fmt.Errorf("standalone: demo field work: %w", err)
		}
		// A month of wage declarations (one in arrears) and one
		// complaint in mediation: the companies' own admins declare,
		// file and answer; the association mediates.
		cst, err := demo.LoadCompliance(ctx, h, SeedMeetingDistrict, ids, func(co string) http.Handler {
			return demo.AsCompanyAdmin(raw, SeedMeetingDistrict, co)
		}, time.Now())
		if err != nil {
			return fmt.Errorf("standalone: demo compliance: %w", err)
		}
		c.printf("demo: %s declared the wages of %s (%d companies, %d in arrears) and has a poaching complaint %s\n",
			SeedMeetingDistrict, cst.Month, cst.Declarations, cst.InArrears, cst.ComplaintStatus)
	}
	c.printf("demo: %s holds the %s (%d member units signed the convention)\n", SeedMeetingDistrict, seed.Title, len(companies))
	// A volunteer-police team on duty now and a police dispatch it
	// answered, so the patrol and dispatch pages and the dispatch SLOs
	// have something to show.
	if raw, ok := c.DistrictHandler(SeedMeetingDistrict); ok {
		pst, err := demo.LoadPatrols(ctx, h, raw, SeedMeetingDistrict, time.Now(), 30*time.Second)
		if err != nil {
			return fmt.Errorf("standalone: demo patrols: %w", err)
		}
		c.printf("demo: %s has the volunteer team %s (%d members) on duty and a closed police dispatch\n", SeedMeetingDistrict, pst.Team, pst.Members+1)
	}
	return nil
}

// errDistrictNotFound answers a path naming a district this process does not run.
var errDistrictNotFound = kitx.ErrDistrictNotFound

// adminHandler serves /healthz, /readyz (etcd, HQ and every district
// node's databases) and /metrics, for
// the admin listener.
func (c *City) adminHandler() http.Handler {
	checks := map[string]telemetry.Check{
		"etcd": func(ctx context.Context) error {
			_, err := c.cli.Get(ctx, "/guildhall/health", clientv3.WithCountOnly())
			return err
		},
	}
	if c.hq != nil {
		checks["hq"] = c.hq.Ready
	}
	if c.hqMessaging != nil {
		checks["hq-messaging"] = c.hqMessaging.Ready
	}
	// The district nodes come and go with the registry: one check reads
	// every running node's databases (a full disk fails it).
	checks["districts"] = func(ctx context.Context) error {
		c.mu.RLock()
		nodes := make([]*districtNode, 0, len(c.districts))
		for _, dn := range c.districts {
			nodes = append(nodes, dn)
		}
		c.mu.RUnlock()
		var failed []error
		for _, dn := range nodes {
			if err := dn.ready(ctx); err != nil {
				failed = append(failed, err)
			}
		}
		return errors.Join(failed...)
	}
	return telemetry.AdminHandler(c.reg, checks)
}

// routes serves the API; the admin paths are not among them.
func (c *City) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/districts/{district}/", func(w http.ResponseWriter, r *http.Request) {
		h, ok := c.DistrictHandler(r.PathValue("district"))
		if !ok {
			errs.WriteHTTPRequest(w, r, errDistrictNotFound.WithField("district"))
			return
		}
		h.ServeHTTP(w, r)
	})
	if c.hq != nil {
		mux.Handle("/api/v1/hq/", c.hq.Handler())
	}
	if c.hqMessaging != nil {
		// HQ's directives are the HQ-role messaging instance's; the rest
		// of /api/v1/hq/ is HQ's.
		mux.Handle("/api/v1/hq/directives", c.hqMessaging.Handler())
		mux.Handle("/api/v1/hq/directives/", c.hqMessaging.Handler())
		// Mutual aid's city statistics and HQ's review of publicity too.
		mux.Handle("/api/v1/hq/aid/", c.hqMessaging.Handler())
		mux.Handle("/api/v1/hq/publicity/", c.hqMessaging.Handler())
	}
	if c.accounts != nil {
		mux.Handle("/api/v1/auth/", c.accounts.Handler())
	}
	// The services' go-kit routes name themselves in the access log; these
	// two are named by kitx.Route.
	mux.Handle("GET /api/v1/openapi.json", kitx.RouteHandler(http.HandlerFunc(c.serveOpenAPI)))
	mux.Handle("GET /api/v1/{$}", kitx.RouteHandler(http.HandlerFunc(c.serveIndex)))
	// An API path nothing serves is the API's JSON 404; so are the admin
	// paths, which a probe or a scraper pointed at the wrong port must not
	// mistake for a healthy answer (the console would give it a page).
	mux.Handle("/api/", kitx.NotFoundHandler())
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		mux.Handle(p, kitx.NotFoundHandler())
	}
	// Everything else is the web console (its pages and their files).
	mux.Handle("/", kitx.RouteHandler(console.Handler()))
	return mux
}

// putIfAbsent writes value at key unless the key exists: first-start
// defaults never overwrite what an operator set.
func putIfAbsent(ctx context.Context, cli *clientv3.Client, key, value string) error {
	_, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, value)).
		Commit()
	return err
}

// hasCompanies asks a district's own API whether it holds any company, so
// demo data never lands on top of real data.
func hasCompanies(h http.Handler, district string) (bool, error) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/districts/"+district+"/companies?page_size=1", nil)
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return false, fmt.Errorf("standalone: list companies of %s: status %d: %s", district, rec.Code, rec.Body.String())
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		return false, fmt.Errorf("standalone: list companies of %s: %w", district, err)
	}
	return len(list.Items) > 0, nil
}

// startHQMessaging starts the messaging service in its HQ role beside HQ:
// its database under <data>/hq, the relay of its outbox to
// gh.hq.directives.v1 (elected like every relay), and its Run, which
// follows the district registry with one consumer per district's
// messaging topic.
func (c *City) startHQMessaging(ctx context.Context) error {
	nk, err := c.kafkaFor(HQNode)
	if err != nil {
		return err
	}
	n, err := messaging.New(ctx, messaging.Config{
		Role:       messaging.RoleHQ,
		DBPath:     filepath.Join(c.cfg.DataDir, "hq", messaging.ServiceName+".db"),
		Storage:    c.cfg.Storage,
		TrustProxy: c.cfg.TrustProxy,
		Brokers:    c.brokers,
	}, messaging.Deps{
		Logger:     c.logger.With("node", "hq", "service", messaging.ServiceName),
		Districts:  c.registry,
		Bus:        c.bus,
		Storage:    c.storage,
		Registerer: c.reg,
		Endpoint:   c.endpointMiddleware("hq"),
		Etcd:       c.cli,
		Dialer:     nk.dialer,
		Transport:  nk.roundTripper(),
	})
	if err != nil {
		return fmt.Errorf("standalone: hq messaging: %w", err)
	}
	ob := n.Outbox()
	relay, err := eventbus.NewRelay(eventbus.RelayConfig{
		Brokers:   c.brokers,
		Outbox:    ob,
		Elector:   eventbus.NewEtcdElector(c.cli, eventbus.ElectionKey(ob.District(), ob.Service()), c.candidate, c.cfg.ElectionTTL),
		Logger:    c.logger.With("node", "hq", "service", messaging.ServiceName),
		Metrics:   c.bus,
		Retention: c.cfg.RelayRetention,
		Transport: nk.roundTripper(),
	})
	if err != nil {
		_ = n.Close()
		return fmt.Errorf("standalone: hq messaging relay: %w", err)
	}
	if c.broker != nil {
		// The in-process broker gets the directives topic now, so the
		// district nodes' consumers find it at once rather than on their
		// next look (a real cluster's topics are provisioned).
		if err := c.broker.CreateTopics(ctx, messaging.DirectivesTopic); err != nil {
			_ = n.Close()
			return fmt.Errorf("standalone: create %s: %w", messaging.DirectivesTopic, err)
		}
	}
	c.hqMessaging = n
	c.goRun("hq messaging", n.Run)
	c.goRun("hq messaging relay", relay.Run)
	return nil
}
