package warehouse

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
		if k == "sslrootcert" {
			if why := pgRootCertProblem(s); why != "" {
				return nil, fmt.Errorf("%w: sslrootcert %s", ErrPostgresURLRefused, why)
			}
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

// pgRootCertProblem says why the sslrootcert of connection string s is refused, "" if it is not.
// pgx reads the whole file it names (os.ReadFile), before connecting: a FIFO or /dev/stdin hung
// the plan and the runner, /dev/zero or /dev/urandom grew until they ran out of memory. It must
// be "system" or a regular file of at most 1 MiB outside /proc, /sys and /dev (a missing file is
// left to pgx, which says it cannot read it). pgx does not say a setting's value, so every way
// s may be read (pgValues) is checked: any candidate refused, or none found, refuses it.
func pgRootCertProblem(s string) string {
	vals := pgValues(s, "sslrootcert")
	if len(vals) == 0 {
		return "could not be read to check it; write it as sslrootcert=/path/to/ca.pem or sslrootcert=system"
	}
	for _, v := range vals {
		if v == "" || v == "system" {
			continue
		}
		info, err := os.Stat(v)
		if err != nil {
			continue
		}
		real, rerr := filepath.EvalSymlinks(v)
		if rerr != nil {
			real = v
		}
		if abs, err := filepath.Abs(real); err == nil {
			real = abs
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(filepath.ToSlash(real), "/"), "/")
		switch {
		case first == "proc" || first == "sys" || first == "dev":
			return "names a file under /proc, /sys or /dev; name a CA certificate file, or system"
		case !info.Mode().IsRegular():
			return "names something that is not a regular file (a FIFO or a device would hang or exhaust the process that reads it); name a CA certificate file, or system"
		case info.Size() > 1<<20:
			return "names a file larger than 1 MiB, which is no CA certificate file; name one, or system"
		}
	}
	return ""
}

// pgValues is every value key may have in connection string s as pgx reads it (a postgres://
// URL's query, percent-decoded, or keyword/value settings with libpq's quotes and backslashes),
// the raw and decoded text of each occurrence both.
func pgValues(s, key string) []string {
	var vals []string
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		_, query, _ := strings.Cut(s, "?")
		queries := []string{query}
		if q, _, ok := strings.Cut(query, "#"); ok {
			queries = append(queries, q)
		}
		for _, query := range queries {
			for _, pair := range strings.Split(query, "&") {
				k, v, _ := strings.Cut(pair, "=")
				if strings.Trim(pgPercentDecode(k), " ") == key {
					d := pgPercentDecode(v)
					vals = append(vals, v, d, strings.Trim(d, " "))
				}
			}
		}
		return vals
	}
	// libpq's keyword/value rules, as pgx's parseKeywordValueSettings reads them.
	const blanks = " \t\n\r\v\f"
	unescape := func(v string) string {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' {
				i++
				if i == len(v) {
					break
				}
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	rest := strings.TrimLeft(s, blanks)
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			break
		}
		k := strings.Trim(rest[:eq], blanks)
		rest = strings.TrimLeft(rest[eq+1:], blanks)
		var v string
		switch {
		case rest == "":
		case rest[0] != '\'':
			end := 0
			for ; end < len(rest) && !strings.ContainsRune(blanks, rune(rest[end])); end++ {
				if rest[end] == '\\' {
					end++
					if end == len(rest) {
						break
					}
				}
			}
			end = min(end, len(rest))
			v, rest = unescape(rest[:end]), strings.TrimLeft(rest[end:], blanks)
		default:
			rest = rest[1:]
			end := 0
			for ; end < len(rest) && rest[end] != '\''; end++ {
				if rest[end] == '\\' {
					end++
				}
			}
			end = min(end, len(rest))
			v = unescape(rest[:end])
			rest = strings.TrimLeft(rest[min(end+1, len(rest)):], blanks)
		}
		if k == key {
			vals = append(vals, v)
		}
	}
	return vals
}

// pgPercentDecode decodes %XX escapes as pgx's URL parser does; other text is kept.
func pgPercentDecode(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '%' && i+2 < len(raw) {
			if c, err := strconv.ParseUint(raw[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(c))
				i += 2
				continue
			}
		}
		b.WriteByte(raw[i])
	}
	return b.String()
}
