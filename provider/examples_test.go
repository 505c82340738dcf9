package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"

	"github.com/backflowhq/terraform-provider-backflow/internal/warehouse/warehousetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

// exampleCases are the standalone configurations of examples/ (those of examples/destinations
// are TestAccDestinationExamples'); examples_duckdb_test.go adds the Parquet one where DuckDB is
// built in.
var exampleCases = []exampleCase{
	{
		dir: "quickstart",
		setup: func(t *testing.T, e *testEnv, hook string) config.Variables {
			e.readmeUsers(t, 20)
			return config.Variables{"warehouse_url": config.StringVariable(e.whURL), "webhook_url": config.StringVariable(hook + "/hooks/backflow"),
				"webhook_token": config.StringVariable("tok"), "webhook_signing_secret": config.StringVariable("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}
		},
		check: func(t *testing.T, got map[string]exampleRun) {
			r := only(got)
			checkRecords(t, "quickstart", r.recs, 18, "changed", "email name plan role source") // 2 of the 20 users are churned
			if h := r.reqs[0].Header; h.Get("Authorization") != "Bearer tok" || h.Get("Webhook-Signature") == "" {
				t.Errorf("quickstart: headers %v", h)
			}
		},
	},
	{
		dir: "all-behaviors",
		setup: func(t *testing.T, e *testEnv, hook string) config.Variables {
			e.readmeUsers(t, 20)
			return config.Variables{"warehouse_url": config.StringVariable(e.whURL), "webhook_url": config.StringVariable(hook + "/hooks/backflow")}
		},
		syncs: []string{"Users: update or create", "Users: signups"}, // "Users: mirror" is paused
		check: func(t *testing.T, got map[string]exampleRun) {
			checkRecords(t, "update or create", got["Users: update or create"].recs, 20, "changed", "company email name source")
			checkRecords(t, "signups", got["Users: signups"].recs, 20, "changed", "email event signed_up_at")
		},
	},
	{
		dir: "hashed-audience",
		setup: func(t *testing.T, e *testEnv, hook string) config.Variables {
			e.readmeUsers(t, 20)
			return config.Variables{"warehouse_url": config.StringVariable(e.whURL), "api_url": config.StringVariable(hook + "/audiences/members")}
		},
		check: func(t *testing.T, got map[string]exampleRun) {
			r := only(got)
			checkRecords(t, "hashed-audience", r.recs, 20, "changed", "email_sha256 external_id name operation run_id")
			d := r.recs[0].Data
			sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(d["external_id"].(string)))))
			if d["email_sha256"] != hex.EncodeToString(sum[:]) || d["operation"] != "new" {
				t.Errorf("hashed-audience: record %v", d)
			}
			if a := r.reqs[0].Header.Get("Authorization"); !strings.HasPrefix(a, "Basic ") {
				t.Errorf("hashed-audience: Authorization %q, want basic auth", a)
			}
		},
	},
	{
		dir: "hashed-audience", name: "hashed-audience-oauth2", // with TF_VAR_token_url, TF_VAR_client_id, TF_VAR_client_secret
		setup: func(t *testing.T, e *testEnv, hook string) config.Variables {
			e.readmeUsers(t, 20)
			ts := webhooktest.NewTokenServer(t, "reverse-etl", "s3cret", 3600)
			return config.Variables{"warehouse_url": config.StringVariable(e.whURL), "api_url": config.StringVariable(hook + "/audiences/members"),
				"token_url": config.StringVariable(ts.URL + "/oauth/token"), "client_id": config.StringVariable("reverse-etl"),
				"client_secret": config.StringVariable("s3cret")}
		},
		check: func(t *testing.T, got map[string]exampleRun) {
			r := only(got)
			checkRecords(t, "hashed-audience-oauth2", r.recs, 20, "changed", "email_sha256 external_id name operation run_id")
			if a := r.reqs[0].Header.Get("Authorization"); !strings.HasPrefix(a, "Bearer tok-") { // the apply's connection test took one too
				t.Errorf("hashed-audience-oauth2: Authorization %q, want the token server's", a)
			}
		},
	},
	{
		dir: "mysql",
		setup: func(t *testing.T, e *testEnv, hook string) config.Variables {
			url, db := warehousetest.NewMySQLDatabase(t)
			// The header's table, in the test's database instead of shop.
			for _, q := range exampleStatements(t, "mysql", "The table it reads") {
				if _, err := db.Exec(strings.ReplaceAll(q, "shop.", "")); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			return config.Variables{"mysql_url": config.StringVariable(url), "webhook_url": config.StringVariable(hook + "/hooks/backflow")}
		},
		check: func(t *testing.T, got map[string]exampleRun) {
			r := only(got)
			checkRecords(t, "mysql", r.recs, 2, "changed", "customer_id email plan source")
			if d := r.recs[0].Data; fmt.Sprintf("%v %v", d["customer_id"], d["plan"]) != "1 paid" {
				t.Errorf("mysql: record %v", d)
			}
		},
	},
	{
		dir: "sequences",
		setup: func(t *testing.T, e *testEnv, hook string) config.Variables {
			for _, q := range exampleStatements(t, "sequences", "The tables it reads") {
				e.execWarehouse(t, q)
			}
			return config.Variables{"warehouse_url": config.StringVariable(e.whURL), "crm_webhook_url": config.StringVariable(hook + "/crm")}
		},
		syncs: []string{"Accounts to CRM", "Plans to CRM", "Contacts to CRM (sequences)"},
		check: func(t *testing.T, got map[string]exampleRun) {
			checkRecords(t, "accounts", got["Accounts to CRM"].recs, 2, "changed", "account_id name")
			checkRecords(t, "plans", got["Plans to CRM"].recs, 2, "changed", "plan_id price")
			checkRecords(t, "contacts", got["Contacts to CRM (sequences)"].recs, 2, "changed", "account_id email first_name plan_id") // not the one without an email
		},
	},
}

// Every standalone example applies with only the variables its header says to set, reads the
// data its header (or README.md's walkthrough) makes, and its syncs deliver what it says.
func TestAccExamples(t *testing.T) {
	for _, tc := range exampleCases {
		name := tc.name
		if name == "" {
			name = tc.dir
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testExample(t, tc)
		})
	}
}

// readmeUsers replaces the test warehouse's users table with README.md's walkthrough's, n rows
// of the fixture `make demo` uses.
func (e *testEnv) readmeUsers(t *testing.T, n int) {
	t.Helper()
	e.execWarehouse(t, "DROP TABLE users")
	for _, q := range warehousetest.UsersSQL(n) {
		e.execWarehouse(t, q)
	}
}

// checkRecords checks that an example's sync sent n records, each with operation op and the
// fields fields (sorted, space-separated).
func checkRecords(t *testing.T, what string, recs []webhooktest.Delivery, n int, op, fields string) {
	t.Helper()
	if len(recs) != n {
		t.Errorf("%s: %d records, want %d", what, len(recs), n)
		return
	}
	for _, r := range recs {
		var keys []string
		for k := range r.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if r.Op != op || strings.Join(keys, " ") != fields {
			t.Errorf("%s: a record %s %v, want %s with %s", what, r.Op, r.Data, op, fields)
			return
		}
	}
}

// exampleComment is the block of examples/DIR/main.tf's header comment that follows the line
// holding after: its indented lines up to the next line that is not one, without "#" and the
// indentation. The test runs what the header tells a user to run, so the header cannot rot.
func exampleComment(t *testing.T, dir, after string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), after)
	if !ok {
		t.Fatalf("examples/%s/main.tf: no %q in its header", dir, after)
	}
	var out []string
	for _, l := range strings.Split(rest, "\n")[1:] {
		if !strings.HasPrefix(l, "#   ") {
			break
		}
		out = append(out, strings.TrimSpace(strings.TrimPrefix(l, "#")))
	}
	return strings.Join(out, "\n")
}

// exampleStatements is the SQL block of a header (exampleComment) as statements.
func exampleStatements(t *testing.T, dir, after string) []string {
	t.Helper()
	var out []string
	for _, q := range strings.Split(exampleComment(t, dir, after), ";") {
		if q = strings.TrimSpace(q); q != "" {
			out = append(out, q)
		}
	}
	return out
}
