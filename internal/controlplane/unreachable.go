package controlplane

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unreachable reports whether err says the control plane could not be reached or dropped the
// session (a restart, a failover, a terminated backend, a network cut), rather than refusing what
// was asked: the same request may succeed once the server is back. ErrLockLost is not: the sync
// belongs to another runner, however often it is asked.
func Unreachable(err error) bool {
	if err == nil || errors.Is(err, ErrLockLost) {
		return false
	}
	if errors.As(err, new(*pgconn.ConnectError)) {
		return true // the server refused or did not take a new connection: starting up, down, full
	}
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) {
		// 08: connection exception; 57P01-57P03: the session was terminated or the server is
		// shutting down or starting; 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "53300"
	}
	return errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, new(net.Error))
}
