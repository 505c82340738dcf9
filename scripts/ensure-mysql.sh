#!/usr/bin/env bash
# Prints the mysql:// URL of a private MySQL server (Oracle's MySQL, not MariaDB) for
# `make test-mysql`, which runs the MySQL driver's tests against it: `make test` runs them against
# MariaDB (scripts/ensure-mariadb.sh), and MySQL differs where it matters to the driver (JSON is a
# type of its own on the wire, max_execution_time, EXPLAIN without EXTENDED, binary logging on by
# default).
#
#   scripts/ensure-mysql.sh          # honours BACKFLOW_TEST_MYSQL8_URL
#   scripts/ensure-mysql.sh --stop   # stops the private instance, if it runs
#
# Order:
#   1. BACKFLOW_TEST_MYSQL8_URL, which must answer;
#   2. a private MySQL under ${XDG_CACHE_HOME:-~/.cache}/backflow/mysql (127.0.0.1 on a free port
#      from 43306, root with no password), left running for the next call. Debian packages MySQL
#      only in unstable, whose libraries are newer than a stable system's, so the server runs in
#      its own root file system there: debootstrap (installed with apt-get if missing) makes a
#      minimal Debian unstable with mysql-server-core once (about 850 MB, a few minutes), and
#      mysqld runs chrooted into it. That needs root; without it, point BACKFLOW_TEST_MYSQL8_URL
#      at a MySQL server you run (a root-equivalent user: the tests create databases and users).
#
# Only the URL goes to stdout; progress and errors go to stderr. It never skips silently: when
# no server can be had it exits non-zero and says what to do.
#
# Knobs: BACKFLOW_MYSQL8_DIR the instance directory; BACKFLOW_MYSQL8_PORT the first port tried.
set -euo pipefail
# shellcheck source=scripts/ports.sh
. "$(dirname "$0")/ports.sh"
# shellcheck source=scripts/mysql-client.sh
. "$(dirname "$0")/mysql-client.sh"

log() { echo "ensure-mysql: $*" >&2; }
die() {
  log "$*"
  exit 1
}

first_port="${BACKFLOW_MYSQL8_PORT:-43306}"
dir="${BACKFLOW_MYSQL8_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/backflow/mysql}"
root="$dir/root"

running() { [[ -f "$root/srv/mysqld.pid" ]] && kill -0 "$(cat "$root/srv/mysqld.pid")" 2>/dev/null; }

if [[ "${1:-}" == "--stop" ]]; then
  if running; then
    log "stopping the private MySQL in $dir"
    kill "$(cat "$root/srv/mysqld.pid")"
  else
    log "no private MySQL runs in $dir"
  fi
  exit 0
fi

if [[ -n "${BACKFLOW_TEST_MYSQL8_URL:-}" ]]; then
  echo "$BACKFLOW_TEST_MYSQL8_URL"
  exit 0
fi

if running && [[ -f "$dir/port" ]] && answers 127.0.0.1 "$(cat "$dir/port")"; then
  log "private MySQL already running in $dir"
  echo "mysql://root@127.0.0.1:$(cat "$dir/port")/"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "a private MySQL runs chrooted into its own Debian unstable, which needs root; run as root, or set BACKFLOW_TEST_MYSQL8_URL to a MySQL server you run"

if [[ ! -x "$root/usr/sbin/mysqld" ]]; then
  if ! command -v debootstrap >/dev/null; then
    log "installing Debian's debootstrap package (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update && apt-get install -y debootstrap; } >&2 || die "apt-get install debootstrap did not succeed (see above); install it, or set BACKFLOW_TEST_MYSQL8_URL"
  fi
  # The host's own Debian mirror, when its apt sources name one (else debootstrap's default).
  mirror=$(grep -hsoE '^(URIs:|deb) +[a-z]+://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list |
    head -n 1 | awk '{print $2}' || true)
  log "making a Debian unstable root with mysql-server-core in $root (debootstrap; a few minutes, once)"
  rm -rf "$root"
  mkdir -p "$dir"
  debootstrap --variant=minbase --include=mysql-server-core unstable "$root" ${mirror:+"$mirror"} >"$dir/debootstrap.log" 2>&1 || {
    tail -n 30 "$dir/debootstrap.log" >&2
    die "debootstrap failed (log above, in $dir/debootstrap.log); remove $dir and retry, or set BACKFLOW_TEST_MYSQL8_URL"
  }
  [[ -x "$root/usr/sbin/mysqld" ]] || die "debootstrap succeeded but $root has no /usr/sbin/mysqld; remove $dir and retry"
fi
log "$(chroot "$root" /usr/sbin/mysqld --version)"

if [[ ! -d "$root/srv/mysql/mysql" ]]; then
  log "mysqld --initialize-insecure (root without password)"
  rm -rf "$root/srv/mysql"
  mkdir -p "$root/srv"
  chroot "$root" /usr/sbin/mysqld --no-defaults --initialize-insecure --datadir=/srv/mysql --user=root \
    >"$dir/initialize.log" 2>&1 || {
    tail -n 30 "$dir/initialize.log" >&2
    die "mysqld --initialize-insecure failed (log above); remove $dir and retry"
  }
fi

# start PORT: starts mysqld on PORT and waits until it answers.
start() {
  echo "$1" >"$dir/port"
  log "starting the private MySQL in $dir on 127.0.0.1:$1"
  mkdir -p "$root/run/mysqld"
  : >"$root/srv/mysqld.err"
  setsid chroot "$root" /usr/sbin/mysqld --no-defaults --datadir=/srv/mysql --user=root --port="$1" \
    --bind-address=127.0.0.1 --socket=/run/mysqld/mysqld.sock --pid-file=/srv/mysqld.pid --mysqlx=OFF \
    --secure-file-priv= --log-error=/srv/mysqld.err --innodb-flush-log-at-trx-commit=0 \
    </dev/null >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 90); do
    answers 127.0.0.1 "$1" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}

start_on_free_port "$first_port" "$root/srv/mysqld.err" ||
  die "the private MySQL did not start (log above, in $root/srv/mysqld.err); remove $dir and retry, or set BACKFLOW_TEST_MYSQL8_URL"
echo "mysql://root@127.0.0.1:$port/"
