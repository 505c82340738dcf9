package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// rekeyWorld is a control plane with two connections sealed under the key old.
type rekeyWorld struct {
	*world
	old   string
	conns []*controlplane.Connection
}

func newRekeyWorld(t *testing.T) *rekeyWorld {
	t.Helper()
	cw := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{
		Destination: &controlplane.Connection{Name: controlplanetest.DefaultDestinationName, Webhook: &controlplane.WebhookConfig{
			URL: "https://hooks.example.test/secret-path", Method: "POST",
			Headers:       map[string]string{"Authorization": "Bearer very-secret-token"},
			SigningSecret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0"}},
		Warehouse: &controlplane.Connection{Name: controlplanetest.DefaultWarehouseName,
			Postgres: &controlplane.PostgresConfig{URL: "postgres://u:pw-secret@h/db"}},
	})
	w := &rekeyWorld{world: &world{t: t, ctx: cw.Ctx, store: cw.Store}, old: cw.Key,
		conns: []*controlplane.Connection{cw.Destination, cw.Warehouse}}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "BACKFLOW_") {
			w.env = append(w.env, e)
		}
	}
	w.env = append(w.env, controlplane.DatabaseURLEnv+"="+cw.URL)
	return w
}

// rekey runs `backflow-runner rekey args...` with the extra environment variables.
func (w *rekeyWorld) rekey(env []string, args ...string) (int, string, string) {
	w.t.Helper()
	saved := w.env
	w.env = append(append([]string(nil), w.env...), env...)
	defer func() { w.env = saved }()
	return w.runCmd(append([]string{"rekey"}, args...)...)
}

// sealed is every connection's sealed bytes by name.
func (w *rekeyWorld) sealed() map[string]string {
	w.t.Helper()
	rows, err := w.store.Pool().Query(w.ctx, `SELECT name, sealed_secrets FROM backflow.connections`)
	if err != nil {
		w.t.Fatal(err)
	}
	m := map[string]string{}
	for rows.Next() {
		var name string
		var b []byte
		if err := rows.Scan(&name, &b); err != nil {
			w.t.Fatal(err)
		}
		m[name] = string(b)
	}
	if err := rows.Err(); err != nil {
		w.t.Fatal(err)
	}
	return m
}

// readsAll checks that key opens every connection as it was created, and the other keys none.
func (w *rekeyWorld) readsAll(key string, not ...string) {
	w.t.Helper()
	store := controlplane.New(w.store.Pool(), mustKey(w.t, key))
	for _, want := range w.conns {
		got, err := store.GetConnection(w.ctx, want.ID)
		if err != nil {
			w.t.Fatalf("read %q: %v", want.Name, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateApproxTime(1e12)); diff != "" {
			w.t.Fatalf("%q (-want +got):\n%s", want.Name, diff)
		}
		for _, k := range not {
			if _, err := controlplane.New(w.store.Pool(), mustKey(w.t, k)).GetConnection(w.ctx, want.ID); !errors.Is(err, controlplane.ErrWrongKey) {
				w.t.Fatalf("a previous key still reads %q: %v", want.Name, err)
			}
		}
	}
}

// noSecrets fails when output shows a key or a connection secret.
func (w *rekeyWorld) noSecrets(what, out string, keys ...string) {
	w.t.Helper()
	for _, s := range append(keys, "secret-path", "very-secret-token", "whsec_", "pw-secret") {
		if strings.Contains(out, s) {
			w.t.Errorf("%s shows a secret (%q):\n%s", what, s, out)
		}
	}
}

func mustKey(t *testing.T, key string) *controlplane.Sealer {
	t.Helper()
	k, err := controlplane.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRekeyRoundTrip(t *testing.T) {
	t.Parallel()
	w := newRekeyWorld(t)
	next := controlplanetest.NewKey(t)
	env := []string{controlplane.SecretKeyEnv + "=" + w.old, newSecretKeyEnv + "=" + next}
	before := w.sealed()

	code, out, errOut := w.rekey(env)
	w.noSecrets("rekey", out+errOut, w.old, next)
	if code != 0 || !strings.Contains(out, "resealed 2 of 2 connections under the new key") ||
		!strings.Contains(out, "restart") || !strings.Contains(out, "provider") {
		t.Fatalf("rekey: exit %d\n%s\n%s", code, out, errOut)
	}
	w.readsAll(next, w.old)
	after := w.sealed()
	for name := range before {
		if before[name] == after[name] {
			t.Errorf("%q was not resealed", name)
		}
	}

	// Run twice: nothing left to reseal, nothing changes.
	code, out, errOut = w.rekey(env)
	if code != 0 || !strings.Contains(out, "resealed 0 of 2 connections under the new key (2 were already under it)") {
		t.Fatalf("second rekey: exit %d\n%s\n%s", code, out, errOut)
	}
	if diff := cmp.Diff(after, w.sealed()); diff != "" {
		t.Fatalf("the second rekey changed sealed bytes:\n%s", diff)
	}

	// Keys from files, and from a variable named by a flag: rotate again.
	dir := t.TempDir()
	third := controlplanetest.NewKey(t)
	oldFile, newFile := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	if err := os.WriteFile(oldFile, []byte(next+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(newFile, []byte(third+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = w.rekey(nil, "--old-key-file", oldFile, "--new-key-file", newFile)
	w.noSecrets("rekey with key files", out+errOut, w.old, next, third)
	if code != 0 || !strings.Contains(out, "resealed 2 of 2") {
		t.Fatalf("rekey with key files: exit %d\n%s\n%s", code, out, errOut)
	}
	w.readsAll(third, w.old, next)
	code, out, errOut = w.rekey([]string{"MY_OLD_KEY=" + third, newSecretKeyEnv + "=" + w.old}, "--old-key-env", "MY_OLD_KEY")
	if code != 0 || !strings.Contains(out, "resealed 2 of 2") {
		t.Fatalf("rekey --old-key-env: exit %d\n%s\n%s", code, out, errOut)
	}
	w.readsAll(w.old, next, third)

	// The new key the same as the old: harmless, and said.
	same := []string{controlplane.SecretKeyEnv + "=" + w.old, newSecretKeyEnv + "=" + w.old}
	code, out, errOut = w.rekey(same)
	if code != 0 || !strings.Contains(errOut, "is the current key") || strings.Contains(out, "Next:") {
		t.Fatalf("rekey to the same key: exit %d\n%s\n%s", code, out, errOut)
	}
	w.readsAll(w.old)
}

func TestRekeyWrongOldKeyChangesNothing(t *testing.T) {
	t.Parallel()
	w := newRekeyWorld(t)
	before := w.sealed()
	wrong, next := controlplanetest.NewKey(t), controlplanetest.NewKey(t)
	code, out, errOut := w.rekey([]string{controlplane.SecretKeyEnv + "=" + wrong, newSecretKeyEnv + "=" + next})
	w.noSecrets("rekey with a wrong key", out+errOut, wrong, next, w.old)
	if code != 1 || !strings.Contains(errOut, `connection "Webhook Test"`) || !strings.Contains(errOut, "nothing was changed") ||
		!strings.Contains(errOut, "$"+controlplane.SecretKeyEnv) {
		t.Fatalf("rekey with a wrong old key: exit %d\n%s\n%s", code, out, errOut)
	}
	if diff := cmp.Diff(before, w.sealed()); diff != "" {
		t.Fatalf("a failed rekey changed sealed bytes:\n%s", diff)
	}
	w.readsAll(w.old, next)

	// Missing or malformed keys stop it before it touches anything.
	for _, tc := range []struct {
		env  []string
		args []string
		code int
		want string
	}{
		{[]string{controlplane.SecretKeyEnv + "=" + w.old}, nil, 1, newSecretKeyEnv + " is not set"},
		{[]string{newSecretKeyEnv + "=" + next}, nil, 1, controlplane.SecretKeyEnv + " is not set"},
		{[]string{controlplane.SecretKeyEnv + "=" + w.old, newSecretKeyEnv + "=c2hvcnQ="}, nil, 1, newSecretKeyEnv + " decodes to 5 bytes"},
		{[]string{controlplane.SecretKeyEnv + "=" + w.old}, []string{"--new-key-file", filepath.Join(t.TempDir(), "missing")}, 1, "read the new key"},
		{nil, []string{"--old-key-env", "X", "--old-key-file", "f"}, 2, "not both"},
		{nil, []string{"extra"}, 2, "takes no arguments"},
	} {
		code, out, errOut := w.rekey(tc.env, tc.args...)
		w.noSecrets("rekey", out+errOut, w.old, next)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("rekey %v %v: exit %d, want %d and %q\n%s\n%s", tc.env, tc.args, code, tc.code, tc.want, out, errOut)
		}
	}
	if diff := cmp.Diff(before, w.sealed()); diff != "" {
		t.Fatalf("a refused rekey changed sealed bytes:\n%s", diff)
	}

	code, out, errOut = w.rekey([]string{controlplane.SecretKeyEnv + "=" + w.old, newSecretKeyEnv + "=" + next}, "--help")
	w.noSecrets("rekey --help", out+errOut, w.old, next)
	for _, want := range []string{"Usage: backflow-runner rekey", newSecretKeyEnv, "-old-key-file", "-new-key-env", "$" + controlplane.DatabaseURLEnv} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("rekey --help: exit %d, no %q\n%s", code, want, out)
		}
	}
}

// A rekey to the same key binds what an earlier release sealed, and says that copies of the
// earlier sealed values still open in any connection's row under that key until a rekey to a
// new key: the daemon's warning sends users here, and "bound" alone would promise more.
func TestRekeyToTheSameKeySaysLegacyCopiesStillOpen(t *testing.T) {
	t.Parallel()
	w := newRekeyWorld(t)
	// As releases before the binding sealed it: the same additional data for every connection.
	legacy := mustKey(t, w.old).Seal([]byte(`{"url":"postgres://u:pw-secret@h/db"}`), []byte("backflow connection secrets"))
	if _, err := w.store.Pool().Exec(w.ctx, `UPDATE backflow.connections SET sealed_secrets = $2 WHERE id = $1`,
		w.conns[1].ID, legacy); err != nil {
		t.Fatal(err)
	}
	same := []string{controlplane.SecretKeyEnv + "=" + w.old, newSecretKeyEnv + "=" + w.old}
	code, out, errOut := w.rekey(same)
	w.noSecrets("rekey", out+errOut, w.old)
	if code != 0 || !strings.Contains(out, "1 of them, sealed by an earlier release, are now bound") ||
		!strings.Contains(out, "rekey to a new key to retire them") {
		t.Fatalf("rekey to the same key of a legacy sealed connection: exit %d\n%s\n%s", code, out, errOut)
	}
	w.readsAll(w.old)
	// Run again: nothing is legacy any more, nothing said.
	code, out, errOut = w.rekey(same)
	if code != 0 || strings.Contains(out, "earlier release") {
		t.Fatalf("second rekey to the same key: exit %d\n%s\n%s", code, out, errOut)
	}
}
