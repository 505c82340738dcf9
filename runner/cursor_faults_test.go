package runner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// TestCursorWarehouseSessionEndedMidRead: the warehouse ends the session of a mirror's full read
// (a restart, an administrator) while rows stream. The run fails, sends nothing (no delete for the
// keys it had not read yet) and leaves the mark; the next run sends the change.
func TestCursorWarehouseSessionEndedMidRead(t *testing.T) {
	t.Parallel()
	c := newConformance(t, conformanceWarehouseNamed(t, controlplane.KindPostgres))
	c.exec(`CREATE TABLE cur (id int, v int, c timestamptz);
		INSERT INTO cur SELECT g, 1, '2020-01-01 00:00:00+00'::timestamptz + g * interval '1 second' FROM generate_series(1, 600) g;
		CREATE FUNCTION slow(int) RETURNS int AS 'select pg_sleep(0.004); select $1' LANGUAGE sql VOLATILE`)
	c.model("select slow(id) as id, v, c from cur", "id", controlplane.BehaviorMirror, 50)
	c.describe()
	c.sync.Cursor = "c"
	if err := c.store.UpdateSync(c.ctx, c.sync); err != nil {
		t.Fatal(err)
	}
	c.run(controlplane.RunSucceeded)
	if n := len(c.sent("id")); n != 600 {
		t.Fatalf("the first run sent %d records, want 600", n)
	}
	c.exec(`UPDATE cur SET v = 2, c = '2020-06-01 00:00:00+00' WHERE id = 599`)
	expireFullRead(t, c.store, c.sync.ID)
	cfg, err := pgx.ParseConfig(c.wc.Postgres.URL)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(context.Background(), c.wc.Postgres.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	ended := make(chan bool, 1)
	go func() {
		for range 1000 {
			time.Sleep(10 * time.Millisecond)
			var n int
			if err := admin.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%slow(id)%'
				AND now() - query_start > interval '300 milliseconds'`, cfg.Database).Scan(&n); err == nil && n > 0 {
				ended <- true
				return
			}
		}
		ended <- false
	}()
	run, err := c.engine.Run(c.ctx, c.sync.ID, RunOptions{})
	if !<-ended {
		t.Fatal("the read's session was never seen to end")
	}
	if run == nil || run.Status != controlplane.RunFailed || err == nil || !strings.Contains(err.Error(), "terminating connection") {
		t.Fatalf("a run whose read was cut short: %+v, %v; want it failed, saying why", run, err)
	}
	if sent := c.sent("id"); len(sent) != 0 {
		t.Fatalf("a run whose read was cut short sent %v", sent)
	}
	run, _ = c.run(controlplane.RunSucceeded)
	if sent := c.sent("id"); !slices.Equal(sent, []string{"changed 599"}) || run.ReadMode != controlplane.ReadFull {
		t.Errorf("the next run, a %s read, sent %v; want a full read that sends changed 599", run.ReadMode, sent)
	}
}

// TestCursorRunEndNotRecorded: an incremental run delivers, then the control plane stays away
// longer than the run gives its end (the end, with the mark, is not recorded). The next run reads
// from the mark before it, and sends only what changed since (what the first delivered is in the
// ledger); the run after it reads from the mark that run saved.
func TestCursorRunEndNotRecorded(t *testing.T) {
	t.Parallel()
	f := cursorFixture(t, controlplane.BehaviorMirror)
	f.run(controlplane.RunSucceeded, RunOptions{})
	f.recv.Take("id")
	f.exec(`UPDATE users SET name = 'X', updated_at = '2023-01-01 00:00:00' WHERE id IN (1, 2)`)
	f.engine.finishTimeout = time.Second
	var end func()
	f.engine.beforeFinish = func() { end = f.outage() }
	run, err := f.engine.Run(f.ctx, f.sync.ID, RunOptions{})
	if !errors.Is(err, ErrEndNotRecorded) || run == nil {
		t.Fatalf("run %+v: %v; want ErrEndNotRecorded", run, err)
	}
	if sent, _ := f.recv.Take("id"); !slices.Equal(sent, []string{"changed 1", "changed 2"}) {
		t.Fatalf("the run whose end was not recorded sent %v", sent)
	}
	end()
	f.engine.beforeFinish = nil
	f.exec(`UPDATE users SET name = 'Y', updated_at = '2023-01-01 00:00:00' WHERE id = 3`)
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	if sent, _ := f.recv.Take("id"); !slices.Equal(sent, []string{"changed 3"}) || run.ReadFrom != "2022-04-04 03:59:04" {
		t.Errorf("the next run read from %q and sent %v; want from the mark before (2022-04-04 03:59:04), changed 3", run.ReadFrom, sent)
	}
	f.exec(`UPDATE users SET name = 'Z', updated_at = '2023-01-01 00:00:01' WHERE id = 4`)
	run = f.run(controlplane.RunSucceeded, RunOptions{})
	if sent, _ := f.recv.Take("id"); !slices.Equal(sent, []string{"changed 4"}) || run.ReadFrom != "2022-12-31 23:55:00" {
		t.Errorf("the run after read from %q and sent %v; want from 2022-12-31 23:55:00, changed 4", run.ReadFrom, sent)
	}
}
