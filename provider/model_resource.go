package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

var (
	_ resource.Resource                   = &ModelResource{}
	_ resource.ResourceWithConfigure      = &ModelResource{}
	_ resource.ResourceWithImportState    = &ModelResource{}
	_ resource.ResourceWithModifyPlan     = &ModelResource{}
	_ resource.ResourceWithValidateConfig = &ModelResource{}
)

// ModelResource is backflow_model: SQL (or a table) over a warehouse connection.
type ModelResource struct{ storeHolder }

// NewModelResource is the resource factory.
func NewModelResource() resource.Resource { return &ModelResource{} }

type modelModel struct {
	ID           types.Int64  `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	ConnectionID types.Int64  `tfsdk:"connection_id"`
	SQL          types.String `tfsdk:"sql"`
	Table        types.String `tfsdk:"table"`
	Columns      types.List   `tfsdk:"columns"`
}

var columnAttrTypes = map[string]attr.Type{"name": types.StringType, "type": types.StringType}

var columnsType = types.ListType{ElemType: types.ObjectType{AttrTypes: columnAttrTypes}}

func (r *ModelResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_model"
}

func (r *ModelResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A model: the records a sync sends, as SQL (`sql`) or a whole table (`table`) over a " +
			"warehouse connection (`postgres`, `mysql` or `duckdb`). Its `columns` are discovered from the warehouse at plan and apply time by " +
			"preparing and planning the query, without running it, so SQL the warehouse rejects fails the plan.\n\n" +
			"A model only reads. Every read of it (this describe at plan and apply time, and the runner's runs, " +
			"`test` and `--dry-run`) runs in a `READ ONLY` transaction with the connection's statement and lock " +
			"timeouts (by default 1 hour and 10 seconds): a function the SQL calls cannot write, and a table locked " +
			"by another session ends the plan or the run with an error once the lock timeout has passed instead of " +
			"blocking it. SQL that writes or locks rows is refused at plan time: `INSERT`, `UPDATE`, `DELETE` and " +
			"`MERGE` (also with `RETURNING` or inside `WITH`), `SELECT ... FOR UPDATE` or `FOR SHARE`, and more than " +
			"one statement.",
		Attributes: map[string]schema.Attribute{
			"id": schema.Int64Attribute{
				MarkdownDescription: "Id of the model in the control plane.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Unique name. Webhooks receive it as `model_name`. " + nameRule,
				Required:            true,
				Validators:          []validator.String{nameValidator{}},
			},
			"connection_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the warehouse connection (`postgres`, `mysql` or `duckdb`) the model reads from; a webhook " +
					"connection is refused at plan time. Changing it replaces the model, and its syncs with it (new ledgers: their first runs " +
					"send every record). A plan that replaces its connection with another warehouse kind checks the model through the new " +
					"connection as planned (when it is the one warehouse connection the plan makes), and is refused if that warehouse " +
					"refuses the model, before anything is deleted.",
				Required:      true,
				PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"sql": schema.StringAttribute{
				MarkdownDescription: "One query that only reads (`SELECT`, `VALUES` or `TABLE`, optionally with " +
					"`WITH`) and returns the model's records, each column under a unique name. Conflicts with `table`.",
				Optional: true,
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ExactlyOneOf(path.MatchRoot("sql"), path.MatchRoot("table")),
				},
			},
			"table": schema.StringAttribute{
				MarkdownDescription: "A table (or view) whose every column is the model, as `schema.table` or " +
					"`table` (in schema `public` on Postgres, `main` on DuckDB; for MySQL, `database.table` or a table of the URL's " +
					"database). Webhooks then receive `schema_name` (that schema or database) and `table_name`. Conflicts with `sql`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"columns": schema.ListNestedAttribute{
				MarkdownDescription: "The model's columns as the warehouse describes them, in order.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{MarkdownDescription: "Column name.", Computed: true},
						"type": schema.StringAttribute{
							MarkdownDescription: "The warehouse's type name, e.g. `text`, `int8`, `timestamptz` (Postgres) or " +
								"`varchar`, `unsigned bigint`, `timestamp` (MySQL).",
							Computed: true,
						},
					},
				},
			},
		},
	}
}

func (r *ModelResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.setStore(req.ProviderData, &resp.Diagnostics)
}

func (m *modelModel) toModel() *controlplane.Model {
	return &controlplane.Model{
		ID: m.ID.ValueInt64(), Name: m.Name.ValueString(), ConnectionID: m.ConnectionID.ValueInt64(),
		SQL: stringOrEmpty(m.SQL), Table: stringOrEmpty(m.Table),
	}
}

func (m *modelModel) fromModel(ctx context.Context, x *controlplane.Model) diag.Diagnostics {
	m.ID = types.Int64Value(x.ID)
	m.Name = types.StringValue(x.Name)
	m.ConnectionID = types.Int64Value(x.ConnectionID)
	m.SQL, m.Table = types.StringNull(), types.StringNull()
	if x.SQL != "" {
		m.SQL = types.StringValue(x.SQL)
	}
	if x.Table != "" {
		m.Table = types.StringValue(x.Table)
	}
	var d diag.Diagnostics
	m.Columns, d = columnsValue(ctx, x.Columns)
	return d
}

func columnsValue(ctx context.Context, cols []controlplane.Column) (types.List, diag.Diagnostics) {
	type column struct {
		Name types.String `tfsdk:"name"`
		Type types.String `tfsdk:"type"`
	}
	vs := make([]column, len(cols))
	for i, c := range cols {
		vs[i] = column{types.StringValue(c.Name), types.StringValue(c.Type)}
	}
	return types.ListValueFrom(ctx, columnsType.ElemType, vs)
}

// describe checks the model's connection and asks the warehouse for the model's columns.
func (r *ModelResource) describe(ctx context.Context, x *controlplane.Model, diags *diag.Diagnostics) []controlplane.Column {
	// Through the connection as the plan changes it, when it does: the apply describes the model
	// again once the connection is written, and a plan that described it through the stored one
	// (another warehouse) would promise columns the apply does not find.
	conn := r.preview.conns.get(x.ConnectionID)
	var err error
	if conn == nil {
		conn, err = r.store.GetConnection(ctx, x.ConnectionID)
	}
	if err != nil {
		refReadError(diags, path.Root("connection_id"), "Connection Not Found", "connection", x.ConnectionID,
			fmt.Sprintf("The model %q", x.Name), "Point connection_id at an existing postgres connection.", err)
		return nil
	}
	return r.describeWith(ctx, x, conn, diags)
}

// describeWith asks the warehouse of conn for the model's columns.
func (r *ModelResource) describeWith(ctx context.Context, x *controlplane.Model, conn *controlplane.Connection, diags *diag.Diagnostics) []controlplane.Column {
	src, err := warehouse.For(conn)
	if err != nil {
		addAttributeError(diags, path.Root("connection_id"), "Not a Warehouse Connection",
			fmt.Sprintf("Connection %q (id %d) is a %s connection; a model reads from a warehouse connection (%s).",
				conn.Name, conn.ID, conn.Kind(), quoteList(warehouse.Kinds())),
			"Point connection_id at a backflow_connection with a "+quoteList(warehouse.Kinds())+" block.", err)
		return nil
	}
	if err := src.Ping(ctx); err != nil {
		// Not the query's fault: say so, rather than blame the SQL.
		if conn.DuckDB != nil {
			// Embedded: nothing to reach; the database file (or MotherDuck) and init_sql are what fail.
			addAttributeError(diags, path.Root("connection_id"), "Cannot Open the Warehouse",
				fmt.Sprintf("The model %q could not be checked: the DuckDB database of connection %q could not be opened "+
					"or its init_sql failed.", x.Name, conn.Name),
				"Check the connection's duckdb settings (the database's path or md: name, and each statement of "+
					"init_sql; the error below says which) from where Terraform runs.", err)
			return nil
		}
		addAttributeError(diags, path.Root("connection_id"), "Cannot Reach the Warehouse",
			fmt.Sprintf("The model %q could not be checked: the warehouse of connection %q did not accept a connection.",
				x.Name, conn.Name),
			fmt.Sprintf("Check the connection's %s settings (host, port, credentials, database) and that the "+
				"warehouse is reachable from where Terraform runs.", conn.Kind()), err)
		return nil
	}
	query := x.SQL
	if query == "" {
		query = src.TableQuery(x.Table)
	}
	cols, err := src.Describe(ctx, query)
	if err != nil {
		describeError(diags, x, conn, src, err)
		return nil
	}
	return cols
}

// modelWarehouse is a model's warehouse as the plan-time describe uses it; internal/warehouse's
// drivers satisfy it (warehouse.For picks one by the connection's kind).
type modelWarehouse interface {
	Timeouts() (statement, lock time.Duration)
}

// describeError reports why the warehouse could not describe model x on connection conn.
func describeError(diags *diag.Diagnostics, x *controlplane.Model, conn *controlplane.Connection, src modelWarehouse, err error) {
	at, reads := path.Root("sql"), "the model's SQL"
	if x.Table != "" {
		at, reads = path.Root("table"), fmt.Sprintf("the table %q", x.Table)
	}
	statement, lock := src.Timeouts()
	kind := conn.Kind()
	switch {
	case errors.Is(err, warehouse.ErrNotReadOnly):
		addAttributeError(diags, at, "Model Must Only Read",
			fmt.Sprintf("The model %q is not a query that only reads. Backflow reads models in a read-only "+
				"transaction, and refuses SQL that writes (INSERT, UPDATE, DELETE or MERGE, also with RETURNING or "+
				"inside WITH) or locks rows (FOR UPDATE, FOR SHARE).", x.Name),
			"Write the model as one SELECT (or VALUES, or TABLE) that returns the records to send.", err)
	case errors.Is(err, warehouse.ErrLockTimeout):
		addAttributeError(diags, at, "Warehouse Table Locked",
			fmt.Sprintf("The model %q could not be described: the warehouse of connection %q kept a table that "+
				"%s reads locked by another session for longer than the connection's lock_timeout (%s).",
				x.Name, conn.Name, reads, warehouse.FormatDuration(lock)),
			"Plan again once the other session is done (an ALTER TABLE, VACUUM FULL, REINDEX or LOCK TABLE "+
				"holds such a lock), or raise lock_timeout in the connection's "+kind+" block.", err)
	case errors.Is(err, warehouse.ErrStatementTimeout):
		addAttributeError(diags, at, "Warehouse Statement Timeout",
			fmt.Sprintf("The model %q could not be described: the warehouse of connection %q took longer than the "+
				"connection's statement_timeout (%s) to plan %s.", x.Name, conn.Name, warehouse.FormatDuration(statement), reads),
			"Simplify the query, or raise statement_timeout in the connection's "+kind+" block.", err)
	case errors.Is(err, warehouse.ErrInterrupted):
		// Not the query's fault: say so, rather than blame the SQL.
		addAttributeError(diags, at, "Warehouse Query Interrupted",
			fmt.Sprintf("The model %q could not be described: the warehouse of connection %q ended the query or its "+
				"session while it prepared %s (a restart, an administrator canceling queries or ending sessions, "+
				"or the network).", x.Name, conn.Name, reads),
			"Plan again; nothing is wrong with the model's SQL as far as this says.", err)
	case x.Table != "":
		addAttributeError(diags, at, "Invalid Model Query",
			fmt.Sprintf("The warehouse of connection %q refused to read the table %q.", conn.Name, x.Table),
			"Fix the table name so the warehouse accepts it (the warehouse's message is below).", err)
	default:
		addAttributeError(diags, at, "Invalid Model Query",
			fmt.Sprintf("The warehouse of connection %q refused the model's SQL.", conn.Name),
			"Fix the query so the warehouse accepts it (the warehouse's message is below); it is prepared and "+
				"planned in a read-only transaction, not run.", err)
	}
}

// checkSyncs refuses a change to model x (x.Columns being its new columns) that drops a column
// one of its syncs uses as primary_key, a mapping source or its cursor, or changes its cursor's
// type to one that cannot be a cursor (or its lookback): the runner would fail every run. Only
// what the stored model allows counts: a sync already broken is not this change's doing, and its
// own plan reports it.
func (r *ModelResource) checkSyncs(ctx context.Context, x *controlplane.Model, diags *diag.Diagnostics) {
	old, err := r.store.GetModel(ctx, x.ID)
	if errors.Is(err, controlplane.ErrNotFound) {
		return // deleted outside Terraform: nothing uses it any more, and the update says so
	}
	var syncs []*controlplane.Sync
	if err == nil {
		syncs, err = r.store.ListSyncsByModel(ctx, x.ID)
	}
	if err != nil {
		addError(diags, "Cannot Read Syncs",
			fmt.Sprintf("The syncs that use model %q could not be read, so the change cannot be checked against them.", x.Name),
			"Check that the control-plane database is reachable, then plan again.", err)
		return
	}
	at := path.Root("sql")
	if x.Table != "" {
		at = path.Root("table")
	}
	for _, y := range syncs {
		// The cursor: only a change from usable to unusable is this change's doing.
		if attribute, problem, _ := checkCursor(x, y); attribute != "" {
			if a, _, _ := checkCursor(old, y); a == "" {
				what := fmt.Sprintf("With this change the model %q no longer returns the column %q, which the sync %q "+
					"uses as its cursor. The model would return: %s.", x.Name, y.Cursor, y.Name, columnNames(x.Columns))
				if x.HasColumn(y.Cursor) {
					what = fmt.Sprintf("With this change the sync %q could no longer use its %s. %s", y.Name, attribute, problem)
				}
				addAttributeError(diags, at, "Model Change Breaks a Sync", what,
					"Keep the column as it is, or move the sync to another cursor first: "+renameAdvice(y.Cursor), nil)
			}
		}
		for _, p := range checkColumns(x, y.PrimaryKey, y.Mappings) {
			if !old.HasColumn(p.Column) {
				continue
			}
			addAttributeError(diags, at, "Model Change Breaks a Sync",
				fmt.Sprintf("With this change the model %q no longer returns the column %q, which the sync %q uses "+
					"as its %s. The model would return: %s.", x.Name, p.Column, y.Name, p.Attribute, columnNames(x.Columns)),
				"Keep returning the column, or move the sync off it first: "+renameAdvice(p.Column), nil)
		}
	}
}

// renameAdvice says how to stop a sync using column col of a model in two applies: a sync is
// checked against the model as the same plan changes it, and the model against its syncs as
// stored (a change to a sync that names the model, even with -target, plans the model too).
func renameAdvice(col string) string {
	return fmt.Sprintf("in one apply, have the model return the column the sync will use as well as %q (to "+
		"rename %q, return it under both its old and its new name) and change the sync to use it; in the next "+
		"apply, drop %q from the model.", col, col, col)
}

// ModifyPlan discovers the columns at plan time, so SQL the warehouse rejects fails the plan.
func (r *ModelResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	defer hintDestroy(req, resp, len(resp.Diagnostics))
	if req.Plan.Raw.IsNull() || r.store == nil {
		return // destroy, or no store yet: Create/Update describe again
	}
	if r.preview.kinds.check(ctx, req, modelConnectionRef, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	if r.checkReplacedWarehouse(ctx, req, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	r.refuseTakenName(ctx, req, &resp.Diagnostics, "model")
	if resp.Diagnostics.HasError() {
		return
	}
	var plan modelModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.ConnectionID.IsUnknown() || plan.SQL.IsUnknown() || plan.Table.IsUnknown() || plan.Name.IsUnknown() ||
		r.preview.later.get(plan.ConnectionID.ValueInt64()) != nil { // its connection's url is known at apply only
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("columns"), types.ListUnknown(columnsType.ElemType))...)
		if !plan.ID.IsUnknown() {
			r.preview.laterModels.set(plan.ID.ValueInt64(), &struct{}{})
		}
		return
	}
	x := plan.toModel()
	var state *modelModel
	if !req.State.Raw.IsNull() && !plan.ID.IsUnknown() {
		state = new(modelModel)
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if state != nil && state.SQL.Equal(plan.SQL) && state.Table.Equal(plan.Table) && state.ConnectionID.Equal(plan.ConnectionID) {
		// The plan does not change what the model reads: a warehouse that cannot be read now
		// (down, a table renamed) must not fail a plan about something else. Its columns stay as
		// stored, with a warning; a run will fail with the same cause until it is fixed.
		var d diag.Diagnostics
		x.Columns = r.describe(ctx, x, &d)
		if d.HasError() {
			notRefreshed(&resp.Diagnostics, x.Name, "plan", d)
			// As stored when nothing else changes. When something does (its name), the apply
			// describes the model again, maybe through a connection this apply moves to another
			// warehouse: it keeps the stored columns only if that fails too (save), so the plan
			// cannot promise them (Terraform refuses an apply that differs from a known plan).
			cols := state.Columns
			if !state.Name.Equal(plan.Name) {
				cols = types.ListUnknown(columnsType.ElemType)
			}
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("columns"), cols)...)
			return
		}
		resp.Diagnostics.Append(d...)
	} else {
		x.Columns = r.describe(ctx, x, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	cols := x.Columns
	v, d := columnsValue(ctx, cols)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state != nil {
		// What the model reads changes: its SQL or table (a new connection_id replaces it).
		readsChanged := !state.SQL.Equal(plan.SQL) || !state.Table.Equal(plan.Table)
		// Or only its columns, as the warehouse now returns them (a column added to the table
		// it reads, or retyped): the apply writes them, and a sync with a cursor, whose mark is
		// valid for the model's columns as stored (runner's cursorDefinition), then reads its
		// whole model once, sending the deletes and changes its incremental reads missed.
		columnsChanged := !v.Equal(state.Columns)
		// An update in place (a new connection_id replaces the model, and its syncs with it).
		if state.ConnectionID.Equal(plan.ConnectionID) {
			r.checkSyncs(ctx, x, &resp.Diagnostics)
			if resp.Diagnostics.HasError() {
				return
			}
			if readsChanged {
				// Its mirror syncs read what it reads now: its tables are looked up once for all.
				syncs, _ := r.store.ListSyncsByModel(ctx, x.ID) // an error: checkSyncs reported it
				var tables []string
				looked := false
				for _, y := range syncs {
					if y.Behavior == controlplane.BehaviorMirror && r.preview.deleted.get(y.ID) == nil {
						if !looked {
							tables, looked = modelTablesWithoutTransactions(ctx, r.store, r.preview, x), true
						}
						mirrorTablesWarning(x, y, tables, &resp.Diagnostics)
					}
				}
			}
			// For the preview of a sync of the model that the plan changes too.
			if readsChanged || columnsChanged {
				r.preview.models.set(x.ID, x)
			} else {
				r.preview.models.set(x.ID, nil)
			}
		}
		// Whatever the mode but off, also "always": the model's syncs that another configuration
		// manages have no resource in this plan to preview them. A sync in the plan that it leaves
		// as it is then does not show the same preview again (previewSettings.shown).
		if r.preview.mode != PreviewOff && (readsChanged || columnsChanged || !state.ConnectionID.Equal(plan.ConnectionID)) {
			// What the model's syncs will send once it reads this instead.
			syncs, err := r.store.ListSyncsByModel(ctx, x.ID)
			if err != nil {
				resp.Diagnostics.AddWarning("Backflow Preview Unavailable",
					"The syncs of the model could not be listed for a preview: "+err.Error())
			}
			replaced := ""
			if !state.ConnectionID.Equal(plan.ConnectionID) {
				// A new connection_id replaces the model, and each of its syncs with it (their
				// model_id changes): the new syncs start with empty ledgers.
				replaced = "its model is replaced: the model's connection_id changes"
			}
			for _, y := range syncs {
				if !readsChanged && replaced == "" && (y.Cursor == "" || r.preview.shown.get(y.ID) != nil) {
					// Only the columns change: a sync without a cursor reads the whole model at
					// every run, and sends what it would have without the apply; one with a
					// cursor whose warehouse connection the plan changes too was previewed by the
					// connection's plan, reading in full as here.
					continue
				}
				if !r.preview.previewOf(y.ID) {
					continue // the plan deletes it: it runs no more (SyncResource.planDeletion)
				}
				if replaced != "" {
					y.ID = 0
				}
				previewPlan(ctx, r.store, r.preview, y, plannedFor{model: x, replaced: replaced, of: "model"}, &resp.Diagnostics)
			}
		}
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("columns"), v)...)
}

// notRefreshed warns that model name's columns could not be read (d holds why), so the plan or
// the apply (what) keeps the stored ones.
func notRefreshed(diags *diag.Diagnostics, name, what string, d diag.Diagnostics) {
	var cause strings.Builder
	for _, e := range d.Errors() {
		fmt.Fprintf(&cause, "\n\n%s: %s", e.Summary(), e.Detail())
	}
	diags.AddAttributeWarning(path.Root("columns"), fmt.Sprintf("Backflow Model Not Refreshed: %q", name),
		"The model's columns could not be read from its warehouse, so the "+what+" keeps the stored ones; "+
			"its syncs' runs will fail until the warehouse answers."+cause.String())
}

// save describes the model and writes it. stored is its state for an update, nil for a create:
// an update that does not change what the model reads (its name changes) keeps the stored
// columns, with a warning, when the warehouse cannot describe it, as the plan did.
func (r *ModelResource) save(ctx context.Context, plan *modelModel, stored *modelModel, diags *diag.Diagnostics) {
	create := stored == nil
	x := plan.toModel()
	var d diag.Diagnostics
	x.Columns = r.describe(ctx, x, &d)
	if d.HasError() && !create && stored.SQL.Equal(plan.SQL) && stored.Table.Equal(plan.Table) &&
		stored.ConnectionID.Equal(plan.ConnectionID) {
		old, err := r.store.GetModel(ctx, x.ID)
		if err == nil {
			notRefreshed(diags, x.Name, "apply", d)
			x.Columns, d = old.Columns, nil
		}
	}
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	if create {
		err := r.store.CreateModel(ctx, x) // sets x.ID, which created then reads
		if !r.created(ctx, diags, "model", x.Name, x.ID, err) {
			return
		}
	} else {
		// Checked again here: at plan time the SQL may have been unknown, or a sync added since.
		r.checkSyncs(ctx, x, diags)
		if diags.HasError() {
			return
		}
		if err := r.store.UpdateModel(ctx, x); err != nil {
			updateError(diags, "model", x.Name, x.ID, errors.Is(err, controlplane.ErrNotFound) && r.rowGone(ctx, "model", x.ID), err)
			return
		}
	}
	plan.ID = types.Int64Value(x.ID)
	plan.Columns, d = columnsValue(ctx, x.Columns)
	diags.Append(d...)
}

func (r *ModelResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan modelModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !r.ready(&resp.Diagnostics) {
		return
	}
	r.save(ctx, &plan, nil, &resp.Diagnostics)
	if plan.ID.IsUnknown() {
		return // not created (a created row has its id, even with an error: storeHolder.created)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *ModelResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	x, ok := readRow(ctx, &r.storeHolder, req, resp, "model", r.store.GetModel)
	if !ok {
		return
	}
	var state modelModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(state.fromModel(ctx, x)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *ModelResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state modelModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.ready(&resp.Diagnostics) {
		return
	}
	plan.ID = state.ID
	r.save(ctx, &plan, &state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *ModelResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.deleteRow(ctx, req, resp, "model", func(ctx context.Context, id int64) error { return r.store.DeleteModel(ctx, id) })
}

func (r *ModelResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importRow(ctx, &r.storeHolder, req, resp, "model", r.store.LookupModel, func(x *controlplane.Model) int64 { return x.ID })
}

// ValidateConfig refuses text the control plane cannot store (refuseNUL).
func (r *ModelResource) ValidateConfig(_ context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	refuseNUL(req.Config, &resp.Diagnostics)
}

// checkReplacedWarehouse describes, through the new connection as planned, a model whose
// warehouse connection the plan replaces with another warehouse kind (postgres to mysql): the
// model is replaced with it, and Terraform deletes its syncs (with their ledgers) and the model
// before it creates them again, so a query the new warehouse refuses would be found only once
// they are gone. Such a plan is refused instead. Only when the new connection is the one
// warehouse connection the plan makes, so that the model's unknown connection_id is its id.
func (r *ModelResource) checkReplacedWarehouse(ctx context.Context, req resource.ModifyPlanRequest, diags *diag.Diagnostics) {
	if req.State.Raw.IsNull() {
		return
	}
	var plan, state modelModel
	if d := req.Plan.Get(ctx, &plan); d.HasError() || !plan.ConnectionID.IsUnknown() || plan.SQL.IsUnknown() ||
		plan.Table.IsUnknown() || plan.Name.IsUnknown() {
		return
	}
	if d := req.State.Get(ctx, &state); d.HasError() || state.ConnectionID.IsNull() || state.ConnectionID.IsUnknown() {
		return
	}
	sw, ok := r.preview.kinds.replacedWarehouse(state.ConnectionID.ValueInt64())
	if !ok {
		return
	}
	x := plan.toModel()
	var d diag.Diagnostics
	r.describeWith(ctx, x, sw.conn, &d)
	for _, e := range d.Errors() {
		diags.AddAttributeError(path.Root("connection_id"), e.Summary(), fmt.Sprintf("The plan replaces connection %q "+
			"(id %d) with a %s connection, and with it the model %q and its syncs; checked through the new connection "+
			"as planned:\n\n%s\n\nApplied, Terraform would delete the model's syncs (with their ledgers: created again, "+
			"they would resend every record) and the model before the new warehouse refused the model.",
			sw.name, state.ConnectionID.ValueInt64(), sw.to, x.Name, strings.TrimRight(e.Detail(), "\n")))
	}
}
