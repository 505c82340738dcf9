package controlplane_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	pool := controlplanetest.Pool(t, dbURL)

	var wg sync.WaitGroup
	applied := make([][]int, 4)
	errs := make([]error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = controlplane.Migrate(ctx, pool)
		}()
	}
	wg.Wait()
	total := 0
	for i := range 4 {
		if errs[i] != nil {
			t.Fatalf("migrate %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if want := len(controlplane.Migrations()); total != want {
		t.Fatalf("migrations applied %d times in all, want exactly %d", total, want)
	}
	again, err := controlplane.Migrate(ctx, pool)
	if err != nil || len(again) != 0 {
		t.Fatalf("second migrate: applied %v, err %v; want nothing", again, err)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	dbURL := controlplanetest.NewDatabase(t)
	pool := controlplanetest.Pool(t, dbURL)
	if _, err := controlplane.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	next := controlplane.LatestVersion() + 1
	if _, err := pool.Exec(ctx, `INSERT INTO backflow.schema_migrations (version, name) VALUES ($1, 'future')`, next); err != nil {
		t.Fatal(err)
	}
	_, err := controlplane.Migrate(ctx, pool)
	if !errors.Is(err, controlplane.ErrSchemaTooNew) {
		t.Fatalf("got %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{"version " + strconv.Itoa(next), "1 to " + strconv.Itoa(next-1)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestParseKey(t *testing.T) {
	for _, tc := range []struct{ name, key, want string }{
		{"missing", "", "BACKFLOW_SECRET_KEY is not set"},
		{"not base64", "not*base64!", "not valid base64"},
		{"too short", "c2hvcnQ=", "decodes to 5 bytes, want 32"},
		// `openssl rand -hex 32` is valid base64 too, of 48 bytes: say what it is.
		{"hex", strings.Repeat("9f", 32), "looks like hex"},
		{"hex of 16", strings.Repeat("0a", 16) + "\n", "looks like hex"},
		{"url-safe base64", "-_" + strings.Repeat("A", 41) + "=", "URL-safe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := controlplane.ParseKey(tc.key)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "openssl rand -base64 32") {
				t.Fatalf("ParseKey(%q) = %v, want an error saying %q and how to make a key", tc.key, err, tc.want)
			}
		})
	}
	if _, err := controlplane.ParseKey(controlplanetest.NewKey(t)); err != nil {
		t.Fatal(err)
	}
}

func webhookConn(name string) *controlplane.Connection {
	return &controlplane.Connection{Name: name, Webhook: &controlplane.WebhookConfig{
		URL: "https://hooks.example.test/secret-path", Method: "POST",
		Headers:       map[string]string{"Authorization": "Bearer very-secret-token"},
		SigningSecret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0", MaxRequestsPerSecond: 30, TestOnSave: true,
	}}
}

func TestConnectionsRoundTripSealed(t *testing.T) {
	ctx := context.Background()
	store, _ := controlplanetest.NewTxStore(t)

	hook := webhookConn("Webhook Test")
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	wh := &controlplane.Connection{Name: "Analytics warehouse", Postgres: &controlplane.PostgresConfig{URL: "postgres://u:pw-secret@h/db"}}
	if err := store.CreateConnection(ctx, wh); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetConnectionByName(ctx, "Webhook Test")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hook, got, cmpopts.EquateApproxTime(1e9)); diff != "" {
		t.Fatalf("webhook connection round trip (-want +got):\n%s", diff)
	}
	// Auth: the OAuth2 client secret and the basic-auth password are sealed, the rest kept.
	for _, c := range []*controlplane.Connection{
		{Name: "OAuth2 hook", Webhook: &controlplane.WebhookConfig{URL: "https://api.example.com/in", Method: "POST",
			OAuth2: &controlplane.OAuth2Config{TokenURL: "https://auth.example.com/token", ClientID: "backflow",
				ClientSecret: "oauth-client-secret", Scopes: []string{"a", "b"}, Parameters: map[string]string{"audience": "x"}}}},
		{Name: "Basic hook", Webhook: &controlplane.WebhookConfig{URL: "https://api.example.com/in", Method: "PUT",
			BasicAuth: &controlplane.BasicAuth{Username: "backflow", Password: "basic-password"}}},
	} {
		if err := store.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := store.GetConnection(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, got, cmpopts.EquateApproxTime(1e9)); diff != "" {
			t.Fatalf("%s round trip (-want +got):\n%s", c.Name, diff)
		}
	}
	if got, err := store.LookupConnection(ctx, strconv.FormatInt(wh.ID, 10)); err != nil || got.Postgres.URL != wh.Postgres.URL {
		t.Fatalf("lookup by id: %v %v", got, err)
	}

	// Nothing secret is readable from the control plane without the key.
	raw := store.DB()
	rows, err := raw.Query(ctx, `SELECT t::text FROM backflow.connections t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"secret-path", "very-secret-token", "whsec_", "pw-secret", "oauth-client-secret", "basic-password"} {
			if strings.Contains(line, secret) {
				t.Errorf("row %s holds %q in clear", line, secret)
			}
		}
	}

	// Another key cannot open them, and says so.
	other, err := controlplane.ParseKey(controlplanetest.NewKey(t))
	if err != nil {
		t.Fatal(err)
	}
	wrong := controlplane.New(raw, other)
	_, err = wrong.GetConnection(ctx, hook.ID)
	if !errors.Is(err, controlplane.ErrWrongKey) {
		t.Fatalf("read with the wrong key: %v, want ErrWrongKey", err)
	}
	// No key at all: a clear error naming the variable.
	_, err = controlplane.New(raw, nil).GetConnection(ctx, hook.ID)
	if !errors.Is(err, controlplane.ErrNoSecretKey) || !strings.Contains(err.Error(), "BACKFLOW_SECRET_KEY") {
		t.Fatalf("read without a key: %v", err)
	}
}

func TestNamesUniqueAndDependentsRefused(t *testing.T) {
	ctx := context.Background()
	store, _, _ := controlplanetest.NewStore(t) // NewStore: a refused INSERT aborts the transaction NewTxStore's store runs in

	wh := &controlplane.Connection{Name: "wh", Postgres: &controlplane.PostgresConfig{URL: "postgres://x/y"}}
	hook := webhookConn("hook")
	for _, c := range []*controlplane.Connection{wh, hook} {
		if err := store.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.CreateConnection(ctx, webhookConn("hook")); !errors.Is(err, controlplane.ErrNameTaken) {
		t.Fatalf("duplicate connection name: %v, want ErrNameTaken", err)
	}
	m := &controlplane.Model{Name: "active users", ConnectionID: wh.ID, SQL: "select 1 as id",
		Columns: []controlplane.Column{{Name: "id", Type: "int4"}}}
	if err := store.CreateModel(ctx, m); err != nil {
		t.Fatal(err)
	}
	y := &controlplane.Sync{Name: "Users to hook", ModelID: m.ID, DestinationID: hook.ID, Behavior: controlplane.BehaviorMirror,
		PrimaryKey: "id", ScheduleEvery: "15m", BatchSize: 100,
		Mappings: []controlplane.Mapping{{From: "id", To: "user_id"}, {Constant: ptr("crm"), To: "source"}}}
	if err := store.CreateSync(ctx, y); err != nil {
		t.Fatal(err)
	}
	gotSync, err := store.LookupSync(ctx, "Users to hook")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(y, gotSync, cmpopts.EquateApproxTime(1e9)); diff != "" {
		t.Fatalf("sync round trip (-want +got):\n%s", diff)
	}

	var inUse *controlplane.InUseError
	err = store.DeleteConnection(ctx, wh.ID)
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), `model "active users"`) {
		t.Fatalf("delete used warehouse: %v", err)
	}
	err = store.DeleteConnection(ctx, hook.ID)
	if !errors.Is(err, controlplane.ErrInUse) || !strings.Contains(err.Error(), `sync "Users to hook"`) {
		t.Fatalf("delete used webhook: %v", err)
	}
	err = store.DeleteModel(ctx, m.ID)
	if !errors.Is(err, controlplane.ErrInUse) || !strings.Contains(err.Error(), `sync "Users to hook"`) {
		t.Fatalf("delete used model: %v", err)
	}

	// Pausing records a reason; unpausing through an update clears it.
	if err := store.PauseSync(ctx, y.ID, "410 Gone"); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.GetSync(ctx, y.ID); !got.Paused || got.PausedReason != "410 Gone" {
		t.Fatalf("after pause: %+v", got)
	}
	y.Paused = false
	if err := store.UpdateSync(ctx, y); err != nil || y.PausedReason != "" {
		t.Fatalf("unpause: %v, reason %q", err, y.PausedReason)
	}

	for _, del := range []func() error{
		func() error { return store.DeleteSync(ctx, y.ID) },
		func() error { return store.DeleteModel(ctx, m.ID) },
		func() error { return store.DeleteConnection(ctx, wh.ID) },
		func() error { return store.DeleteConnection(ctx, hook.ID) },
	} {
		if err := del(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.GetSync(ctx, y.ID); !errors.Is(err, controlplane.ErrNotFound) {
		t.Fatalf("deleted sync: %v", err)
	}
	if err := store.DeleteSync(ctx, y.ID); !errors.Is(err, controlplane.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestModelQuery(t *testing.T) {
	m := controlplane.Model{Table: "analytics.Users"}
	if got, want := m.Query(), `SELECT * FROM "analytics"."Users"`; got != want {
		t.Errorf("Query() = %s, want %s", got, want)
	}
	if s, tb := controlplane.SplitTable(m.Table, "public"); s != "analytics" || tb != "Users" {
		t.Errorf("SplitTable() = %s, %s", s, tb)
	}
	if s, tb := controlplane.SplitTable("users", "main"); s != "main" || tb != "users" {
		t.Errorf("SplitTable() = %s, %s", s, tb)
	}
	if s, tb := controlplane.SplitTable("", "main"); s != "" || tb != "" {
		t.Errorf("SplitTable() = %s, %s", s, tb)
	}
}

func TestUpdateConnectionRefusesKindChangeWithoutWriting(t *testing.T) {
	ctx := context.Background()
	store, _ := controlplanetest.NewTxStore(t)
	wh := &controlplane.Connection{Name: "wh", Postgres: &controlplane.PostgresConfig{URL: "postgres://x/y"}}
	if err := store.CreateConnection(ctx, wh); err != nil {
		t.Fatal(err)
	}
	changed := webhookConn("renamed")
	changed.ID = wh.ID
	if err := store.UpdateConnection(ctx, changed); err == nil || !strings.Contains(err.Error(), "cannot become a webhook") {
		t.Fatalf("kind change: %v", err)
	}
	got, err := store.GetConnection(ctx, wh.ID)
	if err != nil || got.Name != "wh" || got.Postgres == nil || got.Postgres.URL != "postgres://x/y" {
		t.Fatalf("after a refused kind change the row changed: %+v %v", got, err)
	}
	changed.ID = 999999
	if err := store.UpdateConnection(ctx, changed); !errors.Is(err, controlplane.ErrNotFound) {
		t.Fatalf("update of a missing connection: %v", err)
	}
}

func TestDeleteSyncDeletesItsLedger(t *testing.T) {
	ctx := context.Background()
	store, a := newTxRunnerSync(t)
	b := &controlplane.Sync{Name: a.Name + " b", ModelID: a.ModelID, DestinationID: a.DestinationID,
		Behavior: controlplane.BehaviorMirror, PrimaryKey: "id", BatchSize: 10}
	if err := store.CreateSync(ctx, b); err != nil {
		t.Fatal(err)
	}
	ids := []int64{a.ID, b.ID}
	pool := store.DB()
	if _, err := pool.Exec(ctx, `INSERT INTO backflow.sync_ledger (sync_id, key, hash)
		SELECT s, k::text, '\x00' FROM unnest($1::bigint[]) s, generate_series(1, 3) k`, ids); err != nil {
		t.Fatal(err)
	}
	if err := store.DeleteSync(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	var left, other int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE sync_id = $1), count(*) FILTER (WHERE sync_id = $2)
		FROM backflow.sync_ledger`, ids[0], ids[1]).Scan(&left, &other); err != nil {
		t.Fatal(err)
	}
	if left != 0 || other != 3 {
		t.Fatalf("after deleting sync a: %d of its ledger rows left (want 0), %d of b's (want 3)", left, other)
	}
}
