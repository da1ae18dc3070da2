// Package faults is Guildhall's fault harness (make test-faults): it runs
// the real binaries as processes — the standalone guildhall binary, and the
// per-service deployment of membership, meetings and hq with etcd and the
// broker as processes of their own (cmd/devstack) — under a steady, bounded
// write load through the HTTP API, breaks one thing at a time (kill -9 of
// each process, the broker stopped, frozen or killed with its log, etcd
// stopped or frozen, a full disk, the district cut off from the broker by a
// network partition), heals it, and checks what every acknowledged write
// became: held by the district, held by HQ exactly as the district holds
// it, applied once. Each fault is one row of a table with the drain time
// after the heal; any violation fails the run.
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config configures a run.
type Config struct {
	Bins Binaries
	// WorkDir holds one directory per fault (data, logs); kept when the
	// fault fails or Keep is set.
	WorkDir string
	Keep    bool
	// Rate is the load's writes per second and Workers its concurrency.
	Rate, Workers int
	// Pre and Post are how long the load runs before the fault and after
	// the heal; Outage how long an outage lasts and Downtime how long a
	// killed process stays dead.
	Pre, Post, Outage, Downtime time.Duration
	// Converge bounds the wait for HQ to hold everything after the load.
	Converge time.Duration
	// Only selects faults whose name matches (nil: all).
	Only *regexp.Regexp
	// Partition is "auto" (network namespaces where possible, else the
	// proxy), "netns" or "proxy".
	Partition string
	// Log receives progress lines.
	Log io.Writer
	// Known also runs the faults that hit known bugs.
	Known bool
	// LogLevel is the services' log level (their logs are in each fault's
	// directory); default warn.
	LogLevel string
}

// Fault is one thing to break and heal.
type Fault struct {
	Name     string
	Topology string
	// Disk puts data on a small disk (TopologyOptions.Disk).
	Disk string
	// Outage says whether the fault lasts Config.Outage (else
	// Config.Downtime: a killed process coming back).
	Outage bool
	Inject func(ctx context.Context, t *Topology) error
	Heal   func(ctx context.Context, t *Topology) error
	// NoSettle injects the fault without waiting for HQ to apply the
	// setup writes first, and the setup leaves the meetings topic empty, so
	// HQ's meetings consumer joins its group late, under the load.
	NoSettle bool
	// Known names a bug this fault is known to hit; such faults run only
	// with Config.Known (make test-faults stays a test of what should
	// hold; -known reproduces what does not yet).
	Known string
	// Silent is the district service the fault silences: the fault lasts
	// until HQ's district view says that service is silent (its
	// heartbeats stopped), and after the heal HQ must say ok again.
	Silent string
}

// silencing is f, which kills the district service svc: HQ must notice.
func silencing(f Fault, svc string) Fault {
	f.Silent = svc
	return f
}

func kill(name string) (inject, heal func(context.Context, *Topology) error) {
	return func(_ context.Context, t *Topology) error { t.Procs[name].Kill(); return nil },
		func(ctx context.Context, t *Topology) error { return t.Restart(ctx, name) }
}

func stop(name string) (inject, heal func(context.Context, *Topology) error) {
	return func(_ context.Context, t *Topology) error {
			if !t.Procs[name].Stop(20 * time.Second) {
				return fmt.Errorf("%s did not stop cleanly", name)
			}
			return nil
		},
		func(ctx context.Context, t *Topology) error { return t.Restart(ctx, name) }
}

func freeze(name string) (inject, heal func(context.Context, *Topology) error) {
	return func(_ context.Context, t *Topology) error { return t.Procs[name].Pause() },
		func(_ context.Context, t *Topology) error { return t.Procs[name].Resume() }
}

func fault(name, topo string, outage bool, f func(string) (func(context.Context, *Topology) error, func(context.Context, *Topology) error), proc string) Fault {
	in, heal := f(proc)
	return Fault{Name: name, Topology: topo, Outage: outage, Inject: in, Heal: heal}
}

func diskFull(name, topo, at string) Fault {
	return Fault{
		Name: name, Topology: topo, Disk: at, Outage: true,
		Inject: func(_ context.Context, t *Topology) error { return t.Disk.Fill(t.diskPids()) },
		Heal:   func(_ context.Context, t *Topology) error { return t.Disk.Free() },
	}
}

// partitionFault cuts the district off from the broker: with network
// namespaces the veth link carrying the broker traffic goes down (etcd's
// link stays up); with the proxy, the proxy drops everything.
func partitionFault(topo string) Fault {
	return Fault{
		Name: "district cut off from the broker", Topology: topo, Outage: true,
		Inject: func(_ context.Context, t *Topology) error {
			if t.Netns != nil {
				return t.Netns.Cut()
			}
			return t.Proxy.Cut()
		},
		Heal: func(_ context.Context, t *Topology) error {
			if t.Netns != nil {
				return t.Netns.Heal()
			}
			return t.Proxy.Heal()
		},
	}
}

// killBeforeSettled kills HQ a few seconds after the topology started,
// while its consumers may still be joining their group (the other faults
// wait until HQ has applied the setup writes), then restarts it.
func killBeforeSettled() Fault {
	f := fault("kill -9 hq before its consumers settled", TopoServices, false, kill, ProcHQ)
	f.NoSettle = true
	f.Known = "kfake (the dev broker) keeps a member whose connection died during its JoinGroup in the group, " +
		"Stable, past its session timeout: the partitions assigned to it are never consumed, so HQ never " +
		"applies part of a topic (fails in one run out of two to four)"
	return f
}

// Faults lists every fault, in the order they run, for the given
// partition mode ("netns" or "proxy"), the known-bug ones last.
func Faults(partition string) []Fault {
	ptopo := TopoPartition
	if partition == "proxy" {
		ptopo = TopoProxy
	}
	return []Fault{
		fault("kill -9 guildhall", TopoStandalone, false, kill, ProcGuildhall),
		fault("kill -9 broker (log lost)", TopoStandaloneDevstack, true, kill, ProcBroker),
		fault("broker frozen (SIGSTOP)", TopoStandaloneDevstack, true, freeze, ProcBroker),
		fault("etcd stopped", TopoStandaloneDevstack, true, stop, ProcEtcd),
		fault("etcd frozen (SIGSTOP)", TopoStandaloneDevstack, true, freeze, ProcEtcd),
		diskFull("disk full", TopoStandaloneDevstack, DiskDistrict),
		silencing(fault("kill -9 membership", TopoServices, false, kill, ProcMembership), "membership"),
		silencing(fault("kill -9 meetings", TopoServices, false, kill, ProcMeetings), "meetings"),
		fault("kill -9 hq", TopoServices, false, kill, ProcHQ),
		fault("broker stopped", TopoServices, true, stop, ProcBroker),
		fault("kill -9 broker (log lost)", TopoServices, true, kill, ProcBroker),
		fault("broker frozen (SIGSTOP)", TopoServices, true, freeze, ProcBroker),
		fault("etcd stopped", TopoServices, true, stop, ProcEtcd),
		fault("etcd frozen (SIGSTOP)", TopoServices, true, freeze, ProcEtcd),
		diskFull("district disk full", TopoServices, DiskDistrict),
		diskFull("HQ disk full", TopoServices, DiskHQ),
		partitionFault(ptopo),
		killBeforeSettled(),
	}
}

// Row is one fault's line of the table.
type Row struct {
	Fault, Topology string
	Verdict
	// Backlog is how many events HQ was missing when the fault healed, and
	// Converge how long after the heal it took to hold them all.
	Backlog  int
	Converge time.Duration
	// Drain is how long after the load stopped HQ took to hold everything.
	Drain time.Duration
	// AckedDuring counts writes acknowledged while the fault lasted, and
	// Slowest is the longest a write waited for its acknowledgement
	// (retries included): the district's availability under the fault.
	AckedDuring int
	Slowest     time.Duration
	// Skipped is the reason the fault could not run here; Err a failure
	// of the harness itself.
	Skipped, Err string
	// Note says how the fault was made where it matters (disk mode).
	Note string
	// Known is the known bug the fault hits, if any.
	Known string
	// Warnings are things that went wrong without breaking a guarantee.
	Warnings []string
	Dir      string
}

// Failed reports whether the row fails the run.
func (r Row) Failed() bool { return r.Skipped == "" && (r.Err != "" || len(r.Violations) > 0) }

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "faults: "+format+"\n", args...)
	}
}

// Run runs the selected faults one after another, each on a fresh
// topology, and returns their rows. onRow is called as each row is done.
func Run(ctx context.Context, cfg Config, onRow func(Row)) ([]Row, error) {
	partition := cfg.Partition
	if partition == "" || partition == "auto" {
		partition = "netns"
		if reason := netnsAvailable(); reason != "" {
			cfg.logf("partition through the proxy: %s", reason)
			partition = "proxy"
		}
	}
	// What an earlier harness that died without cleaning up left behind.
	for _, msg := range Sweep() {
		cfg.logf("%s", msg)
	}
	if err := os.WriteFile(filepath.Join(cfg.WorkDir, pidFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return nil, err
	}
	var rows []Row
	for i, f := range Faults(partition) {
		if cfg.Only != nil && !cfg.Only.MatchString(f.Topology+" "+f.Name) {
			continue
		}
		if f.Known != "" && !cfg.Known {
			continue
		}
		if ctx.Err() != nil {
			return rows, ctx.Err()
		}
		dir := filepath.Join(cfg.WorkDir, fmt.Sprintf("%02d-%s", i+1, slug(f.Topology+"-"+f.Name)))
		cfg.logf("%s: %s …", f.Topology, f.Name)
		start := time.Now()
		r := cfg.runFault(ctx, f, dir, fmt.Sprintf("%dx%d", os.Getpid(), i))
		cfg.logf("%s: %s done in %s", f.Topology, f.Name, time.Since(start).Round(100*time.Millisecond))
		if !r.Failed() && len(r.Warnings) == 0 && !cfg.Keep {
			_ = os.RemoveAll(dir)
			r.Dir = ""
		}
		rows = append(rows, r)
		if onRow != nil {
			onRow(r)
		}
	}
	return rows, nil
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

// runFault runs one fault on a fresh topology in dir.
func (cfg *Config) runFault(ctx context.Context, f Fault, dir, tag string) (row Row) {
	row = Row{Fault: f.Name, Topology: f.Topology, Dir: dir, Known: f.Known}
	t, err := NewTopology(TopologyOptions{Kind: f.Topology, Bins: cfg.Bins, Dir: dir, District: "jingkai", Disk: f.Disk, Tag: tag, LogLevel: cfg.LogLevel})
	if err != nil {
		if reason, ok := skipped(err); ok {
			row.Skipped = reason
		} else {
			row.Err = err.Error()
		}
		return row
	}
	defer t.Close()
	if t.Disk != nil {
		row.Note = "disk: " + t.Disk.Mode
	}
	if t.Netns != nil {
		row.Note = "netns + veth"
	} else if t.Proxy != nil {
		row.Note = "proxy (HQ cut too)"
	}
	fail := func(err error) Row {
		row.Err = err.Error()
		for _, p := range t.Procs {
			cfg.logf("%s log tail:\n%s", p.Name, p.Tail(15))
		}
		return row
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fail(err)
	}
	if err := t.Start(ctx); err != nil {
		return fail(err)
	}
	load := &Load{Membership: t.Membership, Meetings: t.Meetings, District: t.District, Rate: cfg.Rate, Workers: cfg.Workers, Tag: "f" + tag,
		NoSetupMeeting: f.NoSettle}
	if err := load.Setup(ctx, 4); err != nil {
		return fail(err)
	}
	// Faults hit a settled system: HQ consumes both of the district's
	// topics (its consumers have joined their group) before the load.
	if !f.NoSettle {
		setup, err := cfg.pendingAt(ctx, t)
		if err != nil {
			return fail(err)
		}
		sctx, scancel := context.WithTimeout(ctx, 60*time.Second)
		err = waitHQHolds(sctx, t, setup)
		scancel()
		if err != nil {
			return fail(fmt.Errorf("HQ never applied the setup writes: %w; %s", err, t.DescribeHQGroups(ctx)))
		}
	}
	load.Start()
	stopped := false
	defer func() {
		if !stopped {
			load.Stop(0)
		}
	}()
	if !sleep(ctx, cfg.Pre) {
		return fail(ctx.Err())
	}

	hold := cfg.Downtime
	if f.Outage {
		hold = cfg.Outage
	}
	injected := time.Now()
	if err := f.Inject(ctx, t); err != nil {
		return fail(fmt.Errorf("inject: %w", err))
	}
	cfg.logf("  %s: fault in, %s", f.Name, hold)
	if f.Silent != "" {
		// A dead service must not look like a quiet one: it stays dead
		// until HQ says it is silent (3 heartbeat intervals).
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		err := waitHQStatus(sctx, t, "silent", f.Silent)
		scancel()
		if err != nil {
			row.Violations = append(row.Violations, "HQ never said "+f.Silent+" is silent while it was dead: "+err.Error())
		} else {
			row.Note = fmt.Sprintf("HQ said %s silent %s after the kill", f.Silent, time.Since(injected).Round(100*time.Millisecond))
		}
		hold -= time.Since(injected)
	}
	if !sleep(ctx, max(hold, 0)) {
		_ = f.Heal(context.Background(), t)
		return fail(ctx.Err())
	}
	healed := time.Now()
	if err := f.Heal(ctx, t); err != nil {
		return fail(fmt.Errorf("heal: %w", err))
	}
	// What HQ lacked at the heal, and how long until it holds it all.
	pending, err := cfg.pendingAt(ctx, t)
	if err != nil {
		return fail(err)
	}
	row.Backlog = len(pending)
	conv := make(chan time.Duration, 1)
	convErr := make(chan error, 1)
	cctx, ccancel := context.WithTimeout(ctx, cfg.Post+cfg.Converge)
	defer ccancel()
	go func() {
		if err := waitHQHolds(cctx, t, pending); err != nil {
			convErr <- err
			return
		}
		conv <- time.Since(healed)
	}()
	if !sleep(ctx, cfg.Post) {
		return fail(ctx.Err())
	}
	load.Stop(cfg.Converge)
	stopped = true
	loadStopped := time.Now()
	cfg.logf("  %s: healed; load stopped after %d writes", f.Name, len(load.Writes()))

	select {
	case d := <-conv:
		row.Converge = d
	case err := <-convErr:
		row.Converge = -1
		row.Violations = append(row.Violations, "HQ did not catch up on the events of before the heal: "+err.Error())
	}
	// Then everything: every event the district committed, in HQ.
	final := cfg.Converge
	if row.Converge < 0 {
		// It is stuck already; a short look is enough to count what is
		// still missing.
		final = min(final, 10*time.Second)
	}
	dctx, dcancel := context.WithTimeout(ctx, final)
	err = waitHQDrained(dctx, cfg, t)
	dcancel()
	row.Drain = time.Since(loadStopped)
	if err != nil {
		row.Drain = -1
		row.Violations = append(row.Violations, "HQ did not catch up after the load: "+err.Error()+"; "+t.DescribeHQGroups(ctx))
	}
	if err := cfg.checkViews(ctx, t); err != nil {
		row.Violations = append(row.Violations, err.Error())
	}
	if f.Silent != "" {
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		err := waitHQStatus(sctx, t, "ok", "")
		scancel()
		if err != nil {
			row.Violations = append(row.Violations, "HQ did not say the district is ok again after "+f.Silent+" came back: "+err.Error())
		}
	}
	// A process that needs SIGKILL to stop is worth knowing (its log has
	// the goroutine dump) but loses nothing by itself: what it did is in
	// the databases the checks read next.
	row.Warnings = t.Stop()
	snap, err := TakeSnapshot(ctx, t)
	if err != nil {
		return fail(fmt.Errorf("snapshot: %w", err))
	}
	writes := load.Writes()
	v := Verify(writes, snap)
	v.Violations = append(row.Violations, v.Violations...)
	row.Verdict = v
	for _, w := range writes {
		if w.Acked && !w.Answered.Before(injected) && !w.Answered.After(healed) {
			row.AckedDuring++
		}
		if w.Acked && w.Answered.Sub(w.Sent) > row.Slowest {
			row.Slowest = w.Answered.Sub(w.Sent)
		}
	}
	if row.Failed() {
		for _, p := range t.Procs {
			cfg.logf("%s log tail:\n%s", p.Name, p.Tail(15))
		}
	}
	return row
}

// pendingAt returns the ids of the district's events HQ has not applied yet.
func (cfg *Config) pendingAt(ctx context.Context, t *Topology) (map[string]bool, error) {
	out, err := OutboxIDs(ctx, outboxPaths(t)...)
	if err != nil {
		return nil, fmt.Errorf("read outboxes: %w", err)
	}
	in, err := HQInbox(ctx, t.HQDB, t.District, t.Outboxes)
	if err != nil {
		return nil, fmt.Errorf("read HQ inbox: %w", err)
	}
	for id := range in {
		delete(out, id)
	}
	return out, nil
}

// waitHQHolds polls HQ's inbox until it holds every id of pending.
func waitHQHolds(ctx context.Context, t *Topology, pending map[string]bool) error {
	left := len(pending)
	for {
		if left == 0 {
			return nil
		}
		in, err := HQInbox(ctx, t.HQDB, t.District, t.Outboxes)
		if err == nil {
			left = 0
			for id := range pending {
				if !in[id] {
					left++
				}
			}
			if left == 0 {
				return nil
			}
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return fmt.Errorf("%d events still missing: %w", left, ctx.Err())
		}
	}
}

// drainedFor is how long the district's outboxes must stay wholly applied
// at HQ for the district to count as drained.
const drainedFor = time.Second

// waitHQDrained polls until HQ holds every event of the district's
// outboxes, re-reading them each time, and they stay so for drainedFor.
// The set is not fixed at the start because compliance keeps committing
// events derived from membership's until its consumer has caught up, even
// once the load stopped.
func waitHQDrained(ctx context.Context, cfg *Config, t *Topology) error {
	var since time.Time
	left := -1
	for {
		pending, err := cfg.pendingAt(ctx, t)
		switch {
		case err != nil:
			since = time.Time{}
		case len(pending) > 0:
			left, since = len(pending), time.Time{}
		case since.IsZero():
			left, since = 0, time.Now()
		case time.Since(since) >= drainedFor:
			return nil
		}
		if !sleep(ctx, 50*time.Millisecond) {
			if err != nil {
				return fmt.Errorf("outboxes unreadable (%v): %w", err, ctx.Err())
			}
			return fmt.Errorf("%d events still missing: %w", left, ctx.Err())
		}
	}
}

// checkViews compares what HQ's API shows for the district with what the
// district's API lists: the user-facing side of "HQ equals the district".
func (cfg *Config) checkViews(ctx context.Context, t *Topology) error {
	var hq struct {
		Companies    int `json:"companies"`
		GuardsActive int `json:"guards_active"`
	}
	st, raw, err := t.HQ.call(ctx, "GET", "/api/v1/hq/districts/"+t.District, "", nil)
	if err != nil || st != 200 {
		return fmt.Errorf("HQ view: %d %v %.200s", st, err, raw)
	}
	if err := json.Unmarshal(raw, &hq); err != nil {
		return fmt.Errorf("HQ view: %w", err)
	}
	companies, err := countAll(ctx, t.Membership, "/api/v1/districts/"+t.District+"/companies")
	if err != nil {
		return err
	}
	guards, err := countAll(ctx, t.Membership, "/api/v1/districts/"+t.District+"/guards?employment_status=active")
	if err != nil {
		return err
	}
	if hq.Companies != companies || hq.GuardsActive != guards {
		return fmt.Errorf("HQ's view shows %d companies and %d active guards, the district lists %d and %d", hq.Companies, hq.GuardsActive, companies, guards)
	}
	return nil
}

// waitHQStatus polls HQ's view of the district until its status is status
// and, with svc set, that service is not alive; it returns the last view's
// status and services in its error when ctx ends first.
func waitHQStatus(ctx context.Context, t *Topology, status, svc string) error {
	var last string
	for {
		var v struct {
			Status   string `json:"status"`
			Services []struct {
				Service string `json:"service"`
				Alive   bool   `json:"alive"`
			} `json:"services"`
		}
		st, raw, err := t.HQ.call(ctx, "GET", "/api/v1/hq/districts/"+t.District, "", nil)
		if err == nil && st == 200 && json.Unmarshal(raw, &v) == nil {
			last = fmt.Sprintf("status %q, services %+v", v.Status, v.Services)
			ok := v.Status == status
			for _, s := range v.Services {
				if s.Service == svc && s.Alive {
					ok = false
				}
			}
			if ok {
				return nil
			}
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return fmt.Errorf("%w; last %s", ctx.Err(), last)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// countAll pages through a list and counts its items.
func countAll(ctx context.Context, api *API, path string) (int, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	n, token := 0, ""
	for {
		p := path + sep + "page_size=500"
		if token != "" {
			p += "&page_token=" + url.QueryEscape(token)
		}
		st, raw, err := api.call(ctx, "GET", p, "", nil)
		if err != nil || st != 200 {
			return 0, fmt.Errorf("list %s: %d %v %.200s", p, st, err, raw)
		}
		var page struct {
			Items []json.RawMessage `json:"items"`
			Next  string            `json:"next_page_token"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return 0, fmt.Errorf("list %s: %w", p, err)
		}
		n += len(page.Items)
		if page.Next == "" {
			return n, nil
		}
		token = page.Next
	}
}
