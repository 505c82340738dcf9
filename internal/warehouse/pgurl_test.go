package warehouse

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// passwordCatcher is a server that speaks Postgres's protocol as far as asking for the password
// in clear, as any server the configuration names may, and keeps what it was sent.
func passwordCatcher(t *testing.T) (addr string, got chan string) {
	t.Helper()
	got = make(chan string, 16)
	addr = controlplanetest.FakeServer(t, func(be *pgproto3.Backend) {
		be.Send(&pgproto3.AuthenticationCleartextPassword{})
		if err := be.Flush(); err != nil {
			return
		}
		be.SetAuthType(pgproto3.AuthTypeCleartextPassword)
		m, err := be.Receive()
		if err != nil {
			return
		}
		if pw, ok := m.(*pgproto3.PasswordMessage); ok {
			got <- pw.Password
		}
		be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: "password authentication failed"})
		_ = be.Flush()
	})
	return addr, got
}

// TestConnectSendsNoPasswordOfTheRunners: a warehouse URL without a password (the server the
// configuration names asks for one) got the runner's (or the provider's) PGPASSWORD, or the
// password of a line of its ~/.pgpass or of a file passfile= named that matched: whoever writes
// the configuration read the credentials of the runner's host from their own server.
func TestConnectSendsNoPasswordOfTheRunners(t *testing.T) {
	const secret = "runnerS3cret"
	home := t.TempDir()
	pgpass := filepath.Join(home, ".pgpass")
	if err := os.WriteFile(pgpass, []byte("*:*:*:*:"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range []struct{ name, value string }{{"PGPASSWORD", secret}, {"HOME", home}, {"PGPASSFILE", pgpass}} {
		t.Run(env.name, func(t *testing.T) {
			t.Setenv(env.name, env.value)
			addr, got := passwordCatcher(t)
			host, port, _ := net.SplitHostPort(addr)
			for _, u := range []string{
				"postgres://reader@" + addr + "/db?sslmode=disable&connect_timeout=5",
				"host=" + host + " port=" + port + " user=reader dbname=db sslmode=disable connect_timeout=5",
			} {
				c, err := Connect(context.Background(), &controlplane.PostgresConfig{URL: u})
				if err == nil {
					_ = c.Close(context.Background())
					t.Fatalf("%s: connected", u)
				}
				select {
				case pw := <-got:
					if pw == secret {
						t.Errorf("%s: the server the URL names was sent the runner's password (from %s)", u, env.name)
					}
				default:
				}
			}
		})
	}
}

// TestParsePostgresURLRefusesTheRunnersFiles: settings that make pgx read a file of the runner's
// host (a password file, a service file whose settings replace the URL's, a client certificate
// and its key), or connect where the runner's own environment says (no host: PGHOST or the local
// socket; a Unix socket: the runner's local Postgres, as its operating-system user), are refused
// before any file is read, and the message never holds the URL.
func TestParsePostgresURLRefusesTheRunnersFiles(t *testing.T) {
	dir := t.TempDir()
	svc := filepath.Join(dir, "svc.conf")
	if err := os.WriteFile(svc, []byte("[x]\nhost=127.0.0.1\nuser=u\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGHOST", "127.0.0.1")
	t.Setenv("PGUSER", "runner")
	const pw = "pw5ecret"
	for u, want := range map[string]string{
		"postgres://u:" + pw + "@h/db?passfile=/root/.pgpass":                           "passfile",
		"host=h user=u password=" + pw + " passfile=/root/.pgpass":                      "passfile",
		"postgres://u:" + pw + "@h/db?servicefile=" + svc + "&service=x":                "service",
		"postgres://u:" + pw + "@h/db?service=x":                                        "service",
		"postgres://u:" + pw + "@h/db?sslmode=require&sslcert=/etc/c.pem&sslkey=/k.pem": "client",
		"postgres://u:" + pw + "@h/db?sslkey=/etc/ssl/private/k.pem":                    "sslkey",
		"postgres://u:" + pw + "@h/db?sslpassword=x":                                    "sslpassword",
		"postgres://u:" + pw + "@h/db?sslcertmode=require":                              "sslcertmode",
		"postgres://u:" + pw + "@/db":                                                   "no host",
		"user=u password=" + pw + " dbname=db":                                          "no host",
		"postgres://u:" + pw + "@%2Fvar%2Frun%2Fpostgresql/db":                          "Unix socket",
		"host=/tmp user=u password=" + pw:                                               "Unix socket",
		"postgres://u:" + pw + "@h1,%2Ftmp/db":                                          "Unix socket",
		"postgres://u:" + pw + "@h/db?host=/var/run/postgresql":                         "Unix socket",
		"postgres://:" + pw + "@h/db":                                                   "no user",
	} {
		_, err := ParsePostgresURL(u)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), pw) {
			t.Errorf("%s: got %v, want an error naming %q", u, err, want)
		}
	}
	for _, u := range []string{
		"postgres://u:" + pw + "@h:5433/db?sslmode=verify-full&sslrootcert=system&application_name=bf&search_path=a",
		"host=h user=u password=" + pw + " options='-c search_path=x' target_session_attrs=read-only",
		"postgres://u@h1,h2:5433/db",
	} {
		if _, err := ParsePostgresURL(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// TestConnectOptionsCannotUndoTheReadGuarantees: options=-c ... in the URL (startup settings)
// cannot make the read's transaction read-write nor lift its timeouts: they are set inside it.
func TestConnectOptionsCannotUndoTheReadGuarantees(t *testing.T) {
	u := strings.ReplaceAll(withParams(t, controlplanetest.AdminURL(), "options", // pgx reads a '+' as itself
		"-c default_transaction_read_only=off -c statement_timeout=0 -c lock_timeout=0 -c default_transaction_isolation=serializable"), "+", "%20")
	ctx := context.Background()
	c, err := Connect(ctx, &controlplane.PostgresConfig{URL: u, StatementTimeout: 7 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var ro, st, lt, iso, def string
	if err := c.pg.QueryRow(ctx, "SELECT current_setting('transaction_read_only'), current_setting('statement_timeout'), "+
		"current_setting('lock_timeout'), current_setting('transaction_isolation'), "+
		"current_setting('default_transaction_isolation')").Scan(&ro, &st, &lt, &iso, &def); err != nil {
		t.Fatal(err)
	}
	if def != "serializable" {
		t.Fatalf("the URL's options were not applied (default_transaction_isolation %s): the test checks nothing", def)
	}
	if ro != "on" || st != "7s" || lt != "10s" || iso != "repeatable read" {
		t.Errorf("read-only %s, statement_timeout %s, lock_timeout %s, isolation %s", ro, st, lt, iso)
	}
}

// TestParsePostgresURLRootCertIsAFile: sslrootcert naming a FIFO hung the plan and the runner
// (pgx reads the whole file: /dev/zero or /dev/urandom grew until the process ran out of
// memory). It must be "system" or a regular file of at most 1 MiB outside /proc, /sys and /dev.
func TestParsePostgresURLRootCertIsAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ca.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.pem")
	if err := os.WriteFile(big, nil, 0o600); err != nil || os.Truncate(big, 2<<20) != nil {
		t.Fatal("big file")
	}
	for _, u := range []string{
		"postgres://u:p@h/db?sslmode=verify-full&sslrootcert=" + fifo,
		"postgres://u:p@h/db?sslmode=verify-full&sslrootcert=" + strings.ReplaceAll(fifo, "/", "%2F"),
		"host=h user=u sslmode=verify-full sslrootcert='" + fifo + "'",
		"host=h user=u sslmode=verify-full sslrootcert = " + fifo,
		"postgres://u:p@h/db?sslrootcert=" + big,
		"postgres://u:p@h/db?sslrootcert=/proc/self/environ",
	} {
		done := make(chan error, 1)
		go func() { _, err := ParsePostgresURL(u); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrPostgresURLRefused) || !strings.Contains(err.Error(), "sslrootcert") {
				t.Errorf("%s: %v", u, err)
			}
		case <-time.After(time.Minute):
			t.Errorf("%s: parsing hung a minute (pgx reads the FIFO)", u)
		}
	}
	ca := filepath.Join(dir, "root.crt")
	if err := os.WriteFile(ca, []byte("not a PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"postgres://u:p@h/db?sslmode=verify-full&sslrootcert=system",
		"postgres://u:p@h/db?sslmode=verify-full&sslrootcert=" + ca} {
		if _, err := ParsePostgresURL(u); errors.Is(err, ErrPostgresURLRefused) {
			t.Errorf("%s: %v", u, err)
		}
	}
}
