package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/guildhall/guildhall/pkg/auth"
	"github.com/guildhall/guildhall/pkg/config"
	"github.com/guildhall/guildhall/pkg/eventbus"
	"github.com/guildhall/guildhall/pkg/testutil/ports"
	"github.com/guildhall/guildhall/services/hq"
)

// The shapes a fault runs against.
const (
	// TopoStandalone is the guildhall binary alone, etcd and the broker
	// embedded.
	TopoStandalone = "standalone"
	// TopoStandaloneDevstack is the guildhall binary with etcd and the
	// broker as processes of their own (cmd/devstack), so they can fail
	// without it.
	TopoStandaloneDevstack = "standalone+devstack"
	// TopoServices is the per-service deployment: membership, meetings and
	// hq binaries, etcd and the broker as devstack processes.
	TopoServices = "services"
	// TopoPartition is TopoServices with the district's services in a
	// network namespace of their own, linked to the core (etcd, broker,
	// HQ) by two veth pairs: one for the broker, one for etcd.
	TopoPartition = "services+netns"
	// TopoProxy is TopoServices with the broker behind a proxy that can
	// drop traffic, the partition's fallback where namespaces are not
	// available. Everyone reaches the broker through the proxy, HQ too.
	TopoProxy = "services+proxy"
)

// Binaries locates the built binaries (make build).
type Binaries struct {
	Guildhall, Membership, Meetings, HQ, Devstack string
}

// BinariesIn returns the binaries of dir, checking they exist.
func BinariesIn(dir string) (Binaries, error) {
	b := Binaries{
		Guildhall: filepath.Join(dir, "guildhall"), Membership: filepath.Join(dir, "membership"),
		Meetings: filepath.Join(dir, "meetings"), HQ: filepath.Join(dir, "hq"), Devstack: filepath.Join(dir, "devstack"),
	}
	for _, p := range []string{b.Guildhall, b.Membership, b.Meetings, b.HQ, b.Devstack} {
		if _, err := os.Stat(p); err != nil {
			return b, fmt.Errorf("faults: %s is missing (make build, and go build -o bin/devstack ./services/standalone/cmd/devstack): %w", p, err)
		}
	}
	return b, nil
}

// Names of a topology's processes.
const (
	ProcGuildhall  = "guildhall"
	ProcEtcd       = "etcd"
	ProcBroker     = "broker"
	ProcMembership = "membership"
	ProcMeetings   = "meetings"
	ProcHQ         = "hq"
)

// Topology is a running set of processes serving one district and HQ.
type Topology struct {
	Kind     string
	District string
	Dir      string
	// Procs by name, and the order they start in (they stop in reverse).
	Procs map[string]*Proc
	order []string

	// The APIs; in the standalone shapes all three are the one listener.
	Membership, Meetings, HQ *API
	// The SQLite files the checks read.
	MembershipDB, MeetingsDB, HQDB string
	// Outboxes maps each of the district's services whose events HQ
	// consumes to its SQLite file: the checks hold HQ to every one of
	// them, not only to the two the load writes to, since in the
	// standalone shapes compliance publishes events derived from
	// membership's (HQ counts those applications too).
	Outboxes map[string]string

	// EtcdEndpoint is etcd's client URL and etcdNS the namespace it is
	// reached from (for registering the district).
	EtcdEndpoint string
	etcdNS       string
	// BrokerAddr is the broker's bootstrap address, reached from etcdNS.
	BrokerAddr string

	Netns *Netns
	Proxy *Proxy
	Disk  *Disk
	// diskAt is whose data the Disk holds (DiskDistrict, DiskHQ).
	diskAt string

	auth    *tokenAuth
	closers []func()
	mu      sync.Mutex
}

// tokenAuth is the harness's own OIDC issuer: an ES256 key, a token for an
// hq-admin, and the key set served over loopback HTTP to the binaries.
type tokenAuth struct {
	issuer   string
	audience string
	token    string
	jwks     []byte
}

const (
	harnessIssuer   = "https://faults.guildhall.invalid"
	harnessAudience = "guildhall"
	// jwksPort is where the key set is served inside a network namespace
	// (a fresh namespace has every port free).
	jwksPort = "18443"
)

func newTokenAuth(dir string) (*tokenAuth, error) {
	iss, err := auth.NewLocalIssuer(dir, harnessIssuer, harnessAudience, 6*time.Hour)
	if err != nil {
		return nil, err
	}
	tok, _, err := iss.Issue(auth.Principal{Subject: "fault-harness", Role: auth.RoleHQAdmin})
	if err != nil {
		return nil, err
	}
	return &tokenAuth{issuer: harnessIssuer, audience: harnessAudience, token: tok, jwks: iss.JWKS()}, nil
}

// serve serves the key set on addr in namespace ns and returns its URL.
func (t *Topology) serveJWKS(ns, addr string) (string, error) {
	ln, err := listen(ns, addr)
	if err != nil {
		return "", fmt.Errorf("faults: jwks listener: %w", err)
	}
	jwks := t.auth.jwks
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.onClose(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String() + "/jwks.json", nil
}

func (t *Topology) oidcFlags(jwksURL string) []string {
	return []string{"-auth.oidc.issuer=" + t.auth.issuer, "-auth.oidc.audience=" + t.auth.audience, "-auth.oidc.jwks-url=" + jwksURL}
}

func (t *Topology) onClose(f func()) {
	t.mu.Lock()
	t.closers = append(t.closers, f)
	t.mu.Unlock()
}

// freeAddr returns a loopback address nothing listens on right now, from
// below the ephemeral range (pkg/testutil/ports): a port from the range can
// be taken by any outgoing connection before the process binds it.
func freeAddr() (string, error) { return ports.FreeAddr() }

// adminFlag returns "-admin.addr=<addr>" when bin has that flag (a separate
// admin listener for metrics and health), so that several processes on one
// machine never collide on its default port; nil when it has none.
func adminFlag(bin string, addr func() (string, error)) ([]string, error) {
	out, _ := exec.Command(bin, "-h").CombinedOutput()
	if !strings.Contains(string(out), "-admin.addr") {
		return nil, nil
	}
	a, err := addr()
	if err != nil {
		return nil, err
	}
	return []string{"-admin.addr=" + a}, nil
}

func writeKey(path, prefix string) error {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(prefix+hex.EncodeToString(k)+"\n"), 0o600)
}

// TopologyOptions shape a topology.
type TopologyOptions struct {
	Kind     string
	Bins     Binaries
	Dir      string
	District string
	// Disk puts data on a small filesystem that a fault can fill (a
	// tmpfs, else a file-size limit on the processes writing there):
	// DiskDistrict the district's (with the standalone binary: the whole
	// data dir), DiskHQ HQ's database; "" none.
	Disk string
	// Tag makes namespace names unique.
	Tag string
	// LogLevel of the services; default warn.
	LogLevel string
}

func (o TopologyOptions) logLevel() string {
	if o.LogLevel == "" {
		return "warn"
	}
	return o.LogLevel
}

// NewTopology lays out a topology's processes without starting them.
func NewTopology(o TopologyOptions) (_ *Topology, err error) {
	t := &Topology{Kind: o.Kind, District: o.District, Dir: o.Dir, Procs: map[string]*Proc{}}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	if t.auth, err = newTokenAuth(filepath.Join(o.Dir, "issuer")); err != nil {
		return nil, err
	}
	logs := filepath.Join(o.Dir, "logs")
	if err := os.MkdirAll(logs, 0o750); err != nil {
		return nil, err
	}
	add := func(p *Proc) {
		p.Log = filepath.Join(logs, p.Name+".log")
		t.Procs[p.Name] = p
		t.order = append(t.order, p.Name)
	}
	dataDir := filepath.Join(o.Dir, "data")
	districtDir := filepath.Join(dataDir, o.District)
	if err := os.MkdirAll(districtDir, 0o750); err != nil {
		return nil, err
	}
	hqDir := filepath.Join(o.Dir, "hq")
	if o.Disk != "" {
		// The standalone binary keeps everything of the city in its data
		// dir; the district services only their own databases.
		diskDir := districtDir
		switch {
		case o.Kind == TopoStandaloneDevstack || o.Kind == TopoStandalone:
			diskDir = dataDir
		case o.Disk == DiskHQ:
			diskDir = hqDir
		}
		if t.Disk, err = NewDisk(diskDir); err != nil {
			return nil, err
		}
		t.diskAt = o.Disk
	}

	switch o.Kind {
	case TopoStandalone, TopoStandaloneDevstack:
		jwks, err := t.serveJWKS("", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		httpAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args := []string{"-http.addr=" + httpAddr, "-data.dir=" + dataDir, "-districts=" + o.District, "-log.level=" + o.logLevel()}
		args = append(args, t.oidcFlags(jwks)...)
		if o.Kind == TopoStandalone {
			brokerAddr, err := freeAddr()
			if err != nil {
				return nil, err
			}
			args = append(args, "-broker.addr="+brokerAddr)
			t.BrokerAddr = brokerAddr
		} else {
			etcdAddr, brokerAddr, err := t.addDevstack(o, add, "")
			if err != nil {
				return nil, err
			}
			args = append(args, "-kafka.brokers="+brokerAddr, "-etcd.endpoints="+etcdAddr)
		}
		adm, err := adminFlag(o.Bins.Guildhall, freeAddr)
		if err != nil {
			return nil, err
		}
		add(&Proc{Name: ProcGuildhall, Path: o.Bins.Guildhall, Args: append(args, adm...), Ready: "guildhall: ready"})
		api := newAPI("http://"+httpAddr, t.auth.token, "", 10*time.Second)
		t.Membership, t.Meetings, t.HQ = api, api, api
		t.MembershipDB = filepath.Join(districtDir, "membership.db")
		t.MeetingsDB = filepath.Join(districtDir, "meetings.db")
		t.HQDB = filepath.Join(dataDir, "hq", "hq.db")
		t.Outboxes = map[string]string{}
		for _, svc := range hq.ConsumedServices {
			t.Outboxes[svc] = filepath.Join(districtDir, svc+".db")
		}
		return t, nil

	case TopoServices, TopoPartition, TopoProxy:
	default:
		return nil, fmt.Errorf("faults: unknown topology %q", o.Kind)
	}

	coreNS, distNS := "", ""
	if o.Kind == TopoPartition {
		if t.Netns, err = NewNetns(o.Tag); err != nil {
			return nil, err
		}
		coreNS, distNS = t.Netns.Core, t.Netns.Dist
	}
	// Addresses: every process on loopback, except across the namespaces,
	// where the district reaches etcd and the broker on the core's
	// addresses. Inside a fresh namespace every port is free.
	port := func(ns, fixed string) (string, error) {
		if ns != "" {
			return "127.0.0.1:" + fixed, nil
		}
		return freeAddr()
	}
	etcdAddr, brokerAddr, err := t.addDevstack(o, add, coreNS)
	if err != nil {
		return nil, err
	}
	coreJWKS, err := t.serveJWKS(coreNS, map[bool]string{true: "127.0.0.1:" + jwksPort, false: "127.0.0.1:0"}[coreNS != ""])
	if err != nil {
		return nil, err
	}
	distJWKS := coreJWKS
	if distNS != "" {
		if distJWKS, err = t.serveJWKS(distNS, "127.0.0.1:"+jwksPort); err != nil {
			return nil, err
		}
	}

	secrets := filepath.Join(o.Dir, "secrets")
	if err := os.MkdirAll(secrets, 0o700); err != nil {
		return nil, err
	}
	idKey, sealKey := filepath.Join(secrets, "id-hash.key"), filepath.Join(secrets, "pii-seal.key")
	if err := writeKey(idKey, ""); err != nil {
		return nil, err
	}
	if err := writeKey(sealKey, "k1:"); err != nil {
		return nil, err
	}
	common := []string{"-kafka.brokers=" + brokerAddr, "-etcd.endpoints=" + etcdAddr, "-log.level=" + o.logLevel()}
	adminAddr := func(ns string, fixed string) func() (string, error) {
		return func() (string, error) { return port(ns, fixed) }
	}

	t.MembershipDB = filepath.Join(districtDir, "membership.db")
	t.MeetingsDB = filepath.Join(districtDir, "meetings.db")
	t.HQDB = filepath.Join(hqDir, "hq.db")
	t.Outboxes = map[string]string{"membership": t.MembershipDB, "meetings": t.MeetingsDB}

	mAddr, err := port(distNS, "18081")
	if err != nil {
		return nil, err
	}
	adm, err := adminFlag(o.Bins.Membership, adminAddr(distNS, "19081"))
	if err != nil {
		return nil, err
	}
	add(&Proc{Name: ProcMembership, Path: o.Bins.Membership, NetNS: distNS, Args: append(append([]string{
		"-district=" + o.District, "-http.addr=" + mAddr, "-db.path=" + t.MembershipDB,
		"-pii.id-hash-key-file=" + idKey, "-pii.seal-key-file=" + sealKey, "-relay.candidate=membership-0",
		// HQ calls a service silent after 3 heartbeat intervals.
		"-heartbeat.interval=1s",
	}, append(common, t.oidcFlags(distJWKS)...)...), adm...)})
	t.Membership = newAPI("http://"+mAddr, t.auth.token, distNS, 10*time.Second)

	mtAddr, err := port(distNS, "18082")
	if err != nil {
		return nil, err
	}
	adm, err = adminFlag(o.Bins.Meetings, adminAddr(distNS, "19082"))
	if err != nil {
		return nil, err
	}
	add(&Proc{Name: ProcMeetings, Path: o.Bins.Meetings, NetNS: distNS, Args: append(append([]string{
		"-district=" + o.District, "-http.addr=" + mtAddr, "-db.path=" + t.MeetingsDB, "-relay.candidate=meetings-0",
		"-heartbeat.interval=1s",
	}, append(common, t.oidcFlags(distJWKS)...)...), adm...)})
	t.Meetings = newAPI("http://"+mtAddr, t.auth.token, distNS, 10*time.Second)

	hqAddr, err := port(coreNS, "18080")
	if err != nil {
		return nil, err
	}
	adm, err = adminFlag(o.Bins.HQ, adminAddr(coreNS, "19080"))
	if err != nil {
		return nil, err
	}
	add(&Proc{Name: ProcHQ, Path: o.Bins.HQ, NetNS: coreNS, Args: append(append([]string{
		"-http.addr=" + hqAddr, "-hq.db-path=" + t.HQDB,
	}, append(common, t.oidcFlags(coreJWKS)...)...), adm...)})
	t.HQ = newAPI("http://"+hqAddr, t.auth.token, coreNS, 10*time.Second)
	return t, nil
}

// addDevstack adds the etcd and broker processes (in namespace coreNS, if
// set) and returns the addresses every other process uses for them.
func (t *Topology) addDevstack(o TopologyOptions, add func(*Proc), coreNS string) (etcdURL, brokerAddr string, err error) {
	etcdArgs := []string{"-etcd.dir=" + filepath.Join(o.Dir, "etcd")}
	brokerArgs := []string{"-broker.dir=" + filepath.Join(o.Dir, "broker")}
	switch {
	case coreNS != "":
		etcdURL = "http://" + net.JoinHostPort(nsEtcdHost, "2379")
		brokerAddr = net.JoinHostPort(nsBrokerHost, "9092")
		etcdArgs = append(etcdArgs, "-etcd.addr="+net.JoinHostPort(nsEtcdHost, "2379"))
		brokerArgs = append(brokerArgs, "-broker.addr=127.0.0.1:9092", "-broker.listen-host="+nsBrokerHost)
		t.etcdNS = coreNS
	default:
		ea, err := freeAddr()
		if err != nil {
			return "", "", err
		}
		ba, err := freeAddr()
		if err != nil {
			return "", "", err
		}
		etcdURL, brokerAddr = "http://"+ea, ba
		etcdArgs = append(etcdArgs, "-etcd.addr="+ea)
		brokerArgs = append(brokerArgs, "-broker.addr="+ba)
		if o.Kind == TopoProxy {
			// The broker names the proxy in its metadata, so clients that
			// bootstrap through the proxy stay behind it.
			if t.Proxy, err = NewProxy(ba); err != nil {
				return "", "", err
			}
			t.onClose(t.Proxy.Close)
			brokerAddr = t.Proxy.Addr()
			brokerArgs = append(brokerArgs, "-broker.advertise="+brokerAddr)
		}
	}
	t.EtcdEndpoint, t.BrokerAddr = etcdURL, brokerAddr
	add(&Proc{Name: ProcEtcd, Path: o.Bins.Devstack, NetNS: coreNS, Args: etcdArgs, Ready: "devstack: ready"})
	add(&Proc{Name: ProcBroker, Path: o.Bins.Devstack, NetNS: coreNS, Args: brokerArgs, Ready: "devstack: ready"})
	return etcdURL, brokerAddr, nil
}

// Start starts every process in order (registering the district in etcd
// first where no standalone binary does it) and waits until the APIs
// answer.
func (t *Topology) Start(ctx context.Context) error {
	for _, name := range t.order {
		if name == ProcMembership {
			if err := t.registerDistrict(ctx); err != nil {
				return err
			}
		}
		if err := t.Procs[name].Start(ctx); err != nil {
			return err
		}
	}
	return t.WaitReady(ctx)
}

// DescribeHQGroups says who is in HQ's consumer groups of the district's
// topics (one group per topic, hq.GroupIDOf) and what each member holds,
// for the report of a fault whose events HQ never applied.
func (t *Topology) DescribeHQGroups(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tr := &kafka.Transport{Dial: dialer(t.etcdNS)}
	defer tr.CloseIdleConnections()
	cli := &kafka.Client{Addr: kafka.TCP(t.BrokerAddr), Transport: tr}
	var groups []string
	for _, svc := range hq.ConsumedServices {
		groups = append(groups, hq.GroupIDOf(hq.DefaultGroupID, eventbus.Topic(t.District, svc)))
	}
	resp, err := cli.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: groups})
	if err != nil {
		return "describe HQ's groups: " + err.Error()
	}
	var b strings.Builder
	for _, g := range resp.Groups {
		fmt.Fprintf(&b, "group %s state %s, %d members:", g.GroupID, g.GroupState, len(g.Members))
		for _, m := range g.Members {
			fmt.Fprintf(&b, " [%s subscribed %v assigned", m.MemberID, m.MemberMetadata.Topics)
			for _, a := range m.MemberAssignments.Topics {
				fmt.Fprintf(&b, " %s%v", a.Topic, a.Partitions)
			}
			b.WriteString("]")
		}
	}
	return b.String()
}

// registerDistrict puts the district in the etcd registry, as an operator
// would (etcdctl put /guildhall/districts/<id>).
func (t *Topology) registerDistrict(ctx context.Context) error {
	d := t.etcdNS
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: []string{t.EtcdEndpoint}, DialTimeout: 10 * time.Second, Logger: zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return dialer(d)(ctx, "tcp", strings.TrimPrefix(strings.TrimPrefix(addr, "http://"), "unix://"))
		})},
	})
	if err != nil {
		return fmt.Errorf("faults: etcd client: %w", err)
	}
	defer cli.Close()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = config.NewRegistry(cli, nil, nil).RegisterIfAbsent(rctx, config.District{
		ID: t.District, Name: "Jingkai (fault drill)", NameZH: "经开",
	})
	if err != nil {
		return fmt.Errorf("faults: register district %s: %w", t.District, err)
	}
	return nil
}

// WaitReady polls an authenticated GET of each API until it answers 200.
// A process behind an API that exits meanwhile (its port taken, a bad
// flag, a crash at start) fails it at once with the end of its log, not
// after the deadline.
func (t *Topology) WaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	d := "/api/v1/districts/" + t.District
	checks := []struct {
		api  *API
		proc string
		path string
	}{
		{t.Membership, ProcMembership, d + "/companies?page_size=1"},
		{t.Meetings, ProcMeetings, d + "/meetings?page_size=1"},
		{t.HQ, ProcHQ, "/api/v1/hq/districts/" + t.District},
	}
	for _, c := range checks {
		p := t.Procs[c.proc]
		if p == nil {
			p = t.Procs[ProcGuildhall] // the standalone binary serves them all
		}
		var last string
		for {
			st, raw, err := c.api.call(ctx, "GET", c.path, "", nil)
			if err == nil && st == http.StatusOK {
				break
			}
			// The call that finds the deadline passed says only that;
			// what the ones before it got is the news.
			if ctx.Err() == nil || last == "" {
				last = fmt.Sprintf("%d %v %.200s", st, err, raw)
			}
			if p != nil && !p.Running() {
				return fmt.Errorf("faults: %s exited before %s%s answered 200 (last: %s); its log ends:\n%s",
					p.Name, c.api.Base, c.path, last, p.Tail(15))
			}
			if ctx.Err() != nil {
				return fmt.Errorf("faults: %s%s never answered 200 (last: %s)", c.api.Base, c.path, last)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// Restart starts a process that was killed or stopped and waits until the
// APIs answer again.
func (t *Topology) Restart(ctx context.Context, name string) error {
	if err := t.Procs[name].Start(ctx); err != nil {
		return err
	}
	return t.WaitReady(ctx)
}

// Stop stops every process, last started first, each with SIGTERM and a
// grace period. It reports the processes that had to be killed.
func (t *Topology) Stop() []string {
	var slow []string
	for i := len(t.order) - 1; i >= 0; i-- {
		p := t.Procs[t.order[i]]
		if !p.Running() {
			continue
		}
		if !p.Stop(20 * time.Second) {
			slow = append(slow, fmt.Sprintf("%s did not stop within 20s of SIGTERM and was killed (goroutine dump in %s)", p.Name, p.Log))
		}
	}
	return slow
}

// Close kills whatever still runs and removes namespaces, mounts and
// listeners. Safe to call more than once.
func (t *Topology) Close() {
	for _, p := range t.Procs {
		p.Kill()
	}
	t.mu.Lock()
	closers := t.closers
	t.closers = nil
	t.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
	if t.Disk != nil {
		t.Disk.Close()
		t.Disk = nil
	}
	if t.Netns != nil {
		t.Netns.Close()
		t.Netns = nil
	}
}

// Where a topology's small disk goes.
const (
	DiskDistrict = "district"
	DiskHQ       = "hq"
)

// diskPids returns the pids of the processes that write to the small disk
// (for a file-size limit).
func (t *Topology) diskPids() []int {
	names := []string{ProcGuildhall, ProcMembership, ProcMeetings}
	if t.diskAt == DiskHQ {
		names = []string{ProcHQ}
	}
	var pids []int
	for _, n := range names {
		if p, ok := t.Procs[n]; ok && p.Pid() != 0 {
			pids = append(pids, p.Pid())
		}
	}
	return pids
}
