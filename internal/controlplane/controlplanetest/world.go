package controlplanetest

import (
	"cmp"
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// Default names of what NewWorld stores, as the README's walkthrough names them.
const (
	DefaultWarehouseName   = "Analytics warehouse"
	DefaultDestinationName = "Webhook Test"
	DefaultModelName       = "active users"
	DefaultSyncName        = "Active users to webhook"
)

// NoListener is a webhook URL where nothing listens, for destinations a test never calls.
const NoListener = "http://127.0.0.1:1/"

// WorldOpts says what NewWorld makes. The zero value is a control plane, an empty Postgres
// warehouse, its connection and a webhook destination, without a model or a sync.
type WorldOpts struct {
	// Tx builds the world on NewTxStore instead of NewStore: rolled back at cleanup, for tests
	// that need no commit (see NewTxStore). Every name the world stores is then followed by the
	// test's name, so that tests sharing the database never insert the same one.
	Tx bool
	// MaxConns bounds the control plane's pool (pool_max_conns in URL too, for the provider and
	// the CLI); 0 leaves pgx's default.
	MaxConns int

	// Users is the SQL run on the new warehouse database first (statements separated by ';'):
	// the test's users table.
	Users string
	// Warehouse is the warehouse connection to store instead of one named
	// DefaultWarehouseName to a new database of this test: no database is made (tests that
	// never read it, or bring a warehouse of their own, as the conformance suite does).
	Warehouse *controlplane.Connection
	// HookURL is the URL of the default destination, a POST webhook named
	// DefaultDestinationName; NoListener when empty.
	HookURL string
	// Destination is the destination connection to store instead of the default one.
	Destination *controlplane.Connection
	// NoConnections stops after the store and the warehouse database: the provider's tests,
	// whose connections come from their configuration.
	NoConnections bool

	// Model is the model of the warehouse to store, if any (its ConnectionID is the warehouse's;
	// its name DefaultModelName unless it has one).
	Model *controlplane.Model
	// Sync is the sync of Model to the destination to store, if any (its ModelID and
	// DestinationID are set; by default it is named DefaultSyncName, behaves
	// update_or_create, keyed by id).
	Sync *controlplane.Sync
}

// World is a test's control plane with what one sync needs, made by NewWorld: a warehouse and
// its connection, a webhook destination, a model of the warehouse and a sync of it. Model and
// Sync are copies of WorldOpts' templates, with their ids.
type World struct {
	T     testing.TB
	Ctx   context.Context
	Store *controlplane.Store
	URL   string // the control plane's URL; "" with WorldOpts.Tx
	Key   string // its secret key (BACKFLOW_SECRET_KEY)
	// WarehouseURL and WarehouseDB are the warehouse database NewWorld made: "" and nil with
	// WorldOpts.Warehouse.
	WarehouseURL string
	WarehouseDB  *pgxpool.Pool
	Warehouse    *controlplane.Connection // nil with NoConnections
	Destination  *controlplane.Connection // nil with NoConnections
	Model        *controlplane.Model      // nil without WorldOpts.Model
	Sync         *controlplane.Sync       // nil without WorldOpts.Sync

	suffix string // what follows every name with WorldOpts.Tx
}

// NewWorld makes what opts says for t. The destination is stored before the warehouse
// connection (the older row of the two, for tests that go through connections in order).
func NewWorld(t testing.TB, opts WorldOpts) *World {
	t.Helper()
	w := &World{T: t, Ctx: context.Background()}
	if opts.Tx {
		w.Store, w.Key = NewTxStore(t)
		w.suffix = " (" + t.Name() + ")"
	} else {
		w.Store, w.URL, w.Key = newStore(t, opts.MaxConns)
	}
	if opts.Warehouse == nil {
		w.WarehouseURL = NewDatabase(t)
		w.WarehouseDB = Pool(t, w.WarehouseURL)
		if opts.Users != "" {
			w.Exec(opts.Users)
		}
	} else if opts.Users != "" {
		t.Fatal("controlplanetest: WorldOpts.Users needs the warehouse database NewWorld makes, not WorldOpts.Warehouse")
	}
	if opts.NoConnections {
		return w
	}
	if opts.Destination != nil {
		w.Destination = w.named(*opts.Destination)
	} else {
		w.Destination = w.named(controlplane.Connection{Name: DefaultDestinationName,
			Webhook: &controlplane.WebhookConfig{URL: cmp.Or(opts.HookURL, NoListener), Method: "POST"}})
	}
	if opts.Warehouse != nil {
		w.Warehouse = w.named(*opts.Warehouse)
	} else {
		w.Warehouse = w.named(controlplane.Connection{Name: DefaultWarehouseName,
			Postgres: &controlplane.PostgresConfig{URL: w.WarehouseURL}})
	}
	for _, c := range []*controlplane.Connection{w.Destination, w.Warehouse} {
		if err := w.Store.CreateConnection(w.Ctx, c); err != nil {
			t.Fatalf("create connection %q: %v", c.Name, err)
		}
	}
	if opts.Model == nil {
		if opts.Sync != nil {
			t.Fatal("controlplanetest: WorldOpts.Sync needs a WorldOpts.Model")
		}
		return w
	}
	m := *opts.Model
	m.Name = cmp.Or(m.Name, DefaultModelName)
	w.Model = w.NewModel(m)
	if opts.Sync != nil {
		w.Sync = w.NewSync(*opts.Sync)
	}
	return w
}

// NewModel stores m, a model of the world's warehouse unless m says otherwise, and returns it.
func (w *World) NewModel(m controlplane.Model) *controlplane.Model {
	w.T.Helper()
	m.Name = w.Name(m.Name)
	if m.ConnectionID == 0 {
		m.ConnectionID = w.Warehouse.ID
	}
	if err := w.Store.CreateModel(w.Ctx, &m); err != nil {
		w.T.Fatalf("create model %q: %v", m.Name, err)
	}
	return &m
}

// NewSync stores y, a sync of the world's model to its destination unless y says otherwise,
// with the defaults NewWorld gives its sync, and returns it.
func (w *World) NewSync(y controlplane.Sync) *controlplane.Sync {
	w.T.Helper()
	y.Name = w.Name(cmp.Or(y.Name, DefaultSyncName))
	if y.ModelID == 0 {
		y.ModelID = w.Model.ID
	}
	if y.DestinationID == 0 {
		y.DestinationID = w.Destination.ID
	}
	y.Behavior = cmp.Or(y.Behavior, controlplane.BehaviorUpdateOrCreate)
	y.PrimaryKey = cmp.Or(y.PrimaryKey, "id")
	if err := w.Store.CreateSync(w.Ctx, &y); err != nil {
		w.T.Fatalf("create sync %q: %v", y.Name, err)
	}
	return &y
}

// Name is name as the world stores it: followed by the test's name with WorldOpts.Tx.
func (w *World) Name(name string) string { return name + w.suffix }

// Exec runs fixture SQL on the warehouse database NewWorld made.
func (w *World) Exec(sql string, args ...any) {
	w.T.Helper()
	if w.WarehouseDB == nil {
		w.T.Fatal("controlplanetest: World.Exec needs the warehouse database NewWorld makes")
	}
	if _, err := w.WarehouseDB.Exec(w.Ctx, sql, args...); err != nil {
		w.T.Fatalf("warehouse: %v", err)
	}
}

// named is a copy of c under its world name.
func (w *World) named(c controlplane.Connection) *controlplane.Connection {
	c.Name = w.Name(c.Name)
	return &c
}
