package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestDuckDBDatabaseEncodedCredential: DuckDB's driver reads a database's parameters as a URL's
// query, decoding their names, so md:db?motherduck%5Ftoken=... sets motherduck_token: such a name
// is a credential's too, and is refused without its value shown. Before, it passed, and the
// token stood in plans and the state.
func TestDuckDBDatabaseEncodedCredential(t *testing.T) {
	resp := &resource.SchemaResponse{}
	NewConnectionResource().Schema(context.Background(), resource.SchemaRequest{}, resp)
	database := resp.Schema.Attributes["duckdb"].(rschema.SingleNestedAttribute).Attributes["database"].(rschema.StringAttribute)
	for _, s := range []string{"md:db?motherduck%5Ftoken=eyJhbGciOi.secret-8e51", "md:db?motherduck_t%6Fken=eyJhbGciOi.secret-8e51",
		"md:db?attach_mode=single&%6D%6F%74%68%65%72%64%75%63%6B_token=eyJhbGciOi.secret-8e51",
		"/data/lake.duckdb?s3%5Fsecret%5Faccess%5Fkey=eyJhbGciOi.secret-8e51"} {
		vresp := &validator.StringResponse{}
		for _, v := range database.Validators {
			v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("database"), ConfigValue: types.StringValue(s)}, vresp)
		}
		if !vresp.Diagnostics.HasError() {
			t.Errorf("%q: no error, want a credential refused", s)
		}
		for _, d := range vresp.Diagnostics {
			if strings.Contains(d.Summary()+d.Detail(), "secret-8e51") {
				t.Errorf("%q: the diagnostic shows the token: %s", s, d.Detail())
			}
		}
	}
}
