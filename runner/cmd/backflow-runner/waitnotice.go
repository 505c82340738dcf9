package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A control-plane query that waits says so. Without this, a command whose query waited for a
// lock another session held (a LOCK TABLE, a migration or a long transaction of another tool on
// backflow.sync_runs or backflow.sync_deliveries), or on a control plane that stopped answering
// after the connection was made (a hung proxy, a network that drops packets), printed nothing
// for as long as it waited: `runs` sat silent until Ctrl-C.
//
// The wait is not cut off: the same queries serve work that may rightly take long (a sync of
// millions of rows, a migrate waiting for another migrator, a rekey waiting for an apply), and
// no bound fits them all. Instead, once a query has waited waitNoticeAfter, a warning names what
// it waits for, asked on a connection of its own: the lock (a table, a row) and the session
// that holds it (pid, application, user, state, age of its transaction), or
// that the control plane does not answer that connection either. It is repeated every
// waitNoticeEvery while the query waits. A query that is merely slow, waiting for no lock on a
// control plane that answers, is not reported; nor is one waiting for an advisory lock: that is
// a sync's lock (another runner runs it: `sync` says so) or a migration's, waits by design.
const (
	waitNoticeAfter = 5 * time.Second
	waitNoticeEvery = 30 * time.Second
	waitAskTimeout  = 5 * time.Second
)

// waitTracer is the pgx tracer of the control-plane pool that does this.
type waitTracer struct {
	cfg *pgx.ConnConfig // for the connection that asks, without this tracer
	log *slog.Logger

	// watches is each connection's watched call. pgx ends a CopyFrom whose statement
	// description fails (its context done, the connection lost, a table that is gone) without
	// TraceCopyFromEnd, so a watch can outlive its call: the connection's next call, or its
	// close (forget, the pool's BeforeClose), stops it. Such a watch, never stopped, asked what a
	// dead or idle session waits for, on a connection of its own, every waitNoticeEvery for as
	// long as the process ran, one more for each such CopyFrom.
	mu      sync.Mutex
	watches map[*pgx.Conn]*waitWatch
	live    atomic.Int64 // watches not stopped, for tests
}

func newWaitTracer(cfg *pgx.ConnConfig, log *slog.Logger) *waitTracer {
	c := cfg.Copy()
	c.Tracer = nil
	return &waitTracer{cfg: c, log: log, watches: map[*pgx.Conn]*waitWatch{}}
}

// watchPool sets cfg's tracer to a waitTracer logging to log, and returns it.
func watchPool(cfg *pgxpool.Config, log *slog.Logger) *waitTracer {
	t := newWaitTracer(cfg.ConnConfig, log)
	cfg.ConnConfig.Tracer = t
	before := cfg.BeforeClose
	cfg.BeforeClose = func(c *pgx.Conn) {
		t.forget(c)
		if before != nil {
			before(c)
		}
	}
	return t
}

// forget stops the watch of conn's call: the call ended, or conn is being closed.
func (t *waitTracer) forget(conn *pgx.Conn) {
	t.mu.Lock()
	w := t.watches[conn]
	delete(t.watches, conn)
	t.mu.Unlock()
	if w != nil {
		w.stop()
	}
}

// waitWatch is one query being watched.
type waitWatch struct {
	mu    sync.Mutex
	done  bool
	timer *time.Timer
	live  *atomic.Int64
}

func (w *waitWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.live.Add(-1)
	}
	w.done = true
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (t *waitTracer) start(ctx context.Context, conn *pgx.Conn, what string) context.Context {
	if conn == nil || conn.PgConn() == nil {
		return ctx
	}
	pid := conn.PgConn().PID()
	w := &waitWatch{live: &t.live}
	t.live.Add(1)
	t.mu.Lock()
	prev := t.watches[conn]
	t.watches[conn] = w
	t.mu.Unlock()
	if prev != nil {
		prev.stop() // a call pgx ended without saying so: a connection makes one call at a time
	}
	started := time.Now()
	var check func()
	check = func() {
		t.report(pid, what, time.Since(started))
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.done {
			w.timer = time.AfterFunc(waitNoticeEvery, check)
		}
	}
	w.mu.Lock()
	w.timer = time.AfterFunc(waitNoticeAfter, check)
	w.mu.Unlock()
	return ctx
}

func (t *waitTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return t.start(ctx, conn, data.SQL)
}

// TraceQueryEnd stops the call's watch: a connection makes one call at a time, so the watch
// of conn is that call's.
func (t *waitTracer) TraceQueryEnd(_ context.Context, conn *pgx.Conn, _ pgx.TraceQueryEndData) {
	t.forget(conn)
}

func (t *waitTracer) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	return t.start(ctx, conn, "COPY "+data.TableName.Sanitize())
}

func (t *waitTracer) TraceCopyFromEnd(_ context.Context, conn *pgx.Conn, _ pgx.TraceCopyFromEndData) {
	t.forget(conn)
}

// waitQuery names the locks pid waits for and the oldest session that holds one of them.
const waitQuery = `SELECT
	coalesce((SELECT string_agg(DISTINCT CASE l.locktype
			WHEN 'relation' THEN 'table ' || l.relation::regclass::text
			WHEN 'transactionid' THEN 'a row another transaction changed'
			WHEN 'tuple' THEN 'a row another transaction changed'
			ELSE l.locktype END, ', ')
		FROM pg_locks l WHERE l.pid = $1 AND NOT l.granted AND l.locktype <> 'advisory'), ''),
	b.pid, coalesce(b.application_name, ''), coalesce(b.usename::text, ''), coalesce(b.state, ''),
	coalesce(extract(epoch FROM now() - b.xact_start)::float8, 0)
FROM pg_stat_activity b
WHERE b.pid = ANY(pg_blocking_pids($1))
ORDER BY b.xact_start NULLS LAST
LIMIT 1`

// report asks, on a connection of its own, what the session pid waits for, and warns if it
// waits for a lock or if the control plane does not answer.
func (t *waitTracer) report(pid uint32, what string, waited time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), waitAskTimeout)
	defer cancel()
	query := shortSQL(what)
	waitedFor := waited.Round(time.Second).String()
	conn, err := pgx.ConnectConfig(ctx, t.cfg)
	if err == nil {
		defer func() {
			cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
			defer ccancel()
			_ = conn.Close(cctx)
		}()
		var (
			locks, app, user, state string
			holder                  int64
			age                     float64
		)
		err = conn.QueryRow(ctx, waitQuery, int64(pid)).Scan(&locks, &holder, &app, &user, &state, &age)
		if errors.Is(err, pgx.ErrNoRows) {
			return // not waiting for a lock: slow, or streaming its rows
		}
		if err == nil {
			if locks == "" {
				return // an advisory lock: a sync's or a migration's, whose waits say so themselves
			}
			t.log.Warn("still waiting for a control-plane query: it waits for "+locks+
				", held by another session; it goes on waiting until that session ends its transaction "+
				"(or is ended: SELECT pg_terminate_backend(pid)), or until this process is stopped",
				"waited", waitedFor, "query", query, "waiting_for", locks,
				"holder_pid", holder, "holder_application", app, "holder_user", user, "holder_state", state,
				"holder_transaction_age", (time.Duration(age) * time.Second).String())
			return
		}
	}
	if !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded) {
		// The server answered, with an error (too many connections, a privilege): it is not
		// hung, and the query may merely be slow or streaming its rows.
		return
	}
	t.log.Warn("still waiting for a control-plane query: the control plane does not answer it, nor a new "+
		"connection that asked what it waits for (a hung server or proxy, a network that drops packets?); "+
		"it goes on waiting until the control plane answers or this process is stopped",
		"waited", waitedFor, "query", query, "err", err)
}

// shortSQL is the first words of a statement, on one line, for a log.
func shortSQL(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
