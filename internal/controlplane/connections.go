package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Connection kinds.
const (
	KindPostgres = "postgres"
	KindMySQL    = "mysql"
	KindDuckDB   = "duckdb"
	KindWebhook  = "webhook"
)

// WarehouseKinds are the kinds of connection a model can read from.
var WarehouseKinds = []string{KindPostgres, KindMySQL, KindDuckDB}

// Connection is a warehouse to read from or a webhook to deliver to. Exactly one of Postgres,
// MySQL, DuckDB and Webhook is set.
type Connection struct {
	ID        int64
	Name      string
	Postgres  *PostgresConfig
	MySQL     *MySQLConfig
	DuckDB    *DuckDBConfig
	Webhook   *WebhookConfig
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Kind is the connection's kind: KindPostgres, KindMySQL, KindDuckDB or KindWebhook ("" when
// none is set).
func (c *Connection) Kind() string {
	switch {
	case c.Webhook != nil:
		return KindWebhook
	case c.MySQL != nil:
		return KindMySQL
	case c.DuckDB != nil:
		return KindDuckDB
	case c.Postgres != nil:
		return KindPostgres
	}
	return ""
}

// IsWarehouse reports whether a model can read from the connection.
func (c *Connection) IsWarehouse() bool { return c.Kind() != KindWebhook && c.Kind() != "" }

// PostgresConfig is a Postgres warehouse.
type PostgresConfig struct {
	URL string // secret
	// StatementTimeout bounds every statement a model read runs (runs, tests, dry runs and
	// plan-time describes); LockTimeout bounds how long one waits for a lock. Zero: the
	// warehouse package's defaults.
	StatementTimeout time.Duration
	LockTimeout      time.Duration
	// Spelled is how the configuration wrote the timeouts ("90s" rather than "1m30s"): stored
	// beside them so that an import reads back what the configuration says, and a plan after
	// it is empty. A spelling that does not mean the stored timeout is not kept.
	Spelled TimeoutSpelling
}

// TimeoutSpelling is the text a configuration wrote a warehouse's timeouts in; empty: none kept.
type TimeoutSpelling struct {
	StatementTimeout string
	LockTimeout      string
}

// MySQLConfig is a MySQL or MariaDB warehouse. Its timeouts mean what PostgresConfig's do.
type MySQLConfig struct {
	URL              string // secret: mysql://user:password@host:3306/database?params
	StatementTimeout time.Duration
	LockTimeout      time.Duration
	Spelled          TimeoutSpelling
}

// DuckDBConfig is a DuckDB database: a file path, ":memory:" or "md:..." (MotherDuck), and SQL
// run when it is opened (extensions, secrets for S3 or MotherDuck). Both are sealed: either
// may carry a token. StatementTimeout means what PostgresConfig's does (DuckDB has no lock
// waits, so no lock timeout).
type DuckDBConfig struct {
	Database         string // secret
	InitSQL          string // secret
	StatementTimeout time.Duration
	Spelled          TimeoutSpelling // its StatementTimeout only
}

// postgresSettings are the non-secret settings of postgres, mysql and duckdb connections: the
// timeouts in milliseconds, and as the configuration spelled them.
type postgresSettings struct {
	StatementTimeoutMS int64  `json:"statement_timeout_ms,omitempty"`
	LockTimeoutMS      int64  `json:"lock_timeout_ms,omitempty"`
	StatementTimeout   string `json:"statement_timeout,omitempty"`
	LockTimeout        string `json:"lock_timeout,omitempty"`
}

// newPostgresSettings are the settings of timeouts st and lt, spelled as sp says where that
// means the same duration (a spelling of another duration, or of an unset timeout, is dropped).
func newPostgresSettings(st, lt time.Duration, sp TimeoutSpelling) postgresSettings {
	return postgresSettings{StatementTimeoutMS: st.Milliseconds(), LockTimeoutMS: lt.Milliseconds(),
		StatementTimeout: spelling(sp.StatementTimeout, st), LockTimeout: spelling(sp.LockTimeout, lt)}
}

// spelled is the spelling of the settings' timeouts that still means them.
func (ps postgresSettings) spelled() TimeoutSpelling {
	return TimeoutSpelling{
		StatementTimeout: spelling(ps.StatementTimeout, time.Duration(ps.StatementTimeoutMS)*time.Millisecond),
		LockTimeout:      spelling(ps.LockTimeout, time.Duration(ps.LockTimeoutMS)*time.Millisecond),
	}
}

// spelling is text when it is a duration equal to d (above zero), else empty.
func spelling(text string, d time.Duration) string {
	if p, err := time.ParseDuration(text); err != nil || d <= 0 || p != d {
		return ""
	}
	return text
}

// WebhookConfig is a webhook destination.
type WebhookConfig struct {
	URL                  string            // secret
	Method               string            // POST, PUT or PATCH
	Headers              map[string]string // secret
	SigningSecret        string            // secret; empty: no signatures
	MaxRequestsPerSecond int64             // 0: not paced; fixed mode when RateLimit is nil
	RateLimit            *RateLimit        // nil: fixed at MaxRequestsPerSecond (see Pacing)
	TestOnSave           bool
	// At most one of OAuth2, BasicAuth and an Authorization header is set (webhook.CheckAuth).
	OAuth2    *OAuth2Config // nil: none
	BasicAuth *BasicAuth    // nil: none
}

// OAuth2Config is the OAuth2 client-credentials grant a webhook's requests get their bearer
// token from.
type OAuth2Config struct {
	TokenURL     string
	ClientID     string
	ClientSecret string // secret
	Scopes       []string
	Parameters   map[string]string // extra form parameters of the token request (e.g. audience)
}

// BasicAuth is HTTP basic authentication.
type BasicAuth struct {
	Username string
	Password string // secret
}

type webhookSettings struct {
	Method               string          `json:"method"`
	MaxRequestsPerSecond int64           `json:"max_requests_per_second,omitempty"`
	RateLimit            *RateLimit      `json:"rate_limit,omitempty"`
	TestOnSave           bool            `json:"test_on_save"`
	OAuth2               *oauth2Settings `json:"oauth2,omitempty"`
	BasicAuthUsername    *string         `json:"basic_auth_username,omitempty"`
}

// oauth2Settings are an OAuth2Config's settings that are not secret.
type oauth2Settings struct {
	TokenURL string `json:"token_url"`
	ClientID string `json:"client_id"`
	// omitzero: none (nil) is left out, `scopes = []` and `parameters = {}` are kept as [] and
	// {}, so that an import reads back what the configuration says.
	Scopes     []string          `json:"scopes,omitzero"`
	Parameters map[string]string `json:"parameters,omitzero"`
}

// legacyConnectionSecretsAAD is the additional data of connection secrets sealed by releases
// before sealedFor: the same for every connection, so such sealed bytes copied into another
// connection's row opened there. They are still opened; every write and every rekey seals anew
// with sealedFor.
var legacyConnectionSecretsAAD = []byte("backflow connection secrets")

// sealedFor is what a connection's sealed secrets are bound to (AES-GCM additional data): its
// id, its kind and, for a webhook with oauth2, the token URL its client secret is sent to (a
// setting stored in the clear). Sealed bytes moved to another connection's row (swapped,
// copied) do not open there, so a runner never sends one connection's records with another's
// URL and credentials; nor does a token URL changed in the control plane receive the client
// secret.
type sealedFor struct {
	id       int64
	kind     string
	tokenURL string
}

// sealedForColumns reads a sealedFor from a connections row (scanned into id, kind, tokenURL);
// CheckKeyInUse spells them out for its alias.
const sealedForColumns = `id, kind, coalesce(config->'oauth2'->>'token_url', '')`

func (f sealedFor) aad() []byte {
	return fmt.Appendf(nil, "backflow connection secrets\x00%s\x00%d\x00%s", f.kind, f.id, f.tokenURL)
}

// tokenURLOf is the oauth2 token URL of a webhook connection's settings (config), "" without.
func tokenURLOf(kind string, config []byte) (string, error) {
	if kind != KindWebhook {
		return "", nil
	}
	var ws webhookSettings
	if err := json.Unmarshal(config, &ws); err != nil {
		return "", err
	}
	if ws.OAuth2 == nil {
		return "", nil
	}
	return ws.OAuth2.TokenURL, nil
}

type connectionSecrets struct {
	URL string `json:"url"`
	// omitzero: no headers (nil) are left out, and `headers = {}` is kept as {}, so that an
	// import reads back the configuration's empty map rather than none.
	Headers       map[string]string `json:"headers,omitzero"`
	SigningSecret string            `json:"signing_secret,omitempty"`
	InitSQL       string            `json:"init_sql,omitempty"`
	// OAuth2ClientSecret and BasicAuthPassword are a webhook's auth secrets.
	OAuth2ClientSecret string `json:"oauth2_client_secret,omitempty"`
	BasicAuthPassword  string `json:"basic_auth_password,omitempty"`
}

// connectionParts splits c into its kind, its settings that are not secret (config) and the
// JSON of its secrets (plain), sealed once its id is known with sealedFor{id, kind, tokenURL}.
func (s *Store) connectionParts(c *Connection) (kind string, config []byte, plain []byte, tokenURL string, err error) {
	if err := s.needSealer(); err != nil {
		return "", nil, nil, "", err
	}
	var secrets connectionSecrets
	set := 0
	for _, p := range []bool{c.Postgres != nil, c.MySQL != nil, c.DuckDB != nil, c.Webhook != nil} {
		if p {
			set++
		}
	}
	switch {
	case set != 1:
		return "", nil, nil, "", errors.New("a connection needs exactly one of postgres, mysql, duckdb and webhook")
	case c.Postgres != nil:
		kind = KindPostgres
		config, err = json.Marshal(newPostgresSettings(c.Postgres.StatementTimeout, c.Postgres.LockTimeout, c.Postgres.Spelled))
		if err != nil {
			return "", nil, nil, "", err
		}
		secrets.URL = c.Postgres.URL
	case c.MySQL != nil:
		kind = KindMySQL
		config, err = json.Marshal(newPostgresSettings(c.MySQL.StatementTimeout, c.MySQL.LockTimeout, c.MySQL.Spelled))
		if err != nil {
			return "", nil, nil, "", err
		}
		secrets.URL = c.MySQL.URL
	case c.DuckDB != nil:
		kind = KindDuckDB
		config, err = json.Marshal(newPostgresSettings(c.DuckDB.StatementTimeout, 0,
			TimeoutSpelling{StatementTimeout: c.DuckDB.Spelled.StatementTimeout}))
		if err != nil {
			return "", nil, nil, "", err
		}
		secrets = connectionSecrets{URL: c.DuckDB.Database, InitSQL: c.DuckDB.InitSQL}
	default:
		kind = KindWebhook
		w := c.Webhook
		ws := webhookSettings{Method: w.Method, MaxRequestsPerSecond: w.MaxRequestsPerSecond, RateLimit: w.RateLimit, TestOnSave: w.TestOnSave}
		secrets = connectionSecrets{URL: w.URL, Headers: w.Headers, SigningSecret: w.SigningSecret}
		if o := w.OAuth2; o != nil {
			ws.OAuth2 = &oauth2Settings{TokenURL: o.TokenURL, ClientID: o.ClientID, Scopes: o.Scopes, Parameters: o.Parameters}
			secrets.OAuth2ClientSecret = o.ClientSecret
			tokenURL = o.TokenURL
		}
		if b := w.BasicAuth; b != nil {
			ws.BasicAuthUsername = &b.Username
			secrets.BasicAuthPassword = b.Password
		}
		if config, err = json.Marshal(ws); err != nil {
			return "", nil, nil, "", err
		}
	}
	plain, err = json.Marshal(secrets)
	if err != nil {
		return "", nil, nil, "", err
	}
	return kind, config, plain, tokenURL, nil
}

const connectionColumns = `id, name, kind, config, sealed_secrets, created_at, updated_at`

func (s *Store) scanConnection(row pgx.Row) (*Connection, error) {
	var (
		c      Connection
		kind   string
		config []byte
		sealed []byte
	)
	if err := row.Scan(&c.ID, &c.Name, &kind, &config, &sealed, &c.CreatedAt, &c.UpdatedAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if err := s.needSealer(); err != nil {
		return nil, err
	}
	tokenURL, err := tokenURLOf(kind, config)
	if err != nil {
		return nil, fmt.Errorf("connection %q: settings are not valid JSON: %w", c.Name, err)
	}
	secrets, err := s.openSecrets(sealedFor{c.ID, kind, tokenURL}, sealed)
	if err != nil {
		return nil, fmt.Errorf("connection %q: %w", c.Name, err)
	}
	switch kind {
	case KindPostgres:
		var ps postgresSettings
		if err := json.Unmarshal(config, &ps); err != nil {
			return nil, fmt.Errorf("connection %q: settings are not valid JSON: %w", c.Name, err)
		}
		c.Postgres = &PostgresConfig{URL: secrets.URL,
			StatementTimeout: time.Duration(ps.StatementTimeoutMS) * time.Millisecond,
			LockTimeout:      time.Duration(ps.LockTimeoutMS) * time.Millisecond, Spelled: ps.spelled()}
	case KindMySQL:
		var ps postgresSettings
		if err := json.Unmarshal(config, &ps); err != nil {
			return nil, fmt.Errorf("connection %q: settings are not valid JSON: %w", c.Name, err)
		}
		c.MySQL = &MySQLConfig{URL: secrets.URL,
			StatementTimeout: time.Duration(ps.StatementTimeoutMS) * time.Millisecond,
			LockTimeout:      time.Duration(ps.LockTimeoutMS) * time.Millisecond, Spelled: ps.spelled()}
	case KindDuckDB:
		var ps postgresSettings
		if err := json.Unmarshal(config, &ps); err != nil {
			return nil, fmt.Errorf("connection %q: settings are not valid JSON: %w", c.Name, err)
		}
		c.DuckDB = &DuckDBConfig{Database: secrets.URL, InitSQL: secrets.InitSQL,
			StatementTimeout: time.Duration(ps.StatementTimeoutMS) * time.Millisecond,
			Spelled:          TimeoutSpelling{StatementTimeout: ps.spelled().StatementTimeout}}
	case KindWebhook:
		var ws webhookSettings
		if err := json.Unmarshal(config, &ws); err != nil {
			return nil, fmt.Errorf("connection %q: settings are not valid JSON: %w", c.Name, err)
		}
		c.Webhook = &WebhookConfig{
			URL: secrets.URL, Method: ws.Method, Headers: secrets.Headers, SigningSecret: secrets.SigningSecret,
			MaxRequestsPerSecond: ws.MaxRequestsPerSecond, RateLimit: ws.RateLimit, TestOnSave: ws.TestOnSave,
		}
		if o := ws.OAuth2; o != nil {
			c.Webhook.OAuth2 = &OAuth2Config{TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: secrets.OAuth2ClientSecret,
				Scopes: o.Scopes, Parameters: o.Parameters}
		}
		if ws.BasicAuthUsername != nil {
			c.Webhook.BasicAuth = &BasicAuth{Username: *ws.BasicAuthUsername, Password: secrets.BasicAuthPassword}
		}
	default:
		return nil, fmt.Errorf("connection %q has unknown kind %q", c.Name, kind)
	}
	return &c, nil
}

// CreateConnection stores a new connection and fills in its id and timestamps.
func (s *Store) CreateConnection(ctx context.Context, c *Connection) error {
	kind, config, plain, tokenURL, err := s.connectionParts(c)
	if err != nil {
		return err
	}
	return s.createTx(ctx, func(tx pgx.Tx) error {
		if err := s.checkKey(ctx, tx); err != nil {
			return err
		}
		// The id first: the secrets are sealed with it (sealedFor). The row is inserted with
		// no sealed secrets (which open for no key) and given them before the transaction
		// commits, so no other session sees it so. Not nextval on the id's sequence: identity
		// columns need no privilege on it, and a role that may only read and write the tables
		// created connections before.
		err := tx.QueryRow(ctx, `INSERT INTO backflow.connections (name, kind, config, sealed_secrets)
			VALUES ($1, $2, $3, '') RETURNING id, created_at, updated_at`, c.Name, kind, config).
			Scan(&c.ID, &c.CreatedAt, &c.UpdatedAt)
		if err != nil {
			return nameTaken(err, "connection", c.Name)
		}
		_, err = tx.Exec(ctx, `UPDATE backflow.connections SET sealed_secrets = $2 WHERE id = $1`,
			c.ID, s.sealer.Seal(plain, sealedFor{c.ID, kind, tokenURL}.aad()))
		return err
	})
}

// checkKey refuses a write sealed under a key that opens none of the control plane's
// connections: a typo, another environment's key, or a provider not yet given the key a rekey
// moved to. What it sealed would open for no runner, and every later rekey would stop at it
// (neither key opens it). An empty control plane takes any key.
//
// It first locks the connections in SHARE ROW EXCLUSIVE mode, held until the write commits. The
// mode conflicts with itself: two writes check one after the other, the second seeing what the
// first wrote, so two providers under different keys writing the first connections of an empty
// control plane at the same moment do not both pass (the second is refused). It conflicts with
// ROW EXCLUSIVE, which DeleteConnection therefore takes before it locks its row (a delete holding
// the row lock while it waits for this lock, and a write holding this lock while it waits for the
// row, would deadlock). And it conflicts with the rekey's EXCLUSIVE: a rekey running now commits
// before the rows are read, and one starting later waits for this write and reseals it. Plain
// reads (the runners) are not held back.
func (s *Store) checkKey(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `LOCK TABLE backflow.connections IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("lock the connections: %w", err)
	}
	// The most recently written first: the one most likely under the current key.
	rows, err := tx.Query(ctx, `SELECT `+sealedForColumns+`, sealed_secrets FROM backflow.connections ORDER BY updated_at DESC, id DESC`)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var f sealedFor
		var sealed []byte
		if err := rows.Scan(&f.id, &f.kind, &f.tokenURL, &sealed); err != nil {
			return err
		}
		if s.opens(f, sealed) {
			return nil
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("nothing was written: the key opens none of the control plane's %d connections "+
		"(during a key rotation, give it the key `backflow-runner rekey` moved to): %w", n, ErrWrongKey)
}

// openConnectionSecrets opens a connection's sealed secrets with key: sealed for f, or by an
// earlier release with legacyConnectionSecretsAAD (legacy true). Sealed bytes of another
// connection do not open: ErrWrongKey.
func openConnectionSecrets(key *Sealer, f sealedFor, sealed []byte) (plain []byte, legacy bool, err error) {
	if plain, err := key.Open(sealed, f.aad()); err == nil {
		return plain, false, nil
	}
	plain, err = key.Open(sealed, legacyConnectionSecretsAAD)
	return plain, err == nil, err
}

// openSecrets opens a connection's sealed secrets with the store's key.
func (s *Store) openSecrets(f sealedFor, sealed []byte) (connectionSecrets, error) {
	var secrets connectionSecrets
	plain, _, err := openConnectionSecrets(s.sealer, f, sealed)
	if err != nil {
		return secrets, err
	}
	if err := json.Unmarshal(plain, &secrets); err != nil {
		return secrets, fmt.Errorf("sealed secrets are not valid JSON: %w", err)
	}
	return secrets, nil
}

// sealedURL is the URL in a connection's sealed secrets; "" when the store's key does not open
// them.
func (s *Store) sealedURL(f sealedFor, sealed []byte) string {
	secrets, _ := s.openSecrets(f, sealed)
	return secrets.URL
}

// opens reports whether the store's key opens a connection's sealed secrets.
func (s *Store) opens(f sealedFor, sealed []byte) bool {
	_, _, err := openConnectionSecrets(s.sealer, f, sealed)
	return err == nil
}

// KeyCheck is what CheckKeyInUse found.
type KeyCheck struct {
	// InUse counts the connections the syncs use: their models' warehouses, their destinations,
	// and the destinations of the notifications that send about them.
	InUse int
	// Unopened are those the store's key cannot open, by id.
	Unopened []NamedConnection
	// Unbound are those it opens that an earlier release sealed without binding them to their
	// connection (sealedFor): until written again or resealed by a rekey, their sealed bytes
	// would also open in another connection's row.
	Unbound []NamedConnection
}

// NamedConnection is a connection's id and name.
type NamedConnection struct {
	ID   int64
	Name string
}

// CheckKeyInUse reads, in one query, the sealed secrets of the connections a runner needs to run
// the syncs and send their notifications, and tells which of them the store's key cannot open:
// with the wrong key every run of those syncs fails, and their alerts cannot be sent.
func (s *Store) CheckKeyInUse(ctx context.Context) (KeyCheck, error) {
	if err := s.needSealer(); err != nil {
		return KeyCheck{}, err
	}
	rows, err := s.db.Query(ctx, `SELECT c.name, c.id, c.kind, coalesce(c.config->'oauth2'->>'token_url', ''), c.sealed_secrets FROM backflow.connections c
		WHERE c.id IN (SELECT m.connection_id FROM backflow.syncs y JOIN backflow.models m ON m.id = y.model_id)
		   OR c.id IN (SELECT y.destination_id FROM backflow.syncs y)
		   OR c.id IN (SELECT n.destination_id FROM backflow.notifications n WHERE EXISTS (SELECT FROM backflow.syncs y
				WHERE cardinality(n.sync_ids) = 0 OR y.id = ANY (n.sync_ids)))
		ORDER BY c.id`)
	if err != nil {
		return KeyCheck{}, err
	}
	defer rows.Close()
	var kc KeyCheck
	for rows.Next() {
		var c NamedConnection
		var f sealedFor
		var sealed []byte
		if err := rows.Scan(&c.Name, &f.id, &f.kind, &f.tokenURL, &sealed); err != nil {
			return KeyCheck{}, err
		}
		c.ID = f.id
		kc.InUse++
		switch _, legacy, err := openConnectionSecrets(s.sealer, f, sealed); {
		case err != nil:
			kc.Unopened = append(kc.Unopened, c)
		case legacy:
			kc.Unbound = append(kc.Unbound, c)
		}
	}
	if err := rows.Err(); err != nil {
		return KeyCheck{}, err
	}
	return kc, nil
}

// UpdateConnection rewrites connection c.ID. Its kind may not change.
func (s *Store) UpdateConnection(ctx context.Context, c *Connection) error {
	kind, config, plain, tokenURL, err := s.connectionParts(c)
	if err != nil {
		return err
	}
	sealed := s.sealer.Seal(plain, sealedFor{c.ID, kind, tokenURL}.aad())
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := s.checkKey(ctx, tx); err != nil {
			return err
		}
		var old sealedFor
		var oldSealed []byte
		err := tx.QueryRow(ctx, `SELECT `+sealedForColumns+`, sealed_secrets FROM backflow.connections WHERE id = $1 FOR UPDATE`, c.ID).
			Scan(&old.id, &old.kind, &old.tokenURL, &oldSealed)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("connection %d: %w", c.ID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if old.kind != kind {
			return fmt.Errorf("connection %q is a %s connection and cannot become a %s one in place: replace it", c.Name, old.kind, kind)
		}
		// clock_timestamp(), not now() (this transaction's start): a run that starts while this
		// transaction is open reads the connection as it was, and a cursor sync's full read by
		// that run must not pass for one of the connection written here (runner's planRead
		// compares the two times). Only a run starting between this statement and the commit,
		// a fraction of a millisecond, still can.
		err = tx.QueryRow(ctx, `UPDATE backflow.connections SET name = $2, config = $3, sealed_secrets = $4, updated_at = clock_timestamp()
			WHERE id = $1 RETURNING updated_at`, c.ID, c.Name, config, sealed).Scan(&c.UpdatedAt)
		if err != nil {
			return nameTaken(err, "connection", c.Name)
		}
		if c.Webhook != nil && s.sealedURL(old, oldSealed) != c.Webhook.URL {
			return forgetLearnedPacing(ctx, tx, c.ID)
		}
		return nil
	})
}

// GetConnection reads a connection by id.
func (s *Store) GetConnection(ctx context.Context, id int64) (*Connection, error) {
	return s.scanConnection(s.db.QueryRow(ctx, `SELECT `+connectionColumns+` FROM backflow.connections WHERE id = $1`, id))
}

// ConnectionKind reads the kind of connection id (KindPostgres, KindWebhook, ...) without its
// secrets: commands that only show what runs did need no BACKFLOW_SECRET_KEY.
func (s *Store) ConnectionKind(ctx context.Context, id int64) (string, error) {
	var kind string
	err := s.db.QueryRow(ctx, `SELECT kind FROM backflow.connections WHERE id = $1`, id).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("connection %d: %w", id, ErrNotFound)
	}
	return kind, err
}

// GetConnectionByName reads a connection by name.
func (s *Store) GetConnectionByName(ctx context.Context, name string) (*Connection, error) {
	return s.scanConnection(s.db.QueryRow(ctx, `SELECT `+connectionColumns+` FROM backflow.connections WHERE name = $1`, name))
}

// DeleteConnection deletes a connection that no model, sync or notification uses.
func (s *Store) DeleteConnection(ctx context.Context, id int64) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		// The lock the DELETE takes, before the row lock: taken after it, while a write that
		// holds checkKey's lock waits for the row, the two would deadlock.
		if _, err := tx.Exec(ctx, `LOCK TABLE backflow.connections IN ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock the connections: %w", err)
		}
		var name string
		err := tx.QueryRow(ctx, `SELECT name FROM backflow.connections WHERE id = $1 FOR UPDATE`, id).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("connection %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		deps, err := dependents(ctx, tx, `
			SELECT 'model', name FROM backflow.models WHERE connection_id = $1
			UNION ALL SELECT 'sync', name FROM backflow.syncs WHERE destination_id = $1
			UNION ALL SELECT 'notification', name FROM backflow.notifications WHERE destination_id = $1
			ORDER BY 1, 2`, id)
		if err != nil {
			return err
		}
		if len(deps) > 0 {
			return &InUseError{Kind: "connection", Name: name, Dependents: deps}
		}
		_, err = tx.Exec(ctx, `DELETE FROM backflow.connections WHERE id = $1`, id)
		return err
	})
}
