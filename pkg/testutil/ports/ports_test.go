package ports

import (
	"net"
	"strconv"
	"testing"
)

// TestFreePortsAreOutsideTheEphemeralRange: the whole point. A port from
// the ephemeral range can be taken by any outgoing connection before the
// child binds it.
func TestFreePortsAreOutsideTheEphemeralRange(t *testing.T) {
	lo := ephemeralLow()
	if lo-floor < 1000 {
		t.Skipf("this machine's ephemeral range starts at %d: no room below it", lo)
	}
	seen := map[int]bool{}
	for range 50 {
		p, err := Free()
		if err != nil {
			t.Fatal(err)
		}
		if p < floor || p >= lo {
			t.Fatalf("port %d: want one in [%d, %d), below the ephemeral range", p, floor, lo)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		// Free means a child can bind it now.
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d is not free: %v", p, err)
		}
		_ = ln.Close()
	}
}

// TestFreeAddrNamesLoopback: the address form the processes' flags take.
func TestFreeAddrNamesLoopback(t *testing.T) {
	a, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil || host != "127.0.0.1" || port == "" {
		t.Fatalf("FreeAddr() = %q (%v), want 127.0.0.1:<port>", a, err)
	}
}
