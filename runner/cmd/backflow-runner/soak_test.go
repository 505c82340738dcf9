package main

import (
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// newViewHook is a receiver whose View rebuilds what a receiving side holds: per key, `changed`
// sets the record and `deleted` removes it, in arrival order. Each request waits a little before
// its answer, so that kills land mid-request too.
func newViewHook(t *testing.T) *webhooktest.Receiver {
	h := webhooktest.New(t)
	h.Handle(func(*webhooktest.Request, http.ResponseWriter) bool {
		time.Sleep(time.Millisecond)
		return false
	})
	return h
}

// soakWarehouse is a warehouse TestSIGKILLSoak runs on: it holds the users table the model
// reads (unique_id, email, first_name, version), changes it between runs, and says what it holds.
type soakWarehouse interface {
	// newWorld makes the warehouse with users 1 to n, version 1, and the world whose model reads
	// them, synced to hookURL.
	newWorld(t *testing.T, n int, hookURL string, batchSize int) *world
	// change adds 1 to the version of about 5% of the users, deletes about 2%, and inserts the
	// 20 users from next: all of it seen by the next run that starts. With soakKind.seq, the
	// rows it updates or inserts get seq next.
	change(next int)
	// versions is each user's version by key, as the receiver's view holds them (JSON numbers).
	versions() map[string]float64
}

// soakWarehouses are the warehouses TestSIGKILLSoak runs on, by kind; DuckDB's two (a Parquet
// file, a database file) are added by soak_duckdb_test.go in cgo builds.
var soakWarehouses = []soakKind{
	{controlplane.KindPostgres, []string{soakMirror, soakUpdateOrCreate}, func() soakWarehouse { return &postgresSoak{} }},
	{controlplane.KindMySQL, []string{soakMirror, soakUpdateOrCreate, soakCursor},
		func() soakWarehouse { return &mysqlSoak{} }},
}

// soakKind names a soakWarehouse's kind, says which soaks run on it, and makes one.
type soakKind struct {
	kind  string
	soaks []string // soakMirror, soakUpdateOrCreate, soakCursor
	new   func() soakWarehouse
}

// The soaks of TestSIGKILLSoak, named as its subtests. soakCursor is an update_or_create sync
// whose cursor is seq: the warehouse's users have a column seq that change sets, on the rows it
// updates or inserts, to a value higher than any before, so a run that reads from the mark the
// last successful run left reads every change (and no delete: a cursor's runs see none).
// (TestSIGKILLSoakCursor soaks Postgres's cursors.)
const (
	soakMirror         = controlplane.BehaviorMirror
	soakUpdateOrCreate = controlplane.BehaviorUpdateOrCreate
	soakCursor         = controlplane.BehaviorUpdateOrCreate + "_cursor"
)

// TestSIGKILLSoak kills `backflow-runner sync` at random points of 24 runs while the warehouse
// gets inserts, updates and deletes between them, then runs the sync to completion: the
// receiver's view, rebuilt in arrival order, must equal the warehouse exactly (mirror), or hold
// the current version of every warehouse key (update_or_create). A crash between a 2xx and the
// ledger commit must lose no delete: the next run adopts the batch's intent. It runs on each
// warehouse kind: Postgres, MariaDB (BACKFLOW_TEST_MYSQL_URL) and, in cgo builds, DuckDB reading
// a Parquet file or a database file that the test rewrites between runs; on MariaDB and DuckDB's
// Parquet, an update_or_create sync with a cursor too.
func TestSIGKILLSoak(t *testing.T) {
	for _, wk := range soakWarehouses {
		t.Run(wk.kind, func(t *testing.T) {
			t.Parallel()
			for _, soak := range wk.soaks {
				t.Run(soak, func(t *testing.T) {
					t.Parallel()
					if soak == soakCursor {
						soakSIGKILL(t, wk.new(), controlplane.BehaviorUpdateOrCreate, "seq")
					} else {
						soakSIGKILL(t, wk.new(), soak, "")
					}
				})
			}
		})
	}
}

// soakSIGKILL is one TestSIGKILLSoak: behavior's sync of wh's users, its cursor the column
// cursor ("": none).
func soakSIGKILL(t *testing.T, wh soakWarehouse, behavior, cursor string) {
	rng := rand.New(rand.NewPCG(soakSeed(t), 1))
	h := newViewHook(t)
	w := wh.newWorld(t, 2000, h.URL, 25)
	w.sync.Behavior = behavior
	if cursor != "" {
		w.describeModel()
		w.sync.Cursor = cursor
	}
	if err := w.store.UpdateSync(w.ctx, w.sync); err != nil {
		t.Fatal(err)
	}
	next := 2001
	kills := 0
	for i := 0; i < 24; i++ {
		if i > 0 {
			wh.change(next)
			next += 20
		}
		c := w.cmd("sync", "Active users to webhook", "--concurrency", "3")
		c.Stderr = io.Discard
		stdout, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// exited is closed when the process has exited (its stdout closed): a run that ended
		// sends nothing more, so there is nothing left to wait for before the kill, which then
		// lands after the end of the run, as it would later.
		exited := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, stdout); close(exited) }()
		if i%2 == 0 {
			// Anywhere from before the first request to after the end of the run.
			select {
			case <-time.After(time.Duration(rng.IntN(400)) * time.Millisecond):
			case <-exited:
			}
		} else {
			// Right after a 2xx: most likely before the run recorded it.
			for n := 1 + rng.IntN(6); n > 0; n-- {
				select {
				case <-h.Answered():
				case <-exited:
					n = 0
				case <-time.After(5 * time.Second):
					n = 0
				}
			}
		}
		if c.Process.Kill() == nil {
			kills++
		}
		select {
		case <-exited:
		case <-time.After(time.Minute):
			t.Fatal("the killed runner's stdout is still open a minute later")
		}
		_ = c.Wait()
	}
	if kills < 20 {
		t.Fatalf("only %d of the runs were killed", kills)
	}
	code, stdout, stderr := w.runCmd("sync", "Active users to webhook")
	if code != 0 {
		t.Fatalf("clean sync: exit %d\n%s\n%s", code, stdout, stderr)
	}

	want := wh.versions()
	view := h.View()
	bad := 0
	for k, v := range want {
		got := view[k]
		if got == nil || got["version"] != v {
			if bad++; bad <= 10 {
				t.Errorf("key %s: the receiver holds %v, the warehouse version %v", k, got, v)
			}
		}
	}
	if behavior == controlplane.BehaviorMirror {
		for k := range view {
			if _, ok := want[k]; !ok {
				if bad++; bad <= 10 {
					t.Errorf("key %s: still at the receiver, gone from the warehouse", k)
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d keys differ after %d kills (%d requests received)", bad, kills, h.Seen())
	}
	t.Logf("%d kills, %d requests, %d keys, all equal", kills, h.Seen(), len(want))
	// Nothing stale in the ledger either: no run is left running, and a second clean run finds
	// nothing to send.
	runs, err := w.store.ListRuns(w.ctx, w.sync.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]int{}
	for _, r := range runs {
		statuses[r.Status]++
	}
	if statuses[controlplane.RunRunning] > 0 {
		t.Errorf("runs left running after the clean run: %v", statuses)
	}
	seen := h.Seen()
	code, stdout, stderr = w.runCmd("sync", "Active users to webhook")
	nothing := regexp.MustCompile(`new\s+0\n\s+changed\s+0\n\s+deleted\s+0\n\s+delivered\s+0\n`)
	if code != 0 || h.Seen() != seen || !nothing.MatchString(stdout) {
		t.Errorf("a second clean sync: exit %d, %d more requests\n%s\n%s", code, h.Seen()-seen, stdout, stderr)
	}
	t.Logf("runs by status: %v", statuses)
}

// soakSeed is a soak's seed: BACKFLOW_SOAK_SEED's, to replay a failure's, else a new one. It is
// logged, with how to replay it.
func soakSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := strings.TrimSpace(os.Getenv("BACKFLOW_SOAK_SEED")); s != "" {
		_, _ = fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (BACKFLOW_SOAK_SEED=%d replays it)", seed, seed)
	return seed
}

// warehouseVersions is each warehouse user's version by key, as the receiver's view holds them
// (JSON numbers).
func (w *world) warehouseVersions() map[string]float64 {
	w.t.Helper()
	rows, err := w.wh.Query(w.ctx, `SELECT unique_id, version FROM users`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	return collectVersions(w.t, rows)
}

// postgresSoak is the Postgres warehouse of newWorld.
type postgresSoak struct{ w *world }

func (p *postgresSoak) newWorld(t *testing.T, n int, hookURL string, batchSize int) *world {
	p.w = newWorld(t, n, hookURL, batchSize)
	return p.w
}

func (p *postgresSoak) change(next int) {
	p.w.exec(`UPDATE users SET version = version + 1 WHERE random() < 0.05`)
	p.w.exec(`DELETE FROM users WHERE random() < 0.02`)
	p.w.exec(`INSERT INTO users SELECT i, 'user' || i || '@example.com', 'User ' || i
		FROM generate_series($1::int, $1::int + 19) AS i`, next)
}

func (p *postgresSoak) versions() map[string]float64 { return p.w.warehouseVersions() }

// mysqlSoak is a MariaDB or MySQL warehouse database of the test (BACKFLOW_TEST_MYSQL_URL).
type mysqlSoak struct {
	t  *testing.T
	db *sql.DB
}

func (m *mysqlSoak) newWorld(t *testing.T, n int, hookURL string, batchSize int) *world {
	t.Helper()
	var url string
	m.t = t
	url, m.db = warehousetest.NewMySQLDatabase(t)
	m.exec(`CREATE TABLE users (unique_id BIGINT PRIMARY KEY, email VARCHAR(255), first_name VARCHAR(255),
		version INT NOT NULL DEFAULT 1, seq BIGINT NOT NULL)`)
	m.exec(`INSERT INTO users (unique_id, email, first_name, seq) VALUES ` + usersValues(1, n, 0))
	return newWorldOf(t, controlplanetest.WorldOpts{
		Warehouse: &controlplane.Connection{Name: controlplanetest.DefaultWarehouseName,
			MySQL: &controlplane.MySQLConfig{URL: url}},
		Model: &controlplane.Model{SQL: "select * from users"},
	}, hookURL, batchSize)
}

func (m *mysqlSoak) exec(q string) {
	m.t.Helper()
	if _, err := m.db.Exec(q); err != nil {
		m.t.Fatalf("warehouse: %v", err)
	}
}

func (m *mysqlSoak) change(next int) {
	m.exec(fmt.Sprintf(`UPDATE users SET version = version + 1, seq = %d WHERE RAND() < 0.05`, next))
	m.exec(`DELETE FROM users WHERE RAND() < 0.02`)
	m.exec(`INSERT INTO users (unique_id, email, first_name, seq) VALUES ` + usersValues(next, 20, next))
}

func (m *mysqlSoak) versions() map[string]float64 {
	m.t.Helper()
	return scanVersions(m.t, m.db)
}

// usersValues is the VALUES list (unique_id, email, first_name, seq) of the n users from first,
// as newWorld's users are, their seq seq.
func usersValues(first, n, seq int) string {
	var b strings.Builder
	for i := first; i < first+n; i++ {
		if i > first {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 'user%d@example.com', 'User %d', %d)", i, i, i, seq)
	}
	return b.String()
}

// scanVersions is warehouseVersions on a database/sql warehouse.
func scanVersions(t *testing.T, db *sql.DB) map[string]float64 {
	t.Helper()
	rows, err := db.Query(`SELECT unique_id, version FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	return collectVersions(t, rows)
}

// versionRows is what collectVersions reads: pgx's rows or database/sql's.
type versionRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// collectVersions is each user's version by key of rows of (unique_id, version), as the
// receiver's view holds them (JSON numbers).
func collectVersions(t *testing.T, rows versionRows) map[string]float64 {
	t.Helper()
	want := map[string]float64{}
	for rows.Next() {
		var id int64
		var v int
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		want[fmt.Sprint(id)] = float64(v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return want
}
