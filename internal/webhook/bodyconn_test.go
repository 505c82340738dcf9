package webhook

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// countingConn counts the writes made to a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int32
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// A batch's body goes to the connection in one write after the headers, not in 32 KiB copies,
// and arrives whole.
func TestWholeBodyConnWritesABodyOnce(t *testing.T) {
	body := bytes.Repeat([]byte(`{"id":"0123456789"},`), 50000) // 1 MB
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()

	var writes atomic.Int32
	tr := defaultClient.Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := new(net.Dialer).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return wholeBodyConn{countingConn{c, &writes}}, nil
	}
	defer tr.CloseIdleConnections()
	var open atomic.Int32
	req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Body = newTrackedBody(body, &open)
	req.ContentLength = int64(len(body))
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !bytes.Equal(got, body) {
		t.Fatalf("the server got %d bytes, want the %d sent", len(got), len(body))
	}
	// The headers with the body's first bytes (the transport's write buffer), then the rest.
	if n := writes.Load(); n > 2 {
		t.Fatalf("the request took %d writes, want at most 2", n)
	}
}

// The default client's connections are wholeBodyConns.
func TestDefaultClientDialsWholeBodyConns(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	c, err := defaultClient.Transport.(*http.Transport).DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(wholeBodyConn); !ok {
		t.Fatalf("the default client dialled a %T, want a wholeBodyConn", c)
	}
}
