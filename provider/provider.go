// Package provider is the Backflow Terraform/OpenTofu provider: it writes connections, models and
// syncs into the Postgres control plane that the runner executes.
package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/netpolicy"
	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse"
)

var _ provider.Provider = &BackflowProvider{}

// BackflowProvider is the provider; New builds one per plugin process.
type BackflowProvider struct {
	version string
}

// New returns the provider factory for providerserver.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &BackflowProvider{version: version} }
}

type providerModel struct {
	DatabaseURL    types.String `tfsdk:"database_url"`
	SecretKey      types.String `tfsdk:"secret_key"`
	Preview        types.String `tfsdk:"preview"`
	PreviewTimeout types.String `tfsdk:"preview_timeout"`
	PreviewBudget  types.String `tfsdk:"preview_budget"`
}

// Metadata names the provider.
func (p *BackflowProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "backflow"
	resp.Version = p.version
}

// Schema describes the provider block.
func (p *BackflowProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Backflow is reverse ETL declared as code. This provider stores connections, models " +
			"and syncs in a Postgres control plane, which `backflow-runner` executes.",
		Attributes: map[string]schema.Attribute{
			"database_url": schema.StringAttribute{
				MarkdownDescription: "Postgres URL of the control plane, e.g. `postgres://backflow@db:5432/backflow`. " +
					"Defaults to the `" + controlplane.DatabaseURLEnv + "` environment variable. The provider applies " +
					"pending control-plane migrations when it connects.",
				Optional:  true,
				Sensitive: true,
			},
			"secret_key": schema.StringAttribute{
				MarkdownDescription: "Key that seals connection secrets at rest (AES-256-GCM): 32 random bytes in " +
					"base64, as `openssl rand -base64 32` prints. Defaults to the `" + controlplane.SecretKeyEnv +
					"` environment variable. The runner needs the same key. A key that opens none of the control " +
					"plane's connections cannot create or update one (the apply fails, nothing is stored); an empty " +
					"control plane takes any key.",
				Optional:  true,
				Sensitive: true,
			},
			"preview": schema.StringAttribute{
				MarkdownDescription: "Counts in the plan: `" + PreviewChanges + "` (the default) previews, as a warning on " +
					"the resource, the next run of every sync the plan creates, replaces, resumes (`paused = false`) or changes what it sends (behavior, " +
					"primary key, destination, mappings, model, guard, backfill policy, cursor_lookback, full_read_every, the model's SQL " +
					"or table, or the url, " +
					"database or init_sql of the warehouse connection it reads, or for a sync with a cursor any change of it in place, " +
					"or a change of its model's columns alone, which makes it read its whole model): how many records it " +
					"will send as new, changed and deleted, with up to 3 keys each (none for a sync that never sends its primary key " +
					"as it is: hashed, or not mapped by an update_or_create or append sync). It reads the model read-only and " +
					"the sync's ledger; nothing is sent. `" + PreviewAlways + "` previews every sync in the plan, and as `" +
					PreviewChanges + "` the syncs another configuration manages of a model or warehouse connection the plan changes; `" +
					PreviewOff + "` none.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(PreviewModes...)},
			},
			"preview_timeout": schema.StringAttribute{
				MarkdownDescription: "How long one preview may read the warehouse, as a Go duration (above zero, at most `" +
					warehouse.FormatDuration(time.Hour) + "`); then the plan says the preview was cut short and goes on. " +
					"Defaults to `" + DefaultPreviewTimeout.String() + "`.",
				Optional:   true,
				Validators: []validator.String{timeoutValidator{max: time.Hour}},
			},
			"preview_budget": schema.StringAttribute{
				MarkdownDescription: "How long the previews of one plan may read the warehouse together, as a Go duration " +
					"(a change of a model or of a warehouse connection previews every sync that reads it, each reading the " +
					"model again): once used, the plan says which previews it skipped and goes on; " +
					"`backflow-runner sync NAME --dry-run` shows them after apply. Defaults to " +
					fmt.Sprint(DefaultPreviewBudgetTimeouts) + " times `preview_timeout` (`" +
					warehouse.FormatDuration(DefaultPreviewBudgetTimeouts*DefaultPreviewTimeout) + "` by default); above zero, at most `" + warehouse.FormatDuration(24*time.Hour) + "`.",
				Optional:   true,
				Validators: []validator.String{timeoutValidator{max: 24 * time.Hour}},
			},
		},
	}
}

// Configure opens (or reuses) the control-plane store and hands it to resources and data sources.
func (p *BackflowProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The network policy is read from the environment when a webhook is dialled (test_on_save);
	// reading it here too makes a typo in it fail every plan at once, not only a test on save.
	if _, err := netpolicy.FromEnv(); err != nil {
		addError(&resp.Diagnostics, "Invalid Network Policy Setting",
			"The environment sets Backflow's network policy (which addresses webhook requests may connect to) "+
				"to a value the provider cannot read.",
			"Fix or unset "+netpolicy.AllowedNetworksEnv+" or "+netpolicy.BlockPrivateEnv+" as the error below says. "+
				"Give the runner the same values.", err)
		return
	}
	if cfg.DatabaseURL.IsUnknown() || cfg.SecretKey.IsUnknown() {
		// Known only after apply (e.g. from another resource): resources report it if they need the store.
		return
	}
	url := cfg.DatabaseURL.ValueString()
	if url == "" {
		url = os.Getenv(controlplane.DatabaseURLEnv)
	}
	key, keySource := cfg.SecretKey.ValueString(), "`secret_key`"
	if key == "" {
		key, keySource = os.Getenv(controlplane.SecretKeyEnv), controlplane.SecretKeyEnv
	}
	if url == "" {
		resp.Diagnostics.AddAttributeError(path.Root("database_url"), "Missing Control-Plane Database URL",
			"The provider does not know where the Backflow control plane is.\n\n"+
				"Set `database_url` in the provider block, or the "+controlplane.DatabaseURLEnv+
				" environment variable, to a Postgres URL such as postgres://backflow@db:5432/backflow.")
	}
	if key == "" {
		resp.Diagnostics.AddAttributeError(path.Root("secret_key"), "Missing Secret Key",
			"The provider needs the key that seals connection secrets in the control plane.\n\n"+
				"Set `secret_key` in the provider block, or the "+controlplane.SecretKeyEnv+
				" environment variable, to 32 random bytes in base64 (`openssl rand -base64 32`). "+
				"Use the same key as the runner.")
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// A malformed key is a mistake in the key, not in reaching the control plane: say so first.
	if _, err := controlplane.ParseKeyFrom(keySource, key); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("secret_key"), "Invalid Secret Key",
			"The key that seals connection secrets is not usable: "+err.Error()+".\n\n"+
				"Set `secret_key` in the provider block, or the "+controlplane.SecretKeyEnv+
				" environment variable, to the key the control plane's secrets were sealed with: the runner's "+
				controlplane.SecretKeyEnv+". A new control plane takes any 32 random bytes in base64 "+
				"(`openssl rand -base64 32`).")
		return
	}
	store, err := openStore(ctx, url, key)
	if errors.Is(err, controlplane.ErrSchemaTooNew) {
		// Reached, and newer than this provider: the database and the key are not the problem.
		addError(&resp.Diagnostics, "Control Plane Newer Than This Provider",
			"A newer release of Backflow migrated the control plane past the versions this provider knows.",
			"Upgrade the provider (and the runners) to that release or a later one.", err)
		return
	}
	if err != nil {
		openStoreError(&resp.Diagnostics, err)
		return
	}
	data := &providerData{store: store, held: &heldRows{}, preview: previewSettings{mode: cfg.Preview.ValueString(), models: &planned[controlplane.Model]{}, conns: &planned[controlplane.Connection]{}, later: &planned[struct{}]{}, laterModels: &planned[struct{}]{}, shown: &planned[struct{}]{}, deleted: &planned[struct{}]{}, kinds: &kindPlans{}}}
	if d, err := ParseTimeout(cfg.PreviewTimeout.ValueString(), time.Hour); err == nil && !cfg.PreviewTimeout.IsNull() {
		data.preview.timeout = d
	}
	// One provider process serves one plan: its previews share one budget.
	data.preview.budget = &previewBudget{limit: DefaultPreviewBudgetTimeouts * cmp.Or(data.preview.timeout, DefaultPreviewTimeout)}
	if d, err := ParseTimeout(cfg.PreviewBudget.ValueString(), 24*time.Hour); err == nil && !cfg.PreviewBudget.IsNull() {
		data.preview.budget.limit = d
	}
	resp.ResourceData = data
	resp.DataSourceData = data
}

// Resources lists the resources.
func (p *BackflowProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewConnectionResource, NewModelResource, NewSyncResource, NewNotificationResource}
}

// DataSources lists the data sources.
func (p *BackflowProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewConnectionDataSource, NewModelDataSource, NewSyncDataSource,
		NewSyncPreviewDataSource}
}

// stores caches one Store per (url, key) for the life of the plugin process: Terraform calls
// Configure for every operation, and reconnecting (and re-checking migrations) each time is slow.
var stores = struct {
	sync.Mutex
	m map[storeKey]*controlplane.Store
}{m: map[storeKey]*controlplane.Store{}}

type storeKey struct{ url, key string }

func openStore(ctx context.Context, url, key string) (*controlplane.Store, error) {
	stores.Lock()
	defer stores.Unlock()
	k := storeKey{url, key}
	if s, ok := stores.m[k]; ok {
		return s, nil
	}
	sealer, err := controlplane.ParseKey(key)
	if err != nil {
		return nil, err
	}
	// ctx bounds the connect and the migration lock wait, so a cancelled plan (Ctrl-C) stops
	// waiting. The pool outlives the request anyway: pgxpool detaches its own goroutines from it.
	s, err := controlplane.Open(ctx, url, sealer)
	if err != nil {
		return nil, err
	}
	stores.m[k] = s
	return s, nil
}

// closeStore drops a cached store; tests call it before their database is dropped.
func closeStore(url, key string) {
	stores.Lock()
	defer stores.Unlock()
	k := storeKey{url, key}
	if s, ok := stores.m[k]; ok {
		s.Close()
		delete(stores.m, k)
	}
}
