// Command hq runs the association HQ on its own (one Kubernetes release with
// role=hq): it consumes every registered district's membership topic from
// Kafka, watches the district registry in etcd, and serves the city-wide
// read model under /api/v1/hq/… plus /healthz, /readyz, /metrics and
// /api/v1/openapi.json on one listener.
//
// Flags (env GUILDHALL_<FLAG> with dots and dashes as underscores; flags win):
// -http.addr, -hq.db-path, -hq.group-id, -hq.stale-after, -kafka.*, -etcd.*,
// -sqlite.*, -tracing.*, -log.level.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/oklog/run"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
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

// flags are the command's settings.
type flags struct {
	HTTPAddr   string
	DBPath     string
	GroupID    string
	StaleAfter time.Duration
	LogLevel   string
	Kafka      config.Kafka
	Etcd       config.Etcd
	Storage    storage.Config
	Tracing    telemetry.TracingConfig
}

func (f *flags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.HTTPAddr, "http.addr", ":8080", "listen address of the API, health and metrics")
	fs.StringVar(&f.DBPath, "hq.db-path", "data/hq/hq.db", "SQLite file of HQ's read model")
	fs.StringVar(&f.GroupID, "hq.group-id", hq.DefaultGroupID, "Kafka consumer group of HQ")
	fs.DurationVar(&f.StaleAfter, "hq.stale-after", hq.DefaultStaleAfter, "how long a district may be behind with nothing applied before it is stale")
	fs.StringVar(&f.LogLevel, "log.level", "info", "log level: debug, info, warn, error")
	f.Kafka.RegisterFlags("", fs)
	f.Etcd.RegisterFlags("", fs)
	f.Storage.RegisterFlags("", fs)
	f.Tracing.RegisterFlags("", fs)
}

func (f *flags) hqConfig() hq.Config {
	return hq.Config{DBPath: f.DBPath, Storage: f.Storage, Brokers: []string(f.Kafka.Brokers), GroupID: f.GroupID, StaleAfter: f.StaleAfter}
}

func runMain(args []string) error {
	fs := flag.NewFlagSet("hq", flag.ContinueOnError)
	var f flags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, "GUILDHALL", os.LookupEnv); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.LogLevel)); err != nil {
		return fmt.Errorf("bad -log.level: %w", err)
	}
	if err := f.Tracing.Validate(); err != nil {
		return err
	}
	if err := f.Kafka.Validate(); err != nil {
		return err
	}
	// The district registry lives in etcd: HQ cannot run without it.
	if err := f.Etcd.Validate(); err != nil {
		return err
	}
	if err := f.hqConfig().Validate(); err != nil {
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
	logger := telemetry.NewLogger(os.Stderr, level)

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
	w, err := wire(ctx, f.hqConfig(), logger, reg, config.NewRegistry(cli, logger, reg), kafkaDeps{dialer, transport})
	if err != nil {
		return err
	}
	defer w.node.Close()

	ln, err := net.Listen("tcp", f.HTTPAddr)
	if err != nil {
		return fmt.Errorf("hq: listen %s: %w", f.HTTPAddr, err)
	}
	srv := telemetry.NewServer(f.HTTPAddr, w.handler)

	var g run.Group
	{
		runCtx, cancel := context.WithCancel(ctx)
		g.Add(func() error { return w.node.Run(runCtx) }, func(error) { cancel() })
	}
	{
		g.Add(func() error {
			logger.Info("hq: listening", "addr", ln.Addr().String())
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}, func(error) {
			// Let in-flight requests finish; a stuck one gets 10 s.
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		})
	}
	{
		g.Add(func() error {
			<-ctx.Done()
			return nil
		}, func(error) { stop() })
	}
	return g.Run()
}

// kafkaDeps are the TLS/SASL-aware Kafka connectors; zero values mean plain TCP.
type kafkaDeps struct {
	dialer    *kafka.Dialer
	transport kafka.RoundTripper
}

// wiring is the assembled process: the node and the one HTTP handler.
type wiring struct {
	node    *hq.Node
	handler http.Handler
}

// wire builds the node and mounts its API, the admin routes and the OpenAPI
// document on one handler, with endpoint metrics and tracing on every endpoint.
func wire(ctx context.Context, cfg hq.Config, logger *slog.Logger, reg *prometheus.Registry, districts hq.Districts, kd kafkaDeps) (*wiring, error) {
	em := telemetry.NewEndpointMetrics(reg)
	mw := func(service, name string) endpoint.Middleware {
		return endpoint.Chain(telemetry.TracingMiddleware(service, name), em.Middleware(service, "", name))
	}
	node, err := hq.New(ctx, cfg, hq.Deps{
		Logger:     logger,
		Districts:  districts,
		Bus:        eventbus.NewMetrics(reg),
		Registerer: reg,
		Endpoint:   mw,
		Dialer:     kd.dialer,
		Transport:  kd.transport,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	telemetry.AdminRoutes(mux, reg, map[string]telemetry.Check{"hq": node.Ready})
	doc := node.OpenAPI()
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
	mux.Handle("/api/v1/hq/", node.Handler())
	return &wiring{node: node, handler: telemetry.HTTPMiddleware(mux, logger)}, nil
}
