#!/usr/bin/env bash
# Prints the mysql:// URL of a MySQL or MariaDB server that Backflow's tests can administer
# (create and drop databases), as scripts/ensure-postgres.sh does for Postgres.
#
#   scripts/ensure-mariadb.sh          # honours BACKFLOW_TEST_MYSQL_URL
#   scripts/ensure-mariadb.sh --stop   # stops the private instance, if it runs
#
# Order:
#   1. BACKFLOW_TEST_MYSQL_URL, which must answer;
#   2. root with no password on 127.0.0.1:3306, if it answers (Debian's mariadb-server does);
#   3. a private MariaDB under ${XDG_CACHE_HOME:-~/.cache}/backflow/mariadb (127.0.0.1 on a free
#      port from 53306, root with no password, its socket in that directory), started with
#      mariadbd and left running for the next call. Debian's `mariadb-server` package is
#      installed first (as root, with apt-get) when no mariadbd exists.
#
# Only the URL goes to stdout; progress and errors go to stderr. It never skips silently: when
# no server can be had it exits non-zero and says what to do.
#
# Knobs (mostly for testing this script): BACKFLOW_MYSQL_PROBE_PORT replaces 3306 in step 2;
# BACKFLOW_MYSQL_DIR the instance directory; BACKFLOW_MYSQL_PORT the first port tried.
set -euo pipefail
# shellcheck source=scripts/ports.sh
. "$(dirname "$0")/ports.sh"
# shellcheck source=scripts/mysql-client.sh
. "$(dirname "$0")/mysql-client.sh"

log() { echo "ensure-mariadb: $*" >&2; }
die() {
  log "$*"
  exit 1
}

probe_port="${BACKFLOW_MYSQL_PROBE_PORT:-3306}"
first_port="${BACKFLOW_MYSQL_PORT:-53306}"
dir="${BACKFLOW_MYSQL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/backflow/mariadb}"

# url_answers URL: answers for a mysql://user[:password]@host[:port]/ URL.
url_answers() {
  local rest="${1#mysql://}" userinfo="" hostport user pass
  if [[ "$rest" == *@* ]]; then
    userinfo="${rest%%@*}"
    rest="${rest#*@}"
  fi
  hostport="${rest%%/*}"
  user="${userinfo%%:*}"
  pass=""
  [[ "$userinfo" == *:* ]] && pass="${userinfo#*:}"
  local host="${hostport%%:*}" port="${hostport##*:}"
  [[ "$port" == "$hostport" ]] && port=3306
  answers "$host" "$port" "${user:-root}" "$pass"
}

server_bin() { command -v mariadbd 2>/dev/null || ls /usr/sbin/mariadbd 2>/dev/null || command -v mysqld 2>/dev/null || ls /usr/sbin/mysqld 2>/dev/null; }

if [[ "${1:-}" == "--stop" ]]; then
  if [[ -f "$dir/mariadbd.pid" ]] && kill -0 "$(cat "$dir/mariadbd.pid")" 2>/dev/null; then
    log "stopping the private instance in $dir"
    kill "$(cat "$dir/mariadbd.pid")"
  else
    log "no private instance runs in $dir"
  fi
  exit 0
fi

if [[ -n "${BACKFLOW_TEST_MYSQL_URL:-}" ]]; then
  url_answers "$BACKFLOW_TEST_MYSQL_URL" && {
    echo "$BACKFLOW_TEST_MYSQL_URL"
    exit 0
  }
  die "BACKFLOW_TEST_MYSQL_URL is set but its server does not answer a login and 'select 1'; start it, fix the URL, or unset it to let this script start a private MariaDB"
fi

if answers 127.0.0.1 "$probe_port"; then
  echo "mysql://root@127.0.0.1:$probe_port/"
  exit 0
fi
log "no MySQL or MariaDB answers for root on 127.0.0.1:$probe_port: using a private MariaDB"

if ! bin=$(server_bin); then
  [[ $(id -u) -eq 0 ]] || die "no mariadbd found and not root: install Debian's mariadb-server (sudo apt-get install -y mariadb-server), or set BACKFLOW_TEST_MYSQL_URL to a server you run"
  log "no mariadbd found: installing Debian's mariadb-server package (apt-get; a minute or two)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update && apt-get install -y mariadb-server mariadb-client; } >&2 \
    || die "apt-get install mariadb-server did not succeed (see above); install MariaDB yourself, or set BACKFLOW_TEST_MYSQL_URL"
  bin=$(server_bin) || die "mariadb-server is installed but no mariadbd is on PATH or in /usr/sbin"
  # The package may have started its own server on 3306.
  if answers 127.0.0.1 "$probe_port"; then
    echo "mysql://root@127.0.0.1:$probe_port/"
    exit 0
  fi
fi
c=$(client) || die "no mariadb or mysql client found (Debian: apt-get install mariadb-client)"

mkdir -p "$dir"
if [[ -f "$dir/port" && -f "$dir/mariadbd.pid" ]] && kill -0 "$(cat "$dir/mariadbd.pid")" 2>/dev/null; then
  port=$(cat "$dir/port")
  if answers 127.0.0.1 "$port"; then
    log "private instance already running in $dir"
    echo "mysql://root@127.0.0.1:$port/"
    exit 0
  fi
  log "the private instance in $dir runs but does not answer: restarting it"
  kill "$(cat "$dir/mariadbd.pid")" || true
  sleep 2
fi

# mariadbd refuses to run as root unless told to; the instance is private to this user.
user=$(id -un)
if [[ ! -d "$dir/data/mysql" ]]; then
  log "mariadb-install-db $dir/data (root without password)"
  rm -rf "$dir/data"
  install_db=$(command -v mariadb-install-db || command -v mysql_install_db) || die "no mariadb-install-db found"
  "$install_db" --no-defaults --datadir="$dir/data" --user="$user" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || {
    cat "$dir/install.log" >&2
    die "mariadb-install-db failed (output above); remove $dir and retry, or set BACKFLOW_TEST_MYSQL_URL"
  }
fi

# start PORT: starts the instance on PORT and waits until its socket answers.
start() {
  echo "$1" >"$dir/port"
  log "starting the private MariaDB in $dir on 127.0.0.1:$1"
  : >"$dir/error.log"
  nohup "$bin" --no-defaults --datadir="$dir/data" --user="$user" --port="$1" --bind-address=127.0.0.1 \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mariadbd.pid" --log-error="$dir/error.log" \
    --innodb-flush-log-at-trx-commit=0 --skip-log-bin >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 60); do
    if MYSQL_PWD= "$c" --socket="$dir/mysqld.sock" -u root -Nse 'select 1' >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}

start_on_free_port "$first_port" "$dir/error.log" ||
  die "the private MariaDB did not start (log above, in $dir/error.log); remove $dir and retry, or set BACKFLOW_TEST_MYSQL_URL"
# root@localhost is who mariadb-install-db made; tests connect over TCP as root@127.0.0.1.
MYSQL_PWD= "$c" --socket="$dir/mysqld.sock" -u root -e \
  "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION" >&2 \
  || {
    tail -n 30 "$dir/error.log" >&2 || true
    die "the private MariaDB did not start (log above, in $dir/error.log); remove $dir and retry, or set BACKFLOW_TEST_MYSQL_URL"
  }
answers 127.0.0.1 "$port" || die "the private MariaDB started but root@127.0.0.1:$port does not answer; see $dir/error.log"
echo "mysql://root@127.0.0.1:$port/"
