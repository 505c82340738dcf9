package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
	"github.com/backflowhq/terraform-provider-backflow/runner"
)

// exampleCase is one directory of examples/ applied as a user would: its main.tf unchanged but
// for the provider block, with only the variables a user sets, and its syncs run by the runner
// engine against a local receiver.
type exampleCase struct {
	dir  string // under examples/
	name string // the subtest's; default dir
	// setup makes the data the example reads (by the commands its header gives, where it gives
	// them) and returns its variables; hook is the receiver's URL.
	setup func(t *testing.T, e *testEnv, hook string) config.Variables
	syncs []string // the syncs to run, by name, in order; none: the example's only sync
	// check gets, per sync run, the requests it made and the envelope records they carried.
	check func(t *testing.T, got map[string]exampleRun)
}

// exampleRun is what the receiver got from one sync's run.
type exampleRun struct {
	reqs []webhooktest.Request
	recs []webhooktest.Delivery
}

// testExample applies tc's example, runs its syncs, checks what they sent, and destroys it.
func testExample(t *testing.T, tc exampleCase) {
	t.Helper()
	e := newTestEnv(t)
	api := webhooktest.New(t)
	dir := filepath.Join("..", "examples", tc.dir)
	vars := tc.setup(t, e, api.URL)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             e.checkDestroyed,
		Steps: []resource.TestStep{{
			Config:          exampleConfig(t, e, dir),
			ConfigVariables: vars,
			Check: func(*terraform.State) error {
				syncs, err := e.store.ListSyncs(t.Context())
				if err != nil {
					return err
				}
				names := tc.syncs
				if names == nil {
					if len(syncs) != 1 {
						return fmt.Errorf("%d syncs, want 1", len(syncs))
					}
					names = []string{syncs[0].Name}
				}
				api.Take("") // the connection tests of the apply
				got := map[string]exampleRun{}
				for _, name := range names {
					s, err := e.store.GetSyncByName(t.Context(), name)
					if err != nil {
						return fmt.Errorf("sync %q: %v", name, err)
					}
					run, err := (&runner.Engine{Store: e.store}).Run(t.Context(), s.ID, runner.RunOptions{})
					if err != nil || run.Status != controlplane.RunSucceeded {
						return fmt.Errorf("run of %q %+v: %v", name, run, err)
					}
					reqs := api.Requests()
					_, recs := api.Take("")
					got[name] = exampleRun{reqs, recs}
				}
				tc.check(t, got)
				return nil
			},
		}},
	})
}

// only is the one run of got, for examples with one sync.
func only(got map[string]exampleRun) exampleRun {
	for _, r := range got {
		return r
	}
	return exampleRun{}
}

// The examples of docs/destinations.md apply, and their syncs deliver to local receivers what
// the guide says.
func TestAccDestinationExamples(t *testing.T) {
	for _, tc := range []struct {
		dir     string
		urlVar  string
		secrets map[string]string
		check   func(t *testing.T, got []string, bodies []string)
	}{
		{
			dir: "rest-crm", urlVar: "crm_url", secrets: map[string]string{"crm_token": "tok"},
			check: func(t *testing.T, got, bodies []string) {
				want := []string{"POST /v1/contacts", "POST /v1/contacts"}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("requests %q, want %q", got, want)
				}
				for _, b := range bodies {
					var c struct {
						Email      string
						Properties map[string]any
					}
					if err := json.Unmarshal([]byte(b), &c); err != nil || c.Email == "" || c.Properties["synced_by"] != "Contacts to CRM" {
						t.Errorf("body %s: %v", b, err)
					}
				}
			},
		},
		{
			dir: "bulk-json", urlVar: "api_url", secrets: map[string]string{"api_key": "key"},
			check: func(t *testing.T, got, bodies []string) {
				if fmt.Sprint(got) != "[POST /v1/records/batch]" {
					t.Errorf("requests %q", got)
				}
				var b struct {
					Operation string
					Records   []struct {
						ID     string
						Fields map[string]any
					}
				}
				if err := json.Unmarshal([]byte(bodies[0]), &b); err != nil || b.Operation != "new" || len(b.Records) != 2 ||
					b.Records[0].ID != "ada+crm@example.com" || b.Records[0].Fields["plan"] != "pro" {
					t.Errorf("body %s: %v", bodies[0], err)
				}
			},
		},
		{
			dir: "slack", urlVar: "slack_webhook_url",
			check: func(t *testing.T, got, bodies []string) {
				if fmt.Sprint(got) != "[POST /v1]" {
					t.Errorf("requests %q", got)
				}
				var m struct{ Text string }
				if err := json.Unmarshal([]byte(bodies[0]), &m); err != nil ||
					!strings.Contains(m.Text, "*2 new signups*") || !strings.Contains(m.Text, `• Ada "the Countess" (pro, Dec 10)`) {
					t.Errorf("body %s: %v", bodies[0], err)
				}
			},
		},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			testExample(t, exampleCase{
				dir: filepath.Join("destinations", tc.dir),
				setup: func(t *testing.T, e *testEnv, hook string) config.Variables {
					e.execWarehouse(t, `CREATE TABLE contacts (email text PRIMARY KEY, first_name text, last_name text, plan text,
						mrr numeric, signed_up_at timestamptz);
						INSERT INTO contacts VALUES ('ada+crm@example.com', 'Ada "the Countess"', 'Lovelace', 'pro', 99.5, '2024-12-10 09:00:00+00'),
							('bob/x@example.com', NULL, 'Builder', 'free', 0, '2024-12-11 10:00:00+00')`)
					vars := config.Variables{"warehouse_url": config.StringVariable(e.whURL), tc.urlVar: config.StringVariable(hook + "/v1")}
					for k, v := range tc.secrets {
						vars[k] = config.StringVariable(v)
					}
					return vars
				},
				check: func(t *testing.T, got map[string]exampleRun) {
					var reqs, bodies []string
					for _, r := range only(got).reqs {
						reqs = append(reqs, r.Method+" "+r.Path)
						bodies = append(bodies, string(r.Body))
					}
					tc.check(t, reqs, bodies)
				},
			})
		})
	}
}

// exampleConfig is an example's main.tf with its terraform and provider blocks replaced by the
// test's provider configuration, and the files it reads with file("${path.module}/NAME") inlined
// (the test's configuration is written elsewhere).
func exampleConfig(t *testing.T, e *testEnv, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`(?s)terraform \{.*?\n\}\n`).ReplaceAllString(string(b), "")
	s = strings.Replace(s, `provider "backflow" {}`, e.provider(), 1)
	return regexp.MustCompile(`file\("\$\{path\.module\}/([^"]+)"\)`).ReplaceAllStringFunc(s, func(m string) string {
		name := regexp.MustCompile(`/([^"/]+)"`).FindStringSubmatch(m)[1]
		content, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return hclString(string(content))
	})
}
