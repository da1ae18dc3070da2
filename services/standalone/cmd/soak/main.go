// Command soak is the long run behind make soak: the built binaries under a
// steady write load for -duration (an hour by default), sampled every
// -interval — resident memory, goroutines and open files of every process,
// and the sizes of the databases and their WALs — then checked like a
// fault (nothing lost, nothing applied twice). It fails (exit status 1)
// when a process's memory, goroutines or open files keep growing from the
// second quarter of the run to the last, or a WAL passes 64 MiB. Not part
// of CI: it takes an hour.
//
//	soak -bin=./bin -duration=1h -report=bin/soak-report.txt
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/guildhall/guildhall/services/standalone/faults"
)

func main() {
	code, err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	os.Exit(code)
}

func run(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "./bin", "directory with guildhall, membership, meetings, hq and devstack")
	duration := fs.Duration("duration", time.Hour, "how long the load runs")
	interval := fs.Duration("interval", 30*time.Second, "time between samples")
	rate := fs.Int("rate", 50, "writes per second")
	workers := fs.Int("workers", 4, "concurrent writers")
	topology := fs.String("topology", faults.TopoStandalone, "standalone (one guildhall process) or services (devstack + membership, meetings, hq)")
	report := fs.String("report", "bin/soak-report.txt", "file the report is also written to (empty: none)")
	workDir := fs.String("workdir", "", "directory for data and logs (default: a new temp dir, removed after a pass)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if *duration < *interval || *interval <= 0 || *rate < 1 || *workers < 1 {
		return 2, fmt.Errorf("-duration must be at least -interval (> 0); -rate and -workers at least 1")
	}
	if *topology != faults.TopoStandalone && *topology != faults.TopoServices {
		return 2, fmt.Errorf("-topology must be %s or %s", faults.TopoStandalone, faults.TopoServices)
	}
	bins, err := faults.BinariesIn(*bin)
	if err != nil {
		return 2, err
	}
	dir := *workDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "guildhall-soak-"); err != nil {
			return 2, err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "soak: %s of %s at %d writes/s, a sample every %s; work dir %s\n", *duration, *topology, *rate, *interval, dir)
	rep, err := faults.Soak(ctx, faults.SoakConfig{Bins: bins, Dir: filepath.Join(dir, "run"), Topology: *topology,
		Duration: *duration, Interval: *interval, Rate: *rate, Workers: *workers, Log: stdout})
	if err != nil {
		return 1, err
	}
	if err := faults.WriteSoak(stdout, rep); err != nil {
		return 1, err
	}
	if *report != "" {
		if err := os.MkdirAll(filepath.Dir(*report), 0o750); err != nil {
			return 1, err
		}
		f, err := os.Create(*report)
		if err != nil {
			return 1, err
		}
		fmt.Fprintf(f, "make soak, %s: %s of %s at %d writes/s\n", time.Now().UTC().Format(time.RFC3339), *duration, *topology, *rate)
		_ = faults.WriteSoak(f, rep)
		if err := f.Close(); err != nil {
			return 1, err
		}
	}
	if rep.Failed() {
		fmt.Fprintf(stdout, "data and logs kept in %s\n", dir)
		return 1, nil
	}
	if *workDir == "" {
		_ = os.RemoveAll(dir)
	}
	return 0, nil
}
