package webhook_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

// certServer is a TLS receiver with a certificate of its own for names (and 127.0.0.1 when
// withIP), valid until notAfter, and a client that trusts that certificate.
func certServer(t *testing.T, notAfter time.Time, withIP bool, names ...string) (*httptest.Server, *http.Client) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "receiver"},
		NotBefore: notAfter.Add(-48 * time.Hour), NotAfter: notAfter, DNSNames: names, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if withIP {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	tr := webhook.DefaultClient().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = roots // the clone keeps DefaultClient's settings
	return srv, &http.Client{Transport: tr, Timeout: 5 * time.Second, CheckRedirect: webhook.NoRedirects}
}

// A certificate the client refuses (not trusted, not for the URL's host, expired) fails the
// batch at once: every retry of the run would be refused the same way. The error names the host
// and the certificate's problem, and says what to fix.
func TestDeliverCertificateErrorIsNotRetried(t *testing.T) {
	policyEnv(t, "", "")
	untrusted := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	untrusted.StartTLS()
	defer untrusted.Close()
	wrongName, wrongNameClient := certServer(t, time.Now().Add(time.Hour), false, "other.example")
	expired, expiredClient := certServer(t, time.Now().Add(-time.Hour), true, "localhost")
	for _, tc := range []struct {
		name, url string
		client    *http.Client
		problem   string
	}{
		{"unknown authority", untrusted.URL, nil, "certificate signed by unknown authority"},
		{"hostname mismatch", strings.Replace(wrongName.URL, "127.0.0.1", "localhost", 1), wrongNameClient, "certificate is valid for other.example, not localhost"},
		{"expired", expired.URL, expiredClient, "certificate has expired"},
	} {
		refusedAtOnce(t, tc.name, tc.url, tc.client, webhook.ErrCertificate, tc.problem, "fix the endpoint's certificate", "url")
	}
}

// A handshake that fails for the network's sake (the connection reset, or no answer within the
// handshake timeout) is retried as any network error.
func TestDeliverTransientTLSErrorIsRetried(t *testing.T) {
	policyEnv(t, "", "")
	for _, tc := range []struct {
		name  string
		serve func(net.Conn)
	}{
		{"reset during handshake", func(c net.Conn) {
			buf := make([]byte, 16)
			_, _ = c.Read(buf) // the ClientHello's start
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}},
		{"handshake timeout", func(c net.Conn) {
			time.Sleep(time.Second)
			c.Close()
		}},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go tc.serve(c)
			}
		}()
		tr := webhook.DefaultClient().Transport.(*http.Transport).Clone()
		tr.TLSHandshakeTimeout = 100 * time.Millisecond
		obs := &observer{}
		d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: "https://" + ln.Addr().String() + "/hooks"},
			Client: &http.Client{Transport: tr, Timeout: 5 * time.Second}, Observer: obs, MaxRetries: 2})
		_, err = d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(1))
		ln.Close()
		var de *webhook.DeliveryError
		if !errors.As(err, &de) || !errors.Is(err, webhook.ErrRetriesExhausted) || de.Attempts != 3 || errors.Is(err, webhook.ErrCertificate) {
			t.Errorf("%s: Deliver: %v, want ErrRetriesExhausted after 3 attempts", tc.name, err)
		}
	}
}

// An endpoint that answers the TLS handshake in plain HTTP (an https:// URL on an http port), or
// refuses the handshake with an alert a retry does not change (no TLS version in common, a client
// certificate required), fails the batch at once, as a refused certificate does: nothing was
// sent, the records stay pending, and the error says what to fix. Before, each was retried as a
// network error until the retries ran out.
func TestDeliverRefusedHandshakeIsNotRetried(t *testing.T) {
	policyEnv(t, "", "")
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()
	tls13, tls13Client := certServer(t, time.Now().Add(time.Hour), true, "localhost")
	tls13.TLS.MinVersion = tls.VersionTLS13
	oldClient := &http.Client{Transport: tls13Client.Transport.(*http.Transport).Clone(), Timeout: 5 * time.Second}
	oldClient.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS12
	// In TLS 1.2 an endpoint refuses a missing client certificate within the handshake, before
	// anything is written; TLS 1.3's case is TestDeliverClientCertificateRequiredInTLS13.
	mtls, mtlsClient := certServer(t, time.Now().Add(time.Hour), true, "localhost")
	mtls.TLS.ClientAuth = tls.RequireAnyClientCert
	mtlsClient.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS12
	for _, tc := range []struct {
		name, url string
		client    *http.Client
		says      []string
	}{
		{"plain HTTP on an https URL", strings.Replace(plain.URL, "http://", "https://", 1), nil,
			[]string{"server gave HTTP response to HTTPS client", "serves plain HTTP, not HTTPS", "HTTPS port"}},
		{"no TLS version in common", tls13.URL, oldClient, []string{"protocol version", "refused Backflow's TLS handshake"}},
		{"a client certificate required", mtls.URL, mtlsClient, []string{"handshake failure",
			"the endpoint asked for a client certificate in the TLS handshake and Backflow sends none"}},
	} {
		refusedAtOnce(t, tc.name, tc.url, tc.client, webhook.ErrHandshake, tc.says[0], append(tc.says[1:], "records stay pending")...)
	}
}

// In TLS 1.3 an endpoint that requires a client certificate refuses its absence after the
// handshake, and its alert is often lost to the reset of the connection the request is being
// written to: the attempt fails as a network error (retried, the records pending). Whichever
// arrives, the error says what to fix: the alert as a refused handshake, the reset with the
// endpoint's request for a client certificate. Before, a reset said only "connection reset by
// peer", and a run could exhaust its retries that way.
func TestDeliverClientCertificateRequiredInTLS13(t *testing.T) {
	policyEnv(t, "", "")
	mtls, client := certServer(t, time.Now().Add(time.Hour), true, "localhost")
	mtls.TLS.ClientAuth = tls.RequireAnyClientCert
	mtls.TLS.MinVersion = tls.VersionTLS13
	const hint = "the endpoint asked for a client certificate in the TLS handshake and Backflow sends none"
	var alerts, resets int
	for i := 0; i < 100; i++ {
		// A new connection each time: the transport does not keep a refused one.
		d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: mtls.URL + "/hooks/tok3n"}, Client: client, MaxRetries: -1})
		res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(3))
		switch {
		case errors.Is(err, webhook.ErrHandshake) && strings.Contains(err.Error(), "certificate required"):
			alerts++
		case errors.Is(err, webhook.ErrRetriesExhausted) && strings.Contains(err.Error(), hint):
			resets++
		default:
			t.Fatalf("delivery %d: %v, want the endpoint's alert or a network error saying %q", i, err, hint)
		}
		if len(res.Delivered) != 0 {
			t.Fatalf("delivery %d: delivered %d records to an endpoint that refused the connection", i, len(res.Delivered))
		}
		if strings.Contains(err.Error(), "tok3n") {
			t.Fatalf("delivery %d: %q quotes the webhook URL", i, err)
		}
	}
	t.Logf("of 100 deliveries, %d got the endpoint's alert and %d a reset connection", alerts, resets)
	// An endpoint that asks for a certificate without requiring one is answered as any other.
	optional, optClient := certServer(t, time.Now().Add(time.Hour), true, "localhost")
	optional.TLS.ClientAuth = tls.RequestClientCert
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: optional.URL + "/hooks/tok3n"}, Client: optClient})
	if res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(3)); err != nil || len(res.Delivered) != 3 {
		t.Fatalf("endpoint asking for an optional client certificate: %+v, %v, want the 3 records delivered", res, err)
	}
}

// refusedAtOnce checks that a batch and test_on_save to url (an https:// URL whose TLS handshake
// client's refused for good) fail after one attempt with an error of kind that names url's host
// and says problem (Check's too) and each of says, without quoting the URL's path, nothing
// delivered, rejected or maybe taken.
func refusedAtOnce(t *testing.T, name, url string, client *http.Client, kind error, problem string, says ...string) {
	t.Helper()
	obs := &observer{}
	d := fast(&webhook.Deliverer{Endpoint: webhook.Endpoint{URL: url + "/hooks/tok3n"}, Client: client, Observer: obs})
	res, err := d.Deliver(context.Background(), testMeta(), webhook.OpChanged, makeRecords(3))
	var de *webhook.DeliveryError
	if !errors.As(err, &de) || !errors.Is(err, kind) || de.Attempts != 1 || obs.retries.Load() != 0 {
		t.Errorf("%s: Deliver: %v (%d retries), want a DeliveryError of kind %v after 1 attempt", name, err, obs.retries.Load(), kind)
		return
	}
	host := strings.TrimPrefix(url, "https://")
	msg := err.Error()
	for _, want := range append([]string{host, problem}, says...) {
		if !strings.Contains(msg, want) {
			t.Errorf("%s: %q, want it to say %q", name, msg, want)
		}
	}
	if strings.Contains(msg, "tok3n") {
		t.Errorf("%s: %q quotes the webhook URL", name, msg)
	} else if testing.Verbose() {
		t.Logf("%s: %s", name, msg)
	}
	if len(res.Delivered) != 0 || len(res.Rejected) != 0 || res.MayHaveDelivered() {
		t.Errorf("%s: result %+v, want nothing delivered, rejected or maybe taken (the records stay pending)", name, res)
	}
	// test_on_save says the same, at once.
	cerr := webhook.Check(context.Background(), client, webhook.Endpoint{URL: url + "/hooks/tok3n"}, "x")
	if !errors.Is(cerr, kind) || !strings.Contains(cerr.Error(), problem) || !strings.Contains(cerr.Error(), host) {
		t.Errorf("%s: Check: %v, want %v naming %s and saying %q", name, cerr, kind, host, problem)
	}
}

// An endpoint that asks for a client certificate without requiring one (nginx's
// ssl_verify_client optional) and then fails a request some other way is not said to have
// refused the connection for the certificate: a timeout, a stopped run or an answer too large is
// what the error names, with no word of a client certificate.
func TestOptionalClientCertificateFailureHasNoHint(t *testing.T) {
	policyEnv(t, "", "")
	release := make(chan struct{})
	defer close(release)
	entered := make(chan struct{}, 8)
	srv, client := certServer(t, time.Now().Add(time.Hour), true, "localhost")
	srv.TLS.ClientAuth = tls.RequestClientCert
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big/tok3n" {
			for i := 0; i < 20; i++ { // past DefaultClient's 1 MiB
				w.Header().Add("X-Pad", strings.Repeat("x", 64<<10))
			}
			return
		}
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	const hint = "client certificate"
	// A stopped run: the request's context is cancelled while the endpoint holds the answer.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-entered:
		case <-time.After(time.Minute):
		}
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/hooks/tok3n", strings.NewReader("{}"))
	_, done, err := webhook.Do(client, req)
	done()
	if err == nil || strings.Contains(err.Error(), hint) {
		t.Errorf("stopped while waiting for the answer: %v, want context canceled without a word of %q", err, hint)
	}
	// The client's timeout.
	slow := *client
	slow.Timeout = 300 * time.Millisecond
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/hooks/tok3n", strings.NewReader("{}"))
	_, done, err = webhook.Do(&slow, req)
	done()
	if err == nil || strings.Contains(err.Error(), hint) {
		t.Errorf("timed out waiting for the answer: %v, want the timeout without a word of %q", err, hint)
	}
	// An answer whose headers are over the limit.
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/big/tok3n", strings.NewReader("{}"))
	_, done, err = webhook.Do(client, req)
	done()
	if err == nil || strings.Contains(err.Error(), hint) {
		t.Errorf("answer headers too large: %v, want that said without a word of %q", err, hint)
	}
}
