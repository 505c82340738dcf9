package controlplanetest

import (
	"bytes"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// StallProxy is a TCP proxy in front of the control plane that can stall: once stalled, it
// keeps every connection open and passes nothing on, and takes new ones without answering
// them, as a control plane that hangs (a stuck server, a network that drops packets) does.
// Unlike a stopped server, whose connections fail at once, it makes every call without a
// deadline wait for ever.
type StallProxy struct {
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	stalled bool
	conns   []net.Conn
	closed  bool
	trips   int
	cut     []byte
	cutDown bool          // at the cut, the proxy goes down (GoDownAfterSending)
	cutLate time.Duration // at the cut, the message reaches the server this much later (CutBeforeDelivering)
	delay   time.Duration
}

// NewStallProxy proxies to the server of dbURL and returns dbURL through the proxy, closed at
// cleanup (Close).
func NewStallProxy(t testing.TB, dbURL string) (*StallProxy, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &StallProxy{ln: ln}
	t.Cleanup(p.Close)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.keep(c) || p.isStalled() {
				continue // held open, unanswered, until cleanup
			}
			s, err := net.Dial("tcp", target)
			if err != nil || !p.keep(s) {
				_ = c.Close()
				continue
			}
			p.wg.Add(2)
			go func() { defer p.wg.Done(); p.copy(s, c, true) }()
			go func() { defer p.wg.Done(); p.copy(c, s, false) }()
		}
	}()
	u.Host = ln.Addr().String()
	return p, u.String()
}

// Close closes the proxy and every connection through it (at cleanup, or sooner: a test closes
// it before a pool on it, whose stalled connections then close at once).
func (p *StallProxy) Close() {
	_ = p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// Stall makes the proxy pass nothing on from now on.
func (p *StallProxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
}

// CutAfterSending makes the proxy pass on the next message a client sends that holds marker
// (say "commit"), then close that client's connection at once, as a network that fails (a
// failover) just after a statement left does: the server runs it, its answer is lost.
func (p *StallProxy) CutAfterSending(marker string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = []byte(marker)
}

// CutBeforeDelivering is CutAfterSending, the message holding marker reaching the server late
// later than the cut: the client's connection closes at once, as a network that fails while a
// commit is on its way does, and the commit arrives, and runs, after the client asked again.
func (p *StallProxy) CutBeforeDelivering(marker string, late time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.cutLate = []byte(marker), late
}

// GoDownAfterSending is CutAfterSending, after which the proxy goes down: every connection
// through it closes, and every new one is refused, as a control plane that a network cut or a
// failover takes away for longer than a call waits does.
func (p *StallProxy) GoDownAfterSending(marker string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.cutDown = []byte(marker), true
}

// cutNow says whether what a client sent, about to be passed on, holds the marker of
// CutAfterSending, and forgets the marker if so; late is how much later than the cut it is
// passed on (CutBeforeDelivering).
func (p *StallProxy) cutNow(sent []byte) (cut bool, late time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut == nil || !bytes.Contains(sent, p.cut) {
		return false, 0
	}
	p.cut, late, p.cutLate = nil, p.cutLate, 0
	if p.cutDown {
		// The clients' side only: the server runs what it was sent (its side closes at cleanup).
		_ = p.ln.Close()
		for _, c := range p.conns {
			if c.LocalAddr().String() == p.ln.Addr().String() {
				_ = c.Close()
			}
		}
	}
	return true, late
}

// Delay makes the proxy hold each answer of the server for d before it passes it on, as a
// control plane far away (another region) does: every round trip takes d more.
func (p *StallProxy) Delay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

func (p *StallProxy) isStalled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stalled
}

// keep records c, to be closed at cleanup; false (c closed) when cleanup has begun.
func (p *StallProxy) keep(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns = append(p.conns, c)
	return true
}

// Trips says how many times a client of the proxy has sent something on since it began: a
// client waits for the answer to a query before it sends the next, so each round trip to the
// control plane counts at least one (a query the client sends in pieces counts more).
func (p *StallProxy) Trips() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.trips
}

// copy copies from src to dst until either fails; what it reads once the proxy stalled it
// drops. fromClient counts src's reads in Trips.
func (p *StallProxy) copy(dst, src net.Conn, fromClient bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && fromClient {
			p.mu.Lock()
			p.trips++
			p.mu.Unlock()
		}
		if n > 0 && !fromClient {
			p.mu.Lock()
			d := p.delay
			p.mu.Unlock()
			time.Sleep(d)
		}
		if n > 0 && !p.isStalled() {
			cut, late := false, time.Duration(0)
			if fromClient {
				cut, late = p.cutNow(buf[:n])
			}
			if cut && late > 0 {
				_ = src.Close()
				time.Sleep(late)
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
			if cut {
				_ = src.Close() // the server's side stays open: it runs what it was sent
				return
			}
		}
		if err != nil {
			return
		}
	}
}
