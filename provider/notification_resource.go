package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook"
)

var (
	_ resource.Resource                   = &NotificationResource{}
	_ resource.ResourceWithConfigure      = &NotificationResource{}
	_ resource.ResourceWithImportState    = &NotificationResource{}
	_ resource.ResourceWithModifyPlan     = &NotificationResource{}
	_ resource.ResourceWithValidateConfig = &NotificationResource{}
)

// NotificationResource is backflow_notification: events about syncs' runs sent to a webhook.
type NotificationResource struct{ storeHolder }

// NewNotificationResource is the resource factory.
func NewNotificationResource() resource.Resource { return &NotificationResource{} }

type notificationModel struct {
	ID            types.Int64  `tfsdk:"id"`
	Name          types.String `tfsdk:"name"`
	DestinationID types.Int64  `tfsdk:"destination_id"`
	Events        types.Set    `tfsdk:"events"`
	SyncIDs       types.Set    `tfsdk:"sync_ids"`
	Send          types.String `tfsdk:"send"`
	Body          types.String `tfsdk:"body"`
	ContentType   types.String `tfsdk:"content_type"`
}

// eventDescriptions says what each event means, in controlplane.Events' order.
var eventDescriptions = map[string]string{
	controlplane.EventRunFailed:       "a run failed",
	controlplane.EventRunRecovered:    "a run succeeded after a failed or blocked one (always sent on the change)",
	controlplane.EventRunBlocked:      "a run was stopped by the sync's guard before it sent anything",
	controlplane.EventRunSucceeded:    "a run succeeded",
	controlplane.EventSyncPaused:      "the runner paused the sync (its endpoint answered 410 Gone)",
	controlplane.EventRecordsRejected: "the destination refused records of a run",
}

func eventsMarkdown() string {
	s := ""
	for _, e := range controlplane.Events {
		s += fmt.Sprintf("\n  - `%s`: %s", e, eventDescriptions[e])
	}
	return s
}

func (r *NotificationResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_notification"
}

func (r *NotificationResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A notification: events about syncs' runs (a sync starts failing, recovers, is paused, a " +
			"destination refuses records) sent to a webhook connection as signed JSON. The runner's daemon " +
			"(`backflow-runner run`) sends each event once, retrying a failed send with backoff (up to 8 attempts); " +
			"a notification that cannot be delivered never affects a sync. The event body is documented in the " +
			"[runner guide](https://github.com/backflowhq/terraform-provider-backflow/blob/main/docs/runner.md#notifications); " +
			"its `text` field says it in one line, so a Slack incoming webhook can be the destination as it is.",
		Attributes: map[string]schema.Attribute{
			"id": schema.Int64Attribute{
				MarkdownDescription: "Id of the notification in the control plane.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Unique name. Events carry it as `notification`. " + nameRule,
				Required:            true,
				Validators:          []validator.String{nameValidator{}},
			},
			"destination_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the webhook connection events are sent to, with its method, headers and " +
					"signing secret (events are signed as batches are: Standard Webhooks, the event id as `webhook-id`). " +
					"Changing it to another existing connection updates the notification in place; a plan that replaces " +
					"the connection it sends to (or points it at a connection the same plan creates) replaces the " +
					"notification too, since a connection cannot be deleted while a notification uses it: the events " +
					"still queued for the old notification are dropped.",
				Required: true,
				PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplaceIf(destinationReplaced,
					"Replaced when the connection it sends to is replaced.",
					"Replaced when the connection it sends to is replaced."),
				},
			},
			"events": schema.SetAttribute{
				MarkdownDescription: "The events to send:" + eventsMarkdown(),
				Required:            true,
				ElementType:         types.StringType,
				Validators: []validator.Set{
					setvalidator.NoNullValues(),
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(stringvalidator.OneOf(controlplane.Events...)),
				},
			},
			"sync_ids": schema.SetAttribute{
				MarkdownDescription: "Ids of the syncs whose events are sent; empty (the default): every sync's.",
				Optional:            true,
				Computed:            true,
				ElementType:         types.Int64Type,
				Default:             setdefault.StaticValue(types.SetValueMust(types.Int64Type, []attr.Value{})),
				Validators:          []validator.Set{setvalidator.NoNullValues()},
			},
			"send": schema.StringAttribute{
				MarkdownDescription: "When run events are sent: `" + controlplane.SendOnChange + "` (the default) only when a " +
					"sync's state changes — the first failed run after one that was not, the first success after one that " +
					"was not, the first run with rejected records after one without —, or `" + controlplane.SendEveryTime +
					"` for every run. `run.recovered` and `sync.paused` are changes either way.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(controlplane.SendOnChange),
				Validators: []validator.String{stringvalidator.OneOf(controlplane.SendModes...)},
			},
			"body": schema.StringAttribute{
				MarkdownDescription: "A Liquid template of the body sent for each event, instead of the JSON event: the " +
					"variable `event` is the JSON event (its fields under their JSON names: `{{ event.sync.name }}`, " +
					"`{{ event.run.error | json }}`), with the filters of sync request templates (`json`, `url_encode`, " +
					"`sha256`, `iso8601`, `unix`). Checked at plan time against a sample event of each subscribed event " +
					"type (and, with a JSON content type, for valid JSON). Omitted: the JSON event as it is. A template " +
					"that fails when an event is sent gives that event up, with the reason recorded.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"content_type": schema.StringAttribute{
				MarkdownDescription: "The Content-Type header of the body: a media type such as `application/json` or " +
					"`text/plain; charset=utf-8`, on one line; the body is sent in UTF-8, so another charset is refused. " +
					"Default `" + controlplane.DefaultEventContentType + "`.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(controlplane.DefaultEventContentType),
				Validators: []validator.String{stringvalidator.LengthAtLeast(1), contentTypeValidator{}},
			},
		},
	}
}

// destinationReplaced replaces a notification whose destination's id is not known at plan while
// it had one: its connection is being replaced (or created anew). Terraform deletes a replaced
// connection before it updates what uses it, and the control plane refuses to delete a connection
// a notification sends to; a notification replaced with it is deleted first, as syncs are.
func destinationReplaced(_ context.Context, req planmodifier.Int64Request, resp *int64planmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && req.PlanValue.IsUnknown()
}

func (r *NotificationResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.setStore(req.ProviderData, &resp.Diagnostics)
}

func (m *notificationModel) toNotification(ctx context.Context, diags *diag.Diagnostics) *controlplane.Notification {
	n := &controlplane.Notification{ID: m.ID.ValueInt64(), Name: m.Name.ValueString(),
		DestinationID: m.DestinationID.ValueInt64(), Send: m.Send.ValueString(), Body: m.Body.ValueString(),
		ContentType: m.ContentType.ValueString()}
	if fullyKnown(m.Events) {
		diags.Append(m.Events.ElementsAs(ctx, &n.Events, false)...)
	}
	// At plan time a sync created in the same apply is an unknown element of a known set.
	if !m.SyncIDs.IsNull() && fullyKnown(m.SyncIDs) {
		diags.Append(m.SyncIDs.ElementsAs(ctx, &n.SyncIDs, false)...)
	}
	slices.Sort(n.Events)
	slices.Sort(n.SyncIDs)
	return n
}

func (m *notificationModel) fromNotification(ctx context.Context, n *controlplane.Notification) diag.Diagnostics {
	var diags, d diag.Diagnostics
	m.ID = types.Int64Value(n.ID)
	m.Name = types.StringValue(n.Name)
	m.DestinationID = types.Int64Value(n.DestinationID)
	m.Send = types.StringValue(n.Send)
	m.Body = types.StringNull()
	if n.Body != "" {
		m.Body = types.StringValue(n.Body)
	}
	m.ContentType = types.StringValue(n.ContentType)
	m.Events, d = types.SetValueFrom(ctx, types.StringType, n.Events)
	diags.Append(d...)
	ids := n.SyncIDs
	if ids == nil {
		ids = []int64{}
	}
	m.SyncIDs, d = types.SetValueFrom(ctx, types.Int64Type, ids)
	diags.Append(d...)
	return diags
}

// check refuses a destination that is not a webhook connection and syncs that do not exist.
func (r *NotificationResource) check(ctx context.Context, n *controlplane.Notification, diags *diag.Diagnostics) {
	dest, err := r.store.GetConnection(ctx, n.DestinationID)
	if err != nil {
		refReadError(diags, path.Root("destination_id"), "Connection Not Found", "connection", n.DestinationID,
			fmt.Sprintf("The notification %q", n.Name), "Point destination_id at an existing webhook connection.", err)
		return
	}
	if dest.Webhook == nil {
		addAttributeError(diags, path.Root("destination_id"), "Not a Webhook Connection",
			fmt.Sprintf("Connection %q (id %d) is a %s connection; notifications are sent to a webhook connection.",
				dest.Name, dest.ID, dest.Kind()),
			"Point destination_id at a backflow_connection with a webhook block.", nil)
	}
	for _, id := range n.SyncIDs {
		if _, err := r.store.GetSync(ctx, id); err != nil {
			refReadError(diags, path.Root("sync_ids"), "Sync Not Found", "sync", id,
				fmt.Sprintf("The notification %q", n.Name), "List ids of existing syncs in sync_ids, or leave it empty for every sync.", err)
		}
	}
}

// checkBody renders n's body template, if any, for a sample event of each event n sends.
func checkBody(n *controlplane.Notification, diags *diag.Diagnostics) {
	if n.Body == "" {
		return
	}
	err := webhook.CheckEventTemplate(n.Body, n.ContentType, n.Events, func(event string) []byte {
		return controlplane.SampleEvent(event, n.Name)
	})
	if err != nil {
		addAttributeError(diags, path.Root("body"), "Invalid Notification Body Template",
			fmt.Sprintf("The body template of the notification %q fails: %v.", n.Name, err),
			"Fix the template: its variable is `event`, the JSON event (for example {{ event.sync.name }}, "+
				"{{ event.run.error | json }}); see the runner guide's Notifications section for its fields.", nil)
	}
}

func (r *NotificationResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	defer hintDestroy(req, resp, len(resp.Diagnostics))
	if req.Plan.Raw.IsNull() || r.store == nil {
		return
	}
	if r.preview.kinds.check(ctx, req, notificationDestinationRef, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	r.refuseTakenName(ctx, req, &resp.Diagnostics, "notification")
	if resp.Diagnostics.HasError() {
		return
	}
	var plan notificationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if fullyKnown(plan.Events) && !plan.Body.IsUnknown() && !plan.ContentType.IsUnknown() {
		checkBody(plan.toNotification(ctx, &resp.Diagnostics), &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() || plan.DestinationID.IsUnknown() || !fullyKnown(plan.SyncIDs) || !fullyKnown(plan.Events) ||
		plan.Body.IsUnknown() || plan.ContentType.IsUnknown() {
		return
	}
	r.check(ctx, plan.toNotification(ctx, &resp.Diagnostics), &resp.Diagnostics)
}

func (r *NotificationResource) save(ctx context.Context, plan *notificationModel, create bool, diags *diag.Diagnostics) {
	n := plan.toNotification(ctx, diags)
	if diags.HasError() {
		return
	}
	checkBody(n, diags)
	r.check(ctx, n, diags)
	if diags.HasError() {
		return
	}
	if create {
		err := r.store.CreateNotification(ctx, n) // sets n.ID, which created then reads
		if !r.created(ctx, diags, "notification", n.Name, n.ID, err) {
			return
		}
	} else if err := r.store.UpdateNotification(ctx, n); err != nil {
		_, gerr := r.store.GetNotification(ctx, n.ID)
		updateError(diags, "notification", n.Name, n.ID, errors.Is(err, controlplane.ErrNotFound) &&
			errors.Is(gerr, controlplane.ErrNotFound), err)
		return
	}
	diags.Append(plan.fromNotification(ctx, n)...)
}

func (r *NotificationResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan notificationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !r.ready(&resp.Diagnostics) {
		return
	}
	r.save(ctx, &plan, true, &resp.Diagnostics)
	if plan.ID.IsUnknown() {
		return // not created (a created row has its id, even with an error: storeHolder.created)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *NotificationResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	n, ok := readRow(ctx, &r.storeHolder, req, resp, "notification", r.store.GetNotification)
	if !ok {
		return
	}
	var state notificationModel
	resp.Diagnostics.Append(state.fromNotification(ctx, n)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *NotificationResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state notificationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.ready(&resp.Diagnostics) {
		return
	}
	plan.ID = state.ID
	r.save(ctx, &plan, false, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *NotificationResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	r.deleteRow(ctx, req, resp, "notification", func(ctx context.Context, id int64) error {
		return r.store.DeleteNotification(ctx, id)
	})
}

func (r *NotificationResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importRow(ctx, &r.storeHolder, req, resp, "notification", r.store.LookupNotification, func(n *controlplane.Notification) int64 { return n.ID })
}

// ValidateConfig refuses text the control plane cannot store (refuseNUL).
func (r *NotificationResource) ValidateConfig(_ context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	refuseNUL(req.Config, &resp.Diagnostics)
}
