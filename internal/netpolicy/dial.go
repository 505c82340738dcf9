package netpolicy

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
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

// ProxyFromEnvironment is http.ProxyFromEnvironment for a transport whose dialer uses Control.
// Through a proxy the dialer connects to the proxy, and the proxy to the webhook: Control then
// checks the proxy's address, and what the proxy reaches is up to the proxy's own rules. This
// function closes the obvious gap: a request whose host is an IP literal the policy refuses is
// refused before any proxy is chosen. A name that resolves to a refused address is resolved by
// the proxy, which must refuse it itself.
func ProxyFromEnvironment(req *http.Request) (*url.URL, error) {
	if ip, err := netip.ParseAddr(req.URL.Hostname()); err == nil {
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
