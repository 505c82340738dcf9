package controlplane_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// rekeySetup is a control plane under key old with a webhook and a warehouse connection.
type rekeySetup struct {
	ctx      context.Context
	old      *controlplane.Store // the store under the old key
	oldKey   *controlplane.Sealer
	newKey   *controlplane.Sealer
	conns    []*controlplane.Connection
	newStore *controlplane.Store // the same database under the new key
}

// newRekeySetup is on NewStore: the rekey locks the connections table, which on the shared
// database of NewTxStore would hold every other test's connection writes until it rolls back.
func newRekeySetup(t *testing.T) *rekeySetup {
	t.Helper()
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Destination: webhookConn(controlplanetest.DefaultDestinationName),
		Warehouse: &controlplane.Connection{Name: controlplanetest.DefaultWarehouseName,
			Postgres: &controlplane.PostgresConfig{URL: "postgres://u:pw-secret@h/db", StatementTimeout: time.Minute}},
	})
	s := &rekeySetup{ctx: w.Ctx, old: w.Store, oldKey: parseKey(t, w.Key), newKey: parseKey(t, controlplanetest.NewKey(t)),
		conns: []*controlplane.Connection{w.Destination, w.Warehouse}}
	s.newStore = controlplane.New(w.Store.Pool(), s.newKey)
	return s
}

func parseKey(t *testing.T, key string) *controlplane.Sealer {
	t.Helper()
	k, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sealed is every connection's sealed bytes by name.
func (s *rekeySetup) sealed(t *testing.T) map[string]string {
	t.Helper()
	rows, err := s.old.Pool().Query(s.ctx, `SELECT name, sealed_secrets FROM backflow.connections`)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for rows.Next() {
		var name string
		var b []byte
		if err := rows.Scan(&name, &b); err != nil {
			t.Fatal(err)
		}
		m[name] = string(b)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// readsAll checks that store reads every connection as it was created.
func (s *rekeySetup) readsAll(t *testing.T, store *controlplane.Store) {
	t.Helper()
	for _, want := range s.conns {
		got, err := store.GetConnection(s.ctx, want.ID)
		if err != nil {
			t.Fatalf("read %q: %v", want.Name, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateApproxTime(time.Hour)); diff != "" {
			t.Fatalf("%q after the rekey (-want +got):\n%s", want.Name, diff)
		}
	}
}

func TestRekeyRoundTrip(t *testing.T) {
	s := newRekeySetup(t) // NewStore: see newRekeySetup
	before := s.sealed(t)
	res, err := s.old.RekeyConnections(s.ctx, s.oldKey, s.newKey)
	if err != nil {
		t.Fatal(err)
	}
	if res != (controlplane.RekeyResult{Resealed: 2}) {
		t.Fatalf("rekey: %+v, want 2 resealed", res)
	}
	s.readsAll(t, s.newStore)
	for _, c := range s.conns {
		if _, err := s.old.GetConnection(s.ctx, c.ID); !errors.Is(err, controlplane.ErrWrongKey) {
			t.Fatalf("the old key still reads %q: %v", c.Name, err)
		}
	}
	after := s.sealed(t)
	for name := range before {
		if before[name] == after[name] {
			t.Errorf("%q was not resealed", name)
		}
	}

	// Run twice: the second run finds everything under the new key and writes nothing.
	res, err = s.old.RekeyConnections(s.ctx, s.oldKey, s.newKey)
	if err != nil || res != (controlplane.RekeyResult{AlreadyNew: 2}) {
		t.Fatalf("second rekey: %+v, %v; want 2 already under the new key", res, err)
	}
	if diff := cmp.Diff(after, s.sealed(t)); diff != "" {
		t.Errorf("the second rekey changed sealed bytes:\n%s", diff)
	}

	// A provider still holding the old key is refused a write after the rekey: its key opens
	// no connection any more.
	late := webhookConn("Late hook")
	if err := s.old.CreateConnection(s.ctx, late); !errors.Is(err, controlplane.ErrWrongKey) {
		t.Fatalf("a write under the old key after the rekey: %v; want ErrWrongKey", err)
	}
	// One that an earlier release let through (a copy of the first connection, under the old
	// key, sealed as releases before the connection's id was bound did): running the rekey
	// again reseals just that one.
	copied := *s.conns[0]
	late = &copied
	late.Name = "Late hook"
	legacy, err := s.old.SealLegacy(late)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.old.Pool().QueryRow(s.ctx, `INSERT INTO backflow.connections (name, kind, config, sealed_secrets)
		SELECT $1, kind, config, $2 FROM backflow.connections WHERE id = $3 RETURNING id`,
		late.Name, legacy, s.conns[0].ID).Scan(&late.ID); err != nil {
		t.Fatal(err)
	}
	s.conns = append(s.conns, late)
	res, err = s.old.RekeyConnections(s.ctx, s.oldKey, s.newKey)
	if err != nil || res != (controlplane.RekeyResult{Resealed: 1, AlreadyNew: 2, Bound: 1}) {
		t.Fatalf("rekey after a late write: %+v, %v; want 1 resealed (and bound), 2 already under the new key", res, err)
	}
	s.readsAll(t, s.newStore)

	// The new key as both keys is harmless: everything is resealed under it.
	res, err = s.old.RekeyConnections(s.ctx, s.newKey, s.newKey)
	if err != nil || res != (controlplane.RekeyResult{Resealed: 3}) {
		t.Fatalf("rekey to the same key: %+v, %v; want 3 resealed", res, err)
	}
	s.readsAll(t, s.newStore)
}

func TestSameKey(t *testing.T) {
	a, b := controlplanetest.NewKey(t), controlplanetest.NewKey(t)
	if !parseKey(t, a).SameKey(parseKey(t, a)) || parseKey(t, a).SameKey(parseKey(t, b)) {
		t.Fatal("SameKey does not tell keys apart")
	}
}

func TestRekeyWrongOldKeyChangesNothing(t *testing.T) {
	s := newRekeySetup(t) // NewStore: see newRekeySetup
	before := s.sealed(t)
	wrong := parseKey(t, controlplanetest.NewKey(t))
	_, err := s.old.RekeyConnections(s.ctx, wrong, s.newKey)
	var re *controlplane.RekeyError
	if !errors.As(err, &re) || !errors.Is(err, controlplane.ErrWrongKey) || re.Connection != s.conns[0].Name {
		t.Fatalf("rekey with a wrong old key: %v; want a RekeyError naming %q", err, s.conns[0].Name)
	}
	for _, secret := range []string{"secret-path", "very-secret-token", "whsec_", "pw-secret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows %q: %v", secret, err)
		}
	}
	if diff := cmp.Diff(before, s.sealed(t)); diff != "" {
		t.Fatalf("a failed rekey changed sealed bytes:\n%s", diff)
	}
	s.readsAll(t, s.old)

	// One connection the old key cannot open, after one it can: still nothing changes.
	if _, err := s.old.Pool().Exec(s.ctx, `UPDATE backflow.connections SET sealed_secrets = $2 WHERE id = $1`,
		s.conns[1].ID, []byte("not sealed under any key, long enough")); err != nil {
		t.Fatal(err)
	}
	before = s.sealed(t)
	_, err = s.old.RekeyConnections(s.ctx, s.oldKey, s.newKey)
	if !errors.As(err, &re) || re.Connection != s.conns[1].Name {
		t.Fatalf("rekey with an unreadable connection: %v; want a RekeyError naming %q", err, s.conns[1].Name)
	}
	if diff := cmp.Diff(before, s.sealed(t)); diff != "" {
		t.Fatalf("a failed rekey changed sealed bytes:\n%s", diff)
	}
	if _, err := s.old.GetConnection(s.ctx, s.conns[0].ID); err != nil {
		t.Fatalf("the first connection is no longer under the old key: %v", err)
	}
}

// TestRekeyWaitsForAnApply: a provider apply that has locked a connection (as UpdateConnection
// does) when the rekey starts finishes first, and the rekey then reseals what it wrote: nothing is
// left under the old key, and the two do not deadlock.
func TestRekeyWaitsForAnApply(t *testing.T) {
	s := newRekeySetup(t) // NewStore: see newRekeySetup
	// What the apply writes, sealed under the old key.
	changed := webhookConn(s.conns[0].Name)
	changed.ID = s.conns[0].ID
	changed.Webhook.URL = "https://hooks.example.test/changed-during-rekey"
	written, err := s.old.SealFor(changed)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.old.Pool().Begin(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(s.ctx)
	if _, err := tx.Exec(s.ctx, `SELECT kind FROM backflow.connections WHERE id = $1 FOR UPDATE`, s.conns[0].ID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		res controlplane.RekeyResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := s.old.RekeyConnections(s.ctx, s.oldKey, s.newKey)
		done <- result{res, err}
	}()
	deadline := time.Now().Add(time.Minute)
	for waiting := false; !waiting; {
		// The only session that can wait for a lock here is the rekey's.
		err := s.old.Pool().QueryRow(s.ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-done:
			t.Fatalf("the rekey did not wait for the apply: %+v, %v", r.res, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the rekey to wait for the apply's lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := tx.Exec(s.ctx, `UPDATE backflow.connections SET sealed_secrets = $2 WHERE id = $1`, s.conns[0].ID, written); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(s.ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.res != (controlplane.RekeyResult{Resealed: 2}) {
		t.Fatalf("rekey: %+v, %v; want 2 resealed", r.res, r.err)
	}
	got, err := s.newStore.GetConnection(s.ctx, s.conns[0].ID)
	if err != nil || got.Webhook.URL != changed.Webhook.URL {
		t.Fatalf("the apply's write after the rekey: %v; want it resealed under the new key", err)
	}
}

// Connections sealed by releases before the connection's id was bound (the same additional data
// for every row) still open, and a rekey, even to the same key, seals them with their id: their
// sealed bytes then no longer open in another connection's row.
func TestRekeyBindsLegacySealedSecrets(t *testing.T) {
	s := newRekeySetup(t) // NewStore: see newRekeySetup
	for _, c := range s.conns {
		legacy, err := s.old.SealLegacy(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.old.Pool().Exec(s.ctx, `UPDATE backflow.connections SET sealed_secrets = $2 WHERE id = $1`, c.ID, legacy); err != nil {
			t.Fatal(err)
		}
	}
	s.readsAll(t, s.old)
	// A write checks its key against them as against any.
	if err := s.old.CreateConnection(s.ctx, webhookConn("another hook")); err != nil {
		t.Fatalf("a write with the key of legacy sealed secrets: %v", err)
	}
	res, err := s.old.RekeyConnections(s.ctx, s.oldKey, s.oldKey)
	if err != nil || res != (controlplane.RekeyResult{Resealed: 3, Bound: 2}) {
		t.Fatalf("rekey to the same key: %+v, %v; want 3 resealed, the 2 legacy ones bound", res, err)
	}
	s.readsAll(t, s.old)
	// Legacy sealed bytes already under the new key are sealed with their id too, not skipped.
	for _, c := range s.conns[:1] {
		legacy, err := s.newStore.SealLegacy(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.old.Pool().Exec(s.ctx, `UPDATE backflow.connections SET sealed_secrets = $2 WHERE id = $1`, c.ID, legacy); err != nil {
			t.Fatal(err)
		}
	}
	res, err = s.old.RekeyConnections(s.ctx, s.oldKey, s.newKey)
	if err != nil || res != (controlplane.RekeyResult{Resealed: 3, Bound: 1}) {
		t.Fatalf("rekey: %+v, %v; want 3 resealed (one of them legacy under the new key, bound)", res, err)
	}
	s.readsAll(t, s.newStore)
	if _, err := s.old.Pool().Exec(s.ctx, `UPDATE backflow.connections SET sealed_secrets =
		(SELECT sealed_secrets FROM backflow.connections WHERE id = $2) WHERE id = $1`, s.conns[1].ID, s.conns[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.newStore.GetConnection(s.ctx, s.conns[1].ID); !errors.Is(err, controlplane.ErrWrongKey) {
		t.Fatalf("after the rekey, another connection's sealed secrets: %v; want ErrWrongKey", err)
	}
}

// A rekey to the same key binds what an earlier release sealed, but a copy of the earlier sealed
// bytes (a backup, a dump, bytes read before the rekey) still opens in any connection's row under
// that key: only a rekey to another key retires them (what the daemon's warning and rekey say).
func TestLegacyCopiesOpenUntilARekeyToAnotherKey(t *testing.T) {
	s := newRekeySetup(t) // NewStore: see newRekeySetup
	dest, wh := s.conns[0], s.conns[1]
	legacy, err := s.old.SealLegacy(dest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.old.Pool().Exec(s.ctx, `UPDATE backflow.connections SET sealed_secrets = $2 WHERE id = $1`, dest.ID, legacy); err != nil {
		t.Fatal(err)
	}
	res, err := s.old.RekeyConnections(s.ctx, s.oldKey, s.oldKey)
	if err != nil || res.Bound != 1 {
		t.Fatalf("rekey to the same key: %+v, %v; want the legacy one bound", res, err)
	}
	// The earlier sealed bytes, copied into the warehouse's row (a webhook's, into a webhook
	// connection's row, would read as that row's URL and credentials).
	copyIn := func() {
		t.Helper()
		if _, err := s.old.Pool().Exec(s.ctx, `UPDATE backflow.connections SET kind = 'webhook', config = (SELECT config FROM backflow.connections WHERE id = $3),
			sealed_secrets = $2 WHERE id = $1`, wh.ID, legacy, dest.ID); err != nil {
			t.Fatal(err)
		}
	}
	copyIn()
	if got, err := s.old.GetConnection(s.ctx, wh.ID); err != nil || got.Webhook == nil || got.Webhook.URL != dest.Webhook.URL {
		t.Fatalf("after a rekey to the same key, a copy of the legacy sealed bytes in another row: %+v, %v; want it read (still under the key)", got, err)
	}
	if _, err := s.old.Pool().Exec(s.ctx, `UPDATE backflow.connections SET kind = 'postgres', config = '{}' WHERE id = $1`, wh.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.old.UpdateConnection(s.ctx, wh); err != nil {
		t.Fatal(err)
	}
	if _, err := s.old.RekeyConnections(s.ctx, s.oldKey, s.newKey); err != nil {
		t.Fatal(err)
	}
	copyIn()
	if _, err := s.newStore.GetConnection(s.ctx, wh.ID); !errors.Is(err, controlplane.ErrWrongKey) {
		t.Fatalf("after a rekey to another key, a copy of the legacy sealed bytes: %v; want ErrWrongKey", err)
	}
}
