package netpolicy

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/net/idna"
)

// cached is the policy parsed from one pair of environment values.
type cached struct {
	blockPrivate, allowed string
	p                     *Policy
	err                   error
}

var last atomic.Pointer[cached]

// FromEnv returns the policy the environment sets (BlockPrivateEnv, AllowedNetworksEnv), or the
// error Parse gives for an invalid value. The values are parsed once and the result reused while
// they stay the same: Control calls this on every dial, and reading two variables is cheap, while
// keying the cache on the values (rather than parsing once per process) keeps a changed
// environment, such as a test's, from being ignored.
func FromEnv() (*Policy, error) {
	b, a := os.Getenv(BlockPrivateEnv), os.Getenv(AllowedNetworksEnv)
	if c := last.Load(); c != nil && c.blockPrivate == b && c.allowed == a {
		return c.p, c.err
	}
	p, err := Parse(b, a)
	last.Store(&cached{blockPrivate: b, allowed: a, p: p, err: err})
	return p, err
}

// Control is a net.Dialer Control function applying the environment's policy: it runs after
// DNS resolution with the IP address about to be connected to, and before the connect system
// call, so a refused address is never sent a packet and a name cannot resolve to one address
// when checked and another when used (DNS rebinding). An invalid setting refuses every dial (the
// binaries check the settings at startup, so this is a last line of defence).
func Control(network, address string, c syscall.RawConn) error {
	p, err := FromEnv()
	if err != nil {
		// Wrapped in ErrRefused so callers treat it as a refusal, which no retry will change.
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return p.Control(network, address, c)
}

// Control is a net.Dialer Control function applying p.
func (p *Policy) Control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return fmt.Errorf("a %s connection is refused by Backflow's network policy, which can only check IP addresses", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// The dialer always hands over "ip:port"; anything else cannot be checked, so it is refused.
		return &RefusedError{kind: "invalid address"}
	}
	return p.Check(ap.Addr())
}

// literal is host as the IP address a proxy would read it as, false when it is a name: an IPv6 or
// dotted-quad literal, or one of the other IPv4 forms inet_aton reads (and so getaddrinfo, which a
// proxy resolves the host with): one to three parts before the last, which fills the bytes left
// (169.254.43518, 2852039166), each part decimal, octal (0251) or hexadecimal (0xa9), with a
// trailing dot or not.
func literal(host string) (netip.Addr, bool) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip, true
	}
	parts := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v uint64
	for i, p := range parts {
		n, ok := atonPart(p)
		// Every part but the last is one byte; the last fills the bytes left.
		bits := 8
		if i == len(parts)-1 {
			bits = 8 * (4 - i)
		}
		if !ok || n >= 1<<bits {
			return netip.Addr{}, false
		}
		v = v<<bits | n
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// atonPart reads one part of an inet_aton address: hexadecimal after 0x (no digit is 0), octal
// after a leading 0, else decimal; false when it is not a number so written or passes 32 bits.
func atonPart(p string) (uint64, bool) {
	base := uint64(10)
	switch {
	case len(p) >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'):
		base, p = 16, p[2:]
	case len(p) >= 1 && p[0] == '0':
		base = 8
	case p == "":
		return 0, false
	}
	var n uint64
	for i := 0; i < len(p); i++ {
		d := uint64(16)
		switch c := p[i]; {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		}
		if d >= base {
			return 0, false
		}
		if n = n*base + d; n > 0xffffffff {
			return 0, false
		}
	}
	return n, true
}

// ProxyFromEnvironment is http.ProxyFromEnvironment for a transport whose dialer uses Control.
// Through a proxy the dialer connects to the proxy, and the proxy to the webhook: Control then
// checks the proxy's address, and what the proxy reaches is up to the proxy's own rules. This
// function closes the obvious gap: a request whose host is an IP literal the policy refuses, in
// any form the proxy's resolver reads as one (literal), is refused before any proxy is chosen. A name that resolves to a refused address is resolved by
// the proxy, which must refuse it itself.
//
// The host is checked as net/http writes it to the proxy too: a CONNECT (an https URL) names the
// host after IDNA's mapping (idna.Lookup, as net/http's canonicalAddr does), which turns
// full-width digits and ideographic full stops into ASCII, so https://１６９.２５４.１６９.２５４/,
// a name to this check, reached the proxy as CONNECT 169.254.169.254:443.
func ProxyFromEnvironment(req *http.Request) (*url.URL, error) {
	host := req.URL.Hostname()
	if mapped, err := idna.Lookup.ToASCII(host); err == nil && mapped != host {
		if _, ok := literal(mapped); ok {
			host = mapped
		}
	}
	if ip, ok := literal(host); ok {
		p, err := FromEnv()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRefused, err)
		}
		if err := p.Check(ip); err != nil {
			return nil, err
		}
	}
	return http.ProxyFromEnvironment(req)
}
