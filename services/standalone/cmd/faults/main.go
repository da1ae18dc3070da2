// Command faults is the fault harness behind make test-faults: it runs the
// built binaries (make build, plus bin/devstack) as real processes under a
// steady write load, breaks one thing at a time, heals it, and prints one
// row per fault — acknowledged writes, what the district and HQ hold, lost,
// duplicated, the backlog at the heal and how long HQ took to drain it. Any
// lost, duplicated or mismatched record fails it (exit status 1). See the
// README's "Fault harness" section and package faults.
//
//	faults -bin=./bin -report=bin/faults-report.txt
//	faults -outage=60s -only='partition|broker'
//
// Network namespaces (the partition) and the tmpfs (the full disk) need
// root; without it the partition goes through a dropping proxy and the
// full disk becomes a file-size limit.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/guildhall/guildhall/services/standalone/faults"
)

func main() {
	code, err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
	}
	os.Exit(code)
}

func run(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "./bin", "directory with guildhall, membership, meetings, hq and devstack")
	report := fs.String("report", "bin/faults-report.txt", "file the table is also written to (empty: none)")
	workDir := fs.String("workdir", "", "directory for the faults' data and logs (default: a new temp dir)")
	keep := fs.Bool("keep", false, "keep every fault's data and logs, not only those of failed faults")
	rate := fs.Int("rate", 100, "writes per second of the load")
	workers := fs.Int("workers", 8, "concurrent writers of the load")
	pre := fs.Duration("pre", 3*time.Second, "load before each fault")
	post := fs.Duration("post", 3*time.Second, "load after each heal")
	outage := fs.Duration("outage", 12*time.Second, "how long an outage lasts (broker, etcd, disk, partition); e.g. 60s for a long run")
	downtime := fs.Duration("downtime", 2*time.Second, "how long a killed service stays dead before its restart")
	converge := fs.Duration("converge", 120*time.Second, "how long HQ may take to hold everything once the load stopped")
	only := fs.String("only", "", "run only faults whose \"<topology> <name>\" matches this regexp")
	partition := fs.String("partition", "auto", "how the partition is made: auto, netns or proxy")
	known := fs.Bool("known", false, "also run the faults that reproduce known bugs (they fail until fixed)")
	logLevel := fs.String("log.level", "warn", "log level of the services (their logs stay with a failed fault's data)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	bins, err := faults.BinariesIn(*bin)
	if err != nil {
		return 2, err
	}
	cfg := faults.Config{
		Bins: bins, Keep: *keep, Rate: *rate, Workers: *workers,
		Pre: *pre, Post: *post, Outage: *outage, Downtime: *downtime, Converge: *converge,
		Partition: *partition, Log: stderr, LogLevel: *logLevel, Known: *known,
	}
	switch *partition {
	case "auto", "netns", "proxy":
	default:
		return 2, fmt.Errorf("-partition must be auto, netns or proxy, not %q", *partition)
	}
	if *rate < 1 || *workers < 1 {
		return 2, fmt.Errorf("-rate and -workers must be at least 1")
	}
	if *only != "" {
		if cfg.Only, err = regexp.Compile(*only); err != nil {
			return 2, fmt.Errorf("-only: %w", err)
		}
	}
	cfg.WorkDir = *workDir
	if cfg.WorkDir == "" {
		if cfg.WorkDir, err = os.MkdirTemp("", "guildhall-faults-"); err != nil {
			return 2, err
		}
	} else if err := os.MkdirAll(cfg.WorkDir, 0o750); err != nil {
		return 2, err
	}

	// Ctrl-C or SIGTERM ends the fault under way; its topology is torn
	// down (processes, mounts, namespaces) before the harness exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	fmt.Fprintf(stdout, "fault harness: %d writes/s, %d writers, outage %s, downtime %s; work dir %s\n",
		*rate, *workers, *outage, *downtime, cfg.WorkDir)
	rows, runErr := faults.Run(ctx, cfg, nil)
	if err := faults.WriteTable(stdout, rows); err != nil {
		return 1, err
	}
	summary := faults.Summary(rows, time.Since(began))
	fmt.Fprintln(stdout, summary)
	if *report != "" {
		if err := os.MkdirAll(filepath.Dir(*report), 0o750); err != nil {
			return 1, err
		}
		f, err := os.Create(*report)
		if err != nil {
			return 1, err
		}
		fmt.Fprintf(f, "make test-faults, %s: %d writes/s, %d writers, outage %s, downtime %s\n",
			began.UTC().Format(time.RFC3339), *rate, *workers, *outage, *downtime)
		_ = faults.WriteTable(f, rows)
		fmt.Fprintln(f, summary)
		if err := f.Close(); err != nil {
			return 1, err
		}
		fmt.Fprintf(stdout, "table written to %s\n", *report)
	}
	failed, kept := runErr != nil, false
	for _, r := range rows {
		failed = failed || r.Failed()
		kept = kept || r.Dir != ""
	}
	if *workDir == "" && !kept && !*keep {
		_ = os.RemoveAll(cfg.WorkDir)
	}
	if runErr != nil {
		return 1, runErr
	}
	if failed {
		return 1, nil
	}
	return 0, nil
}
