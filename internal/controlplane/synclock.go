package controlplane

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// One run at a time, fenced: the whole guarantee is in this file.
//
//  1. A runner runs a sync only while it holds the sync's session-level advisory lock
//     (SyncLockKey), on a connection of its own. If the runner dies, its session, and so the
//     lock, die with it.
//  2. Taking the lock bumps the sync's fence token (backflow.sync_fences). Every write a run makes
//     — closing the runs it takes over, its start, its intents, its ledger commits, its counters,
//     its end — runs in a transaction that first
//     reads the fence FOR SHARE and goes on only if the token is still the run's. The bump is an
//     UPDATE of that row: it waits for the writes in flight to end, and every write after it sees
//     the new token. So once another runner holds the sync, a run that lost it commits nothing,
//     and the new holder reads a ledger that no late write will change.
//  3. The lock's session is watched: the connection waits on its socket, so a terminated session
//     is seen at once, and a silent one is pinged. A run learns of the loss through Lost and
//     starts no request after it; a fenced write that finds the token moved reports the loss too.
//  4. Intent before send: the keys of a batch are recorded (RecordIntents, durably, fenced) before
//     the batch is sent, and the intent is deleted in the commit that records the batch's outcome.
//     An intent left by a run that crashed or lost its lock is adopted by the next run
//     (AdoptIntents): its keys become ledger rows with an unconfirmed hash, so they are resent,
//     or deleted by a mirror sync whose model lost them. Nothing delivered is forgotten. A record
//     `backflow-runner test` sends outside any run is recorded so too (RecordTestIntent).

// ErrBusy is returned by AcquireSync when another session holds the sync's lock and the caller
// did not ask to wait.
var ErrBusy = errors.New("another runner is executing this sync")

// ErrLockLost is returned by a fenced write of a run whose sync was taken over, or whose lock's
// session ended.
var ErrLockLost = errors.New("the sync's lock was lost (another runner may be running it): " +
	"this run records nothing more, and what it delivered without recording it is resent by a later run")

// syncLockNamespace is the high half of every per-sync advisory lock key ("bfsy"), so the keys
// do not collide with other advisory locks taken in the control plane.
const syncLockNamespace int64 = 0x62667379 << 32

// SyncLockKey is the key of sync syncID's session-level advisory lock, taken with
// pg_advisory_lock(bigint) by every runner before it runs the sync. It is the namespace xor the
// id: a bijection, so two syncs never share a lock whatever their ids (ids are bigint; the
// namespace stays visible in the high half for ids below 2³²).
func SyncLockKey(syncID int64) int64 { return syncLockNamespace ^ syncID }

// pagesLockKey serialises the page writes of one sync, so the overlap check sees every page
// committed before it (see writeLedgerPages). It is a transaction lock, not the run lock.
func pagesLockKey(syncID int64) int64 { return SyncLockKey(syncID) ^ (1 << 61) }

// servedRun is true for the runs that count as having served a sync's schedule: those that ended
// succeeded, failed or blocked (endedServed: such runs wait for the next schedule), and those
// still running whose runner truly holds the sync's lock (runningServed). Canceled runs (a graceful
// stop handed the work back, or an abandoned run of a dead runner) and running runs whose lock is
// free (their runner died) do not: their work is still to do.
var servedRun = `(` + endedServed + ` OR ` + runningServed + `)`

// endedServed is true for the ended runs that served their sync's schedule (see servedRun). The
// per-sync lookups by it are served by partial indexes on the same condition (migration 017):
// keep its text as it is there. Run.Served says the same in Go.
const endedServed = `r.status IN ('succeeded', 'failed', 'blocked')`

// runningServed is true for the running runs whose runner holds the sync's lock (see servedRun).
var runningServed = `(r.status = 'running' AND EXISTS (
	SELECT 1 FROM pg_locks l WHERE ` + advisoryHeld(fmt.Sprintf("(%d::int8 # r.sync_id)", syncLockNamespace)) + `))`

// advisoryHeld is a condition on a row l of pg_locks: it is the granted lock of the bigint
// advisory key that the SQL expression key gives, in this database. pg_locks shows such a key as
// classid (its high half), objid (its low half) and objsubid 1.
func advisoryHeld(key string) string {
	return `l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND ((l.classid::int8 << 32) | l.objid::int8) = ` + key
}

// fence is the token a run got when its runner took the sync's lock.
type fence struct{ syncID, token int64 }

// FencedIdleTimeout is how long the server lets a fenced transaction wait for its runner's next
// statement (idle_in_transaction_session_timeout, set for that transaction only) before it ends
// its session. Such a transaction holds the fence FOR SHARE, which the next holder's bump waits
// for: a runner stopped mid-transaction (SIGSTOP, a frozen VM or container) or cut off from the
// control plane would otherwise keep every other runner from the sync until it runs again, or
// until the server's TCP keepalives (hours, by default) end its session.
const FencedIdleTimeout = 30 * time.Second

// fencedIdleTimeout is FencedIdleTimeout, shortened by tests.
var fencedIdleTimeout = FencedIdleTimeout

// check reads the fence in tx, holding it (FOR SHARE) until tx ends, and returns ErrLockLost when
// the token moved on. It bounds how long tx may wait for its client (FencedIdleTimeout).
func (f fence) check(ctx context.Context, tx pgx.Tx) error {
	var token int64
	var idle string
	err := tx.QueryRow(ctx, `SELECT token, set_config('idle_in_transaction_session_timeout', $2, true)
		FROM backflow.sync_fences WHERE sync_id = $1 FOR SHARE`,
		f.syncID, fmt.Sprint(fencedIdleTimeout.Milliseconds())).Scan(&token, &idle)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && token != f.token {
		return ErrLockLost
	}
	return err
}

// Watch timing of a lease's session: it is pinged after this long without news, and a ping
// that takes longer than the timeout counts as a lost session.
const (
	DefaultLockPingEvery   = 5 * time.Second
	DefaultLockPingTimeout = 10 * time.Second
)

// SyncLease is a held sync lock with its fence: the only way to write a run's intents, ledger
// and counters. Its methods are safe for concurrent use.
type SyncLease struct {
	store  *Store
	conn   *pgx.Conn
	fence  fence
	key    int64
	stop   context.CancelFunc
	done   chan struct{}
	lost   chan struct{}
	lostMu sync.Mutex
	cause  error
	// confirmed is when the lease was last known to hold the sync (lostMu): the start of the last
	// statement that found the fence still the lease's, or of a ping its session answered.
	confirmed time.Time
	// recentMu lets one CheckFenceRecent query the fence at a time: the others then find the
	// lease confirmed by it. recentStart and recentEnd (recentMu) are when the last of its
	// queries that found the fence the lease's began and returned.
	recentMu               sync.Mutex
	recentStart, recentEnd time.Time
}

// AcquireSync takes sync syncID's lock and bumps its fence. When another session holds the lock
// it returns ErrBusy, or with wait calls onWait and blocks until it gets the lock or ctx ends.
// pingEvery (0: DefaultLockPingEvery) is how often a quiet lock session is pinged. The caller
// must Release the lease.
func (s *Store) AcquireSync(ctx context.Context, syncID int64, wait bool, onWait func(), pingEvery time.Duration) (*SyncLease, error) {
	if s.pool == nil {
		return nil, errNoPool
	}
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "backflow-runner sync lock"
	// The server drops the session (and the lock) of a runner cut off by the network within
	// about half a minute, instead of the system's default of hours.
	cfg.RuntimeParams["tcp_keepalives_idle"] = "10"
	cfg.RuntimeParams["tcp_keepalives_interval"] = "5"
	cfg.RuntimeParams["tcp_keepalives_count"] = "3"
	// A wait that times out only sets a deadline on the socket, which keeps the session: the
	// default handler would send the server a cancel request every time.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: pc.Conn()}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the control plane for the sync's lock: %w", err)
	}
	closeConn := func() {
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		_ = conn.Close(cctx)
	}
	key := SyncLockKey(syncID)
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1::int8)`, key).Scan(&ok); err != nil {
		closeConn()
		return nil, fmt.Errorf("take the sync's lock: %w", err)
	}
	if !ok {
		if !wait {
			closeConn()
			return nil, ErrBusy
		}
		if onWait != nil {
			onWait()
		}
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1::int8)`, key); err != nil {
			closeConn()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("stopped waiting for the sync's lock: %w", ctx.Err())
			}
			return nil, fmt.Errorf("wait for the sync's lock: %w", err)
		}
	}
	// Bumping the fence waits for the fenced writes in flight of a run that held the lock before.
	// It is refused, in the same statement, when a newer Backflow migrated the control plane
	// since this process opened it (a daemon of the previous release left running through an
	// upgrade): this binary's runs would write the new schema by the old rules, so it starts none
	// and touches nothing of the sync (not even the runs left running, or the intents).
	var token int64
	bumped := time.Now()
	err = conn.QueryRow(ctx, `INSERT INTO backflow.sync_fences (sync_id, token)
		SELECT $1, 1 WHERE (SELECT coalesce(max(version), 0) FROM `+Schema+`.schema_migrations) <= $2
		ON CONFLICT (sync_id) DO UPDATE SET token = backflow.sync_fences.token + 1 RETURNING token`, syncID, LatestVersion()).Scan(&token)
	if errors.Is(err, pgx.ErrNoRows) {
		closeConn()
		if err := s.CheckSchema(ctx); err != nil {
			return nil, err
		}
		return nil, errors.New("take the sync's fence: the control plane's schema version changed while it was read")
	}
	if err != nil {
		closeConn()
		if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23503" {
			// The fence's sync is gone: deleted (a terraform destroy, or its replacement) while
			// this runner waited for its lock, or since it read the sync.
			return nil, fmt.Errorf("sync %d was deleted while this runner waited for it (a terraform destroy, or the "+
				"sync's replacement): %w", syncID, ErrNotFound)
		}
		return nil, fmt.Errorf("take the sync's fence: %w", err)
	}
	wctx, stop := context.WithCancel(context.Background())
	l := &SyncLease{store: s, conn: conn, fence: fence{syncID, token}, key: key, stop: stop,
		done: make(chan struct{}), lost: make(chan struct{}), confirmed: bumped}
	go l.watch(wctx, cmpOr(pingEvery, DefaultLockPingEvery))
	return l, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// watch waits on the lock's session until ctx ends, and marks the lease lost when the session
// ends or stops answering.
func (l *SyncLease) watch(ctx context.Context, every time.Duration) {
	defer close(l.done)
	for {
		wctx, cancel := context.WithTimeout(ctx, every)
		// Nothing is ever notified on this session: the wait returns when the server ends the
		// session (terminated, shut down, connection reset) or at the deadline.
		err := l.conn.PgConn().WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			continue
		}
		if pgconn.Timeout(err) {
			pctx, pcancel := context.WithTimeout(ctx, DefaultLockPingTimeout)
			pinged := time.Now()
			err = l.conn.Ping(pctx)
			pcancel()
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				l.confirm(pinged) // the session, and so the lock, was alive then
				continue
			}
		}
		l.markLost(fmt.Errorf("%w; its control-plane session ended: %v", ErrLockLost, err))
		return
	}
}

func (l *SyncLease) markLost(cause error) {
	l.lostMu.Lock()
	defer l.lostMu.Unlock()
	if l.cause == nil {
		l.cause = cause
		close(l.lost)
	}
}

// confirm records that the lease held the sync at `at`.
func (l *SyncLease) confirm(at time.Time) {
	l.lostMu.Lock()
	defer l.lostMu.Unlock()
	if at.After(l.confirmed) {
		l.confirmed = at
	}
}

// FenceRecent is how recently a lease must have been confirmed for CheckFenceRecent to take it as
// still held without asking the control plane.
const FenceRecent = 100 * time.Millisecond

// confirmedWithin is true when the lease was confirmed less than d ago, measured on both the
// monotonic clock and the wall clock: the monotonic clock stops while the machine sleeps, and a
// wall clock set back counts as long ago.
func (l *SyncLease) confirmedWithin(d time.Duration) bool {
	l.lostMu.Lock()
	c := l.confirmed
	l.lostMu.Unlock()
	return within(c, d)
}

// within is true when t is less than d ago on both the monotonic clock and the wall clock.
func within(t time.Time, d time.Duration) bool {
	now := time.Now()
	wall := now.Round(0).Sub(t.Round(0))
	return now.Sub(t) < d && wall >= 0 && wall < d
}

// Lost is closed once the lease is known to be lost; Err then says why.
func (l *SyncLease) Lost() <-chan struct{} { return l.lost }

// Err is nil while the lease is not known to be lost, then an error that wraps ErrLockLost.
func (l *SyncLease) Err() error {
	l.lostMu.Lock()
	defer l.lostMu.Unlock()
	return l.cause
}

// Token is the lease's fencing token.
func (l *SyncLease) Token() int64 { return l.fence.token }

// Release stops the watch, unlocks and closes the lock's session. The explicit unlock matters: a
// closed session's locks are freed only once its backend has exited, which a run started right
// after could beat.
func (l *SyncLease) Release() {
	l.stop()
	<-l.done
	ctx, cancel := cleanupContext(context.Background())
	defer cancel()
	_, _ = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1::int8)`, l.key)
	_ = l.conn.Close(ctx)
}

// fenced runs fn in a transaction that holds the fence, and marks the lease lost when the fence
// moved on. A transaction that a session ended (a pooled connection the server terminated) is
// run again on another connection (Store.inTx); one whose commit failed only when idempotent.
func (l *SyncLease) fenced(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return l.fencedTx(ctx, false, fn)
}

func (l *SyncLease) fencedTx(ctx context.Context, idempotent bool, fn func(tx pgx.Tx) error) error {
	var checked time.Time
	err := l.store.inTx(ctx, l.store.db, idempotent, func(tx pgx.Tx) error {
		checked = time.Now()
		if err := l.fence.check(ctx, tx); err != nil {
			return err
		}
		return fn(tx)
	})
	if err == nil {
		l.confirm(checked)
	}
	return l.noteLoss(err)
}

func (l *SyncLease) noteLoss(err error) error {
	if errors.Is(err, ErrLockLost) {
		l.markLost(err)
	}
	return err
}

// Commit records a group of delivered batches in the ledger with the run's counters, in one
// transaction that holds the fence (see Delivered).
func (l *SyncLease) Commit(ctx context.Context, run *Run, d *Delivered) error {
	start := time.Now()
	err := l.store.commitDelivered(ctx, l.fence, run, d)
	if err == nil {
		l.confirm(start)
	}
	return l.noteLoss(err)
}

// Intent is one batch's keys, recorded before the batch is sent.
type Intent struct {
	Batch int32 // the batch's number within its run; below zero for a batch of deletes (DeletesBatch)
	Keys  []string
	// Packed, when set, are the keys packed as PackKeys packs them, and Keys is not read.
	Packed []byte
}

// DeletesBatch is the intent number (Intent.Batch) of the seq-th batch (from 0) of a run when
// it is a batch of deletes: below zero, so that an intent says what it may have done without a
// column of its own. A key a delete may have reached is adopted as UnconfirmedNew (see
// unconfirmedHash): the endpoint may no longer have the record.
func DeletesBatch(seq int32) int32 { return -seq - 1 }

// RecordIntents durably records that the keys of these batches of run runID may be delivered
// from now on. It fails with ErrLockLost, recording nothing, once the fence moved on. buf is
// scratch space, returned for the next call.
func (l *SyncLease) RecordIntents(ctx context.Context, runID int64, intents []Intent, buf []byte) ([]byte, error) {
	buf = buf[:0]
	// Keys given as strings are packed first, into buf; their spans are kept as offsets since
	// buf may move as it grows.
	type span struct{ start, end int }
	spans := make([]span, len(intents))
	for i, in := range intents {
		if in.Packed == nil {
			spans[i].start = len(buf)
			buf = appendKeyList(buf, in.Keys)
			spans[i].end = len(buf)
		}
	}
	params := len(buf)
	buf = binary.BigEndian.AppendUint64(buf, uint64(l.fence.syncID))
	buf = binary.BigEndian.AppendUint64(buf, uint64(runID))
	buf = binary.BigEndian.AppendUint64(buf, uint64(l.fence.token))
	batches := len(buf)
	buf = appendArrayHeader(buf, oidInt4, len(intents))
	for _, in := range intents {
		buf = binary.BigEndian.AppendUint32(buf, 4)
		buf = binary.BigEndian.AppendUint32(buf, uint32(in.Batch))
	}
	keys := len(buf)
	buf = appendArrayHeader(buf, oidBytea, len(intents))
	for i, in := range intents {
		p := in.Packed
		if p == nil {
			p = buf[spans[i].start:spans[i].end]
		}
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(p)))
		buf = append(buf, p...)
	}
	values := [][]byte{buf[params : params+8], buf[params+8 : params+16], buf[params+16 : batches], buf[batches:keys], buf[keys:]}
	var tag pgconn.CommandTag
	// A pooled connection the server ended fails the statement: it is sent again on another
	// (Store.onLiveSession). One that was applied, its answer lost (a connection cut after the
	// commit), recorded them all, fence held: the retry then fails on the intents' primary key,
	// which says so.
	tries, recorded := 0, false
	start := time.Now()
	err := l.store.onLiveSession(ctx, func() (bool, error) {
		tries++
		err := l.store.onConn(ctx, func(c *pgx.Conn) error {
			sd, err := c.Prepare(ctx, recordIntentsStmt, recordIntentsSQL)
			if err != nil {
				return err
			}
			tag, err = c.PgConn().ExecPrepared(ctx, sd.Name, values, binaryParams[:], nil).Close()
			return err
		})
		if pgErr := (*pgconn.PgError)(nil); tries > 1 && errors.As(err, &pgErr) && pgErr.Code == "23505" &&
			pgErr.ConstraintName == "sync_intents_pkey" {
			recorded, err = true, nil
		}
		return true, err
	})
	if err != nil {
		return buf, fmt.Errorf("record the keys about to be sent: %w", err)
	}
	if !recorded && tag.RowsAffected() != int64(len(intents)) {
		return buf, l.noteLoss(ErrLockLost)
	}
	l.confirm(start)
	return buf, nil
}

// recordIntentsSQL records intents in one statement: the fence is read and held by the statement
// that inserts. Its parameters are sent as RecordIntents encodes them (binaryParams): the keys of
// a group of batches are half a megabyte, which pgx's own encoding would copy into a buffer grown
// by doubling on every call.
const (
	recordIntentsStmt = "backflow_record_intents"
	recordIntentsSQL  = `INSERT INTO backflow.sync_intents (sync_id, run_id, batch, keys)
		SELECT $1::int8, $2::int8, t.b, t.k FROM unnest($4::int4[], $5::bytea[]) AS t (b, k)
		WHERE EXISTS (SELECT 1 FROM backflow.sync_fences f WHERE f.sync_id = $1::int8 AND f.token = $3::int8 FOR SHARE)`
)

// binaryParams are recordIntentsSQL's parameter formats: all binary.
var binaryParams = [5]int16{1, 1, 1, 1, 1}

// Element types of the binary arrays RecordIntents encodes.
const (
	oidInt4  = 23
	oidBytea = 17
)

// appendArrayHeader appends the header of a one-dimensional binary array of n elements of type
// oid without NULLs (Postgres's array_send): its elements follow, each a length and its bytes.
func appendArrayHeader(buf []byte, oid uint32, n int) []byte {
	buf = binary.BigEndian.AppendUint32(buf, 1) // dimensions
	buf = binary.BigEndian.AppendUint32(buf, 0) // no NULLs
	buf = binary.BigEndian.AppendUint32(buf, oid)
	buf = binary.BigEndian.AppendUint32(buf, uint32(n))
	return binary.BigEndian.AppendUint32(buf, 1) // lower bound
}

// TestIntentRun is the run_id of the intent RecordTestIntent records: no run's (ids start at 1),
// so the next run's FullReadOwed finds it of a run whose read is unknown.
const TestIntentRun = 0

// RecordTestIntent durably records, before `backflow-runner test` sends the record of key to
// the sync's destination outside any run, that the key may have been delivered (fenced, as a
// run's intents are). The test holds the sync's lock while it reads and sends, so the next run
// adopts the intent (AdoptIntents) only once the test's request was answered or given up on: it
// resends the key's current version, or, for a mirror sync whose model lost the key, sends its
// `deleted`. Without it, a key the ledger did not hold (a sync not run yet, a row added since the
// last run) stayed at the receiver after its row was deleted, and a test's record received
// after a run's stayed stale.
func (l *SyncLease) RecordTestIntent(ctx context.Context, key []byte) error {
	err := l.fenced(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO backflow.sync_intents (sync_id, run_id, batch, keys) VALUES ($1, $2, 0, $3)
			ON CONFLICT (sync_id, run_id, batch) DO UPDATE SET keys = backflow.sync_intents.keys || EXCLUDED.keys`,
			l.fence.syncID, TestIntentRun, AppendPackedKey(nil, key))
		return err
	})
	if err != nil {
		return fmt.Errorf("record the key about to be sent: %w", err)
	}
	return nil
}

// adoptChunk is how many keys AdoptIntents writes per statement.
const adoptChunk = 50000

// AdoptIntents turns the intents left by earlier runs of the sync (crashed, or stopped by a lost
// lock, before recording their batches' outcome) into ledger rows with an unconfirmed hash, and
// deletes them. A key the ledger did not hold, or that a batch of deletes held, gets the marker
// that has it resent as new (unconfirmedHash): the endpoint may never have had it, or may have
// deleted it. It returns how many keys it adopted. A
// run calls it before reading the ledger.
func (l *SyncLease) AdoptIntents(ctx context.Context) (int, error) {
	var n int
	err := l.fenced(ctx, func(tx pgx.Tx) error {
		intents, err := readIntentKeySet(ctx, tx, l.fence.syncID)
		if err != nil || len(intents.keys) == 0 {
			return err
		}
		keys := intents.keys
		n = len(keys)
		// In chunks: one parameter may not exceed 1 GB, and a backlog of intents can be large.
		// The keys are in key order, which the lookup reads pages fastest in.
		for start := 0; start < len(keys); start += adoptChunk {
			chunk := keys[start:min(start+adoptChunk, len(keys))]
			hashes, found, err := lookUpLedger(ctx, tx, l.fence.syncID, chunk)
			if err != nil {
				return err
			}
			for i := range hashes {
				hashes[i] = unconfirmedHash(hashes[i], found[i], intents.deleted[start+i])
			}
			if _, err := tx.Exec(ctx, upsertLedger, l.fence.syncID, chunk, hashes); err != nil {
				return err
			}
		}
		// Intents of a run that read the whole model can hold keys no incremental read sees: the
		// full read they need stays owed past this run (see FullReadOwed).
		if _, err := tx.Exec(ctx, `UPDATE backflow.sync_cursors SET full_read_at = $2 WHERE sync_id = $1 AND `+
			intentsOfFullReads, l.fence.syncID, fullReadOwedAt); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM backflow.sync_intents WHERE sync_id = $1`, l.fence.syncID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("adopt the intents of sync %d: %w", l.fence.syncID, err)
	}
	return n, nil
}

// RecordRead records what run r reads (r.ReadMode, r.ReadFrom) as soon as the run has planned
// its read, if the lease still holds the sync: a run that stops before its end is recorded (a
// crash, a lost lock) is then known to have read incrementally, and the next run resends its
// intents by reading incrementally too (FullReadOwed) instead of reading the whole model.
//
// definition is the digest of the definition the run's cursor mark would be valid for ("" for a
// sync without a cursor). A stored mark of another definition is dropped, before the run writes
// any ledger row: the run (and any later one, even one killed before its end) writes the ledger
// under its own definition, so that mark no longer says which rows an incremental read may skip,
// even once the definition is back to the mark's (a cursor removed and set again, mappings
// changed and changed back). The next run with a cursor then has no mark, and reads in full.
func (l *SyncLease) RecordRead(ctx context.Context, r *Run, definition string) error {
	err := l.fenced(ctx, func(tx pgx.Tx) error {
		if r.ReadMode != "" {
			if _, err := tx.Exec(ctx, `UPDATE backflow.sync_runs SET read_mode = $2, read_from = $3 WHERE id = $1`,
				r.ID, nullable(r.ReadMode), nullable(r.ReadFrom)); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM backflow.sync_cursors WHERE sync_id = $1 AND definition IS DISTINCT FROM $2`,
			l.fence.syncID, definition)
		return err
	})
	if err != nil {
		return fmt.Errorf("record what run %d reads: %w", r.ID, err)
	}
	return nil
}

// AbandonRuns closes the runs of the sync still recorded as running (see Store.AbandonRuns), if
// the lease still holds the sync.
func (l *SyncLease) AbandonRuns(ctx context.Context, reason string) (int64, error) {
	var n int64
	err := l.fenced(ctx, func(tx pgx.Tx) error {
		var err error
		n, err = abandonRuns(ctx, tx, l.fence.syncID, reason)
		return err
	})
	return n, err
}

// StartRun records a new running run of the sync (see RunStart), if the lease still holds the
// sync.
func (l *SyncLease) StartRun(ctx context.Context, st RunStart) (*Run, error) {
	var r *Run
	err := l.fenced(ctx, func(tx pgx.Tx) error {
		var err error
		r, err = startRun(ctx, tx, l.fence.syncID, st)
		return err
	})
	return r, err
}

// Finish records the run's end (see Store.FinishRun) if the lease still holds the sync; else it
// returns ErrLockLost and changes nothing: the runner that took the sync over closed the run. A
// succeeded run's NextCursor becomes the sync's cursor state in the same transaction, so the
// mark moves only with a successful run whose end is recorded.
func (l *SyncLease) Finish(ctx context.Context, r *Run) error {
	// Idempotent: it writes the run's end, its cursor and the rejections it clears as they are.
	return l.fencedTx(ctx, true, func(tx pgx.Tx) error {
		if err := finishRun(ctx, tx, r); err != nil {
			return err
		}
		if r.Status == RunSucceeded && r.RetriedEveryRejected {
			if _, err := tx.Exec(ctx, `DELETE FROM backflow.rejected_records
				WHERE sync_id = $1 AND (run_id IS NULL OR run_id < $2)`, l.fence.syncID, r.ID); err != nil {
				return fmt.Errorf("remove the rejections of records the run no longer sends: %w", err)
			}
		}
		if r.Status == RunSucceeded && r.NextCursor != nil {
			return saveCursor(ctx, tx, l.fence.syncID, r.ID, r.NextCursor)
		}
		return nil
	})
}

// CheckFence reports ErrLockLost (and marks the lease lost) when another runner has taken the
// sync since this lease was acquired. It is a check, not a hold: for a write use a fenced
// transaction. A runner calls it before requests whose keys' intents were recorded earlier (a
// retry, a bisected half), so that a run that lost the sync starts no request.
func (l *SyncLease) CheckFence(ctx context.Context) error {
	if err := l.Err(); err != nil {
		return err
	}
	var token int64
	start := time.Now()
	err := l.store.onLiveSession(ctx, func() (bool, error) { // a read: tried again on another connection
		return true, l.store.db.QueryRow(ctx, `SELECT token FROM backflow.sync_fences WHERE sync_id = $1`, l.fence.syncID).Scan(&token)
	})
	if errors.Is(err, pgx.ErrNoRows) || err == nil && token != l.fence.token {
		return l.noteLoss(ErrLockLost)
	}
	if err != nil {
		return fmt.Errorf("check the sync's fence: %w", err)
	}
	l.confirm(start)
	return nil
}

// CheckFenceRecent is CheckFence for a request whose keys' intent this lease recorded: it asks
// the control plane only when the lease was last confirmed FenceRecent ago or more. A runner
// calls it before a batch's first attempt. A running runner learns of a lost session at once
// (Lost), but one that did not run for a while (stopped with SIGSTOP, a frozen VM or container,
// a machine asleep) may resume with a batch read and recorded before the pause, and send it
// before it learns that another runner took the sync over meanwhile and sent newer versions of
// its keys: the receiver would keep the old ones, which the ledger says it has the new ones of.
// A pause that neither of the runner's clocks counts (a virtual machine whose hypervisor stops its
// guest's clocks while it is paused, as KVM's kvm-clock does) is not seen: only a query would.
// Callers that ask together share one query: a query that began after a caller asked, and
// returned less than FenceRecent ago, answers for it as its own would. (With a control plane a
// round trip of FenceRecent or more away, a query is older than that when it returns: each
// caller's own, one after another, let a run start one request per round trip.)
func (l *SyncLease) CheckFenceRecent(ctx context.Context) error {
	if err := l.Err(); err != nil {
		return err
	}
	if l.confirmedWithin(FenceRecent) {
		return nil
	}
	asked := time.Now()
	l.recentMu.Lock()
	defer l.recentMu.Unlock()
	if l.confirmedWithin(FenceRecent) || !l.recentStart.Before(asked) && within(l.recentEnd, FenceRecent) {
		return l.Err()
	}
	start := time.Now()
	if err := l.CheckFence(ctx); err != nil {
		return err
	}
	l.recentStart, l.recentEnd = start, time.Now()
	return nil
}
