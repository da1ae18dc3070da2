package faults

import (
	"io"
	"net"
	"sync"
)

// Proxy forwards TCP connections to a target and can cut them: while cut it
// accepts connections but forwards nothing, and bytes that arrive on open
// connections are read and dropped, so clients see silence, not errors, as
// in a partition. Healing closes the connections that lost traffic (their
// byte streams have holes) and forwards again. It is the partition fault's
// fallback where network namespaces are not available; a Kafka client only
// stays behind it if the broker advertises the proxy's address.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[*proxyConn]struct{}
	wg    sync.WaitGroup
}

type proxyConn struct {
	client, upstream net.Conn
	// dirty is set once a byte was dropped on this connection.
	dirty bool
}

// NewProxy starts a proxy on a random loopback port in front of target.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	pc := &proxyConn{client: c}
	p.mu.Lock()
	p.conns[pc] = struct{}{}
	cut := p.cut
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, pc)
		p.mu.Unlock()
		_ = c.Close()
	}()
	if cut {
		// A connection opened during the cut never reaches the target:
		// swallow what the client sends until the heal closes it.
		p.mu.Lock()
		pc.dirty = true
		p.mu.Unlock()
		_, _ = io.Copy(io.Discard, c)
		return
	}
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.mu.Lock()
	pc.upstream = u
	p.mu.Unlock()
	defer u.Close()
	done := make(chan struct{}, 2)
	go func() { p.pipe(pc, u, c); done <- struct{}{} }()
	go func() { p.pipe(pc, c, u); done <- struct{}{} }()
	<-done
}

// pipe copies src to dst, dropping what arrives while the proxy is cut.
func (p *Proxy) pipe(pc *proxyConn, dst, src net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			drop := p.cut
			if drop {
				pc.dirty = true
			}
			p.mu.Unlock()
			if !drop {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
		}
		if err != nil {
			break
		}
	}
	// Either side ending ends both.
	_ = dst.Close()
	_ = src.Close()
}

// Cut starts dropping traffic.
func (p *Proxy) Cut() error {
	p.mu.Lock()
	p.cut = true
	p.mu.Unlock()
	return nil
}

// Heal forwards again and closes every connection that lost bytes.
func (p *Proxy) Heal() error {
	p.mu.Lock()
	p.cut = false
	for pc := range p.conns {
		if pc.dirty {
			_ = pc.client.Close()
			if pc.upstream != nil {
				_ = pc.upstream.Close()
			}
		}
	}
	p.mu.Unlock()
	return nil
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for pc := range p.conns {
		_ = pc.client.Close()
		if pc.upstream != nil {
			_ = pc.upstream.Close()
		}
	}
	p.mu.Unlock()
	p.wg.Wait()
}
