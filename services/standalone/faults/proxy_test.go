package faults

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers every line it reads with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// roundTrip writes a line and reads the echo within d; ok is false when
// nothing came back.
func roundTrip(c net.Conn, line string, d time.Duration) (string, bool) {
	_ = c.SetDeadline(time.Now().Add(d))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", false
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", false
	}
	return got[:len(got)-1], true
}

func TestTheProxyForwardsDropsWhileCutAndRecoversOnHeal(t *testing.T) {
	p, err := NewProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	before, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	if got, ok := roundTrip(before, "hello", 5*time.Second); !ok || got != "hello" {
		t.Fatalf("through the proxy: %q %v", got, ok)
	}

	_ = p.Cut()
	if got, ok := roundTrip(before, "lost", 300*time.Millisecond); ok {
		t.Fatalf("an open connection got %q through a cut proxy", got)
	}
	during, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err) // a partition does not refuse connections, it swallows them
	}
	defer during.Close()
	if got, ok := roundTrip(during, "lost too", 300*time.Millisecond); ok {
		t.Fatalf("a new connection got %q through a cut proxy", got)
	}

	_ = p.Heal()
	// The connections that lost bytes are closed, so their clients notice
	// and reconnect; a new connection works.
	for _, c := range []net.Conn{before, during} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("a connection that lost bytes stayed open after the heal")
		}
	}
	after, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if got, ok := roundTrip(after, "again", 5*time.Second); !ok || got != "again" {
		t.Fatalf("after the heal: %q %v", got, ok)
	}
}
