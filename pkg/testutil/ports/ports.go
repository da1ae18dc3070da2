// Package ports hands out loopback TCP ports for the processes a test or
// the fault harness starts and must name an address for before they run
// (a broker that comes back at the same address, a service's -http.addr).
//
// The usual way, listening on port 0 and closing the listener, returns a
// port from the kernel's ephemeral range, and that range is also where
// every outgoing connection on the machine takes its local port: one
// dial by anybody between the close and the child's bind takes the port
// ("bind: address already in use"), and the child dies. The fault harness
// lost a CI run to it. The ports here come from below the ephemeral
// range, which the kernel never hands out by itself, so only another
// explicit bind can take one.
package ports

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// floor is the lowest port handed out: above the registered services a
// developer machine may run (PostgreSQL's 5432, 8080, 9090, …).
const floor = 10000

// defaultEphemeralLow is where Linux starts the range unless told otherwise.
const defaultEphemeralLow = 32768

var (
	mu     sync.Mutex
	handed = map[int]bool{}
)

// Free returns a loopback port nothing listens on now, outside the
// ephemeral range, and never the same one twice in this process (so two
// children started one after the other never get one port between them).
func Free() (int, error) {
	hi := ephemeralLow()
	if hi-floor < 1000 {
		// A machine whose ephemeral range starts low: no room outside
		// it, so the kernel's pick it is.
		return kernelPick()
	}
	mu.Lock()
	defer mu.Unlock()
	for range 200 {
		p := floor + rand.IntN(hi-floor)
		if handed[p] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // somebody's, or in TIME_WAIT of a listener
		}
		_ = ln.Close()
		handed[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("ports: no free port in %d-%d after 200 tries", floor, hi-1)
}

// FreeAddr is Free as "127.0.0.1:port".
func FreeAddr() (string, error) {
	p, err := Free()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), nil
}

// ephemeralLow reads the start of the kernel's ephemeral range (Linux);
// elsewhere, or unreadable, the Linux default.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return defaultEphemeralLow
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return defaultEphemeralLow
	}
	lo, err := strconv.Atoi(f[0])
	if err != nil || lo <= 0 {
		return defaultEphemeralLow
	}
	return lo
}

func kernelPick() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
