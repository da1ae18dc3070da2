// Command guildhall runs a whole city in one process: embedded etcd, an
// in-process Kafka-protocol broker, the HQ node and every district's nodes,
// on one API listener, with /metrics, /healthz and /readyz on the admin
// listener -admin.addr (default 127.0.0.1:8081; "same" serves them on the
// API listener) (see the README). Given -kafka.brokers and
// -etcd.endpoints (or GUILDHALL_KAFKA_BROKERS, GUILDHALL_ETCD_ENDPOINTS) it
// runs against real clusters instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/services/standalone"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "guildhall:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("guildhall", flag.ContinueOnError)
	var cfg standalone.Config
	cfg.RegisterFlags(fs)
	logLevel := fs.String("log.level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := config.ApplyEnv(fs, "GUILDHALL", os.LookupEnv); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("bad -log.level: %w", err)
	}
	logger := telemetry.NewLogger(os.Stderr, level)
	if err := cfg.Validate(); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdownTracing, err := telemetry.SetupTracing(ctx, cfg.Tracing)
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTracing(context.Background()) }()

	city, err := standalone.Start(ctx, cfg, logger, os.Stdout)
	if err != nil {
		return err
	}
	defer city.Close()
	fmt.Println("guildhall: ready (Ctrl-C stops)")
	return city.Wait(ctx)
}
