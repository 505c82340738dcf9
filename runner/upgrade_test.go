package runner

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// TestRunnerStopsOnNewerSchema is a runner left running through an upgrade: a newer Backflow
// migrates the control plane past the versions this binary knows while the daemon runs. A run
// started by hand (`sync`) is refused before it touches the sync (no run recorded, the run left
// running not closed, the fence not moved), and the daemon stops with the "schema is newer"
// error instead of going on running syncs by the old rules. Before, only a process starting on
// such a schema refused it: the daemon ran every queued and scheduled run on it.
func TestRunnerStopsOnNewerSchema(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	f.sync.ScheduleEvery = "1h"
	if err := f.store.UpdateSync(f.ctx, f.sync); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	d := &Daemon{Engine: f.engine, Logger: f.engine.Logger, PollInterval: 20 * time.Millisecond, StopTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	controlplanetest.WaitFor(t, "the scheduled run", func() bool {
		runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
		return err == nil && len(runs) == 1 && runs[0].Status == controlplane.RunSucceeded
	})

	// A newer release's migration lands, and a run of that release is left running.
	next := controlplane.LatestVersion() + 1
	pool := controlplanetest.Pool(t, f.cpURL)
	if _, err := pool.Exec(f.ctx, `INSERT INTO backflow.schema_migrations (version, name) VALUES ($1, 'from_the_future')`, next); err != nil {
		t.Fatal(err)
	}
	left, err := f.store.StartRun(f.ctx, f.sync.ID, controlplane.TriggerManual)
	if err != nil {
		t.Fatal(err)
	}
	var fence int64
	if err := pool.QueryRow(f.ctx, `SELECT token FROM backflow.sync_fences WHERE sync_id = $1`, f.sync.ID).Scan(&fence); err != nil {
		t.Fatal(err)
	}

	waitSchemaTooNew(t, done, "the daemon still runs on a control plane migrated past the versions it knows")

	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if !errors.Is(err, controlplane.ErrSchemaTooNew) || run != nil {
		t.Fatalf("a run on the newer schema: run %v, error %v; want no run and the schema-too-new error", run, err)
	}
	t.Logf("refused: %v", err)
	runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != left.ID || runs[0].Status != controlplane.RunRunning {
		t.Errorf("runs after the refusal: %d, newest %+v; want the scheduled run and the newer release's run, still running", len(runs), runs[0])
	}
	var after int64
	if err := pool.QueryRow(f.ctx, `SELECT token FROM backflow.sync_fences WHERE sync_id = $1`, f.sync.ID).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != fence {
		t.Errorf("the sync's fence moved from %d to %d: the refused runner took the sync", fence, after)
	}
}

// TestRunnerRefusesQueuedRunOnNewerSchema: a daemon between two scheduling passes (they are up to
// its poll interval apart) is handed a queued run after a newer Backflow migrated the control
// plane. It runs nothing, keeps the job for a replica that knows the schema, and stops.
func TestRunnerRefusesQueuedRunOnNewerSchema(t *testing.T) {
	t.Parallel()
	f := newFixture(t, controlplane.BehaviorUpdateOrCreate, nil)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	d := &Daemon{Engine: f.engine, Logger: f.engine.Logger, PollInterval: time.Hour, StopTimeout: 5 * time.Second,
		polled: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-d.polled: // its first pass is done: the next is an hour away
	case err := <-done:
		t.Fatalf("daemon: %v", err)
	}
	pool := controlplanetest.Pool(t, f.cpURL)
	if _, err := pool.Exec(f.ctx, `INSERT INTO backflow.schema_migrations (version, name) VALUES ($1, 'from_the_future')`,
		controlplane.LatestVersion()+1); err != nil {
		t.Fatal(err)
	}
	queue, q := f.enqueue(false)
	waitSchemaTooNew(t, done, "the daemon still runs after a queued run met a control plane migrated past the versions it knows")
	if runs, err := f.store.ListRuns(f.ctx, f.sync.ID, 10); err != nil || len(runs) != 0 {
		t.Errorf("runs recorded on the newer schema: %d (%v), want none", len(runs), err)
	}
	if got, _ := f.recv.Take("id"); len(got) != 0 {
		t.Errorf("sent %v on the newer schema, want nothing", got)
	}
	st, err := queue.Status(f.ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Done() {
		t.Errorf("the queued run's job ended (%+v); want it kept for a replica that knows the schema", st)
	}
}

// upgradeKey seals the secrets of testdata/upgrade/controlplane-v16.sql.
const upgradeKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// upgradeUsers is the warehouse the v16 control plane last read (its second state: user 1
// changed, 2 deleted, 13 added, after the first state of users 1 to 12), then what changed
// since, read first by the current release: user 4 changed, 5 deleted. User 6's email makes
// the receiver refuse it (422), as the old release's receiver did.
const upgradeUsers = `CREATE TABLE users (id int PRIMARY KEY, email text, name text, score numeric(8,2),
	updated_at timestamptz, tags jsonb, seen timestamp);
INSERT INTO users
SELECT i, CASE WHEN i = 6 THEN 'rej6@example.com' ELSE 'u' || i || '@example.com' END, 'name ' || i,
	i + 0.25, '2026-11-01 00:00:00+00'::timestamptz + i * interval '1 second',
	('{"n": ' || i || ', "f": 1.50}')::jsonb, '2024-02-01 10:00:00.5'::timestamp + (i % 9) * interval '1 day'
FROM generate_series(1, 12) i;
UPDATE users SET name = 'changed in 2', updated_at = '2026-11-02 00:00:01+00' WHERE id = 1;
DELETE FROM users WHERE id = 2;
INSERT INTO users VALUES (13, 'u13@example.com', 'name 13', 13.25, '2026-11-02 00:00:13+00', '{"n": 13, "f": 1.50}', '2024-02-01 10:00:00.5');
-- since the upgrade
UPDATE users SET name = 'changed after the upgrade', updated_at = '2026-11-03 00:00:04+00' WHERE id = 4;
DELETE FROM users WHERE id = 5`

// upgradeCase is what one sync of an upgrade fixture must do on its first run after the upgrade.
type upgradeCase struct {
	sync string
	want []string // what the receiver accepts, as webhooktest.Receiver.Take lists it
	// readFrom is the cursor value an incremental read starts from: the old run's mark minus the
	// default lookback of 5 minutes ("": the run reads in full, or the sync has no cursor).
	readFrom string
	// rejected: user 6, refused by the old runs, is sent again by a run that reads it.
	rejected int64
}

// upgradeWorld is a control plane restored from an upgrade fixture (testdata/upgrade), migrated by
// Open, its connections pointed at this test's warehouse (upgradeUsers) and receiver.
type upgradeWorld struct {
	t      *testing.T
	ctx    context.Context
	store  *controlplane.Store
	recv   *webhooktest.Receiver
	engine *Engine
}

// restoreUpgrade restores an upgrade fixture (testdata/upgrade) into a new database and opens it,
// which migrates it to the newest version.
// shiftFixtureTimes adds to every timestamptz of a restored fixture's backflow tables the time
// since its last run started, each table's in one statement (so their order is kept).
const shiftFixtureTimes = `DO $$
DECLARE
	delta interval;
	t record;
BEGIN
	SELECT now() - max(started_at) INTO delta FROM backflow.sync_runs;
	IF delta IS NULL OR delta <= interval '0' THEN
		RETURN;
	END IF;
	FOR t IN
		SELECT c.table_name, string_agg(format('%1$I = %1$I + $1', c.column_name), ', ') AS sets
		FROM information_schema.columns c
		JOIN information_schema.tables b ON b.table_schema = c.table_schema AND b.table_name = c.table_name
		WHERE c.table_schema = 'backflow' AND c.data_type = 'timestamp with time zone' AND b.table_type = 'BASE TABLE'
		GROUP BY c.table_name
	LOOP
		EXECUTE format('UPDATE backflow.%I SET %s', t.table_name, t.sets) USING delta;
	END LOOP;
END $$`

func restoreUpgrade(t *testing.T, fixture string) *controlplane.Store {
	t.Helper()
	ctx := context.Background()
	dump := readUpgradeFile(t, fixture)
	// The fixtures of one schema version share its schema: the dump's parts before and after
	// the data, in schema-vN-pre.sql and schema-vN-post.sql where several fixtures have them.
	if v := regexp.MustCompile(`^controlplane-(v\d+)`).FindStringSubmatch(fixture); v != nil {
		if _, err := os.Stat("testdata/upgrade/schema-" + v[1] + "-pre.sql"); err == nil {
			dump = readUpgradeFile(t, "schema-"+v[1]+"-pre.sql") + dump + readUpgradeFile(t, "schema-"+v[1]+"-post.sql")
		}
	}
	cpURL := controlplanetest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, cpURL)
	if err != nil {
		t.Fatal(err)
	}
	// The dumps were made on a server with lz4; on one without it, their columns stay as the
	// migrations leave them there (uncompressed).
	var lz4 bool
	if err := conn.QueryRow(ctx, `SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&lz4); err != nil {
		t.Fatal(err)
	}
	sql := dump
	if !lz4 {
		sql = regexp.MustCompile(`(?m)^ALTER TABLE .* SET COMPRESSION lz4;$`).ReplaceAllString(sql, "")
	}
	_, err = conn.Exec(ctx, sql)
	if err == nil {
		// The fixture's moments are moved as if it had been dumped just now: its syncs' clocks
		// (full_read_every, 24 h by default, from the last full read) would otherwise run out
		// a day after it was made, and its runs read incrementally then read in full.
		_, err = conn.Exec(ctx, shiftFixtureTimes)
	}
	conn.Close(ctx)
	if err != nil {
		t.Fatalf("restore %s: %v", fixture, err)
	}
	sealer, err := controlplane.ParseKey(upgradeKey)
	if err != nil {
		t.Fatal(err)
	}
	store, err := controlplane.Open(ctx, cpURL, sealer)
	if err != nil {
		t.Fatalf("migrate %s: %v", fixture, err)
	}
	t.Cleanup(store.Close)
	var version int
	if err := store.Pool().QueryRow(ctx, `SELECT max(version) FROM backflow.schema_migrations`).Scan(&version); err != nil || version != controlplane.LatestVersion() {
		t.Fatalf("schema version %d (%v) after Open, want %d", version, err, controlplane.LatestVersion())
	}
	return store
}

// refusingReceiver is a receiver that refuses (422) every request of new or changed records
// holding the text marker, as the old releases' receivers did.
func refusingReceiver(t *testing.T, marker string) *webhooktest.Receiver {
	recv := newReceiver(t)
	recv.Handle(func(q *webhooktest.Request, w http.ResponseWriter) bool {
		if q.Envelope != nil && q.Envelope.Operation != "deleted" && strings.Contains(string(q.Body), marker) {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte(`{"error": "refused"}`))
			return true
		}
		return false
	})
	return recv
}

// setConnection changes connection name of store as set says.
func setConnection(t *testing.T, store *controlplane.Store, name string, set func(c *controlplane.Connection)) {
	t.Helper()
	ctx := context.Background()
	c, err := store.GetConnectionByName(ctx, name)
	if err != nil {
		t.Fatalf("connection %q: %v", name, err)
	}
	set(c)
	if err := store.UpdateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// standInConnection is setConnection for a warehouse connection that a test points at a database
// standing in for the one the dump's runs read: the connection keeps the time it was last written,
// as if it had always read that database (a connection written since a cursor sync's last full
// read makes its next run read in full).
func standInConnection(t *testing.T, store *controlplane.Store, name string, set func(c *controlplane.Connection)) {
	t.Helper()
	ctx := context.Background()
	was, err := store.GetConnectionByName(ctx, name)
	if err != nil {
		t.Fatalf("connection %q: %v", name, err)
	}
	setConnection(t, store, name, set)
	if _, err := store.Pool().Exec(ctx, `UPDATE backflow.connections SET updated_at = $2 WHERE id = $1`, was.ID, was.UpdatedAt); err != nil {
		t.Fatal(err)
	}
}

func newUpgradeWorld(t *testing.T, fixture string) *upgradeWorld {
	t.Helper()
	ctx := context.Background()
	store := restoreUpgrade(t, fixture)

	// The old release's warehouse and receiver are this test's.
	whURL := controlplanetest.NewDatabase(t)
	wh := controlplanetest.Pool(t, whURL)
	if _, err := wh.Exec(ctx, upgradeUsers); err != nil {
		t.Fatal(err)
	}
	recv := refusingReceiver(t, "rej6@")
	standInConnection(t, store, "warehouse", func(c *controlplane.Connection) { c.Postgres.URL = whURL })
	setConnection(t, store, "hook", func(c *controlplane.Connection) { c.Webhook.URL = recv.URL + "/hook" })
	return &upgradeWorld{t: t, ctx: ctx, store: store, recv: recv, engine: newTestEngine(store)}
}

// run runs sync name once, which must succeed, and returns its run and what the receiver accepted.
func (w *upgradeWorld) run(name string) (*controlplane.Run, []string) {
	w.t.Helper()
	y, err := w.store.GetSyncByName(w.ctx, name)
	if err != nil {
		w.t.Fatal(err)
	}
	r, err := w.engine.Run(w.ctx, y.ID, RunOptions{})
	if r == nil || r.Status != controlplane.RunSucceeded {
		w.t.Fatalf("sync %q: run %+v, error %v", name, r, err)
	}
	got, _ := w.recv.Take(map[bool]string{true: "email", false: "id"}[y.PrimaryKey == "email"])
	return r, got
}

// check runs each case's sync twice: the first run must send what the case says, the second
// nothing (the refused record, sent again by every run that reads it as before the upgrade, is
// refused again).
func (w *upgradeWorld) check(cases []upgradeCase) {
	w.t.Helper()
	for _, c := range cases {
		r, got := w.run(c.sync)
		if !slices.Equal(got, c.want) {
			w.t.Errorf("sync %q, first run after the upgrade: the receiver got %q, want %q (run %+v)", c.sync, got, c.want, r.Counts)
		}
		if r.Counts.Rejected != c.rejected {
			w.t.Errorf("sync %q: %d records rejected, want %d", c.sync, r.Counts.Rejected, c.rejected)
		}
		if c.readFrom != "" && (r.ReadMode != "incremental" || r.ReadFrom != c.readFrom) {
			w.t.Errorf("sync %q read %q from %q, want incremental from its old mark %s", c.sync, r.ReadMode, r.ReadFrom, c.readFrom)
		}
		if _, got := w.run(c.sync); len(got) != 0 {
			w.t.Errorf("sync %q, second run after the upgrade: the receiver got %q, want nothing", c.sync, got)
		}
	}
}

// checkHistory checks that the old runs show with the new (oldRuns of them, the killed one, id 9,
// closed as canceled) on the status page too.
func (w *upgradeWorld) checkHistory(oldRuns, newRuns int) {
	w.t.Helper()
	runs, err := w.store.ListRuns(w.ctx, 0, 100)
	if err != nil {
		w.t.Fatal(err)
	}
	killed := 0
	for _, r := range runs {
		if r.ID == 9 && r.Status == controlplane.RunCanceled {
			killed++
		}
	}
	if len(runs) != oldRuns+newRuns || killed != 1 {
		w.t.Errorf("%d runs (want the %d of the old release and %d since), the killed old run canceled: %d", len(runs), oldRuns, newRuns, killed)
	}
	if os.Getenv(APITokenEnv) != "" {
		return
	}
	mirror, err := w.store.GetSyncByName(w.ctx, "mirror")
	if err != nil {
		w.t.Fatal(err)
	}
	for _, path := range []string{"/", "/syncs/" + strconv.FormatInt(mirror.ID, 10)} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = "127.0.0.1"
		rec := httptest.NewRecorder()
		Handler(w.store, nil, nil).ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "mirror") {
			w.t.Errorf("status page %s: %d %.300s", path, rec.Code, rec.Body.String())
		}
	}
}

// TestUpgradeFromVersion16 runs the current engine on a control plane that Backflow wrote at
// schema version 16 (testdata/upgrade/controlplane-v16.sql, made by that release's provider and
// runner) once the current release migrated it: its ledgers (pages stored before version 18
// compressed them), cursor marks, rejected records, runs, and what its runs left undone (a run
// killed with two batches out, one of deletes, whose intents it recorded in the old numbering;
// a run failed with a 401). Each sync must send exactly what changed since (plus what the killed
// and failed runs may not have delivered, and the refused record again), lose no delete, read
// from its mark, and then send nothing more.
func TestUpgradeFromVersion16(t *testing.T) {
	t.Parallel()
	w := newUpgradeWorld(t, "controlplane-v16.sql")
	w.check([]upgradeCase{
		// Incremental from its mark: user 4 only (1 and 13 were delivered by v16; no deletes).
		{sync: "mirror", want: []string{"changed 4"}, readFrom: "2026-11-01 23:55:13"},
		// A full read: user 4, and the refused user again.
		{sync: "upsert", want: []string{`changed "u4@example.com"`}, rejected: 1},
		{sync: "append", want: nil, rejected: 1},
		// The killed run's batches (1 and 13 may not have been delivered, 2's delete may not
		// have been applied) again, then what changed since: 4, and 5's delete.
		{sync: "killed", want: []string{"changed 1", "changed 13", "changed 4", "deleted 2", "deleted 5"}, rejected: 1},
		// The failed run's batch (1 and 13, refused with a 401) and user 4; its mark is the
		// first run's, before all of them.
		{sync: "failed", want: []string{"changed 1", "changed 13", "changed 4"}, readFrom: "2026-10-31 23:55:12", rejected: 1},
	})

	// The mirror's next full read (its full_read_every, or a changed definition, drops the mark)
	// sends the deletes its incremental reads could not see, from before and after the upgrade.
	mirror, err := w.store.GetSyncByName(w.ctx, "mirror")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Pool().Exec(w.ctx, `DELETE FROM backflow.sync_cursors WHERE sync_id = $1`, mirror.ID); err != nil {
		t.Fatal(err)
	}
	if r, got := w.run("mirror"); r.ReadMode != "full" || !slices.Equal(got, []string{"deleted 2", "deleted 5"}) {
		t.Errorf("the mirror's full read (%q) sent %q, want the deletes of 2 and 5", r.ReadMode, got)
	}
	w.checkHistory(10, 11)
}

// TestUpgradeFromVersion9 is TestUpgradeFromVersion16 from schema version 9
// (testdata/upgrade/controlplane-v9.sql), before migrations 010 to 019: intents stored
// uncompressed, syncs without cursors (so the mirror reads in full and sends its deletes).
func TestUpgradeFromVersion9(t *testing.T) {
	t.Parallel()
	w := newUpgradeWorld(t, "controlplane-v9.sql")
	w.check([]upgradeCase{
		{sync: "mirror", want: []string{"changed 4", "deleted 5"}, rejected: 1},
		{sync: "upsert", want: []string{`changed "u4@example.com"`}, rejected: 1},
		{sync: "append", want: nil, rejected: 1},
		{sync: "killed", want: []string{"changed 1", "changed 13", "changed 4", "deleted 2", "deleted 5"}, rejected: 1},
		{sync: "failed", want: []string{"changed 1", "changed 13", "changed 4"}, rejected: 1},
	})
	w.checkHistory(10, 10)
}

// TestUpgradeTypesFromVersion16: the ledgers that Backflow wrote at schema version 16
// (testdata/upgrade/controlplane-v16-types.sql) for models of many column types on Postgres,
// MariaDB and DuckDB (types-postgres.sql, types-mysql.sql, types.csv: numbers, floats, booleans,
// dates, timestamps with and without a zone, JSON, arrays, binary, uuid, interval, time), keyed
// by an integer, a uuid (a mirror) and a text, with hashed, metadata and constant mappings and a
// request block: the current release, on the same rows, sends nothing (its records' hashes and
// keys are those the old release recorded) but what warehouses.md says is sent once more after
// the upgrade (MariaDB's FLOATs), then exactly the one record that changes. The two refused
// records are sent again, as every run sends them.
func TestUpgradeTypesFromVersion16(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := restoreUpgrade(t, "controlplane-v16-types.sql")
	read := func(name string) string { return readUpgradeFile(t, name) }
	pgURL := controlplanetest.NewDatabase(t)
	pg := controlplanetest.Pool(t, pgURL)
	if _, err := pg.Exec(ctx, read("types-postgres.sql")); err != nil {
		t.Fatal(err)
	}
	standInConnection(t, store, "postgres", func(c *controlplane.Connection) { c.Postgres.URL = pgURL })
	myURL, my := warehousetest.NewMySQLDatabase(t)
	if _, err := my.ExecContext(ctx, read("types-mysql.sql")); err != nil {
		t.Fatal(err)
	}
	standInConnection(t, store, "mysql", func(c *controlplane.Connection) { c.MySQL.URL = myURL })
	csv := filepath.Join(t.TempDir(), "types.csv")
	if err := os.WriteFile(csv, []byte(read("types.csv")), 0o600); err != nil {
		t.Fatal(err)
	}
	dk, err := store.GetModelByName(ctx, "dk users")
	if err != nil {
		t.Fatal(err)
	}
	dk.SQL = strings.Replace(dk.SQL, "/tmp/upgty/users.csv", csv, 1)
	if err := store.UpdateModel(ctx, dk); err != nil {
		t.Fatal(err)
	}
	recv := refusingReceiver(t, "rej")
	setConnection(t, store, "hook", func(c *controlplane.Connection) { c.Webhook.URL = recv.URL + "/hook" })
	engine := newTestEngine(store)

	// MariaDB printed a FLOAT (r4, id / 3) in six digits before 4 Dec 2026 (0.333333 for
	// 0.33333334), and the current release sends its value: the records whose six digits were
	// not their value, all but those of the multiples of 3, are sent once more, as
	// warehouses.md says (the refused 5 is refused again).
	var floatResent []string
	for id := 1; id <= 40; id++ {
		if id%3 != 0 && id != 5 {
			floatResent = append(floatResent, "changed "+strconv.Itoa(id))
		}
	}
	slices.Sort(floatResent)
	syncs := []struct {
		name, key, changed string
		resent             []string // what the first run after the upgrade sends
	}{
		{"pg_types", "id", "changed 7", nil},
		{"pg_uuid", "u", `changed "00000000-0000-0000-0000-000000000007"`, nil},
		{"my_types", "id", "changed 7", floatResent},
		{"dk_types", "id", "changed 7", nil},
		{"pg_mapped", "email", `changed "u7@x.com"`, nil},
		{"pg_req", "", "PATCH /hook/contacts/7", nil},
	}
	haveDuckDB := slices.Contains(warehouse.Kinds(), controlplane.KindDuckDB)
	check := func(round string, first bool) {
		t.Helper()
		for _, c := range syncs {
			if c.name == "dk_types" && !haveDuckDB {
				continue // a build without cgo reads no DuckDB
			}
			y, err := store.GetSyncByName(ctx, c.name)
			if err != nil {
				t.Fatal(err)
			}
			r, err := engine.Run(ctx, y.ID, RunOptions{})
			if r == nil || r.Status != controlplane.RunSucceeded {
				t.Fatalf("sync %q: run %+v, error %v", c.name, r, err)
			}
			var got []string
			if c.key == "" { // a request block: its requests
				for _, q := range recv.Requests() {
					got = append(got, q.Method+" "+q.Path)
				}
				recv.Take("")
			} else {
				got, _ = recv.Take(c.key)
			}
			w := c.resent
			if !first {
				w = []string{c.changed}
			}
			if !slices.Equal(got, w) {
				t.Errorf("sync %q, %s: the receiver got %q, want %q (run %+v)", c.name, round, got, w, r.Counts)
			}
			if wantRejected := map[bool]int64{true: 0, false: 2}[c.key == ""]; r.Counts.Rejected != wantRejected {
				t.Errorf("sync %q, %s: %d rejected, want %d", c.name, round, r.Counts.Rejected, wantRejected)
			}
		}
	}
	check("first run after the upgrade", true)

	if _, err := pg.Exec(ctx, `UPDATE users SET name = 'changed' WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	if _, err := my.ExecContext(ctx, `UPDATE users SET name = 'changed' WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csv, []byte(strings.Replace(read("types.csv"), "\n7,u7@x.com,name 7,", "\n7,u7@x.com,changed,", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	check("after user 7 changed", false)
}

// TestUpgradeMoreTypesFromVersion16 is TestUpgradeTypesFromVersion16's first run for rarer
// types (testdata/upgrade/controlplane-v16-more-types.sql): on Postgres NaN and infinite floats,
// an infinite timestamptz, a date BC, char, json and jsonb, arrays (of timestamptz too), bytea,
// interval, timetz, ranges, inet, macaddr, bit strings, tsvector, point; on MariaDB char, enum,
// set, bit, year, time, large decimals, unsigned bigint, utf8mb4 text, JSON, datetime,
// timestamp, blobs; on DuckDB hugeint, ubigint, decimals, lists, structs and maps (of
// timestamptz and floats too), timestamp_ns, interval, blob, uuid, JSON and infinite doubles.
// The current release sends nothing but MariaDB's FLOAT values (warehouses.md).
func TestUpgradeMoreTypesFromVersion16(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := restoreUpgrade(t, "controlplane-v16-more-types.sql")
	read := func(name string) string { return readUpgradeFile(t, name) }
	pgURL := controlplanetest.NewDatabase(t)
	if _, err := controlplanetest.Pool(t, pgURL).Exec(ctx, read("more-types-postgres.sql")); err != nil {
		t.Fatal(err)
	}
	standInConnection(t, store, "postgres", func(c *controlplane.Connection) { c.Postgres.URL = pgURL })
	myURL, my := warehousetest.NewMySQLDatabase(t)
	if _, err := my.ExecContext(ctx, read("more-types-mysql.sql")); err != nil {
		t.Fatal(err)
	}
	standInConnection(t, store, "mysql", func(c *controlplane.Connection) { c.MySQL.URL = myURL })
	recv := newReceiver(t)
	setConnection(t, store, "hook", func(c *controlplane.Connection) { c.Webhook.URL = recv.URL + "/hook" })
	engine := newTestEngine(store)

	// MariaDB's FLOAT f is id / 7: all but 7's (1) were six digits that were not its value.
	var floatResent []string
	for id := 1; id <= 12; id++ {
		if id != 7 {
			floatResent = append(floatResent, "changed "+strconv.Itoa(id))
		}
	}
	slices.Sort(floatResent)
	for _, c := range []struct {
		sync string
		want []string
	}{{"pg_x", nil}, {"my_x", floatResent}, {"dk_x", nil}} {
		if c.sync == "dk_x" && !slices.Contains(warehouse.Kinds(), controlplane.KindDuckDB) {
			continue // a build without cgo reads no DuckDB
		}
		y, err := store.GetSyncByName(ctx, c.sync)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range [][]string{c.want, nil} {
			r, err := engine.Run(ctx, y.ID, RunOptions{})
			if r == nil || r.Status != controlplane.RunSucceeded || r.Counts.Invalid != 0 {
				t.Fatalf("sync %q: run %+v, error %v", c.sync, r, err)
			}
			if got, _ := recv.Take("id"); !slices.Equal(got, want) {
				t.Errorf("sync %q after the upgrade: the receiver got %q, want %q", c.sync, got, want)
			}
		}
	}
}

// TestUpgradeCursorsFromVersion16: the cursor marks that Backflow wrote at schema version 16 for
// a MariaDB model (a TIMESTAMP(3), its mark "2026-11-05 00:00:02.000") and a DuckDB one (a
// TIMESTAMPTZ, "2026-11-05 00:00:02") (testdata/upgrade/controlplane-v16-cursors.sql): the
// current release reads incrementally from them and sends what changed since, then nothing.
func TestUpgradeCursorsFromVersion16(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := restoreUpgrade(t, "controlplane-v16-cursors.sql")
	read := func(name string) string { return readUpgradeFile(t, name) }
	// User 2 changed before the last v16 runs, user 3 since.
	myURL, my := warehousetest.NewMySQLDatabase(t)
	if _, err := my.ExecContext(ctx, read("types-mysql.sql")+`
		UPDATE users SET name = 's2', updated_at = '2026-11-05 00:00:02' WHERE id = 2;
		UPDATE users SET name = 's3', updated_at = '2026-11-06 00:00:03' WHERE id = 3;`); err != nil {
		t.Fatal(err)
	}
	standInConnection(t, store, "mysql", func(c *controlplane.Connection) { c.MySQL.URL = myURL })
	// The DuckDB model reads testdata/upgrade/cursors.csv (from the package's directory, where
	// tests run): types.csv with users 2 and 3 changed so.
	recv := newReceiver(t)
	setConnection(t, store, "hook", func(c *controlplane.Connection) { c.Webhook.URL = recv.URL + "/hook" })
	engine := newTestEngine(store)
	for _, name := range []string{"my_cur", "dk_cur"} {
		if name == "dk_cur" && !slices.Contains(warehouse.Kinds(), controlplane.KindDuckDB) {
			continue // a build without cgo reads no DuckDB
		}
		y, err := store.GetSyncByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range [][]string{{"changed 3"}, nil} {
			r, err := engine.Run(ctx, y.ID, RunOptions{})
			if r == nil || r.Status != controlplane.RunSucceeded {
				t.Fatalf("sync %q: run %+v, error %v", name, r, err)
			}
			if r.ReadMode != controlplane.ReadIncremental || i == 0 && r.ReadFrom != "2026-11-04 23:55:02" {
				t.Errorf("sync %q, run %d after the upgrade, read %q from %q; want incremental, first from its v16 mark minus 5 minutes",
					name, i+1, r.ReadMode, r.ReadFrom)
			}
			if got, _ := recv.Take("id"); !slices.Equal(got, want) {
				t.Errorf("sync %q, run %d after the upgrade: the receiver got %q, want %q", name, i+1, got, want)
			}
		}
	}
}

// readUpgradeFile is testdata/upgrade/name's text.
func readUpgradeFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/upgrade/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitSchemaTooNew waits for a daemon's Run to return on done with the schema-too-new error;
// still is what it failing to end means.
func waitSchemaTooNew(t *testing.T, done <-chan error, still string) {
	t.Helper()
	select {
	case err := <-done:
		if !errors.Is(err, controlplane.ErrSchemaTooNew) {
			t.Errorf("daemon ended with %v, want the schema-too-new error", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal(still)
	}
}
