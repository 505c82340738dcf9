package controlplane_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
)

// A webhook connection a notification sends to is in use like one a sync delivers to: deleting
// it is refused with the notification named, not with Postgres's foreign-key error.
func TestDeleteConnectionUsedByNotification(t *testing.T) {
	ctx := context.Background()
	store, _ := controlplanetest.NewTxStore(t)
	hook := webhookConn("alerts hook (" + t.Name() + ")")
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatal(err)
	}
	n := &controlplane.Notification{Name: "Sync failures (" + t.Name() + ")", DestinationID: hook.ID,
		Events: []string{"run.failed"}}
	if err := store.CreateNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	err := store.DeleteConnection(ctx, hook.ID)
	if !errors.Is(err, controlplane.ErrInUse) || !strings.Contains(err.Error(), `notification "`+n.Name+`"`) {
		t.Fatalf("delete a connection a notification uses: %v; want ErrInUse naming the notification", err)
	}
	if err := store.DeleteNotification(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.DeleteConnection(ctx, hook.ID); err != nil {
		t.Fatalf("delete the connection once the notification is gone: %v", err)
	}
}

// A store whose key is not the one the control plane's connections are sealed with (a typo, a
// staging key, a provider not yet given the rotated key) writes nothing: a connection it sealed
// would open for no runner, and would make every later rekey fail ("neither the old key nor the
// new key opens its secrets").
func TestWriteWithAnotherKeyIsRefused(t *testing.T) {
	ctx := context.Background()
	store, _, key := controlplanetest.NewStore(t) // NewStore: a second store must see the first's rows
	first := webhookConn("hook")
	// An empty control plane takes any key: the first write chooses it.
	if err := store.CreateConnection(ctx, first); err != nil {
		t.Fatal(err)
	}
	other := controlplane.New(store.Pool(), parseKey(t, controlplanetest.NewKey(t)))
	second := webhookConn("other hook")
	err := other.CreateConnection(ctx, second)
	if !errors.Is(err, controlplane.ErrWrongKey) {
		t.Fatalf("create under another key: %v; want ErrWrongKey", err)
	}
	if _, err := store.GetConnectionByName(ctx, "other hook"); !errors.Is(err, controlplane.ErrNotFound) {
		t.Fatalf("the refused connection was stored: %v", err)
	}
	changed := webhookConn("hook")
	changed.ID = first.ID
	changed.Webhook.URL = "https://hooks.example.test/changed"
	if err := other.UpdateConnection(ctx, changed); !errors.Is(err, controlplane.ErrWrongKey) {
		t.Fatalf("update under another key: %v; want ErrWrongKey", err)
	}
	got, err := store.GetConnection(ctx, first.ID)
	if err != nil || got.Webhook.URL != first.Webhook.URL {
		t.Fatalf("after a refused update the connection reads %v, %v; want it unchanged under its key", got, err)
	}
	// The right key still writes, and a rekey finds everything under one key.
	if err := store.CreateConnection(ctx, second); err != nil {
		t.Fatal(err)
	}
	res, err := store.RekeyConnections(ctx, parseKey(t, key), parseKey(t, controlplanetest.NewKey(t)))
	if err != nil || res.Resealed != 2 {
		t.Fatalf("rekey: %+v, %v; want 2 resealed", res, err)
	}
}

// The longest name the provider lets through (MaxNameLength characters) fits the unique index on
// names even when every character is 4 bytes and nothing compresses.
func TestLongestNameFits(t *testing.T) {
	ctx := context.Background()
	store, _ := controlplanetest.NewTxStore(t)
	var b strings.Builder
	for i := range controlplane.MaxNameLength {
		b.WriteRune(rune(0x20000 + (i*7919)%40000)) // CJK Extension B: 4 bytes each, no repeats to compress
	}
	name := b.String()
	hook := webhookConn(name)
	if err := store.CreateConnection(ctx, hook); err != nil {
		t.Fatalf("a connection named with %d characters (%d bytes): %v", controlplane.MaxNameLength, len(name), err)
	}
	if err := store.CreateNotification(ctx, &controlplane.Notification{Name: name, DestinationID: hook.ID,
		Events: []string{"run.failed"}}); err != nil {
		t.Fatalf("a notification named with %d characters: %v", controlplane.MaxNameLength, err)
	}
	wh := &controlplane.Connection{Name: "wh (" + t.Name() + ")", Postgres: &controlplane.PostgresConfig{URL: "postgres://x/y"}}
	if err := store.CreateConnection(ctx, wh); err != nil {
		t.Fatal(err)
	}
	m := &controlplane.Model{Name: name, ConnectionID: wh.ID, SQL: "select 1 as id",
		Columns: []controlplane.Column{{Name: "id", Type: "int4"}}}
	if err := store.CreateModel(ctx, m); err != nil {
		t.Fatalf("a model named with %d characters: %v", controlplane.MaxNameLength, err)
	}
	y := &controlplane.Sync{Name: name, ModelID: m.ID, DestinationID: hook.ID, Behavior: controlplane.BehaviorAppend,
		PrimaryKey: "id", BatchSize: 100}
	if err := store.CreateSync(ctx, y); err != nil {
		t.Fatalf("a sync named with %d characters: %v", controlplane.MaxNameLength, err)
	}
}

// A warehouse's timeouts come back spelled as they were written ("90s", not "1m30s"), for every
// kind, so that an import reads what the configuration says; a spelling that does not mean the
// stored timeout (the milliseconds written by another hand) is dropped, never shown for it.
func TestTimeoutSpellingKept(t *testing.T) {
	ctx := context.Background()
	store, _ := controlplanetest.NewTxStore(t)
	sp := controlplane.TimeoutSpelling{StatementTimeout: "90s", LockTimeout: "2500ms"}
	conns := []*controlplane.Connection{
		{Name: "pg (" + t.Name() + ")", Postgres: &controlplane.PostgresConfig{URL: "postgres://h/db",
			StatementTimeout: 90 * time.Second, LockTimeout: 2500 * time.Millisecond, Spelled: sp}},
		{Name: "my (" + t.Name() + ")", MySQL: &controlplane.MySQLConfig{URL: "mysql://h/db",
			StatementTimeout: 90 * time.Second, LockTimeout: 2500 * time.Millisecond, Spelled: sp}},
		{Name: "dd (" + t.Name() + ")", DuckDB: &controlplane.DuckDBConfig{Database: ":memory:",
			StatementTimeout: 90 * time.Second, Spelled: controlplane.TimeoutSpelling{StatementTimeout: "90s"}}},
		// Spelled as another duration, or for a timeout left unset: not kept.
		{Name: "wrong (" + t.Name() + ")", Postgres: &controlplane.PostgresConfig{URL: "postgres://h/db",
			StatementTimeout: time.Minute, Spelled: sp}},
	}
	want := []controlplane.TimeoutSpelling{sp, sp, {StatementTimeout: "90s"}, {}}
	for i, c := range conns {
		if err := store.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := store.LookupConnection(ctx, c.Name)
		if err != nil {
			t.Fatal(err)
		}
		var spelled controlplane.TimeoutSpelling
		switch {
		case got.Postgres != nil:
			spelled = got.Postgres.Spelled
		case got.MySQL != nil:
			spelled = got.MySQL.Spelled
		case got.DuckDB != nil:
			spelled = got.DuckDB.Spelled
		}
		if spelled != want[i] {
			t.Errorf("%s: read back spelled %+v, want %+v", c.Name, spelled, want[i])
		}
	}
}

// A connection's sealed secrets open only in its own row: sealed bytes swapped between two
// connections, or copied into another, are refused naming the connection, never read as the
// other's URL and credentials (a runner would have sent one sync's records, with another
// destination's token, to that destination).
func TestSealedSecretsAreBoundToTheirConnection(t *testing.T) {
	ctx := context.Background()
	store, _, _ := controlplanetest.NewStore(t) // NewStore: the test rewrites rows with the pool
	a, b := webhookConn("hook A"), webhookConn("hook B")
	b.Webhook.URL = "https://other.example.test/b-path"
	b.Webhook.Headers = map[string]string{"Authorization": "Bearer b-token-1234"}
	wh := &controlplane.Connection{Name: "warehouse", Postgres: &controlplane.PostgresConfig{URL: "postgres://u:pw-secret@h/db"}}
	for _, c := range []*controlplane.Connection{a, b, wh} {
		if err := store.CreateConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := store.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE backflow.connections c SET sealed_secrets = o.sealed_secrets FROM backflow.connections o
		WHERE (c.id, o.id) IN (($1, $2), ($2, $1))`, a.ID, b.ID)
	for _, c := range []*controlplane.Connection{a, b} {
		got, err := store.GetConnection(ctx, c.ID)
		if err == nil {
			t.Fatalf("connection %q with the other hook's sealed secrets read as %s %v; want it refused",
				c.Name, got.Webhook.URL, got.Webhook.Headers)
		}
		if !errors.Is(err, controlplane.ErrWrongKey) || !strings.Contains(err.Error(), `connection "`+c.Name+`"`) {
			t.Fatalf("connection %q with the other hook's sealed secrets: %v; want ErrWrongKey naming it", c.Name, err)
		}
	}
	exec(`UPDATE backflow.connections SET sealed_secrets = (SELECT sealed_secrets FROM backflow.connections WHERE id = $2)
		WHERE id = $1`, wh.ID, a.ID)
	if got, err := store.GetConnection(ctx, wh.ID); !errors.Is(err, controlplane.ErrWrongKey) {
		t.Fatalf("a warehouse with a webhook's sealed secrets: %+v, %v; want ErrWrongKey", got, err)
	}
}

// The token URL, stored in the clear, is where the runner sends the client secret: one changed in
// the control plane does not get it. The scopes are not bound (an edit of them outside Terraform
// is drift the plan shows).
func TestOAuth2TokenURLIsBoundToTheClientSecret(t *testing.T) {
	ctx := context.Background()
	store, _, _ := controlplanetest.NewStore(t) // NewStore: the test rewrites rows with the pool
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := store.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.CreateConnection(ctx, webhookConn("other hook")); err != nil {
		t.Fatal(err)
	}
	crm := webhookConn("crm")
	crm.Webhook.Headers = nil
	crm.Webhook.OAuth2 = &controlplane.OAuth2Config{TokenURL: "https://auth.example.test/token", ClientID: "id",
		ClientSecret: "client-secret-1234", Scopes: []string{"a"}}
	if err := store.CreateConnection(ctx, crm); err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE backflow.connections SET config = jsonb_set(config, '{oauth2,scopes}', '["b"]') WHERE id = $1`, crm.ID)
	if got, err := store.GetConnection(ctx, crm.ID); err != nil || got.Webhook.OAuth2.Scopes[0] != "b" {
		t.Fatalf("after an edit of the scopes: %+v, %v; want them read", got, err)
	}
	exec(`UPDATE backflow.connections SET config = jsonb_set(config, '{oauth2,token_url}', '"https://evil.example.test/token"')
		WHERE id = $1`, crm.ID)
	if got, err := store.GetConnection(ctx, crm.ID); !errors.Is(err, controlplane.ErrWrongKey) ||
		!strings.Contains(err.Error(), `connection "crm"`) {
		t.Fatalf("a connection whose token URL was changed in the control plane: %+v, %v; want ErrWrongKey naming it", got, err)
	}
	// Written again through the store (what an apply does), it opens with its new token URL.
	crm.Webhook.OAuth2.TokenURL = "https://auth2.example.test/token"
	if err := store.UpdateConnection(ctx, crm); err != nil {
		t.Fatal(err)
	}
	if got, err := store.GetConnection(ctx, crm.ID); err != nil || got.Webhook.OAuth2.TokenURL != crm.Webhook.OAuth2.TokenURL {
		t.Fatalf("after an update of the token URL: %+v, %v", got, err)
	}
}

// A row inserted with its own id (or restored without its id sequence's value) past the
// sequence: the next create draws that id and is refused. That is not the name's fault: the
// error says the sequence is behind and how to set it, not "already exists: import it" about a
// name no row has.
func TestCreateAfterARowInsertedWithItsOwnID(t *testing.T) {
	ctx := context.Background()
	store, _, _ := controlplanetest.NewStore(t) // NewStore: the test inserts a row with the pool
	first := webhookConn("first")
	if err := store.CreateConnection(ctx, first); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Pool().Exec(ctx, `INSERT INTO backflow.connections (id, name, kind, config, sealed_secrets)
		OVERRIDING SYSTEM VALUE SELECT $1, 'restored', kind, config, sealed_secrets FROM backflow.connections WHERE id = $2`,
		first.ID+1, first.ID); err != nil {
		t.Fatal(err)
	}
	err := store.CreateConnection(ctx, webhookConn("second"))
	if err == nil || errors.Is(err, controlplane.ErrNameTaken) || !strings.Contains(err.Error(), "setval(pg_get_serial_sequence('backflow.connections', 'id')") {
		t.Fatalf("a create whose id a row inserted with its own id took: %v; want the id sequence named as behind, not the name as taken", err)
	}
	// The name is still refused as taken.
	if err := store.CreateConnection(ctx, webhookConn("first")); !errors.Is(err, controlplane.ErrNameTaken) {
		t.Fatalf("a second connection named first: %v; want ErrNameTaken", err)
	}
}
