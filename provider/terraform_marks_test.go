package provider

// Terraform plans an in-place update, with no value changed, when the sensitivity marks a
// configuration gives a resource differ from those its state recorded. Two ways to get there with
// Backflow's webhook connections, whose headers often come from a sensitive variable (both seen
// with Terraform 1.11.4; the tests below expect them only when the CLI is Terraform):
//
//   - Importing. The imported state records the schema's marks only, not those of the variable, so
//     the first plan after an import is an update (hashicorp/terraform#33597, closed; the fix
//     proposed there, PR #34795, was not merged. OpenTofu took the same change in 1.7,
//     opentofu/opentofu#1350 for #1231). Nothing a provider returns changes it: the marks come
//     from the configuration. The README says so; TestTerraformMarksMinimalProvider shows it on a
//     provider of a few lines, and TestAccConnectionImportSensitiveHeaders on backflow_connection.
//   - A refused apply. Terraform saves the object the provider returns with the *planned* marks,
//     even when the apply fails (node_resource_abstract_instance.go, apply: newVal.MarkWithPaths
//     (afterPaths) runs whatever the diagnostics), so a refusal of a configuration that marks less
//     leaves an update behind it. This is why backflow_connection runs test_on_save at plan time on
//     updates (ModifyPlan): a refusal at plan time saves nothing.

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	r "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// cliIsTerraform says whether the acceptance tests run Terraform rather than OpenTofu.
func cliIsTerraform(t *testing.T) bool {
	t.Helper()
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		for _, name := range []string{"tofu", "terraform"} {
			if p, err := exec.LookPath(name); err == nil {
				cli = p
				break
			}
		}
	}
	out, err := exec.Command(cli, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", cli, err)
	}
	return strings.HasPrefix(string(out), "Terraform")
}

// importPlansMarksUpdate is what an import plan of a resource configured from a sensitive variable
// gives: an update under Terraform, nothing under OpenTofu.
func importPlansMarksUpdate(t *testing.T) r.TestStep {
	if cliIsTerraform(t) {
		return r.TestStep{ExpectError: expectErr(`expected a no-op import operation, got \["update"\]`)}
	}
	return r.TestStep{}
}

const sensitiveTokenVariable = `
variable "token" {
  type      = string
  sensitive = true
}
`

var tokenVariable = config.Variables{"token": config.StringVariable("t0ken")}

// TestTerraformMarksMinimalProvider shows both behaviours on a provider that only stores what it
// is given: no Backflow code is involved.
func TestTerraformMarksMinimalProvider(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it")
	}
	const addr = "marks_thing.x"
	cfg := func(headers string, fail bool) string {
		f := "false"
		if fail {
			f = "true"
		}
		return `
terraform {
  required_providers {
    marks = { source = "backflowhq/marks" }
  }
}
` + sensitiveTokenVariable + `
resource "marks_thing" "x" {
  headers = ` + headers + `
  fail    = ` + f + `
}
`
	}
	fromVar, literal := cfg(`{ Authorization = "Bearer ${var.token}" }`, false), cfg(`{ Authorization = "Bearer t0ken" }`, false)
	importFromVar := importPlansMarksUpdate(t)
	importFromVar.Config, importFromVar.ConfigVariables = fromVar, tokenVariable
	importFromVar.ResourceName, importFromVar.ImportState, importFromVar.ImportStateKind = addr, true, r.ImportBlockWithID
	steps := []r.TestStep{
		{Config: literal, ConfigVariables: tokenVariable},
		// Schema marks only: the import plans nothing.
		{Config: literal, ConfigVariables: tokenVariable, ResourceName: addr, ImportState: true, ImportStateKind: r.ImportBlockWithID},
		{Config: fromVar, ConfigVariables: tokenVariable},
		// The same values from a sensitive variable: Terraform plans an update.
		importFromVar,
	}
	if cliIsTerraform(t) {
		steps = append(steps,
			// An apply refused by the provider, of a configuration without the variable's mark...
			r.TestStep{Config: cfg(`{ Authorization = "Bearer t0ken" }`, true), ConfigVariables: tokenVariable,
				ExpectError: expectErr(`refused on purpose`)},
			// ... left that configuration's marks in the state, though the provider returned the prior
			// object unchanged: the good configuration plans an update.
			r.TestStep{Config: fromVar, ConfigVariables: tokenVariable, ConfigPlanChecks: r.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
			}},
		)
	}
	r.Test(t, r.TestCase{
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"marks": providerserver.NewProtocol6WithError(&marksProvider{things: map[string]marksThingModel{}}),
		},
		Steps: steps,
	})
}

// marksProvider is the minimal provider: one resource, kept in memory, with a sensitive map.
type marksProvider struct {
	mu     sync.Mutex
	things map[string]marksThingModel
}

type marksThingModel struct {
	ID      types.String `tfsdk:"id"`
	Headers types.Map    `tfsdk:"headers"`
	Fail    types.Bool   `tfsdk:"fail"`
}

func (p *marksProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "marks"
}
func (p *marksProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}
func (p *marksProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}
func (p *marksProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
func (p *marksProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &marksThing{p} }}
}

type marksThing struct{ p *marksProvider }

func (m *marksThing) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "marks_thing"
}

func (m *marksThing) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"headers": schema.MapAttribute{ElementType: types.StringType, Optional: true, Sensitive: true},
		"fail":    schema.BoolAttribute{Optional: true},
	}}
}

func (m *marksThing) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var v marksThingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &v)...)
	v.ID = types.StringValue("x")
	m.p.mu.Lock()
	m.p.things["x"] = v
	m.p.mu.Unlock()
	resp.Diagnostics.Append(resp.State.Set(ctx, &v)...)
}

func (m *marksThing) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var v marksThingModel
	resp.Diagnostics.Append(req.State.Get(ctx, &v)...)
	m.p.mu.Lock()
	stored, ok := m.p.things[v.ID.ValueString()]
	m.p.mu.Unlock()
	if !ok {
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &stored)...)
}

func (m *marksThing) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var v marksThingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &v)...)
	if v.Fail.ValueBool() {
		// The framework's response state is still the prior state: nothing is changed.
		resp.Diagnostics.AddError("Refused", "refused on purpose")
		return
	}
	m.p.mu.Lock()
	m.p.things[v.ID.ValueString()] = v
	m.p.mu.Unlock()
	resp.Diagnostics.Append(resp.State.Set(ctx, &v)...)
}

func (m *marksThing) Delete(ctx context.Context, req resource.DeleteRequest, _ *resource.DeleteResponse) {
	var v marksThingModel
	_ = req.State.Get(ctx, &v)
	m.p.mu.Lock()
	delete(m.p.things, v.ID.ValueString())
	m.p.mu.Unlock()
}

func (m *marksThing) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
