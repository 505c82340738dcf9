package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane/controlplanetest"
	"github.com/backflowhq/terraform-provider-backflow/internal/webhook/webhooktest"
)

var protoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"backflow": providerserver.NewProtocol6WithError(New("test")()),
}

func TestMain(m *testing.M) {
	// A TF_CLI_CONFIG_FILE naming a missing file makes OpenTofu print a warning before its
	// version, which terraform-exec then cannot parse; the tests need no CLI configuration.
	if f := os.Getenv("TF_CLI_CONFIG_FILE"); f != "" {
		if _, err := os.Stat(f); err != nil {
			os.Unsetenv("TF_CLI_CONFIG_FILE")
		}
	}
	os.Exit(m.Run())
}

// testEnv is one acceptance test's world: its own control plane, key and warehouse.
type testEnv struct {
	cpURL string // control plane, as the provider block gets it
	key   string
	whURL string // warehouse with a users table
	cp    *pgxpool.Pool
	wh    *pgxpool.Pool
	store *controlplane.Store
}

// newTestEnv creates the databases an acceptance test needs. Without TF_ACC it skips, as
// resource.Test would, before creating anything.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it")
	}
	// Few connections per pool: many tests run at once against one shared Postgres.
	w := controlplanetest.NewWorld(t, controlplanetest.WorldOpts{MaxConns: 2, NoConnections: true,
		Users: `CREATE TABLE users (
		unique_id  text PRIMARY KEY,
		email      text NOT NULL,
		first_name text,
		active     boolean NOT NULL DEFAULT true,
		created_at timestamptz NOT NULL DEFAULT now()
	);
	INSERT INTO users (unique_id, email, first_name) VALUES ('u1', 'alycia@example.com', 'Alycia')`})
	t.Cleanup(func() { closeStore(w.URL, w.Key) }) // before the database is dropped
	e := &testEnv{cpURL: w.URL, key: w.Key, whURL: w.WarehouseURL, cp: controlplanetest.Pool(t, w.URL), wh: w.WarehouseDB, store: w.Store}
	// Most tests pause in t.Parallel (resource.ParallelTest) after this, until the package's serial
	// tests are done: paused, they must hold no connection, or together they exhaust the server's
	// max_connections (100 by default). The pools open connections again when the test resumes.
	for _, p := range []*pgxpool.Pool{e.cp, e.wh, e.store.Pool()} {
		p.Reset()
	}
	return e
}

// provider is the provider block; configs start with it.
func (e *testEnv) provider() string {
	return fmt.Sprintf("provider \"backflow\" {\n  database_url = %q\n  secret_key   = %q\n}\n", e.cpURL, e.key)
}

// config joins the provider block and HCL fragments.
func (e *testEnv) config(parts ...string) string {
	return e.provider() + strings.Join(parts, "\n")
}

func (e *testEnv) warehouseConnection(resourceName, name string) string {
	return fmt.Sprintf(`
resource "backflow_connection" %q {
  name     = %q
  postgres = { url = %q }
}
`, resourceName, name, e.whURL)
}

func (e *testEnv) execControlPlane(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := e.cp.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("control plane: %s: %v", sql, err)
	}
}

func (e *testEnv) execWarehouse(t *testing.T, sql string) {
	t.Helper()
	if _, err := e.wh.Exec(context.Background(), sql); err != nil {
		t.Fatalf("warehouse: %v", err)
	}
}

// checkDestroyed is a CheckDestroy that finds no row left in the control plane.
func (e *testEnv) checkDestroyed(*terraform.State) error {
	var n int
	err := e.cp.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM backflow.connections)
		+ (SELECT count(*) FROM backflow.models) + (SELECT count(*) FROM backflow.syncs)`).Scan(&n)
	if err != nil {
		return err
	}
	if n != 0 {
		return fmt.Errorf("%d control-plane rows left after destroy", n)
	}
	return nil
}

// countRows counts rows of a control-plane table with a name.
func (e *testEnv) countNamed(t *testing.T, table, name string) int {
	t.Helper()
	var n int
	if err := e.cp.QueryRow(context.Background(), `SELECT count(*) FROM backflow.`+table+` WHERE name = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// newReceiver is a real local webhook endpoint answering every request with status and body.
func newReceiver(t *testing.T, status int, body string) *webhooktest.Receiver {
	t.Helper()
	r := webhooktest.New(t)
	r.Answer(status, body)
	return r
}

// importByName returns the resource's name attribute as the import id.
func importByName(resourceName string) func(*terraform.State) (string, error) {
	return func(s *terraform.State) (string, error) {
		rs, ok := s.RootModule().Resources[resourceName]
		if !ok {
			return "", fmt.Errorf("%s not in state", resourceName)
		}
		return rs.Primary.Attributes["name"], nil
	}
}

// stateID reads a resource's id from the state.
// expectErr matches a diagnostic however Terraform wraps its lines: spaces match any whitespace.
func expectErr(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}

// Configure's ctx bounds the connect and the migration lock wait (a cancelled plan stops
// waiting), yet the cached pool keeps working once that request is over.
func TestOpenStoreContext(t *testing.T) {
	dbURL := controlplanetest.NewDatabase(t)
	key := controlplanetest.NewKey(t)
	t.Cleanup(func() { closeStore(dbURL, key) })

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if s, err := openStore(cancelled, dbURL, key); err == nil {
		t.Fatalf("openStore with a cancelled context = %v, want an error", s)
	}

	ctx, cancel := context.WithCancel(context.Background())
	s, err := openStore(ctx, dbURL, key)
	if err != nil {
		t.Fatal(err)
	}
	cancel() // the Configure RPC is over
	if _, err := s.ListSyncs(context.Background()); err != nil {
		t.Fatalf("the store after its opening request ended: %v", err)
	}
}

// TestAccNewerControlPlaneSchema: a control plane that a newer Backflow migrated past the
// versions this provider knows is refused saying so and what to do, not as a database or key
// that cannot be reached ("Check database_url ... and that the database is reachable", which
// sent the user looking in the wrong place).
func TestAccNewerControlPlaneSchema(t *testing.T) {
	e := newTestEnv(t)
	if _, err := e.cp.Exec(context.Background(), `INSERT INTO backflow.schema_migrations (version, name) VALUES ($1, 'from_a_newer_release')`,
		controlplane.LatestVersion()+1); err != nil {
		t.Fatal(err)
	}
	// Another key, so that the provider opens the control plane anew rather than a store it
	// opened before the version row was written.
	key := controlplanetest.NewKey(t)
	t.Cleanup(func() { closeStore(e.cpURL, key) })
	cfg := fmt.Sprintf("provider \"backflow\" {\n  database_url = %q\n  secret_key   = %q\n}\n", e.cpURL, key) +
		`data "backflow_connection" "x" { name = "x" }` + "\n"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      cfg,
			ExpectError: regexp.MustCompile(`(?s)Control Plane Newer Than This Provider.*Upgrade the provider.*schema version`),
		}},
	})
}
