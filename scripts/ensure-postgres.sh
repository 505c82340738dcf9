#!/usr/bin/env bash
# Prints the URL of a Postgres server that Backflow's tests (or the demo) can administer:
# create and drop databases as a superuser.
#
#   scripts/ensure-postgres.sh                       # for tests: honours BACKFLOW_TEST_DATABASE_URL
#   scripts/ensure-postgres.sh BACKFLOW_DEMO_DATABASE_URL # for the demo: honours that variable instead
#   scripts/ensure-postgres.sh --stop                # stops the private cluster, if it runs
#
# Order:
#   1. the URL in the named variable (BACKFLOW_TEST_DATABASE_URL by default), which must answer;
#   2. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, if it answers;
#   3. a private cluster under ${XDG_CACHE_HOME:-~/.cache}/backflow/pg (trust auth, 127.0.0.1 on
#      a free port from 55432, its unix socket in that directory), started with pg_ctl and left
#      running for the next call. Debian's `postgresql` package is installed first if no initdb
#      exists. Postgres refuses to run as root, so as root the cluster runs as the `postgres`
#      user, and lives under /var/tmp/backflow-pg when that user cannot reach the cache
#      directory (root's home is usually private).
#
# Only the URL goes to stdout; progress and errors go to stderr. It never skips silently: when no
# server can be had it exits non-zero and says what to do.
#
# Knobs (mostly for testing this script): BACKFLOW_PG_PROBE_URL replaces the default URL of
# step 2; BACKFLOW_PG_DIR replaces the cluster directory; BACKFLOW_PG_PORT the first port tried.
# BACKFLOW_PG_STARTED_MARK names a file this script writes the cluster directory to when it
# started the cluster itself, so a caller that wants to leave nothing running can stop it.
set -euo pipefail
# shellcheck source=scripts/ports.sh
. "$(dirname "$0")/ports.sh"

log() { echo "ensure-postgres: $*" >&2; }
die() {
  log "$*"
  exit 1
}

default_url="${BACKFLOW_PG_PROBE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
first_port="${BACKFLOW_PG_PORT:-55432}"

# answers URL: true when a server at URL accepts a login and a query (or, lacking psql, at
# least answers the protocol).
answers() {
  local url="$1"
  if command -v psql >/dev/null 2>&1; then
    PGCONNECT_TIMEOUT=5 psql "$url" -XAtqc 'select 1' >/dev/null 2>&1
  elif command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -t 5 -d "$url" >/dev/null 2>&1
  else
    # No client at all: a TCP connect is the best we can check. Only host:port URLs get here.
    local hostport host port
    hostport="${url#*://}"
    hostport="${hostport#*@}"
    hostport="${hostport%%/*}"
    host="${hostport%%:*}"
    port="${hostport##*:}"
    [[ "$port" == "$hostport" ]] && port=5432
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

find_bindir() {
  local d
  # Highest major version first.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -n -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
      echo "$d"
      return 0
    fi
  done
  local i
  if i=$(command -v initdb 2>/dev/null) && [[ -x "$(dirname "$(readlink -f "$i")")/pg_ctl" ]]; then
    dirname "$(readlink -f "$i")"
    return 0
  fi
  return 1
}

# as_owner CMD...: runs CMD as the cluster's owner (postgres when we are root).
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

cluster_dir() {
  if [[ -n "${BACKFLOW_PG_DIR:-}" ]]; then
    echo "$BACKFLOW_PG_DIR"
    return
  fi
  local d="${XDG_CACHE_HOME:-$HOME/.cache}/backflow/pg"
  if [[ $(id -u) -eq 0 ]]; then
    # The postgres user must be able to reach the directory: check the nearest existing
    # ancestor, which is usually root's private home.
    local p="$d"
    while [[ ! -d "$p" ]]; do p=$(dirname "$p"); done
    if ! as_owner test -x "$p" 2>/dev/null; then
      d=/var/tmp/backflow-pg
    fi
  fi
  echo "$d"
}

ensure_postgres_user() {
  [[ $(id -u) -eq 0 ]] || return 0
  if ! id postgres >/dev/null 2>&1; then
    log "creating the system user postgres to own the private cluster"
    useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres \
      || die "cannot create the user postgres; create it, or set BACKFLOW_TEST_DATABASE_URL to a server you run"
  fi
}

stop_cluster() {
  local dir bindir
  dir=$(BACKFLOW_PG_DIR="${BACKFLOW_PG_DIR:-}" cluster_dir)
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    log "no private cluster at $dir"
    return 0
  fi
  bindir=$(find_bindir) || die "no pg_ctl found to stop $dir"
  if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    log "stopping the private cluster in $dir"
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2
  fi
}

if [[ "${1:-}" == "--stop" ]]; then
  stop_cluster
  exit 0
fi

var="${1:-BACKFLOW_TEST_DATABASE_URL}"
if [[ -n "${!var:-}" ]]; then
  if answers "${!var}"; then
    echo "${!var}"
    exit 0
  fi
  die "$var is set but its server does not answer a login and 'select 1'; start it, fix the URL, or unset $var to let this script start a private Postgres"
fi

if answers "$default_url"; then
  echo "$default_url"
  exit 0
fi
log "no Postgres answers at ${default_url%%\?*}: using a private cluster"

if ! bindir=$(find_bindir); then
  if [[ $(id -u) -ne 0 ]]; then
    die "no Postgres server binaries (initdb) found and not root: install Debian's postgresql package (sudo apt-get install -y postgresql), or set $var to a Postgres you run"
  fi
  log "no initdb found: installing Debian's postgresql package (apt-get; a minute or two)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update && apt-get install -y postgresql; } >&2 \
    || die "apt-get install postgresql did not succeed (see above); install PostgreSQL yourself, or set $var to a Postgres you run"
  bindir=$(find_bindir) || die "postgresql is installed but no initdb is under /usr/lib/postgresql/*/bin; set $var to a Postgres you run"
  # The package may have started its own cluster on 5432.
  if answers "$default_url"; then
    echo "$default_url"
    exit 0
  fi
fi

ensure_postgres_user
dir=$(cluster_dir)
data="$dir/data"
mkdir -p "$dir"
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$dir"
fi

if [[ ! -f "$data/PG_VERSION" ]]; then
  log "initdb $data (trust auth, superuser postgres)"
  rm -rf "$data"
  as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed (output above); remove $dir and retry, or set $var to a Postgres you run"; }
fi

url_for() { echo "postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable"; }

if as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  port=$(cat "$dir/port" 2>/dev/null || true)
  if [[ -n "$port" ]] && answers "$(url_for "$port")"; then
    log "private cluster already running in $dir"
    url_for "$port"
    exit 0
  fi
  log "the private cluster in $dir runs but does not answer: restarting it"
  as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >&2 || true
fi

# A port nothing listens on can still be taken when the server binds it: the ports from 55432 are
# in Linux's ephemeral range, so a client's connection (another test's, in a parallel run) may
# hold it as its local port. start_on_free_port then moves on to the next port.
start() {
  echo "$1" >"$dir/port"
  log "starting the private cluster in $dir on 127.0.0.1:$1"
  rm -f "$dir/postgres.log" # pg_ctl appends to it, as its owner: this start's lines alone
  as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $1 -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2
}
start_on_free_port "$first_port" "$dir/postgres.log" ||
  die "pg_ctl start failed (log above, in $dir/postgres.log); remove $dir and retry, or set $var to a Postgres you run"
if [[ -n "${BACKFLOW_PG_STARTED_MARK:-}" ]]; then
  echo "$dir" >"$BACKFLOW_PG_STARTED_MARK"
fi

url=$(url_for "$port")
answers "$url" || die "the private cluster started but $url does not answer; see $dir/postgres.log"
echo "$url"
