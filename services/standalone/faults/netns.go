package faults

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// The addresses of the partition topology. They exist only inside the two
// network namespaces the harness creates (nothing outside the machine, and
// nothing in the machine's own namespace, is ever addressed): the core
// namespace holds etcd, the broker and HQ; the district namespace holds the
// district's services. Two veth pairs join them, one carrying the broker
// traffic and one carrying etcd's, so the broker link can be cut while etcd
// stays reachable.
const (
	nsBrokerLinkCore = "10.250.0.1" // core end of the broker link (/30)
	nsBrokerLinkDist = "10.250.0.2" // district end of the broker link
	nsEtcdLinkCore   = "10.250.0.5" // core end of the etcd link (/30)
	nsEtcdLinkDist   = "10.250.0.6" // district end of the etcd link
	nsBrokerHost     = "10.250.1.1" // the broker listens here, on the core's loopback
	nsEtcdHost       = "10.250.1.2" // etcd listens here, on the core's loopback
)

// Netns is the pair of namespaces of the partition fault.
type Netns struct {
	// Core and Dist are the namespace names.
	Core, Dist string
	// brokerLink is the core end of the broker link, the one Cut takes
	// down: the district end stays up, so from the district's side packets
	// leave and vanish without an error, as in a real partition.
	brokerLink string
}

// ip runs the ip command.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// netnsAvailable says why network namespaces cannot be used here, or "".
func netnsAvailable() string {
	if os.Geteuid() != 0 {
		return "network namespaces need root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "no ip command (iproute2)"
	}
	return ""
}

// NewNetns creates the two namespaces and their links; tag makes the names
// unique to this run. On error everything created is removed again.
func NewNetns(tag string) (_ *Netns, err error) {
	if reason := netnsAvailable(); reason != "" {
		return nil, errSkip{reason}
	}
	n := &Netns{Core: "ghf-" + tag + "-core", Dist: "ghf-" + tag + "-dist"}
	// Interface names are limited to 15 bytes.
	short := tag
	if len(short) > 8 {
		short = short[len(short)-8:]
	}
	bc, bd := "gb"+short+"c", "gb"+short+"d"
	ec, ed := "ge"+short+"c", "ge"+short+"d"
	n.brokerLink = bc
	if err := ip("netns", "add", n.Core); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if err := ip("netns", "add", n.Dist); err != nil {
		return nil, err
	}
	// Both ends are created directly inside the namespaces, so the
	// machine's own namespace never holds them.
	steps := [][]string{
		{"link", "add", bc, "netns", n.Core, "type", "veth", "peer", "name", bd, "netns", n.Dist},
		{"link", "add", ec, "netns", n.Core, "type", "veth", "peer", "name", ed, "netns", n.Dist},
		{"-n", n.Core, "addr", "add", nsBrokerLinkCore + "/30", "dev", bc},
		{"-n", n.Dist, "addr", "add", nsBrokerLinkDist + "/30", "dev", bd},
		{"-n", n.Core, "addr", "add", nsEtcdLinkCore + "/30", "dev", ec},
		{"-n", n.Dist, "addr", "add", nsEtcdLinkDist + "/30", "dev", ed},
		{"-n", n.Core, "addr", "add", nsBrokerHost + "/32", "dev", "lo"},
		{"-n", n.Core, "addr", "add", nsEtcdHost + "/32", "dev", "lo"},
		{"-n", n.Core, "link", "set", "lo", "up"},
		{"-n", n.Dist, "link", "set", "lo", "up"},
		{"-n", n.Core, "link", "set", bc, "up"},
		{"-n", n.Dist, "link", "set", bd, "up"},
		{"-n", n.Core, "link", "set", ec, "up"},
		{"-n", n.Dist, "link", "set", ed, "up"},
		{"-n", n.Dist, "route", "add", nsBrokerHost + "/32", "via", nsBrokerLinkCore, "dev", bd},
		{"-n", n.Dist, "route", "add", nsEtcdHost + "/32", "via", nsEtcdLinkCore, "dev", ed},
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Cut takes the broker link down at the core end. The district's route
// stays (marked linkdown, still used), so its packets to the broker are
// dropped silently; the core loses its route back to the district. etcd's
// link is untouched.
func (n *Netns) Cut() error { return ip("-n", n.Core, "link", "set", n.brokerLink, "down") }

// Heal brings the broker link back.
func (n *Netns) Heal() error { return ip("-n", n.Core, "link", "set", n.brokerLink, "up") }

// Close deletes both namespaces, which removes their links too.
func (n *Netns) Close() {
	for _, ns := range []string{n.Dist, n.Core} {
		if ns != "" {
			_ = ip("netns", "del", ns)
		}
	}
}

// inNetns runs fn on an OS thread that has joined namespace ns. The thread
// is never handed back to the Go scheduler (the goroutine ends locked, so
// the runtime retires the thread), which keeps the namespace from leaking
// into other goroutines. Sockets fn creates stay in ns after it returns.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
		_ = f.Close()
		if err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// dialer returns a dial function whose connections start in namespace ns
// ("" is the harness's own namespace). Addresses must be IP literals: one
// address means the dial happens on the calling goroutine, so the socket is
// created on the thread that joined ns.
func dialer(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	if ns == "" {
		return d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := inNetns(ns, func() error {
			var err error
			c, err = d.DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
}

// listen opens a TCP listener in namespace ns ("" is the harness's own).
func listen(ns, addr string) (net.Listener, error) {
	if ns == "" {
		return net.Listen("tcp", addr)
	}
	var ln net.Listener
	err := inNetns(ns, func() error {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err
	})
	return ln, err
}
