package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

func summaries(diags diag.Diagnostics) []string {
	var out []string
	for _, d := range diags.Errors() {
		out = append(out, d.Summary())
	}
	return out
}

// Only a missing row is "Not Found"; an unreachable database or a wrong key says what it is.
func TestRefReadError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("connection 7: %w", controlplane.ErrNotFound), "Connection Not Found"},
		{fmt.Errorf("open secrets: %w", controlplane.ErrWrongKey), "Cannot Decrypt Connection Secrets"},
		{errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"), "Cannot Read Connection"},
		// Terraform's interrupt (Ctrl-C) is no unreachable database, as the hint said.
		{fmt.Errorf("read connection 7: %w", context.Canceled), "Interrupted"},
	} {
		var diags diag.Diagnostics
		refReadError(&diags, path.Root("connection_id"), "Connection Not Found", "connection", 7, `The model "m"`,
			"Point connection_id at an existing postgres connection.", tt.err)
		got := summaries(diags)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%v: diagnostics %v, want [%s]", tt.err, got, tt.want)
		}
		if d := diags.Errors()[0].Detail(); !strings.Contains(d, tt.err.Error()) {
			t.Errorf("%v: the detail does not carry the original error:\n%s", tt.err, d)
		}
	}
	var canceled diag.Diagnostics
	storeError(&canceled, "create", "sync", "s", fmt.Errorf("insert: %w", context.Canceled))
	if got := summaries(canceled); len(got) != 1 || got[0] != "Interrupted" ||
		strings.Contains(canceled.Errors()[0].Detail(), "reachable") {
		t.Errorf("a canceled create: %v %v, want [Interrupted] without the reachability hint", got, canceled)
	}
	var diags diag.Diagnostics
	storeError(&diags, "read", "connection", "hook", fmt.Errorf("x: %w", controlplane.ErrWrongKey))
	d := diags.Errors()[0].Detail()
	if !strings.Contains(d, "`secret_key`") || !strings.Contains(d, controlplane.SecretKeyEnv) {
		t.Errorf("a wrong key does not point at secret_key and %s:\n%s", controlplane.SecretKeyEnv, d)
	}
}

// A control plane that stopped answering mid-apply (a network cut, a failover) said "Check that
// the control-plane database is reachable and `secret_key` is the key it was written with", and
// nothing of an update or a delete that may have been made before the answer was lost.
func TestStoreErrorUnreachable(t *testing.T) {
	for _, tt := range []struct {
		action string
		err    error
		maybe  bool
	}{
		{"update", fmt.Errorf("commit: %w", pgconn.ErrConnClosed), true},
		{"delete", fmt.Errorf("delete sync 3: %w", io.ErrUnexpectedEOF), true},
		{"read", fmt.Errorf("read sync: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), false},
	} {
		var diags diag.Diagnostics
		storeError(&diags, tt.action, "sync", "s", tt.err)
		got := summaries(diags)
		d := diags.Errors()[0].Detail()
		if len(got) != 1 || got[0] != "Control Plane Unreachable" || strings.Contains(d, "secret_key") {
			t.Errorf("%s: %v:\n%s\nwant Control Plane Unreachable, without the key hint", tt.action, got, d)
		}
		if strings.Contains(d, "may have been made") != tt.maybe {
			t.Errorf("%s: says it may have been made: %v, want %v:\n%s", tt.action, !tt.maybe, tt.maybe, d)
		}
	}
}

// A control plane whose connection slots are all taken (max_connections, or the CONNECTION LIMIT
// of the provider's role: a plan's parallel reads open several connections) answers every new
// connection "too many connections" (SQLSTATE 53300). It was reported as "Control Plane
// Unreachable: the control plane stopped answering (a network cut, a restart, a failover)",
// which it did not: it answered, refusing for want of a slot, and waiting for it to answer
// again does nothing while the slots stay taken.
func TestStoreErrorOutOfConnectionSlots(t *testing.T) {
	_, err := pgconn.Connect(t.Context(), controlplanetest.FullServer(t))
	if err == nil {
		t.Fatal("a full server took a connection")
	}
	var diags diag.Diagnostics
	storeError(&diags, "read", "connection", "c", fmt.Errorf("read: %w", err))
	got := summaries(diags)
	d := diags.Errors()[0].Detail()
	if len(got) != 1 || got[0] != "Control Plane Out of Connections" || strings.Contains(d, "stopped answering") ||
		!strings.Contains(d, "CONNECTION LIMIT") {
		t.Errorf("%v:\n%s\nwant Control Plane Out of Connections, naming the limits, not a control plane that stopped answering", got, d)
	}
}

func TestWebhookCheckErrorOnce(t *testing.T) {
	var diags diag.Diagnostics
	webhookCheckError(&diags, "hook", &webhook.CheckError{Method: "POST", Status: 500, Body: "database is on fire"})
	d := diags.Errors()[0].Detail()
	if n := strings.Count(d, "database is on fire"); n != 1 {
		t.Errorf("the body appears %d times, want once:\n%s", n, d)
	}
	if n := strings.Count(d, "500"); n != 1 {
		t.Errorf("the status appears %d times, want once:\n%s", n, d)
	}
}

// updateResource runs r's Update with m as both the prior state and the plan.
func updateResource(t *testing.T, r resource.Resource, m any) diag.Diagnostics {
	t.Helper()
	ctx := context.Background()
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	plan := tfsdk.Plan{Schema: sr.Schema}
	state := tfsdk.State{Schema: sr.Schema}
	if d := append(plan.Set(ctx, m), state.Set(ctx, m)...); d.HasError() {
		t.Fatalf("build the request: %v", d)
	}
	resp := &resource.UpdateResponse{State: tfsdk.State{Schema: sr.Schema}}
	r.Update(ctx, resource.UpdateRequest{Plan: plan, State: state}, resp)
	return resp.Diagnostics
}

// An update whose own row was deleted after the plan says so, rather than blaming a reference.
func TestUpdateOfDeletedRow(t *testing.T) {
	ctx := context.Background()
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{HookURL: "http://127.0.0.1:1/x",
		Warehouse: &controlplane.Connection{Name: "warehouse", Postgres: &controlplane.PostgresConfig{URL: "postgres://x@127.0.0.1:1/db"}},
		Model:     &controlplane.Model{Name: "m", SQL: "select 1 as id", Columns: []controlplane.Column{{Name: "id", Type: "int4"}}},
	})
	store, m, hook := w.Store, w.Model, w.Destination
	const missing = 424242

	conn := connectionModel{ID: types.Int64Value(missing), Name: types.StringValue("gone"), Webhook: types.ObjectNull(webhookAttrTypes),
		MySQL: types.ObjectNull(postgresAttrTypes), DuckDB: types.ObjectNull(duckdbAttrTypes)}
	var d diag.Diagnostics
	conn.Postgres, d = types.ObjectValueFrom(ctx, postgresAttrTypes, postgresModel{URL: types.StringValue("postgres://x@127.0.0.1:1/db")})
	if d.HasError() {
		t.Fatal(d)
	}
	if got := summaries(updateResource(t, &ConnectionResource{storeHolder{store: store}}, &conn)); len(got) != 1 ||
		got[0] != "Connection Deleted Outside Terraform" {
		t.Errorf("connection update: %v, want [Connection Deleted Outside Terraform]", got)
	}

	sync := syncModel{
		ID: types.Int64Value(missing), Name: types.StringValue("gone"), ModelID: types.Int64Value(m.ID),
		DestinationID: types.Int64Value(hook.ID), Behavior: types.StringValue("append"), PrimaryKey: types.StringValue("id"),
		Mappings: types.ListNull(mappingType), Schedule: types.ObjectNull(scheduleAttrTypes),
		BatchSize: wholeNumberValue(100), Paused: types.BoolValue(false), PausedReason: types.StringNull(),
		Guard: types.ObjectNull(guardAttrTypes), Request: types.ObjectNull(requestAttrTypes), Initial: types.StringValue("send_all"),
	}
	if got := summaries(updateResource(t, &SyncResource{storeHolder{store: store}}, &sync)); len(got) != 1 ||
		got[0] != "Sync Deleted Outside Terraform" {
		t.Errorf("sync update: %v, want [Sync Deleted Outside Terraform]", got)
	}
}

// A plan's first connection to a control plane is the provider's Configure (controlplane.Open):
// a full server refused it with "Cannot Open the Control Plane ... Check database_url and
// secret_key", neither of which is the problem, where a later connection says "Control Plane Out
// of Connections" (storeError). A server that is not there still says it cannot be opened.
func TestOpenStoreErrorOutOfConnectionSlots(t *testing.T) {
	sealer, err := controlplane.ParseKey(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = controlplane.Open(t.Context(), controlplanetest.FullServer(t), sealer)
	if err == nil {
		t.Fatal("a full server opened")
	}
	var diags diag.Diagnostics
	openStoreError(&diags, err)
	got := summaries(diags)
	d := diags.Errors()[0].Detail()
	if len(got) != 1 || got[0] != "Control Plane Out of Connections" || strings.Contains(d, "secret_key") || !strings.Contains(d, "CONNECTION LIMIT") {
		t.Errorf("%v:\n%s\nwant Control Plane Out of Connections, naming the limits, not the URL and key", got, d)
	}
	diags = nil
	openStoreError(&diags, errors.New("dial tcp 127.0.0.1:1: connect: connection refused"))
	if got := summaries(diags); len(got) != 1 || got[0] != "Cannot Open the Control Plane" {
		t.Errorf("a server not there: %v, want Cannot Open the Control Plane", got)
	}
}
