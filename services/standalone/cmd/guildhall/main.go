// Command guildhall runs a whole city in one process: embedded etcd, an
// in-process Kafka-protocol broker, the HQ node and every district's nodes,
// on one API listener, with /metrics, /healthz and /readyz on the admin
// listener -admin.addr (default 127.0.0.1:8081; "same" serves them on the
// API listener) (see the README). Given -kafka.brokers and
// -etcd.endpoints (or GUILDHALL_KAFKA_BROKERS, GUILDHALL_ETCD_ENDPOINTS) it
// runs against real clusters instead.
//
// It prints a few lines for a person on stdout — the addresses, the
// bootstrap admin's password on the first start of a data dir, what the
// demo loaded, "ready", and one line when it has stopped — and writes its
// JSON log to stderr from -log.level (default warn), or to -log.file
// (relative to -data.dir).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/telemetry"
	"github.com/guildhall/guildhall/services/standalone"
)

func main() {
	// The first SIGINT or SIGTERM stops the city gracefully; signal.Stop
	// hands a second one back to the default action, so a second Ctrl-C
	// ends a shutdown that hangs.
	ctx, cancel := context.WithCancelCause(context.Background())
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigc
		signal.Stop(sigc)
		cancel(stopSignal{s})
	}()
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "guildhall:", err)
		os.Exit(1)
	}
}

// stopSignal is the cause of a stop by signal.
type stopSignal struct{ sig os.Signal }

func (s stopSignal) Error() string { return s.sig.String() }

// run starts the city from args (and the environment through lookup) and
// serves it until ctx ends (a clean stop, reported in one line on stdout)
// or a component fails (the error returned).
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("guildhall", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg standalone.Config
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
	logger, closeLog, err := cfg.Log.Open(cfg.DataDir, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }()

	shutdownTracing, err := telemetry.SetupTracing(ctx, cfg.Tracing)
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTracing(context.Background()) }()

	city, err := standalone.Start(ctx, cfg, logger, stdout)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("stopped by %v while starting: %w", context.Cause(ctx), err)
		}
		return err
	}
	fmt.Fprintln(stdout, "guildhall: ready (Ctrl-C stops)")
	err = city.Wait(ctx)
	stopping := time.Now()
	city.Close()
	if err != nil {
		return err
	}
	reason := "stopped"
	var sig stopSignal
	if errors.As(context.Cause(ctx), &sig) {
		reason = "stopped by " + sig.Error()
	}
	fmt.Fprintf(stdout, "guildhall: %s in %s; the data stays in %s\n", reason, time.Since(stopping).Round(10*time.Millisecond), cfg.DataDir)
	return nil
}
