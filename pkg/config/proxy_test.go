package config

import (
	"io"
	"net"
	"sync"
	"testing"
)

// tcpProxy forwards connections to a target; Cut drops every connection and
// stops listening, Restore listens again on the same address. It simulates
// etcd becoming unreachable without the seconds a graceful etcd stop takes.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// newTCPProxy starts a proxy to target on a random local port.
func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	p.listen("127.0.0.1:0")
	t.Cleanup(func() { p.Cut(); p.wg.Wait() })
	return p
}

// listen starts accepting on addr.
func (p *tcpProxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = struct{}{}, struct{}{}
			p.mu.Unlock()
			p.wg.Go(func() { _, _ = io.Copy(up, c); up.Close(); c.Close() })
			p.wg.Go(func() { _, _ = io.Copy(c, up); up.Close(); c.Close() })
		}
	})
}

// Cut closes the listener and every forwarded connection.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore listens again on the proxy's address.
func (p *tcpProxy) Restore() { p.listen(p.addr) }
