package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// These tests send nothing beyond loopback: a refused address is refused by the dialer's Control
// check, which runs before the connect system call, or (for IP literals) before a proxy is chosen.

// policyEnv sets the network policy's settings for one test.
func policyEnv(t *testing.T, blockPrivate, allowed string) {
	t.Setenv(netpolicy.BlockPrivateEnv, blockPrivate)
	t.Setenv(netpolicy.AllowedNetworksEnv, allowed)
}

// wantRefused checks that err is the policy's refusal, names addr and the setting, and does not
// quote the URL's path (webhook URLs are secret).
func wantRefused(t *testing.T, what string, err error, addr, setting string) {
	t.Helper()
	if !errors.Is(err, netpolicy.ErrRefused) {
		t.Fatalf("%s: %v, want the network policy's refusal", what, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, addr) || !strings.Contains(msg, setting) {
		t.Errorf("%s: %q, want it to name %s and %s", what, msg, addr, setting)
	}
	if strings.Contains(msg, "tok3n") {
		t.Errorf("%s: %q quotes the webhook URL", what, msg)
	}
}

// The default client's dialer refuses a link-local address itself, whatever the proxy settings.
func TestDefaultClientDialerRefusesLinkLocal(t *testing.T) {
	policyEnv(t, "", "")
	dial := webhook.DefaultClient().Transport.(*http.Transport).DialContext
	for _, tc := range []struct{ dial, refused string }{
		{"169.254.169.254:80", "169.254.169.254"},
		{"[fe80::1%lo]:80", "fe80::1"},
		{"[::ffff:169.254.169.254]:80", "169.254.169.254"}, // the dialer unmaps it before Control
		{"0.0.0.0:80", "0.0.0.0"},
	} {
		conn, err := dial(context.Background(), "tcp", tc.dial)
		if err == nil {
			conn.Close()
			t.Fatalf("dial %s: connected, want a refusal", tc.dial)
		}
		wantRefused(t, "dial "+tc.dial, err, tc.refused, netpolicy.AllowedNetworksEnv)
	}
}

func TestCheckRefusesLinkLocal(t *testing.T) {
	policyEnv(t, "", "")
	for _, tc := range []struct{ url, addr string }{
		{"http://169.254.169.254/latest/meta-data/tok3n", "169.254.169.254"},
		{"http://[fe80::1%25lo]:8080/tok3n", "fe80::1"},
		{"https://[::ffff:169.254.169.254]/tok3n", "::ffff:169.254.169.254"},
	} {
		err := webhook.Check(context.Background(), nil, webhook.Endpoint{URL: tc.url}, "x")
		wantRefused(t, "Check "+tc.addr, err, tc.addr, netpolicy.AllowedNetworksEnv)
	}
}

// A refused address fails the batch at once: retrying cannot change the address.
func TestDeliverRefusedAddressIsNotRetried(t *testing.T) {
	policyEnv(t, "", "")
	obs := &observer{}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: "http://169.254.169.254/hooks/tok3n"}, Observer: obs})
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(3))
	wantRefused(t, "Deliver", err, "169.254.169.254", netpolicy.AllowedNetworksEnv)
	var de *webhook.DeliveryError
	if !errors.As(err, &de) || !errors.Is(err, webhook.ErrAddressRefused) || de.Attempts != 1 {
		t.Fatalf("Deliver: %#v, want a DeliveryError of kind ErrAddressRefused after 1 attempt", err)
	}
	if errors.Is(err, webhook.ErrRetriesExhausted) || obs.retries.Load() != 0 {
		t.Errorf("Deliver retried a refused address (%d retries): %v", obs.retries.Load(), err)
	}
	if len(res.Delivered) != 0 || len(res.Rejected) != 0 {
		t.Errorf("Deliver result %+v, want nothing delivered or rejected (the records stay pending)", res)
	}
}

// With BACKFLOW_BLOCK_PRIVATE_NETWORKS on, a loopback receiver is refused, by IP literal or by a
// name resolving to it, until BACKFLOW_ALLOWED_NETWORKS allows it.
func TestBlockPrivateNetworks(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ request, _ int) {})
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	byName := "http://localhost:" + port + "/tok3n" // resolved by the dialer: only Control sees 127.0.0.1

	policyEnv(t, "1", "")
	for _, u := range []string{srv.URL + "/tok3n", byName} {
		err := webhook.Check(context.Background(), nil, webhook.Endpoint{URL: u}, "x")
		wantRefused(t, "Check "+u, err, "", netpolicy.BlockPrivateEnv)
		d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: u}})
		_, err = d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
		wantRefused(t, "Deliver "+u, err, "", netpolicy.BlockPrivateEnv)
	}
	if n := len(srv.seen()); n != 0 {
		t.Fatalf("the refused receiver got %d requests", n)
	}

	policyEnv(t, "1", "127.0.0.0/8, ::1")
	d := &webhook.Deliverer{Endpoint: webhook.Endpoint{URL: srv.URL + "/tok3n"}}
	if _, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1)); err != nil {
		t.Fatalf("Deliver with loopback allowed: %v", err)
	}
	if n := len(srv.seen()); n != 1 {
		t.Fatalf("the allowed receiver got %d requests, want 1", n)
	}
}
