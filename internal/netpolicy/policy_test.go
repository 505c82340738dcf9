package netpolicy_test

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
)

// None of these tests opens a connection: they check addresses.

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		addr         string
		blockPrivate string
		allowed      string
		// wantSetting is "" when the address is allowed, else a setting the error must name.
		wantSetting string
	}{
		// Link-local and unspecified: refused by default, in every form.
		{addr: "169.254.169.254", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "169.254.0.1", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "fe80::1", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "fe80::1%eth0", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "febf:ffff::1", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "::ffff:169.254.169.254", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "64:ff9b::a9fe:a9fe", wantSetting: netpolicy.AllowedNetworksEnv}, // NAT64 of 169.254.169.254
		{addr: "0.0.0.0", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "0.1.2.3", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "::", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "::ffff:0.0.0.0", wantSetting: netpolicy.AllowedNetworksEnv},
		// Metadata services outside link-local: refused by default, in every form, though
		// their ranges (ULA, carrier-grade NAT) are allowed.
		{addr: "fd00:ec2::254", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "100.100.100.200", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "::ffff:100.100.100.200", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "64:ff9b::6464:64c8", wantSetting: netpolicy.AllowedNetworksEnv}, // NAT64 of 100.100.100.200
		{addr: "fd00:ec2::253"},
		{addr: "100.100.100.201"},
		{addr: "100.100.100.200", allowed: "100.100.100.200"},
		// Link-local is refused whether or not private networks are.
		{addr: "169.254.169.254", blockPrivate: "0", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "169.254.169.254", blockPrivate: "1", wantSetting: netpolicy.AllowedNetworksEnv},

		// Loopback, private and public: allowed by default.
		{addr: "127.0.0.1"},
		{addr: "::1"},
		{addr: "::ffff:127.0.0.1"},
		{addr: "10.1.2.3"},
		{addr: "172.16.0.1"},
		{addr: "192.168.1.1"},
		{addr: "100.64.0.1"},
		{addr: "fd00::1"},
		{addr: "93.184.215.14"},
		{addr: "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
		{addr: "169.255.0.1"},
		{addr: "fec0::1"},
		{addr: "10.1.2.3", blockPrivate: "false"},

		// With BACKFLOW_BLOCK_PRIVATE_NETWORKS on, non-public ranges are refused, in every form.
		{addr: "127.0.0.1", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "127.8.9.10", blockPrivate: "true", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "::1", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "::ffff:127.0.0.1", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "::ffff:10.0.0.1", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "64:ff9b::a00:1", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv}, // NAT64 of 10.0.0.1
		{addr: "10.1.2.3", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "172.31.255.255", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "192.168.0.1", blockPrivate: "TRUE", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "100.127.0.1", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "fc00::1", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "fd12:3456::1", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "fec0::1", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "255.255.255.255", blockPrivate: "1", wantSetting: netpolicy.BlockPrivateEnv},
		// ... and public ones are not.
		{addr: "172.32.0.1", blockPrivate: "1"},
		{addr: "100.128.0.1", blockPrivate: "1"},
		{addr: "93.184.215.14", blockPrivate: "1"},
		{addr: "::ffff:93.184.215.14", blockPrivate: "1"},
		{addr: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", blockPrivate: "1"},

		// BACKFLOW_ALLOWED_NETWORKS punches holes, and only where it says.
		{addr: "127.0.0.1", blockPrivate: "1", allowed: "127.0.0.0/8"},
		{addr: "::ffff:127.0.0.1", blockPrivate: "1", allowed: "127.0.0.1"},
		{addr: "10.1.2.3", blockPrivate: "1", allowed: " 192.168.0.0/16 , 10.1.2.0/24 "},
		{addr: "10.1.3.1", blockPrivate: "1", allowed: "10.1.2.0/24", wantSetting: netpolicy.BlockPrivateEnv},
		{addr: "fd00::5", blockPrivate: "1", allowed: "fd00::/8"},
		{addr: "169.254.169.254", allowed: "169.254.169.254/32"},
		{addr: "169.254.169.253", allowed: "169.254.169.254/32", wantSetting: netpolicy.AllowedNetworksEnv},
		{addr: "fe80::1%eth0", allowed: "fe80::/64"},
		{addr: "10.9.9.9", blockPrivate: "1", allowed: "10.9.9.1/8"}, // host bits are masked
	} {
		name := tc.addr + " block=" + tc.blockPrivate + " allow=" + tc.allowed
		t.Run(name, func(t *testing.T) {
			p, err := netpolicy.Parse(tc.blockPrivate, tc.allowed)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = p.Check(netip.MustParseAddr(tc.addr))
			if tc.wantSetting == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want allowed", tc.addr, err)
				}
				return
			}
			var re *netpolicy.RefusedError
			if !errors.As(err, &re) || !errors.Is(err, netpolicy.ErrRefused) {
				t.Fatalf("Check(%s) = %v, want a *RefusedError matching ErrRefused", tc.addr, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantSetting) || !strings.Contains(msg, netpolicy.AllowedNetworksEnv) {
				t.Errorf("Check(%s) = %q, want it to name %s and %s", tc.addr, msg, tc.wantSetting, netpolicy.AllowedNetworksEnv)
			}
			if !strings.Contains(msg, re.Addr.String()) || re.Addr.Zone() != "" {
				t.Errorf("Check(%s) = %q, want it to name the address %s (without zone)", tc.addr, msg, re.Addr)
			}
			if re.Private != (tc.wantSetting == netpolicy.BlockPrivateEnv) {
				t.Errorf("Check(%s): Private = %v", tc.addr, re.Private)
			}
		})
	}
}

func TestParseRefusesInvalidSettings(t *testing.T) {
	for _, tc := range []struct {
		blockPrivate, allowed string
		want                  string
	}{
		{blockPrivate: "yes please", want: netpolicy.BlockPrivateEnv},
		{blockPrivate: "2", want: netpolicy.BlockPrivateEnv},
		{allowed: "10.0.0.0/33", want: netpolicy.AllowedNetworksEnv},
		{allowed: "10.0.0.0/8,internal.example", want: netpolicy.AllowedNetworksEnv},
		{allowed: "10.0.0.0/8;192.168.0.0/16", want: netpolicy.AllowedNetworksEnv},
		{allowed: "fe80::1%eth0", want: netpolicy.AllowedNetworksEnv},
		{allowed: "::ffff:10.0.0.0/104", want: netpolicy.AllowedNetworksEnv},
	} {
		_, err := netpolicy.Parse(tc.blockPrivate, tc.allowed)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q, %q) = %v, want an error naming %s", tc.blockPrivate, tc.allowed, err, tc.want)
		}
	}
	for _, tc := range []struct{ blockPrivate, allowed string }{
		{"", ""}, {" ", " , ,"}, {"0", "10.0.0.0/8"}, {"t", "::1, 127.0.0.1"},
	} {
		if _, err := netpolicy.Parse(tc.blockPrivate, tc.allowed); err != nil {
			t.Errorf("Parse(%q, %q) = %v, want it accepted", tc.blockPrivate, tc.allowed, err)
		}
	}
}

// Control gets the address the dialer is about to connect to, after DNS resolution.
func TestControl(t *testing.T) {
	p, err := netpolicy.Parse("1", "10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		network, address string
		refused          bool
	}{
		{"tcp4", "169.254.169.254:80", true},
		{"tcp6", "[fe80::1%eth0]:443", true},
		{"tcp6", "[::ffff:169.254.169.254]:80", true},
		{"tcp4", "127.0.0.1:8080", true},
		{"tcp6", "[::1]:8080", true},
		{"tcp4", "10.2.3.4:443", false},
		{"tcp4", "93.184.215.14:443", false},
		{"tcp6", "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443", false},
		{"tcp4", "not-an-address:80", true},
		{"unix", "/run/hook.sock", true},
	} {
		err := p.Control(tc.network, tc.address, nil)
		if (err != nil) != tc.refused {
			t.Errorf("Control(%s, %s) = %v, want refused: %v", tc.network, tc.address, err, tc.refused)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(netpolicy.BlockPrivateEnv, "")
	t.Setenv(netpolicy.AllowedNetworksEnv, "")
	lo := netip.MustParseAddr("127.0.0.1")
	p, err := netpolicy.FromEnv()
	if err != nil || p.Check(lo) != nil {
		t.Fatalf("default policy: %v, loopback: %v; want loopback allowed", err, p.Check(lo))
	}
	t.Setenv(netpolicy.BlockPrivateEnv, "1")
	if p, err = netpolicy.FromEnv(); err != nil || p.Check(lo) == nil {
		t.Fatalf("with %s=1: %v; want loopback refused", netpolicy.BlockPrivateEnv, err)
	}
	t.Setenv(netpolicy.AllowedNetworksEnv, "127.0.0.1")
	if p, err = netpolicy.FromEnv(); err != nil || p.Check(lo) != nil {
		t.Fatalf("with %s=127.0.0.1: %v, %v; want loopback allowed", netpolicy.AllowedNetworksEnv, err, p.Check(lo))
	}
	t.Setenv(netpolicy.AllowedNetworksEnv, "127.0.0.1/99")
	if _, err = netpolicy.FromEnv(); err == nil || !strings.Contains(err.Error(), netpolicy.AllowedNetworksEnv) {
		t.Fatalf("an invalid %s: %v, want an error naming it", netpolicy.AllowedNetworksEnv, err)
	}
	// An invalid setting refuses every dial rather than falling back to a default.
	if err := netpolicy.Control("tcp4", "93.184.215.14:443", nil); !errors.Is(err, netpolicy.ErrRefused) ||
		!strings.Contains(err.Error(), netpolicy.AllowedNetworksEnv) {
		t.Fatalf("Control with an invalid setting = %v, want ErrRefused naming %s", err, netpolicy.AllowedNetworksEnv)
	}
}

// Through a proxy the dialer only sees the proxy's address, so an IP literal the policy refuses
// is refused before a proxy is chosen.
func TestProxyFromEnvironmentRefusesLiterals(t *testing.T) {
	t.Setenv(netpolicy.BlockPrivateEnv, "")
	t.Setenv(netpolicy.AllowedNetworksEnv, "")
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fe80::1%25eth0]:8080/x",
		"https://[::ffff:169.254.169.254]/"} {
		req, err := http.NewRequest(http.MethodPost, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := netpolicy.ProxyFromEnvironment(req); !errors.Is(err, netpolicy.ErrRefused) {
			t.Errorf("ProxyFromEnvironment(%s) = %v, want ErrRefused", u, err)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8085/hook", nil)
	if _, err := netpolicy.ProxyFromEnvironment(req); err != nil {
		t.Errorf("ProxyFromEnvironment(loopback) = %v, want no error", err)
	}
}

// The IPv4 forms inet_aton reads besides the dotted quad (a number, octal or hexadecimal parts,
// fewer than four parts) and a trailing dot are IP literals too, to a proxy that resolves the
// host it is given (getaddrinfo reads them as addresses): http://2852039166/ is
// 169.254.169.254. ProxyFromEnvironment took them for names and left them to the proxy.
func TestProxyFromEnvironmentRefusesOtherLiteralForms(t *testing.T) {
	t.Setenv(netpolicy.BlockPrivateEnv, "true")
	t.Setenv(netpolicy.AllowedNetworksEnv, "")
	for _, u := range []string{"http://2852039166/latest/meta-data/", "http://0xa9fea9fe/", "http://0XA9.0xFE.0xa9.0xfe/",
		"http://0251.0376.0251.0376/", "http://169.254.43518/", "http://169.16689662/", "http://169.254.169.254./",
		"http://0x7f.1:8080/", "http://0/", "http://0x/", "http://017700000001/", "http://127.1/",
		// Full-width digits and ideographic full stops: net/http's CONNECT maps them to ASCII.
		"https://１６９.２５４.１６９.２５４/latest/meta-data/", "https://169。254。169。254/", "https://０ｘ７ｆ.１/",
		// Other characters IDNA's mapping turns into digits or dots, or drops (held under attack):
		// mathematical and circled digits, a soft hyphen, a zero-width space, a percent-encoded
		// full-width full stop, a trailing ideographic full stop, and a host after userinfo.
		"https://𝟏𝟔𝟗.𝟐𝟓𝟒.𝟏𝟔𝟗.𝟐𝟓𝟒/", "https://①⑥⑨.②⑤④.①⑥⑨.②⑤④/", "https://169.254.169.254\u00ad/",
		"https://169.254.169.25\u200b4/", "https://169%EF%BC%8E254.169.254/", "https://169.254.169.254。/",
		"https://user@１６９.２５４.１６９.２５４/"} {
		req, err := http.NewRequest(http.MethodPost, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := netpolicy.ProxyFromEnvironment(req); !errors.Is(err, netpolicy.ErrRefused) {
			t.Errorf("ProxyFromEnvironment(%s) = %v, want ErrRefused", u, err)
		}
	}
	// Names, and forms inet_aton refuses, are left to the proxy; public addresses in any form pass.
	for _, u := range []string{"http://example.com/", "http://1.2.3.com/", "http://1.2.3.4.5/", "http://256.1.1.1/",
		"http://08.1.1.1/", "http://1_000/", "http://0b1/", "http://93.184.215.14/", "http://1572395790/",
		"http://1.2.3/", "https://bücher.example/", "https://ｅｘａｍｐｌｅ.com/", "https://９３.１８４.２１５.１４/"} {
		req, err := http.NewRequest(http.MethodPost, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := netpolicy.ProxyFromEnvironment(req); err != nil {
			t.Errorf("ProxyFromEnvironment(%s) = %v, want no error", u, err)
		}
	}
}

// A refusal's error says what to add to AllowedNetworksEnv; that value must be one Parse accepts
// and one that allows the refused address. For an IPv4-mapped address (::ffff:169.254.169.254,
// which a dual-stack dial of an IPv4 name can hand over) it said ::ffff:169.254.169.254/128,
// which Parse refuses ("write it in IPv4 form"): the runner did not start with the advice taken.
func TestRefusalAdviceAllowsTheAddress(t *testing.T) {
	for _, blockPrivate := range []string{"", "1"} {
		p, err := netpolicy.Parse(blockPrivate, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, addr := range []string{"169.254.169.254", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "fe80::1%eth0",
			"::ffff:100.100.100.200", "::ffff:0.0.0.0", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "127.0.0.1", "::1", "fd00::1"} {
			ip := netip.MustParseAddr(addr)
			err := p.Check(ip)
			if err == nil {
				continue
			}
			var re *netpolicy.RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("Check(%s) = %v, want a *RefusedError", addr, err)
			}
			_, after, ok := strings.Cut(err.Error(), "add ")
			advice, _, ok2 := strings.Cut(after, " ")
			if !ok || !ok2 {
				t.Fatalf("Check(%s): the error gives no value to add: %v", addr, err)
			}
			allowing, err := netpolicy.Parse(blockPrivate, advice)
			if err != nil {
				t.Errorf("Check(%s) advises %s=%s, which is refused: %v", addr, netpolicy.AllowedNetworksEnv, advice, err)
				continue
			}
			if err := allowing.Check(ip); err != nil {
				t.Errorf("Check(%s) with the advised %s=%s = %v, want allowed", addr, netpolicy.AllowedNetworksEnv, advice, err)
			}
		}
	}
}
