// Package netpolicy decides which network addresses Backflow may connect to when it calls a
// webhook. Whoever may write a configuration chooses a webhook URL, so without a rule a
// configuration could make the provider (test_on_save) or the runner send requests to a cloud
// metadata service or another internal service. The rule is applied to the address actually
// dialled, after DNS resolution (see Control), so a name that resolves, or later re-resolves, to
// a refused address is refused too.
//
// By default link-local (169.254.0.0/16, fe80::/10) and unspecified (0.0.0.0/8, ::) addresses,
// and the metadata services that answer elsewhere (fd00:ec2::254, 100.100.100.200), are refused; BlockPrivateEnv also refuses loopback, private and other internal ranges; and
// AllowedNetworksEnv names networks that are allowed whatever else the rule says. The provider
// and the runner read the same two environment variables.
package netpolicy

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// The settings, read from the environment of the provider and of the runner.
const (
	// AllowedNetworksEnv is a comma-separated list of CIDRs (or single addresses) that may always
	// be dialled, even when they are in a refused range.
	AllowedNetworksEnv = "BACKFLOW_ALLOWED_NETWORKS"
	// BlockPrivateEnv, when true (1, true), also refuses loopback, private (RFC 1918, ULA),
	// carrier-grade NAT and other non-public ranges.
	BlockPrivateEnv = "BACKFLOW_BLOCK_PRIVATE_NETWORKS"
)

// ErrRefused is matched with errors.Is: the policy refused to connect to an address.
var ErrRefused = errors.New("address refused by the network policy")

// blockedRange is a range of addresses the policy refuses, with what it is for the error message.
type blockedRange struct {
	prefix netip.Prefix
	kind   string
}

// alwaysBlocked is refused unless AllowedNetworksEnv allows it.
var alwaysBlocked = []blockedRange{
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local range where cloud metadata services answer"},
	{netip.MustParsePrefix("fe80::/10"), "IPv6 link-local range"},
	// Connecting to 0.0.0.0 (or ::) reaches the local host on Linux: a loopback bypass.
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" range (connecting to 0.0.0.0 reaches the local host)"},
	{netip.MustParsePrefix("::/128"), "unspecified address"},
	// Metadata services outside link-local, whose ranges are otherwise allowed by default.
	{netip.MustParsePrefix("fd00:ec2::254/128"), "address of AWS's IPv6 instance metadata service"},
	{netip.MustParsePrefix("100.100.100.200/32"), "address of Alibaba Cloud's instance metadata service"},
}

// privateBlocked is refused too when BlockPrivateEnv is on.
var privateBlocked = []blockedRange{
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback range"},
	{netip.MustParsePrefix("::1/128"), "loopback address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private range of RFC 1918"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private range of RFC 1918"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private range of RFC 1918"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared range of RFC 6598 (carrier-grade NAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments range"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking range of RFC 2544"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved range"},
	{netip.MustParsePrefix("fc00::/7"), "unique local (private IPv6) range"},
	{netip.MustParsePrefix("fec0::/10"), "deprecated IPv6 site-local range"},
}

// nat64 is the well-known NAT64 prefix (RFC 6052): 64:ff9b::a9fe:a9fe is 169.254.169.254 on a
// network with a NAT64 gateway, so the IPv4 address it embeds is checked too.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Policy is the rule. The zero value refuses only the always-refused ranges.
type Policy struct {
	blockPrivate bool
	allowed      []netip.Prefix
}

// Parse builds a policy from the values of BlockPrivateEnv and AllowedNetworksEnv. An invalid
// value is an error naming the setting: a typo must not silently leave the policy weaker (or
// stricter) than the operator meant.
func Parse(blockPrivate, allowedNetworks string) (*Policy, error) {
	p := &Policy{}
	if v := strings.TrimSpace(blockPrivate); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%s=%q is not a boolean: set it to 1 (or true) to refuse private and loopback "+
				"networks, or to 0 (or false, or leave it unset) to allow them", BlockPrivateEnv, blockPrivate)
		}
		p.blockPrivate = b
	}
	for _, item := range strings.Split(allowedNetworks, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		prefix, err := parseNetwork(item)
		if err != nil {
			return nil, fmt.Errorf("%s: %q %v; want a comma-separated list of CIDRs such as 10.1.2.0/24 "+
				"or fd00::/8, or single addresses such as 10.1.2.3", AllowedNetworksEnv, item, err)
		}
		p.allowed = append(p.allowed, prefix)
	}
	return p, nil
}

func parseNetwork(s string) (netip.Prefix, error) {
	var prefix netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if prefix, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, errors.New("is not a CIDR")
		}
	} else {
		addr, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, errors.New("is neither a CIDR nor an IP address")
		}
		if addr.Zone() != "" {
			return netip.Prefix{}, errors.New("has an IPv6 zone, which a network cannot have")
		}
		prefix = netip.PrefixFrom(addr, addr.BitLen())
	}
	if prefix.Addr().Is4In6() {
		// Dialled addresses are compared in their IPv4 form, so a mapped prefix would never match.
		return netip.Prefix{}, errors.New("is an IPv4-mapped IPv6 network: write it in IPv4 form")
	}
	return prefix.Masked(), nil
}

// BlocksPrivate reports whether loopback and private ranges are refused.
func (p *Policy) BlocksPrivate() bool { return p.blockPrivate }

// Check returns nil when the policy allows connecting to ip, else a *RefusedError (which
// matches ErrRefused).
//
// An address is compared in every form it takes: without its IPv6 zone (netip's Contains never
// matches a zoned address, so fe80::1%eth0 would otherwise slip through), unmapped from
// ::ffff:a.b.c.d (which reaches the IPv4 address), and, under the NAT64 prefix, as the IPv4
// address it embeds. It is allowed when any form is in an allowed network, and refused when any
// form is in a refused range.
func (p *Policy) Check(ip netip.Addr) error {
	if !ip.IsValid() {
		return &RefusedError{kind: "invalid address"}
	}
	forms := addrForms(ip)
	for _, a := range p.allowed {
		for _, f := range forms {
			if a.Contains(f) {
				return nil
			}
		}
	}
	if r, form, ok := find(alwaysBlocked, forms); ok {
		return &RefusedError{Addr: forms[0], Network: r.prefix, kind: r.kind, form: form}
	}
	if p.blockPrivate {
		if r, form, ok := find(privateBlocked, forms); ok {
			return &RefusedError{Addr: forms[0], Network: r.prefix, kind: r.kind, Private: true, form: form}
		}
	}
	return nil
}

// AlwaysRefused reports whether ip, in any of its forms, is in a range refused whatever the
// settings (link-local, where cloud metadata services answer, and the metadata services that
// answer elsewhere): what a DuckDB model may not read from either (internal/warehouse).
func AlwaysRefused(ip netip.Addr) bool {
	_, _, ok := find(alwaysBlocked, addrForms(ip))
	return ok
}

func addrForms(ip netip.Addr) []netip.Addr {
	ip = ip.WithZone("")
	forms := []netip.Addr{ip}
	if ip.Is4In6() {
		forms = append(forms, ip.Unmap())
	}
	if nat64.Contains(ip) {
		b := ip.As16()
		forms = append(forms, netip.AddrFrom4([4]byte(b[12:])))
	}
	return forms
}

// find returns the first range one of forms is in, and that form.
func find(ranges []blockedRange, forms []netip.Addr) (blockedRange, netip.Addr, bool) {
	for _, r := range ranges {
		for _, f := range forms {
			if r.prefix.Contains(f) {
				return r, f, true
			}
		}
	}
	return blockedRange{}, netip.Addr{}, false
}

// RefusedError is an address the policy refused. Its message names the address (never a URL:
// webhook URLs are secret) and the setting that would allow it.
type RefusedError struct {
	Addr    netip.Addr   // the refused address, without zone
	Network netip.Prefix // the refused range it is in
	// Private: refused only because BlockPrivateEnv is on.
	Private bool
	kind    string
	// form is the form of Addr that is in Network (the IPv4 address of an IPv4-mapped or NAT64
	// one), which the error advises allowing: AllowedNetworksEnv refuses an IPv4-mapped network,
	// and an allowed IPv4 address allows its other forms too.
	form netip.Addr
}

func (e *RefusedError) Error() string {
	if !e.Addr.IsValid() {
		return "the connection is refused by Backflow's network policy: the address to dial is not a valid IP address"
	}
	allow := e.Addr
	if e.form.IsValid() {
		allow = e.form
	}
	single := netip.PrefixFrom(allow, allow.BitLen())
	if e.Private {
		return fmt.Sprintf("connecting to %s is refused by Backflow's network policy: it is in %s, the %s, and %s "+
			"is on; to allow it, add %s (or its network) to %s, or unset %s, in the environment of the provider "+
			"and of the runner", e.Addr, e.Network, e.kind, BlockPrivateEnv, single, AllowedNetworksEnv, BlockPrivateEnv)
	}
	return fmt.Sprintf("connecting to %s is refused by Backflow's network policy: it is in %s, the %s, refused "+
		"by default; if this destination is intended, add %s to %s in the environment of the provider "+
		"and of the runner", e.Addr, e.Network, e.kind, single, AllowedNetworksEnv)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }
