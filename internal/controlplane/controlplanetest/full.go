package controlplanetest

import (
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// FullServer is the URL of a server that speaks Postgres's protocol as far as refusing every
// connection as a server whose connection slots are all taken does: "FATAL: sorry, too many
// clients already (SQLSTATE 53300)". Filling a real server's slots would take them from every
// other test using it.
func FullServer(t testing.TB) string {
	t.Helper()
	addr := FakeServer(t, func(be *pgproto3.Backend) {
		be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "53300", Message: "sorry, too many clients already"})
		_ = be.Flush()
	})
	return "postgres://backflow@" + addr + "/backflow?sslmode=disable"
}

// FakeServer is the host:port of a server that speaks Postgres's protocol as far as the startup
// message (refusing TLS, so a client's sslmode=prefer goes on in clear) and then hands each
// connection to answer, which says the rest; the connection closes when answer returns. It is
// for what a real server cannot be made to do on demand without taking it from other tests.
func FakeServer(t testing.TB, answer func(be *pgproto3.Backend)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				be := pgproto3.NewBackend(conn, conn)
				msg, err := be.ReceiveStartupMessage()
				if err != nil {
					return
				}
				if _, ok := msg.(*pgproto3.SSLRequest); ok {
					_, _ = conn.Write([]byte("N"))
					if _, err := be.ReceiveStartupMessage(); err != nil {
						return
					}
				}
				answer(be)
			}()
		}
	}()
	return ln.Addr().String()
}
