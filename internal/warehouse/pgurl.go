package warehouse

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backflowhq/terraform-provider-backflow/internal/controlplane"
)

// A warehouse's Postgres URL is written by whoever writes the configuration, and read on the
// runner's host (and the provider's, at plan time), with that host's files and environment. pgx
// fills in what a connection string leaves out from the environment (PGHOST, PGUSER,
// PGPASSWORD, PGPASSFILE, PGSSLCERT...) and the home directory (~/.pgpass, ~/.postgresql's
// client certificate), and reads the files some settings name (passfile, servicefile, sslcert,
// sslkey). ParsePostgresURL is the one home of what a warehouse URL may take from the host: the
// server it names is sent nothing of the host's (no password, no client certificate), and it
// cannot name the host's own databases through a Unix socket nor leave the host to PGHOST.

// ErrPostgresURLRefused is wrapped by ParsePostgresURL's refusals; their text never holds the URL.
var ErrPostgresURLRefused = errors.New("the warehouse URL is refused")

// ErrPostgresURLOfAnotherForm is ParsePostgresURL's error for a string pgx reads as keyword/value
// settings one of whose names is not a name (controlplane.HasBadSettingName).
var ErrPostgresURLOfAnotherForm = errors.New("the warehouse URL is not a valid Postgres URL: " + controlplane.BadSettingNameProblem)

// pgRefusedKeys are the settings that make pgx read a file of the host the URL is read on, and
// why each is refused.
var pgRefusedKeys = map[string]string{
	"passfile":    "passfile names a password file of the host Backflow runs on (put the password in the URL)",
	"servicefile": "servicefile names a service file of the host Backflow runs on, whose settings would replace the URL's",
	"service":     "service reads a service file of the host Backflow runs on, whose settings would replace the URL's",
	"sslcert":     "sslcert names a client certificate file on the host Backflow runs on, which would log in as that host (Backflow sends a warehouse no client certificate)",
	"sslkey":      "sslkey names a client certificate's private key on the host Backflow runs on, which would log in as that host (Backflow sends a warehouse no client certificate)",
	"sslpassword": "sslpassword unlocks a client certificate's key on the host Backflow runs on (Backflow sends a warehouse no client certificate)",
	"sslcertmode": "sslcertmode is for client certificates, which Backflow never sends a warehouse",
}

// ParsePostgresURL parses a warehouse's Postgres connection string (a postgres:// URL or
// keyword/value settings) as pgx does, and refuses, before any file it names is read, what would
// make the connection use the host's files or identity: passfile, servicefile, service, sslcert,
// sslkey, sslpassword, sslcertmode; no host (PGHOST, or the local socket) or a Unix socket (the
// host's own Postgres, where peer authentication logs in as the runner's system user); no user
// (PGUSER, or the runner's system user). A password the string does not give is not taken from
// PGPASSWORD or a password file, and no client certificate (PGSSLCERT, ~/.postgresql) is sent.
// Refusals wrap ErrPostgresURLRefused; pgx's own parse errors (a *pgconn.ParseConfigError,
// whose text may quote the string) are returned as they are.
func ParsePostgresURL(s string) (*pgx.ConnConfig, error) {
	// The keys the string sets, as pgx reads them: pgx refuses the first key not allowed, before
	// reading any file, and names it; each named key is allowed in turn.
	keys := map[string]bool{}
	for {
		allowed := make([]string, 0, len(keys))
		for k := range keys {
			allowed = append(allowed, k)
		}
		cfg, err := pgx.ParseConfigWithOptions(s, pgx.ParseConfigOptions{
			ParseConfigOptions: pgconn.ParseConfigOptions{ConnStringAllowedKeys: allowed}})
		if err == nil {
			return checkPostgresConfig(cfg, keys)
		}
		k, ok := pgNotAllowedKey(err)
		if !ok || keys[k] || len(keys) > 100 {
			return nil, err
		}
		if why := pgRefusedKeys[k]; why != "" {
			return nil, fmt.Errorf("%w: %s", ErrPostgresURLRefused, why)
		}
		keys[k] = true
	}
}

func checkPostgresConfig(cfg *pgx.ConnConfig, keys map[string]bool) (*pgx.ConnConfig, error) {
	refuse := func(why string) (*pgx.ConnConfig, error) {
		return nil, fmt.Errorf("%w: %s", ErrPostgresURLRefused, why)
	}
	if controlplane.HasBadSettingName(cfg.RuntimeParams) {
		return nil, ErrPostgresURLOfAnotherForm
	}
	if !keys["host"] {
		return refuse("it names no host, so it would connect where the environment of the host Backflow runs on " +
			"says (PGHOST) or to its local Postgres; name the warehouse's host")
	}
	hosts := []string{cfg.Host}
	for _, f := range cfg.Fallbacks {
		hosts = append(hosts, f.Host)
	}
	for _, h := range hosts {
		if network, _ := pgconn.NetworkAddress(h, 5432); network == "unix" {
			return refuse("a host is a path, a Unix socket: the local Postgres of the host Backflow runs on, " +
				"which may log in its system user without a password; name the warehouse's host name or address")
		}
	}
	if !keys["user"] {
		return refuse("it names no user, so it would log in as PGUSER or the system user of the host Backflow " +
			"runs on; name the warehouse's user (postgres://user:password@host/db)")
	}
	if !keys["password"] {
		cfg.Password = "" // not PGPASSWORD's, nor a line of ~/.pgpass or PGPASSFILE
	}
	cfg.SSLCertMode = "disable" // no certificate of PGSSLCERT's or ~/.postgresql's
	return cfg, nil
}

// pgNotAllowedKey is the key pgx names in its refusal of a key not in ConnStringAllowedKeys.
func pgNotAllowedKey(err error) (string, bool) {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return "", false
	}
	const phrase, end = `connection string key "`, `" is not in ConnStringAllowedKeys`
	text := err.Error()
	// Inside the quoted key a '"' is escaped, so the last phrase is pgx's own.
	i := strings.LastIndex(text, phrase)
	if i < 0 || !strings.HasSuffix(text, end) {
		return "", false
	}
	k, uerr := strconv.Unquote(text[i+len(phrase)-1 : len(text)-len(end)+1])
	return k, uerr == nil
}
