package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	neturl "net/url"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// cursorSoakWarehouse is a warehouse TestSIGKILLSoakCursor runs on: it holds the users table
// the sync's model reads (unique_id, email, first_name, version, and the cursor columns: seq, a
// bigint, and time columns that all hold a user's at) and writes it in transactions that the
// test may hold open while a run reads.
type cursorSoakWarehouse interface {
	// newWorld makes the warehouse with an empty users table and the world whose model reads
	// it, `select * from users`, synced to hookURL.
	newWorld(t *testing.T, hookURL string) *world
	// begin starts a transaction on the warehouse's users.
	begin() cursorSoakTx
	// versions is each user's version by key, as the warehouse holds them.
	versions() map[string]float64
}

// cursorSoakTx is a transaction of a cursorSoakWarehouse.
type cursorSoakTx interface {
	// put inserts users, or sets their version and cursor columns.
	put(users []*soakUser)
	delete(ids []int64)
	commit()
	rollback() // a no-op after commit
}

// cursorSoakWarehouses are the warehouses TestSIGKILLSoakCursor runs on, by kind, with the
// cursors soaked on each (a sync of each behavior for each cursor, unless behaviors says one).
var cursorSoakWarehouses = []struct {
	kind      string
	cursors   []string
	behaviors map[string]string // a cursor soaked with one behavior only, for time
	new       func() cursorSoakWarehouse
}{
	{controlplane.KindPostgres, []string{"updated_at", "seq"}, nil, func() cursorSoakWarehouse { return &postgresCursorSoak{} }},
	// updated_at is a TIMESTAMP(6), changed_at a DATETIME(6): written from, and read with a URL
	// that asks for, a session in +12:45 (mysqlSoakZone).
	{controlplane.KindMySQL, []string{"updated_at", "changed_at", "seq"}, map[string]string{
		"updated_at": controlplane.BehaviorMirror, "changed_at": controlplane.BehaviorUpdateOrCreate,
		"seq": controlplane.BehaviorMirror,
	}, func() cursorSoakWarehouse { return &mysqlCursorSoak{} }},
}

// postgresCursorSoak is a Postgres warehouse database of the test, its updated_at a
// timestamptz.
type postgresCursorSoak struct{ w *world }

func (p *postgresCursorSoak) newWorld(t *testing.T, hookURL string) *world {
	p.w = newWorldOf(t, controlplanetest.WorldOpts{
		// The database's TimeZone is the runner's session's unless it sets its own.
		Users: `CREATE TABLE users (unique_id bigint PRIMARY KEY, email text, first_name text,
				version int NOT NULL DEFAULT 1, updated_at timestamptz, seq bigint);
			CREATE INDEX ON users (updated_at); CREATE INDEX ON users (seq);
			DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'Pacific/Chatham'); END $$`,
		Model: &controlplane.Model{SQL: "select * from users"},
	}, hookURL, 25)
	return p.w
}

func (p *postgresCursorSoak) begin() cursorSoakTx {
	p.w.t.Helper()
	tx, err := p.w.wh.Begin(p.w.ctx)
	if err != nil {
		p.w.t.Fatal(err)
	}
	return &postgresSoakTx{w: p.w, tx: tx}
}

func (p *postgresCursorSoak) versions() map[string]float64 { return p.w.warehouseVersions() }

type postgresSoakTx struct {
	w  *world
	tx pgx.Tx
}

func (x *postgresSoakTx) exec(sql string, args ...any) {
	x.w.t.Helper()
	if _, err := x.tx.Exec(x.w.ctx, sql, args...); err != nil {
		x.w.t.Fatalf("warehouse: %v\n%s", err, sql)
	}
}

func (x *postgresSoakTx) put(users []*soakUser) {
	ids, versions := make([]int64, len(users)), make([]int, len(users))
	ats, seqs := make([]*time.Time, len(users)), make([]*int64, len(users))
	for i, u := range users {
		ids[i], versions[i], ats[i], seqs[i] = u.id, u.version, u.at, u.seq
	}
	x.exec(`INSERT INTO users SELECT i, 'user' || i || '@example.com', 'User ' || i, v, a, s
		FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::bigint[]) AS u(i, v, a, s)
		ON CONFLICT (unique_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at, seq = excluded.seq`,
		ids, versions, ats, seqs)
}

func (x *postgresSoakTx) delete(ids []int64) {
	x.exec(`DELETE FROM users WHERE unique_id = ANY($1)`, ids)
}

func (x *postgresSoakTx) commit() {
	x.w.t.Helper()
	if err := x.tx.Commit(x.w.ctx); err != nil {
		x.w.t.Fatal(err)
	}
}

func (x *postgresSoakTx) rollback() { _ = x.tx.Rollback(x.w.ctx) }

// mysqlSoakZone is the time zone of the sessions that write a MariaDB warehouse's users, and
// the one its URL asks the runner's session for: a TIMESTAMP is written as a time in it, which
// the server stores as the instant, and the runner reads in UTC (docs/warehouses.md); a
// DATETIME holds what is written, in any session.
var mysqlSoakZone = time.FixedZone("+12:45", 12*3600+45*60)

// mysqlCursorSoak is a MariaDB or MySQL warehouse database of the test
// (BACKFLOW_TEST_MYSQL_URL): its updated_at a TIMESTAMP(6), its changed_at a DATETIME(6).
type mysqlCursorSoak struct {
	t  *testing.T
	db *sql.DB
}

func (m *mysqlCursorSoak) newWorld(t *testing.T, hookURL string) *world {
	t.Helper()
	m.t = t
	url, db := warehousetest.NewMySQLDatabase(t)
	m.db = db
	if _, err := db.Exec(`CREATE TABLE users (unique_id BIGINT PRIMARY KEY, email VARCHAR(255), first_name VARCHAR(255),
		version INT NOT NULL DEFAULT 1, updated_at TIMESTAMP(6) NULL DEFAULT NULL, changed_at DATETIME(6), seq BIGINT,
		INDEX (updated_at), INDEX (changed_at), INDEX (seq))`); err != nil {
		t.Fatalf("warehouse: %v", err)
	}
	return newWorldOf(t, controlplanetest.WorldOpts{
		Warehouse: &controlplane.Connection{Name: controlplanetest.DefaultWarehouseName,
			MySQL: &controlplane.MySQLConfig{URL: url + "?time_zone=" + neturl.QueryEscape("'"+mysqlSoakZone.String()+"'")}},
		Model: &controlplane.Model{SQL: "select * from users"},
	}, hookURL, 25)
}

func (m *mysqlCursorSoak) begin() cursorSoakTx {
	m.t.Helper()
	tx, err := m.db.Begin()
	if err != nil {
		m.t.Fatal(err)
	}
	x := &mysqlSoakTx{t: m.t, tx: tx}
	x.exec("SET time_zone = '" + mysqlSoakZone.String() + "'")
	return x
}

func (m *mysqlCursorSoak) versions() map[string]float64 { return scanVersions(m.t, m.db) }

type mysqlSoakTx struct {
	t  *testing.T
	tx *sql.Tx
}

func (x *mysqlSoakTx) exec(q string, args ...any) {
	x.t.Helper()
	if _, err := x.tx.Exec(q, args...); err != nil {
		x.t.Fatalf("warehouse: %v\n%.200s", err, q)
	}
}

func (x *mysqlSoakTx) put(users []*soakUser) {
	if len(users) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("INSERT INTO users (unique_id, email, first_name, version, updated_at, changed_at, seq) VALUES ")
	args := make([]any, 0, 7*len(users))
	for i, u := range users {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		var local, written any // updated_at in the session's zone, changed_at as is
		if u.at != nil {
			local, written = u.at.In(mysqlSoakZone).Format("2006-01-02 15:04:05.000000"), u.at.Format("2006-01-02 15:04:05.000000")
		}
		var seq any
		if u.seq != nil {
			seq = *u.seq
		}
		args = append(args, u.id, fmt.Sprintf("user%d@example.com", u.id), fmt.Sprintf("User %d", u.id), u.version,
			local, written, seq)
	}
	b.WriteString(" ON DUPLICATE KEY UPDATE version = VALUES(version), updated_at = VALUES(updated_at), " +
		"changed_at = VALUES(changed_at), seq = VALUES(seq)")
	x.exec(b.String(), args...)
}

func (x *mysqlSoakTx) delete(ids []int64) {
	if len(ids) == 0 {
		return
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	x.exec("DELETE FROM users WHERE unique_id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", args...)
}

func (x *mysqlSoakTx) commit() {
	x.t.Helper()
	if err := x.tx.Commit(); err != nil {
		x.t.Fatal(err)
	}
}

func (x *mysqlSoakTx) rollback() { _ = x.tx.Rollback() }

// soakUser is a warehouse user as TestSIGKILLSoakCursor last wrote it: its version and cursor
// values (nil: NULL). at is in UTC, to the microsecond: in a column with a time zone the instant,
// in one without (MySQL's DATETIME) the time as written.
type soakUser struct {
	id      int64
	version int
	at      *time.Time
	seq     *int64
}

func (u *soakUser) key() string { return strconv.FormatInt(u.id, 10) }

// cursorWorld is a world whose sync of users has a cursor, one of the warehouse's cursor columns,
// and what the test committed to the warehouse's users.
type cursorWorld struct {
	*world
	wh     cursorSoakWarehouse
	cursor string              // "seq" or a time column
	users  map[int64]*soakUser // as committed
	seq    int64               // the last seq value taken
	// marks are the cursor values ever committed, in markValue's form: a mark is one of them.
	marks map[string]bool
}

// The warehouse's clock: a row's at is set from it, not from now(), so that what is inside or
// outside the lookback is the test's to decide. Each step moves it a minute on.
var cursorSoakStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const cursorSoakLookback = 5 * time.Minute

func newCursorWorld(t *testing.T, wh cursorSoakWarehouse, n int, hookURL, behavior, cursor string) *cursorWorld {
	t.Helper()
	w := &cursorWorld{world: wh.newWorld(t, hookURL), wh: wh, cursor: cursor, users: map[int64]*soakUser{},
		marks: map[string]bool{}}
	users := make([]*soakUser, n)
	for i := range users {
		at := cursorSoakStart.Add(time.Duration(i+1) * 10 * time.Millisecond)
		users[i] = &soakUser{id: int64(i + 1), version: 1, at: &at, seq: w.nextSeq()}
	}
	tx := wh.begin()
	tx.put(users)
	tx.commit()
	w.committed(users, nil)
	w.describeModel()
	w.sync.Behavior, w.sync.Cursor = behavior, cursor
	if cursor != "seq" {
		w.sync.CursorLookback = cursorSoakLookback.String()
	}
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	return w
}

// nextSeq takes the next seq value, higher than any taken before.
func (w *cursorWorld) nextSeq() *int64 {
	w.seq++
	s := w.seq
	return &s
}

// committed records that a transaction that put users and deleted ids committed.
func (w *cursorWorld) committed(users []*soakUser, ids []int64) {
	for _, u := range users {
		w.users[u.id] = u
		if v, ok := w.cursorValue(u); ok {
			w.marks[v] = true
		}
	}
	for _, id := range ids {
		delete(w.users, id)
	}
}

// cursorValue is u's value of the sync's cursor in markValue's form; false when NULL.
func (w *cursorWorld) cursorValue(u *soakUser) (string, bool) {
	if w.cursor == "seq" {
		if u.seq == nil {
			return "", false
		}
		return strconv.FormatInt(*u.seq, 10), true
	}
	if u.at == nil {
		return "", false
	}
	return u.at.Format(time.RFC3339Nano), true
}

// sortedIDs are the keys of the users, in order (the seed repeats what is done to each).
func (w *cursorWorld) sortedIDs() []int64 {
	ids := make([]int64, 0, len(w.users))
	for id := range w.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// soakKeys are the keys of the warehouse's rows by how a receiver must hold them after a
// successful run (the documented promise of a sync with a cursor); every other key of the
// warehouse is a must: its last change is one an incremental read sees (its cursor moved past
// the mark, it was inserted so, it arrived late but within the lookback (integer: at the mark),
// its cursor is NULL), so the next successful run of either kind sends its current version.
type soakKeys struct {
	// late: its last change is one only a full read sees (its cursor went below the mark minus
	// the lookback): the receiver may hold an older version until a full read succeeds.
	late map[string]bool
	// gone: deleted from the warehouse; a mirror sync's next successful full read deletes it.
	gone map[string]bool
	// racing: changed by a transaction that committed while a run read, not checked until the
	// run ended and they were classified (classifyRacing).
	racing map[string]bool
}

// soakValue is a value of the sync's cursor: at for a time cursor, seq for seq.
type soakValue struct {
	at  time.Time
	seq int64
}

// mark is the stored mark; ok false when there is none (the next successful run reads in full).
// It also checks that the mark is a cursor value committed (markValue).
func (w *cursorWorld) mark() (mark soakValue, ok bool) {
	w.t.Helper()
	v, ok := w.markValue()
	if !ok {
		return soakValue{}, false
	}
	if w.cursor == "seq" {
		n, _ := strconv.ParseInt(v, 10, 64)
		return soakValue{seq: n}, true
	}
	m, _ := time.Parse(time.RFC3339Nano, v)
	return soakValue{at: m}, true
}

// markBound is the lowest cursor value the next successful run reads for sure: the stored mark
// minus the lookback (integer: the mark); ok false when there is no mark.
func (w *cursorWorld) markBound() (bound soakValue, ok bool) {
	w.t.Helper()
	bound, ok = w.mark()
	bound.at = bound.at.Add(-cursorSoakLookback)
	return bound, ok
}

// markValue is the stored mark in the form of cursorValue (a time in RFC 3339, UTC); false when
// there is none. A mark is the highest cursor value some run read: one the test committed, in
// UTC whatever the time zone of the sessions that wrote it.
func (w *cursorWorld) markValue() (string, bool) {
	w.t.Helper()
	st, err := w.store.GetCursorState(w.ctx, w.sync.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	if st == nil || !st.HasMark {
		return "", false
	}
	v := st.Mark
	if w.cursor != "seq" {
		m, err := time.Parse("2006-01-02 15:04:05.999999999", st.Mark)
		if err != nil {
			w.t.Fatalf("the mark %q: %v", st.Mark, err)
		}
		v = m.Format(time.RFC3339Nano)
	}
	if !w.marks[v] {
		w.t.Fatalf("the mark %q is no %s value the warehouse was given", st.Mark, w.cursor)
	}
	return v, true
}

// reads reports whether the next successful run reads u for sure: its cursor is NULL or at or
// after bound.
func (w *cursorWorld) reads(u *soakUser, bound soakValue) bool {
	if w.cursor == "seq" {
		return u.seq == nil || *u.seq >= bound.seq
	}
	return u.at == nil || !u.at.Before(bound.at)
}

// soakValueOf is u's cursor values.
func soakValueOf(u *soakUser) soakValue {
	var c soakValue
	if u.at != nil {
		c.at = *u.at
	}
	if u.seq != nil {
		c.seq = *u.seq
	}
	return c
}

// atOrBelow reports whether u's cursor is at or below c (not NULL).
func (w *cursorWorld) atOrBelow(u *soakUser, c soakValue) bool {
	if w.cursor == "seq" {
		return u.seq != nil && *u.seq <= c.seq
	}
	return u.at != nil && !u.at.After(c.at)
}

// soakTime is t to the microsecond (the warehouses' precision), in UTC.
func soakTime(t time.Time) *time.Time {
	t = t.UTC().Truncate(time.Microsecond)
	return &t
}

// soakDuration is a random duration below d, to the microsecond.
func soakDuration(rng *rand.Rand, d time.Duration) time.Duration {
	return time.Duration(rng.Int64N(int64(d/time.Microsecond))) * time.Microsecond
}

// change applies one step's changes to the warehouse, in one transaction (clock is the
// warehouse's time now), and records in k what the receiver must hold after them: updates that
// move the cursor on, inserts, NULL cursors, late rows within the lookback (an integer cursor:
// at the mark itself, inclusive) and older, and deletes.
func (w *cursorWorld) change(rng *rand.Rand, k *soakKeys, clock time.Time, next *int) {
	w.t.Helper()
	bound, marked := w.markBound()
	var puts []*soakUser
	var deleted []int64
	for _, id := range w.sortedIDs() {
		u := *w.users[id]
		late := false
		switch r := rng.Float64(); {
		case r < 0.04: // the cursor moves on
			u.at, u.seq = soakTime(clock.Add(soakDuration(rng, 50*time.Second))), w.nextSeq()
		case r < 0.043: // NULL cursors: read by every run
			u.at, u.seq = nil, nil
		case r < 0.053: // late, within the lookback (integer: at the mark)
			if !marked {
				continue
			}
			if w.cursor == "seq" {
				u.at, u.seq = soakTime(clock), &bound.seq
			} else {
				u.at, u.seq = soakTime(bound.at.Add(soakDuration(rng, cursorSoakLookback-time.Second))), w.nextSeq()
			}
		case r < 0.063: // late, older
			if !marked {
				continue
			}
			late = true
			if w.cursor == "seq" {
				s := bound.seq - 1 - rng.Int64N(101)
				u.at, u.seq = soakTime(clock), &s
			} else {
				u.at, u.seq = soakTime(bound.at.Add(-time.Millisecond-soakDuration(rng, time.Hour))), w.nextSeq()
			}
		case r < 0.078:
			deleted = append(deleted, id)
			delete(k.late, u.key())
			k.gone[u.key()] = true
			continue
		default:
			continue
		}
		u.version++
		puts = append(puts, &u)
		if late {
			k.late[u.key()] = true
		} else {
			delete(k.late, u.key())
		}
	}
	for i := range 20 {
		id := int64(*next + i)
		puts = append(puts, &soakUser{id: id, version: 1, at: soakTime(clock.Add(soakDuration(rng, 50*time.Second))),
			seq: w.nextSeq()})
	}
	*next += 20
	tx := w.wh.begin()
	defer tx.rollback()
	tx.put(puts)
	tx.delete(deleted)
	tx.commit()
	w.committed(puts, deleted)
}

// checkRacing checks, after a successful run whose mark is at or above a cursor value only the
// racing transaction's rows hold, that the receiver holds each of them as committed: that run
// read the transaction, all of it, and delivered it.
func (w *cursorWorld) checkRacing(h *webhooktest.Receiver, k *soakKeys, when string) {
	w.t.Helper()
	view := h.View()
	for key := range k.racing {
		id, _ := strconv.ParseInt(key, 10, 64)
		if u := w.users[id]; u != nil && (view[key] == nil || view[key]["version"] != float64(u.version)) {
			w.t.Fatalf("%s: the mark is past the cursor values a transaction committed while the run read, "+
				"yet the receiver holds key %s as %v, not as its version %d", when, key, view[key], u.version)
		}
	}
}

// classifyRacing classifies the keys a transaction changed while a run read, once the run
// ended: what the next successful run reads for sure (its cursor at or after the stored mark
// minus the lookback, or NULL) must be current after it; the rest only after a full read.
func (w *cursorWorld) classifyRacing(k *soakKeys) {
	w.t.Helper()
	bound, marked := w.markBound()
	for id := range k.racing {
		n, _ := strconv.ParseInt(id, 10, 64)
		u := w.users[n]
		switch {
		case u == nil: // deleted since
		case marked && !w.reads(u, bound):
			k.late[id] = true
		default: // read for sure, or in full (no mark)
			delete(k.late, id)
		}
	}
	clear(k.racing)
}

// soakRun is a run of the sync as the control plane recorded it.
type soakRun struct {
	id               int64
	status, mode     string
	readFrom, reason string
}

// runsAfter returns the sync's runs after run id after, in order.
func (w *cursorWorld) runsAfter(after int64) []soakRun {
	w.t.Helper()
	rows, err := w.store.Pool().Query(w.ctx, `SELECT id, status, coalesce(read_mode, ''), coalesce(read_from, ''),
		coalesce(error, '') FROM backflow.sync_runs WHERE sync_id = $1 AND id > $2 ORDER BY id`, w.sync.ID, after)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []soakRun
	var r soakRun
	if _, err := pgx.ForEachRow(rows, []any{&r.id, &r.status, &r.mode, &r.readFrom, &r.reason}, func() error {
		out = append(out, r)
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// check compares the receiver's view with k after a successful run; full: the run read in full
// (late keys must be current too, and a mirror's gone keys gone).
func (w *cursorWorld) check(h *webhooktest.Receiver, k *soakKeys, behavior string, full bool, when string) {
	w.t.Helper()
	view := h.View()
	var bad []string
	for _, id := range w.sortedIDs() {
		u := w.users[id]
		if k.late[u.key()] && !full || k.racing[u.key()] {
			continue
		}
		got := view[u.key()]
		if got == nil || got["version"] != float64(u.version) {
			var v any
			if got != nil {
				v = got["version"]
			}
			bad = append(bad, fmt.Sprintf("key %d: the receiver holds version %v, the warehouse %d", id, v, u.version))
		}
	}
	if behavior == controlplane.BehaviorMirror && full {
		for key := range view {
			id, _ := strconv.ParseInt(key, 10, 64)
			if w.users[id] == nil && !k.racing[key] {
				bad = append(bad, fmt.Sprintf("key %s: still at the receiver, gone from the warehouse", key))
			}
		}
	}
	if len(bad) > 0 {
		if len(bad) > 10 {
			bad = append(bad[:10], fmt.Sprintf("... and %d more", len(bad)-10))
		}
		w.t.Fatalf("%s: %d keys differ:\n%s", when, len(bad), joinLines(bad))
	}
	if full {
		clear(k.late)
		clear(k.gone)
	}
}

func joinLines(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	return out
}

// waitForCursorStore waits until a runner's statement waits for the lock the test holds on the
// sync's cursor row, and returns it: the run's end, with its new mark, being recorded (an
// INSERT), or intents of a full read being adopted (an UPDATE); "" if none did within a few
// seconds (the run failed, say).
func (w *cursorWorld) waitForCursorStore() string {
	w.t.Helper()
	for range 500 {
		var q string
		err := w.store.Pool().QueryRow(w.ctx, `SELECT query FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE '%backflow.sync_cursors%' LIMIT 1`).Scan(&q)
		if err == nil {
			return q
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			w.t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ""
}

// fullReadOwed reports whether keys that a run reading in full may have delivered are
// unconfirmed (its intents are outstanding, or were adopted by a run that did not succeed): the
// docs promise the next successful run reads in full.
func (w *cursorWorld) fullReadOwed() bool {
	w.t.Helper()
	var owed bool
	if err := w.store.Pool().QueryRow(w.ctx, `SELECT EXISTS (SELECT 1 FROM backflow.sync_intents i
			LEFT JOIN backflow.sync_runs r ON r.id = i.run_id WHERE i.sync_id = $1 AND r.read_mode IS DISTINCT FROM 'incremental')
		OR EXISTS (SELECT 1 FROM backflow.sync_cursors WHERE sync_id = $1 AND full_read_at = 'epoch')`, w.sync.ID).Scan(&owed); err != nil {
		w.t.Fatal(err)
	}
	return owed
}

// takeOver ends the sessions holding the sync's lock, as a network cut would: the runner whose
// lock it was goes on until it learns of it (its fenced writes fail), and another may take over.
func (w *cursorWorld) takeOver() {
	w.t.Helper()
	if _, err := w.store.Pool().Exec(w.ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'backflow-runner sync lock' AND datname = current_database()`); err != nil {
		w.t.Fatal(err)
	}
}

// TestSIGKILLSoakCursor is TestSIGKILLSoak for a sync with a cursor (a time, an integer; mirror
// and update_or_create), on Postgres (timestamptz, its database's TimeZone Pacific/Chatham) and
// MariaDB (BACKFLOW_TEST_MYSQL_URL: TIMESTAMP(6) and DATETIME(6), written and read by sessions
// in +12:45). Between runs the warehouse gets updates that move the cursor, inserts, rows with
// a NULL cursor, late rows within the lookback (an integer cursor: at the mark) and older than
// it, and deletes; and some runs read while a transaction commits that took its cursor values
// before the step's changes (or after them, higher than any). Runs are killed anywhere, right
// after a 2xx, while their end and new mark are being stored, during a --full resend, and while
// a second runner waits for the sync or takes it over; some are followed by a run to its end.
// After every successful run, the receiver's view (rebuilt in arrival order) must hold the
// current version of every row whose last change an incremental read sees (so a killed run's
// reads that it did not deliver were not skipped by the mark, and a transaction that committed
// while a run read is read from where the run's mark says); the mark must be a cursor value the
// warehouse was given (in UTC, whatever the writer's or the URL's time zone), and a mark that
// reaches the values only a racing transaction's rows hold must come with all of its rows
// delivered (the mark is from the snapshot the rows are from); the first
// successful run after a killed full read that left unconfirmed keys must read in full; and
// after a successful full read (full_read_every passed) the receiver must hold every row's
// current version and (mirror) no deleted one. No run may be left running. The seed (logged;
// BACKFLOW_SOAK_SEED replays it) repeats the choice of the warehouse's changes and of the kill
// points, not the timing, nor what follows from it (the mark a late row is written below).
func TestSIGKILLSoakCursor(t *testing.T) {
	for _, wk := range cursorSoakWarehouses {
		t.Run(wk.kind, func(t *testing.T) {
			t.Parallel()
			for _, cursor := range wk.cursors {
				behaviors := []string{controlplane.BehaviorMirror, controlplane.BehaviorUpdateOrCreate}
				if b, ok := wk.behaviors[cursor]; ok {
					behaviors = []string{b}
				}
				for _, behavior := range behaviors {
					t.Run(cursor+"/"+behavior, func(t *testing.T) {
						t.Parallel()
						soakSIGKILLCursor(t, wk.new(), cursor, behavior)
					})
				}
			}
		})
	}
}

// soakSIGKILLCursor is one TestSIGKILLSoakCursor: behavior's sync of wh's users, its cursor the column
// cursor.
func soakSIGKILLCursor(t *testing.T, wh cursorSoakWarehouse, cursor, behavior string) {
	rng := rand.New(rand.NewPCG(soakSeed(t), 2))
	h := newViewHook(t)
	w := newCursorWorld(t, wh, 1000, h.URL, behavior, cursor)
	k := &soakKeys{late: map[string]bool{}, gone: map[string]bool{}, racing: map[string]bool{}}
	next, clock := 1001, cursorSoakStart.Add(time.Minute)
	var lastRun int64
	kills, successes, incremental, finishKills := 0, 0, 0, 0
	racingTxs, racingRead := 0, 0 // transactions committed while a run read, and those a successful run read
	owed := false                 // a full read is owed: the next successful run must read in full
	settle := func(when string) {
		t.Helper()
		for _, r := range w.runsAfter(lastRun) {
			lastRun = r.id
			if r.status != controlplane.RunSucceeded {
				continue
			}
			if owed && r.mode != controlplane.ReadFull {
				t.Fatalf("%s: run %d read %s %s, though keys a killed full read may have delivered were unconfirmed",
					when, r.id, r.mode, r.readFrom)
			}
			owed = false
			successes++
			if r.mode == controlplane.ReadIncremental {
				incremental++
			}
			w.check(h, k, behavior, r.mode == controlplane.ReadFull, fmt.Sprintf("%s, after run %d (read %s %s)",
				when, r.id, r.mode, r.readFrom))
		}
	}
	kill := func(c *exec.Cmd) {
		if c.ProcessState == nil && c.Process.Kill() == nil {
			kills++
		}
		_ = c.Wait()
	}
	start := func(flags ...string) *exec.Cmd {
		c := w.cmd(append([]string{"sync", w.sync.Name, "--concurrency", "3"}, flags...)...)
		c.Stdout, c.Stderr = io.Discard, io.Discard
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	answers := func(n int) {
		for ; n > 0; n-- {
			select {
			case <-h.Answered():
			case <-time.After(time.Second):
				return
			}
		}
	}
	// killOrFinish kills c after a few answers, or lets it run to its end, by a coin's toss.
	killOrFinish := func(c *exec.Cmd, when, what string) {
		if rng.IntN(2) == 0 {
			answers(1 + rng.IntN(4))
			kill(c)
		} else if err := c.Wait(); err != nil {
			t.Logf("%s: %s: %v", when, what, err)
		}
	}
	for i := 0; i < 18; i++ {
		mode := rng.IntN(7)
		// Mode 6: cursor values taken before the step's changes.
		reserved, racingAt := w.nextSeq(), soakTime(clock.Add(10*time.Second))
		if i > 0 {
			w.change(rng, k, clock, &next)
			clock = clock.Add(time.Minute)
		}
		if i == 9 {
			// A full read halfway (full_read_every passed), itself killed maybe.
			expireFullReadAt(t, w)
		}
		when := fmt.Sprintf("step %d", i)
		switch mode {
		case 0: // anywhere: reading, sending, or after the end
			c := start()
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
			kill(c)
		case 1: // right after a 2xx: most likely before the run recorded it
			c := start()
			answers(1 + rng.IntN(6))
			kill(c)
		case 2: // while its end and its new mark are stored
			st, err := w.store.GetCursorState(w.ctx, w.sync.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st == nil { // no row to hold yet
				kill(start())
				break
			}
			tx, err := w.store.Pool().Begin(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(w.ctx, `SELECT 1 FROM backflow.sync_cursors WHERE sync_id = $1 FOR UPDATE`, w.sync.ID); err != nil {
				t.Fatal(err)
			}
			c := start()
			blocked := w.waitForCursorStore()
			kill(c)
			_ = tx.Rollback(w.ctx)
			if strings.Contains(blocked, "INSERT INTO backflow.sync_cursors") {
				finishKills++
				after, err := w.store.GetCursorState(w.ctx, w.sync.ID)
				if err != nil {
					t.Fatal(err)
				}
				// ReadFrom is not the stored mark's: it gains the killed run's bound.
				a, b := *after, *st
				a.ReadFrom, b.ReadFrom = nil, nil
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("%s: a run killed while it stored its end left the cursor %+v, it was %+v", when, after, st)
				}
				for _, r := range w.runsAfter(lastRun) {
					if r.status == controlplane.RunSucceeded {
						t.Fatalf("%s: run %d killed while it stored its end is recorded as succeeded", when, r.id)
					}
				}
			}
		case 3: // two runners: the second waits for the sync, and takes it over when the first is killed
			a, b := start(), start()
			answers(1 + rng.IntN(4))
			kill(a)
			killOrFinish(b, when, "the runner that took over")
		case 5: // a --full resend, killed after a few 2xx: a full read is owed
			c := start("--full")
			answers(1 + rng.IntN(8))
			kill(c)
		case 6: // a transaction that took its cursor values before the step's changes commits while a run reads
			// Some of its rows' cursor values are higher than any, taken after the step's changes:
			// a mark at or above the lowest of them was read from a snapshot that holds the
			// transaction, all of it (a mark is a value the run read).
			var racing []*soakUser
			var lowest *soakUser // of those
			for _, id := range w.sortedIDs() {
				r := rng.Float64()
				if r >= 0.02 {
					continue
				}
				u := *w.users[id]
				u.version++
				if u.at, u.seq = racingAt, reserved; r >= 0.01 {
					u.at, u.seq = soakTime(clock.Add(30*time.Second+soakDuration(rng, 10*time.Second))), w.nextSeq()
					if lowest == nil || w.atOrBelow(&u, soakValueOf(lowest)) {
						lowest = &u
					}
				}
				racing = append(racing, &u)
				k.racing[u.key()] = true
			}
			racingTxs++
			tx := w.wh.begin()
			tx.put(racing)
			c := start()
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
			tx.commit()
			w.committed(racing, nil)
			killOrFinish(c, when, "the run a transaction committed during")
			settle(when)
			if m, ok := w.mark(); ok && lowest != nil && w.atOrBelow(lowest, m) {
				racingRead++
				w.checkRacing(h, k, when)
			}
			w.classifyRacing(k)
		case 4: // the first runner's lock is taken over while it runs on
			a := start()
			answers(1 + rng.IntN(3))
			w.takeOver()
			b := start()
			time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
			kill(a)
			killOrFinish(b, when, "the runner that took over")
		}
		if rng.IntN(5) < 2 {
			// A run to its end after the killed one: it must send what that one read
			// and did not deliver.
			if err := start().Wait(); err != nil {
				t.Logf("%s: the run after the killed one: %v", when, err)
			}
		}
		settle(when)
		owed = w.fullReadOwed()
	}
	if kills < 12 {
		t.Fatalf("only %d runs were killed", kills)
	}
	// To completion: an incremental run (or the full read still owed), then a full read.
	if code, stdout, stderr := w.runCmd("sync", w.sync.Name); code != 0 {
		t.Fatalf("clean sync: exit %d\n%s\n%s", code, stdout, stderr)
	}
	settle("the clean run")
	w.change(rng, k, clock, &next)
	if code, stdout, stderr := w.runCmd("sync", w.sync.Name); code != 0 {
		t.Fatalf("clean sync: exit %d\n%s\n%s", code, stdout, stderr)
	}
	settle("the clean run after more changes")
	expireFullReadAt(t, w)
	if code, stdout, stderr := w.runCmd("sync", w.sync.Name); code != 0 {
		t.Fatalf("full read: exit %d\n%s\n%s", code, stdout, stderr)
	}
	runs := w.runsAfter(lastRun)
	if len(runs) != 1 || runs[0].mode != controlplane.ReadFull {
		t.Fatalf("the last run: %+v, want one full read", runs)
	}
	settle("the full read")
	if want := wh.versions(); len(want) != len(w.users) {
		t.Fatalf("the warehouse holds %d users, the test wrote %d", len(want), len(w.users))
	} else {
		for id, u := range w.users {
			if want[u.key()] != float64(u.version) {
				t.Fatalf("user %d: the warehouse holds version %v, the test wrote %d", id, want[u.key()], u.version)
			}
		}
	}
	if running := w.runsRunning(); running > 0 {
		t.Errorf("%d runs left running after the full read", running)
	}
	t.Logf("%d kills (%d while storing a run's end), %d successful runs (%d incremental), %d transactions committed "+
		"while a run read (%d read by a successful run), %d requests, %d keys, all as promised; runs: %s",
		kills, finishKills, successes, incremental, racingTxs, racingRead, h.Seen(), len(w.users), w.runStatuses())
}

// runStatuses counts the sync's runs by status, read and how they ended, as the control plane
// recorded them.
func (w *cursorWorld) runStatuses() string {
	w.t.Helper()
	var out string
	if err := w.store.Pool().QueryRow(w.ctx, `SELECT string_agg(n || ' ' || what, ', ' ORDER BY n DESC) FROM (
			SELECT count(*) AS n, status || coalesce(' ' || read_mode, '') || CASE WHEN error LIKE '%lock was lost%' THEN ' (lock lost)'
				WHEN error LIKE '%stopped before finishing%' THEN ' (killed)' ELSE '' END AS what
			FROM backflow.sync_runs WHERE sync_id = $1 GROUP BY 2) s`, w.sync.ID).Scan(&out); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// runsRunning counts the sync's runs recorded as running.
func (w *cursorWorld) runsRunning() int {
	w.t.Helper()
	var n int
	if err := w.store.Pool().QueryRow(w.ctx, `SELECT count(*) FROM backflow.sync_runs WHERE sync_id = $1 AND status = $2`,
		w.sync.ID, controlplane.RunRunning).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// expireFullReadAt makes the sync's last full read older than its full_read_every (24h), so that
// its next run reads the whole model, as a scheduled full read.
func expireFullReadAt(t *testing.T, w *cursorWorld) {
	t.Helper()
	if _, err := w.store.Pool().Exec(context.Background(), `UPDATE backflow.sync_cursors
		SET full_read_at = full_read_at - interval '25 hours' WHERE sync_id = $1 AND full_read_at > 'epoch'`, w.sync.ID); err != nil {
		t.Fatal(err)
	}
}
