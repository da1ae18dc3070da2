package faults

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// SoakConfig configures Soak: a topology under a steady write load for a
// long time, sampled, with a verdict on whether anything grows without
// bound.
type SoakConfig struct {
	Bins     Binaries
	Dir      string
	Topology string // TopoStandalone or TopoServices
	Duration time.Duration
	Interval time.Duration // between samples
	Rate     int
	Workers  int
	LogLevel string
	Log      io.Writer // progress; nil discards
}

// ProcSample is one process at one sample.
type ProcSample struct {
	RSS        int64 // bytes, from /proc/<pid>/status VmRSS
	FDs        int   // open file descriptors, /proc/<pid>/fd
	Goroutines int   // go_goroutines from the admin listener; -1 unknown
}

// Sample is the topology at one moment of a soak.
type Sample struct {
	At    time.Duration // since the load started
	Acked int           // acknowledged writes so far
	Procs map[string]ProcSample
	// Files are the sizes of the databases and their WALs, by path
	// relative to the topology's dir.
	Files map[string]int64
}

// SoakReport is what Soak measured.
type SoakReport struct {
	Samples []Sample
	Verdict Verdict  // what the district and HQ hold against the writes
	Growth  []string // things that kept growing (empty: none)
}

// Failed reports whether the soak lost, duplicated or grew something.
func (r SoakReport) Failed() bool { return len(r.Growth) > 0 || len(r.Verdict.Violations) > 0 }

// Soak runs cfg.Topology under the load for cfg.Duration, sampling every
// cfg.Interval, then stops the load, waits for HQ to hold everything and
// checks it exactly as a fault does.
func Soak(ctx context.Context, cfg SoakConfig) (SoakReport, error) {
	var rep SoakReport
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	t, err := NewTopology(TopologyOptions{Kind: cfg.Topology, Bins: cfg.Bins, Dir: cfg.Dir, District: "jingkai", Tag: "soak", LogLevel: cfg.LogLevel})
	if err != nil {
		return rep, err
	}
	defer t.Close()
	if err := t.Start(ctx); err != nil {
		return rep, err
	}
	load := &Load{Membership: t.Membership, Meetings: t.Meetings, District: t.District, Rate: cfg.Rate, Workers: cfg.Workers, Tag: "soak"}
	if err := load.Setup(ctx, 8); err != nil {
		return rep, err
	}
	load.Start()
	began := time.Now()
	stopped := false
	defer func() {
		if !stopped {
			load.Stop(0)
		}
	}()
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	for {
		s := sampleTopology(ctx, t, time.Since(began), load)
		rep.Samples = append(rep.Samples, s)
		logf("soak %s: %d acked, %s", s.At.Round(time.Second), s.Acked, s.brief())
		if time.Since(began) >= cfg.Duration {
			break
		}
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-tick.C:
		}
	}
	load.Stop(2 * time.Minute)
	stopped = true
	pending, err := (&Config{}).pendingAt(ctx, t)
	if err != nil {
		return rep, err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	err = waitHQHolds(wctx, t, pending)
	cancel()
	if err != nil {
		rep.Verdict.Violations = append(rep.Verdict.Violations, "HQ did not catch up after the load: "+err.Error())
	}
	t.Stop()
	snap, err := TakeSnapshot(ctx, t)
	if err != nil {
		return rep, err
	}
	v := Verify(load.Writes(), snap)
	v.Violations = append(rep.Verdict.Violations, v.Violations...)
	rep.Verdict = v
	rep.Growth = Growth(rep.Samples)
	return rep, nil
}

// Growth reads a soak's samples and names what kept growing: per process,
// resident memory, goroutines and open files in the last quarter of the
// run against the second (the first is warm-up: caches, pools and
// connections fill then), and any WAL file past 64 MiB (checkpoints keep
// it small). Databases grow with the data written; their size per
// acknowledged write is reported, not judged.
func Growth(samples []Sample) []string {
	if len(samples) < 8 {
		return nil // too short to tell growth from warm-up
	}
	q := len(samples) / 4
	second, last := samples[q:2*q], samples[len(samples)-q:]
	var out []string
	names := map[string]bool{}
	for _, s := range samples {
		for n := range s.Procs {
			names[n] = true
		}
	}
	for _, name := range sortedKeys(names) {
		maxOf := func(ss []Sample, f func(ProcSample) int64) int64 {
			var m int64 = -1
			for _, s := range ss {
				if p, ok := s.Procs[name]; ok {
					m = max(m, f(p))
				}
			}
			return m
		}
		for _, c := range []struct {
			what  string
			f     func(ProcSample) int64
			slack int64   // absolute growth that never counts
			ratio float64 // relative growth that counts
		}{
			{"resident memory", func(p ProcSample) int64 { return p.RSS }, 48 << 20, 1.25},
			{"goroutines", func(p ProcSample) int64 { return int64(p.Goroutines) }, 25, 1.2},
			{"open files", func(p ProcSample) int64 { return int64(p.FDs) }, 10, 1.2},
		} {
			a, b := maxOf(second, c.f), maxOf(last, c.f)
			if a < 0 || b < 0 {
				continue
			}
			if b > a+c.slack && float64(b) > float64(a)*c.ratio {
				out = append(out, fmt.Sprintf("%s: %s grew from %d to %d", name, c.what, a, b))
			}
		}
	}
	for path, size := range samples[len(samples)-1].Files {
		if strings.HasSuffix(path, "-wal") && size > 64<<20 {
			out = append(out, fmt.Sprintf("%s: WAL of %d MiB", path, size>>20))
		}
	}
	sort.Strings(out)
	return out
}

func (s Sample) brief() string {
	var parts []string
	for _, n := range sortedKeys(s.Procs) {
		p := s.Procs[n]
		parts = append(parts, fmt.Sprintf("%s rss %d MiB, %d goroutines, %d fds", n, p.RSS>>20, p.Goroutines, p.FDs))
	}
	return strings.Join(parts, "; ")
}

// WriteSoak writes the samples as a table (the first, every few, and the
// last), the database sizes per acknowledged write, the verdict and what
// grew.
func WriteSoak(w io.Writer, rep SoakReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "t\tacked\tprocess\trss MiB\tgoroutines\tfds\t")
	step := max(1, len(rep.Samples)/12)
	for i, s := range rep.Samples {
		if i%step != 0 && i != len(rep.Samples)-1 {
			continue
		}
		for _, n := range sortedKeys(s.Procs) {
			p := s.Procs[n]
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t\n", s.At.Round(time.Second), s.Acked, n, p.RSS>>20, p.Goroutines, p.FDs)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n := len(rep.Samples); n > 1 {
		first, last := rep.Samples[0], rep.Samples[n-1]
		writes := max(1, last.Acked-first.Acked)
		for _, path := range sortedKeys(last.Files) {
			fmt.Fprintf(w, "%s: %d KiB (%+d bytes per acknowledged write)\n", path, last.Files[path]>>10, (last.Files[path]-first.Files[path])/int64(writes))
		}
	}
	v := rep.Verdict
	fmt.Fprintf(w, "acknowledged %d, district holds %d, HQ holds %d, lost %d, duplicated %d\n", v.Acked, v.DistrictHolds, v.HQHolds, v.Lost, v.Duplicated)
	for _, x := range v.Violations {
		fmt.Fprintln(w, "FAIL:", x)
	}
	for _, g := range rep.Growth {
		fmt.Fprintln(w, "FAIL: grows:", g)
	}
	if !rep.Failed() {
		fmt.Fprintln(w, "soak passed: nothing lost, nothing duplicated, nothing grew without bound")
	}
	return nil
}

// sampleTopology reads every running process's memory, files and
// goroutines, and the sizes of the topology's SQLite files.
func sampleTopology(ctx context.Context, t *Topology, at time.Duration, load *Load) Sample {
	s := Sample{At: at, Procs: map[string]ProcSample{}, Files: map[string]int64{}}
	for _, w := range load.Writes() {
		if w.Acked {
			s.Acked++
		}
	}
	for name, p := range t.Procs {
		pid := p.Pid()
		if pid <= 0 {
			continue
		}
		ps := ProcSample{RSS: procRSS(pid), FDs: procFDs(pid), Goroutines: -1}
		if addr := adminAddrOf(p); addr != "" {
			ps.Goroutines = goroutines(ctx, addr)
		}
		s.Procs[name] = ps
	}
	_ = filepath.WalkDir(t.Dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if n := d.Name(); strings.HasSuffix(n, ".db") || strings.HasSuffix(n, ".db-wal") {
			if info, err := d.Info(); err == nil {
				rel, _ := filepath.Rel(t.Dir, path)
				s.Files[rel] = info.Size()
			}
		}
		return nil
	})
	return s
}

func procRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return -1
}

func procFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// adminAddrOf is the -admin.addr a process was started with, if any.
func adminAddrOf(p *Proc) string {
	for _, a := range p.Args {
		if v, ok := strings.CutPrefix(a, "-admin.addr="); ok && v != "same" {
			return v
		}
	}
	return ""
}

// goroutines reads go_goroutines from a process's /metrics; -1 if it can't.
func goroutines(ctx context.Context, addr string) int {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/metrics", nil)
	if err != nil {
		return -1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil {
				return int(f)
			}
		}
	}
	return -1
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
