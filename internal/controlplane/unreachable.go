package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
	pgErr := (*pgconn.PgError)(nil)
	isPg := errors.As(err, &pgErr)
	if errors.As(err, new(*pgconn.ConnectError)) {
		// The server did not take a new connection: down, starting up, full, not accepting
		// connections to the database for now; but one that refuses the role, its password, the
		// database (that does not exist) or the right to connect to it answers so again.
		return !isPg || !strings.HasPrefix(pgErr.Code, "28") && pgErr.Code != "3D000" && pgErr.Code != "42501"
	}
	if isPg {
		// 08: connection exception; 57P01-57P05: the session was terminated or the server is
		// shutting down or starting; 25P03: the server ended a session left idle in a transaction
		// (a fenced transaction's runner paused or cut off longer than FencedIdleTimeout);
		// 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "25P03" ||
			pgErr.Code == "53300"
	}
	return errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, new(net.Error))
}

// NoConnectionSlot reports whether err is a server refusing a new connection for want of a free
// slot (SQLSTATE 53300: max_connections reached, or the CONNECTION LIMIT of the role or the
// database). Unreachable counts it, for trying again once slots free up; but the server answered,
// so it is not said to have stopped answering. OutOfConnections also tells whose server it was.
func NoConnectionSlot(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "53300"
}

// OutOfConnections reports whether err is this store's server refusing a new connection for want
// of a free slot (SQLSTATE 53300: max_connections reached, or the CONNECTION LIMIT of the role or
// the database), rather than another server's, such as a warehouse's on another host. Unreachable
// counts it too: the slots free up.
func (s *Store) OutOfConnections(err error) bool {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	if s.pool == nil || !errors.As(err, &ce) || ce.Config == nil || !errors.As(ce, &pe) || pe.Code != "53300" {
		return false
	}
	cc := s.pool.Config().ConnConfig
	return ce.Config.Host == cc.Host && ce.Config.Port == cc.Port && ce.Config.Database == cc.Database
}

// beginner begins transactions: a DB, or snapshots.
type beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// inTx runs fn in a transaction of db, as pgx.BeginFunc does, and runs it again in a new
// transaction when it failed because the control plane had ended the session (Unreachable): a
// pooled connection the server terminated (pg_terminate_backend, an idle-session timeout, a proxy
// recycling its connections) fails the first statement sent on it, and the next connection, or a
// new one, works. A transaction whose session ended before its commit did not commit, so running
// fn again writes nothing twice. One that ended at its commit may have committed: it is run again
// only when idempotent says that running it twice leaves what running it once does. It tries as
// many times as the pool has connections, then once more: the pool drops each dead one as it
// fails, so the last try is on a new connection. fn must be safe to run again (what it writes
// comes from its arguments, not from what an earlier try did).
func (s *Store) inTx(ctx context.Context, db beginner, idempotent bool, fn func(pgx.Tx) error) error {
	return s.onLiveSession(ctx, func() (bool, error) {
		committing, err := runTx(ctx, db, fn)
		return !committing || idempotent, err
	})
}

// ErrOutcomeUnknown is a create whose commit the control plane took but did not answer: the
// session ended (a network cut, a restart, a failover) or the call was stopped while it committed,
// so the row may have been made or not. The row's id is known (the INSERT answered it before the
// commit), and CreateOutcome asks the control plane whether the commit took.
var ErrOutcomeUnknown = errors.New("the control plane did not answer the commit: the row may or may not have been created")

// outcomeUnknown is ErrOutcomeUnknown of the transaction xid (txid_current) of the session of
// server process pid (pg_backend_pid).
type outcomeUnknown struct {
	xid int64
	pid int32
	err error
}

func (e *outcomeUnknown) Error() string        { return ErrOutcomeUnknown.Error() + ": " + e.err.Error() }
func (e *outcomeUnknown) Is(target error) bool { return target == ErrOutcomeUnknown }
func (e *outcomeUnknown) Unwrap() error        { return e.err }

// createTx runs a create in a transaction, as inTx does, run again on a new session only when
// the session ended before the commit (nothing was written). A commit that failed otherwise than
// with the server's answer (a *pgconn.PgError: it refused, nothing was written) is
// ErrOutcomeUnknown: running the create again would make a second row, or be refused because
// the first one holds the name, so it is not; CreateOutcome settles it.
func (s *Store) createTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.onLiveSession(ctx, func() (bool, error) {
		var xid int64
		var pid int32
		committing, err := runTx(ctx, s.db, func(tx pgx.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			// After the create's writes, which gave the transaction its id (a read-only or
			// standby control plane refuses them, as it did, before anything asks for one).
			return tx.QueryRow(ctx, `SELECT txid_current(), pg_backend_pid()`).Scan(&xid, &pid)
		})
		if committing && err != nil && !errors.As(err, new(*pgconn.PgError)) {
			return false, &outcomeUnknown{xid: xid, pid: pid, err: err}
		}
		return !committing, err
	})
}

// createOutcomeWait bounds how long CreateOutcome waits for a transaction still in progress.
const createOutcomeWait = 15 * time.Second

// createOutcomeEnd bounds how long CreateOutcome waits for a transaction whose session it ended.
const createOutcomeEnd = 5 * time.Second

// CreateOutcome settles a create that failed with ErrOutcomeUnknown (err): whether its
// transaction committed, as the control plane says (txid_status), and its row is there (exists).
// A commit whose answer was lost may still be on its way to the server, or running there, when
// the row is asked for: the row was not there yet, and the create was reported failed while its
// commit took (the next apply met Name Already Taken). So a transaction still in progress is
// asked about again until it ends, for createOutcomeWait at most; then its session, still idle
// in the transaction (a session cut without the server seeing it stays open until the server's
// TCP keepalive ends it), is ended, and the transaction, rolled back, did not commit. When the
// control plane cannot be asked, or the session cannot be ended, the error says so. A committed transaction is the create's only
// with its row: a control plane that crashed or failed over before the create was durable lost
// it, and gives its transaction id (and its row's id) to other transactions after the recovery,
// which commit; and a commit waiting for a synchronous standby reads committed before its row
// shows. So a committed transaction without the row is asked about again too, and is unsettled
// at the end of the wait; one the server says is in the future, which it lost, did not commit.
func (s *Store) CreateOutcome(ctx context.Context, err error, exists func(context.Context) (bool, error)) (committed bool, _ error) {
	var u *outcomeUnknown
	if !errors.As(err, &u) {
		return false, fmt.Errorf("not a create whose outcome is unknown: %w", err)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(parent, createOutcomeWait)
	defer cancel()
	still, ended := "in progress", false
	for {
		var status *string
		qerr := s.onLiveSession(ctx, func() (bool, error) {
			return true, s.db.QueryRow(ctx, `SELECT txid_status($1)`, u.xid).Scan(&status)
		})
		var pe *pgconn.PgError
		switch {
		case errors.As(qerr, &pe) && pe.Code == "22023":
			// "transaction ID ... is in the future": the server has no trace of it, so it did
			// not commit there. It lost it (a crash or a failover before the create was durable),
			// and will give its id, and its row's, to others: asked later, the id names another
			// transaction, and the row's id another row.
			return false, nil
		case qerr != nil:
			return false, qerr
		case status == nil:
			return false, fmt.Errorf("the control plane no longer knows transaction %d", u.xid)
		case *status == "committed":
			var found bool
			ferr := s.onLiveSession(ctx, func() (bool, error) {
				var err error
				found, err = exists(ctx)
				return true, err
			})
			if ferr != nil || found {
				return found, ferr
			}
			still = "committed without its row (a crash or a failover may have lost it, and given its id to another)"
		case *status == "aborted":
			return false, nil
		}
		select {
		case <-ctx.Done():
			if ended || parent.Err() != nil || !strings.HasPrefix(still, "in progress") {
				return false, fmt.Errorf("its transaction %d was still %s after %s", u.xid, still, createOutcomeWait)
			}
			// Still open on the server, waiting for a commit: the session's client is gone (a
			// cut the server did not see stays open until its TCP keepalive ends it, hours by
			// default), and the transaction holds the new row's name against the next apply's
			// create, which waits for it. Ended, it did not commit, and says so; a commit
			// already running is not ended, nor any session but the create's own (its server
			// process and its transaction both: after a crash the xid may be another's).
			ended = true
			cancel()
			ctx, cancel = context.WithTimeout(parent, createOutcomeEnd)
			defer cancel()
			if eerr := s.execOnLiveSession(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE pid = $2 AND backend_xid = ($1::bigint % 4294967296)::text::xid AND state LIKE 'idle in transaction%'`, u.xid, u.pid); eerr != nil {
				return false, fmt.Errorf("its transaction %d was still in progress after %s, and could not be ended: %w", u.xid, createOutcomeWait, eerr)
			}
			still = "in progress, even once its session was ended,"
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// onLiveSession calls try until it succeeds, or fails otherwise than because the control plane
// ended the session it ran on (Unreachable), or says that it may not be tried again, or it was
// tried once per connection of the pool and once more (see inTx).
func (s *Store) onLiveSession(ctx context.Context, try func() (again bool, err error)) error {
	tries := 1
	if s.pool != nil {
		tries += int(s.pool.Config().MaxConns)
	}
	for {
		tries--
		again, err := try()
		if err == nil || !again || tries <= 0 || ctx.Err() != nil || !Unreachable(err) {
			return err
		}
	}
}

// execOnLiveSession runs one statement, which must be safe to run twice, with onLiveSession.
func (s *Store) execOnLiveSession(ctx context.Context, sql string, args ...any) error {
	return s.onLiveSession(ctx, func() (bool, error) {
		_, err := s.db.Exec(ctx, sql, args...)
		return true, err
	})
}

// runTx is pgx.BeginFunc, saying whether the error is the commit's.
func runTx(ctx context.Context, db beginner, fn func(pgx.Tx) error) (committing bool, err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback(ctx) }() // after fn's error; a no-op after the commit
	if err := fn(tx); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}
