package runner

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// sessionChange is one change of a warehouse session's settings, as a user or DBA makes it:
// apply changes the warehouse connection conn (a copy of the one the test began with: its URL's
// parameters, its init_sql), which the test then stores, or runs SQL on the warehouse (exec: an
// ALTER DATABASE ... SET).
type sessionChange struct {
	name  string
	apply func(conn *controlplane.Connection, exec func(string, ...any))
}

// conformSessions: what a run reads (each record's JSON, each key's text, a mirror's deletes)
// does not depend on the session's output settings (time zone, date and interval styles, float
// digits, ...). Every key column of ss is synced by a mirror (or by update_or_create:
// upsertSessionKeys), and the whole table by an
// update_or_create sync keyed on id; after a first run, each of the warehouse's session changes
// in turn, a run of every sync sends nothing: nothing new, changed or deleted, no invalid row.
func conformSessions(t *testing.T, w conformanceWarehouse) {
	if w.sessionTable == "" {
		t.Skip("no session settings for this warehouse")
	}
	c := newConformance(t, w)
	c.exec(w.sessionTable)
	type keyed struct {
		sync *controlplane.Sync
		key  string
	}
	var syncs []keyed
	for _, key := range w.sessionKeys {
		if slices.Contains(w.upsertSessionKeys, key) {
			c.model("select * from ss", key, controlplane.BehaviorUpdateOrCreate, 100)
		} else {
			c.model("select * from ss", key, controlplane.BehaviorMirror, 100)
		}
		syncs = append(syncs, keyed{c.sync, key})
	}
	c.model("select * from ss", "id", controlplane.BehaviorUpdateOrCreate, 100)
	syncs = append(syncs, keyed{c.sync, "id (update_or_create)"})
	for _, s := range syncs {
		c.sync = s.sync
		run, _ := c.run(controlplane.RunSucceeded)
		if run.Counts.Invalid != 0 || run.Counts.New == 0 {
			t.Errorf("key %s: first run counts %+v, want no invalid row", s.key, run.Counts)
		}
	}
	c.recv.Take("")
	base := *c.wc
	for _, change := range w.sessions {
		conn := base
		switch {
		case base.Postgres != nil:
			cfg := *base.Postgres
			conn.Postgres = &cfg
		case base.MySQL != nil:
			cfg := *base.MySQL
			conn.MySQL = &cfg
		case base.DuckDB != nil:
			cfg := *base.DuckDB
			conn.DuckDB = &cfg
		}
		change.apply(&conn, c.exec)
		if err := c.store.UpdateConnection(c.ctx, &conn); err != nil {
			t.Fatal(err)
		}
		for _, s := range syncs {
			run, err := c.engine.Run(c.ctx, s.sync.ID, RunOptions{})
			if run == nil {
				t.Fatalf("%s, key %s: run not recorded: %v", change.name, s.key, err)
			}
			n := run.Counts
			if run.Status != controlplane.RunSucceeded || n.New != 0 || n.Changed != 0 || n.Deleted != 0 || n.Invalid != 0 {
				t.Errorf("%s, key %s: run %s (error %v) with counts new %d, changed %d, deleted %d, invalid %d; want it to send nothing",
					change.name, s.key, run.Status, err, n.New, n.Changed, n.Deleted, n.Invalid)
			}
			if recs := c.rawRecords(); len(recs) != 0 {
				t.Errorf("%s, key %s: sent %d records, first %.300s", change.name, s.key, len(recs), recs[0])
			}
		}
	}
}

// pgParams is a change of a Postgres connection's URL: parameters set as its startup parameters
// (TimeZone=..., or options=-c ...), replacing those of the previous change.
func pgParams(name string, params ...string) sessionChange {
	return sessionChange{name: name, apply: func(conn *controlplane.Connection, _ func(string, ...any)) {
		u, err := url.Parse(conn.Postgres.URL)
		if err != nil {
			panic(err)
		}
		q := u.Query()
		for _, p := range params {
			k, v, _ := strings.Cut(p, "=")
			q.Set(k, v)
		}
		// pgx reads a '+' in a parameter as itself: a blank is %20.
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		conn.Postgres.URL = u.String()
	}}
}

// pgDatabase is an ALTER DATABASE ... SET of the warehouse database: the database's default for
// every session, as a DBA sets it (ALTER ROLE ... SET is the same to a session).
func pgDatabase(setting, value string) sessionChange {
	return sessionChange{name: "ALTER DATABASE SET " + setting + " " + value, apply: func(_ *controlplane.Connection, exec func(string, ...any)) {
		exec(fmt.Sprintf(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %%I SET %s TO %%L', current_database(), '%s'); END $$`, setting, value))
	}}
}

// mysqlParams is a change of a MySQL connection's URL: the driver's parameters, which set
// session variables when it connects (time_zone='-05:00', sql_mode=...), replacing those of the
// previous change.
func mysqlParams(name string, params ...string) sessionChange {
	return sessionChange{name: name, apply: func(conn *controlplane.Connection, _ func(string, ...any)) {
		u, err := url.Parse(conn.MySQL.URL)
		if err != nil {
			panic(err)
		}
		q := u.Query()
		for _, p := range params {
			k, v, _ := strings.Cut(p, "=")
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		conn.MySQL.URL = u.String()
	}}
}

// duckInit is a change of a DuckDB connection's init_sql: the statements run after the test's
// own.
func duckInit(statements string) sessionChange {
	return sessionChange{name: "init_sql " + statements, apply: func(conn *controlplane.Connection, _ func(string, ...any)) {
		conn.DuckDB.InitSQL += "; " + statements
	}}
}
