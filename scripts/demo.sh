#!/usr/bin/env bash
# `make demo`: Backflow end to end on this machine, in about a minute.
#
#   1. finds Postgres (BACKFLOW_DEMO_DATABASE_URL's server if set, else 127.0.0.1:5432, else a
#      private cluster that scripts/ensure-postgres.sh installs and starts; it creates and drops
#      databases, so it needs a superuser: it ignores the walkthrough's BACKFLOW_DATABASE_URL, whose
#      role usually cannot) and OpenTofu or Terraform;
#   2. builds bin/terraform-provider-backflow and bin/backflow-runner;
#   3. creates two databases on that server, dropping them first so the demo can run again:
#      backflow_demo (the control plane) and backflow_demo_wh (the warehouse, with a `users`
#      table of 1,000 rows shaped like the Census webhook guide's users: the fixture in
#      internal/warehouse/warehousetest/users.sql);
#   4. starts `backflow-runner receive` on a port the system picks, a local webhook that verifies
#      signatures, prints every request and answers its counts at GET /stats;
#   5. applies examples/quickstart (warehouse, webhook, model, mirror sync) with the provider
#      just built, runs the sync, and shows the first payload and the run's counters;
#   6. updates three users and deletes one, syncs again, and checks with the receiver's counts
#      that exactly those four records were accepted (3 changed, 1 deleted);
#   7. destroys the configuration and stops the receiver (and the private Postgres, if this run
#      started it). It leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

step() { printf '\n==> %s\n' "$*"; }
die() {
  echo "demo: $*" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/backflow-demo.XXXXXX")
receiver_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$receiver_pid" ]] && kill -0 "$receiver_pid" 2>/dev/null; then
    kill "$receiver_pid" 2>/dev/null || true
    wait "$receiver_pid" 2>/dev/null || true
  fi
  if [[ -s "$work/pg-started" ]]; then
    bash "$repo/scripts/ensure-postgres.sh" --stop || true
  fi
  if [[ $rc -ne 0 ]]; then
    if [[ -s "$work/receiver.log" || -s "$work/receiver.err" ]]; then
      echo "--- last lines of the receiver's output:" >&2
      tail -n 20 "$work/receiver.log" "$work/receiver.err" >&2 2>/dev/null || true
    fi
    echo "demo: FAILED (exit $rc)" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# with_db URL NAME: the same server URL with database NAME.
with_db() {
  local url="$1" db="$2" query="" base rest
  if [[ "$url" == *\?* ]]; then query="?${url#*\?}"; fi
  base="${url%%\?*}"
  rest="${base#*://}"
  if [[ "$rest" == */* ]]; then base="${base%/*}"; fi
  echo "$base/$db$query"
}

step "Postgres"
admin_url=$(BACKFLOW_PG_STARTED_MARK="$work/pg-started" bash scripts/ensure-postgres.sh BACKFLOW_DEMO_DATABASE_URL)
echo "server: ${admin_url%%\?*}"
command -v psql >/dev/null || die "psql is needed (Debian: apt-get install -y postgresql-client)"
command -v curl >/dev/null || die "curl is needed, to read the receiver's counts (Debian: apt-get install -y curl)"
control_url=$(with_db "$admin_url" backflow_demo)
warehouse_url=$(with_db "$admin_url" backflow_demo_wh)
psql_admin() { psql "$admin_url" -XqAt -v ON_ERROR_STOP=1 "$@"; }
psql_wh() { psql "$warehouse_url" -XqAt -v ON_ERROR_STOP=1 "$@"; }
psql_cp() { psql "$control_url" -XqAt -v ON_ERROR_STOP=1 "$@"; }

step "OpenTofu / Terraform"
tofu_out=$(bash scripts/ensure-tofu.sh)
cli=$(sed -n 1p <<<"$tofu_out")
echo "cli: $cli"

step "Building bin/terraform-provider-backflow and bin/backflow-runner (the first build compiles DuckDB's C++ library through cgo: a few minutes)"
make --no-print-directory build

step "Creating databases backflow_demo (control plane) and backflow_demo_wh (warehouse)"
for db in backflow_demo backflow_demo_wh; do
  psql_admin -v db="$db" <<'SQL'
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
CREATE DATABASE :"db";
SQL
done

step "Filling the warehouse: public.users, 1,000 rows like the Census guide's"
psql_wh -v rows=1000 -f internal/warehouse/warehousetest/users.sql
active=$(psql_wh -c "SELECT count(*) FROM public.users WHERE type <> 'churned user'")
echo "$(psql_wh -c 'SELECT count(*) FROM public.users') users, $active of them active (the model leaves out churned users)"

step "Generating BACKFLOW_SECRET_KEY and a webhook signing secret"
rand_b64() {
  if command -v openssl >/dev/null; then openssl rand -base64 "$1"; else head -c "$1" /dev/urandom | base64; fi
}
BACKFLOW_SECRET_KEY=$(rand_b64 32)
BACKFLOW_DATABASE_URL=$control_url
export BACKFLOW_SECRET_KEY BACKFLOW_DATABASE_URL
signing_secret="whsec_$(rand_b64 24)"
echo "BACKFLOW_DATABASE_URL=${control_url%%\?*}"
echo "BACKFLOW_SECRET_KEY=(32 random bytes, not shown)"

step "Starting the webhook receiver: bin/backflow-runner receive"
# Port 0: the system picks a free port, and receive says which on stderr ("listening on URL").
# The secret goes in the environment: a command line (--secret) is visible to every user in ps.
BACKFLOW_RECEIVE_SECRET="$signing_secret" bin/backflow-runner receive --listen 127.0.0.1:0 --compact=false \
  >"$work/receiver.log" 2>"$work/receiver.err" &
receiver_pid=$!
receiver_url=""
for _ in $(seq 1 100); do
  receiver_url=$(sed -n 's|^listening on \(http://.*\)$|\1|p' "$work/receiver.err")
  [[ -n "$receiver_url" ]] && break
  kill -0 "$receiver_pid" 2>/dev/null || die "the receiver exited: $(cat "$work/receiver.err")"
  sleep 0.1
done
[[ -n "$receiver_url" ]] || die "the receiver did not start listening within 10s"
echo "listening on $receiver_url/ (pid $receiver_pid)"

step "Applying examples/quickstart with the provider just built (dev_overrides, no init)"
cat >"$work/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "backflowhq/backflow" = "$repo/bin"
  }
  direct {}
}
EOF
mkdir -p "$work/tf"
cp examples/quickstart/*.tf "$work/tf/"
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1
export TF_VAR_warehouse_url="$warehouse_url"
export TF_VAR_webhook_url="$receiver_url/hooks/backflow"
export TF_VAR_webhook_signing_secret="$signing_secret"
export TF_VAR_webhook_token="demo-$(rand_b64 12 | tr -dc 'A-Za-z0-9')"
# Plain output when it goes to a file or a CI log.
color=()
[[ -t 1 ]] || color=(-no-color)
tf() {
  local sub=$1
  shift
  "$cli" -chdir="$work/tf" "$sub" "${color[@]}" "$@"
}
tf apply -auto-approve -input=false
sync_name=$(tf output -raw sync_name)
echo "sync: $sync_name"

# last_run: the newest run's counters, straight from the control plane.
last_run() {
  psql_cp -F ' ' -v sync_name="$sync_name" <<'SQL'
SELECT r.status, r.new, r.changed, r.deleted, r.delivered, r.rejected, r.invalid
  FROM backflow.sync_runs r JOIN backflow.syncs s ON s.id = r.sync_id
 WHERE s.name = :'sync_name' ORDER BY r.id DESC LIMIT 1
SQL
}
# accepted OPERATION: the records of OPERATION the receiver has answered 200 to so far, from its
# counts (GET /stats, JSON; psql reads the JSON, as it is here anyway).
accepted() {
  local stats
  stats=$(curl -fsS "$receiver_url/stats") || die "could not read the receiver's counts at $receiver_url/stats"
  psql_admin -v stats="$stats" -v op="$1" <<'SQL'
SELECT coalesce((:'stats'::jsonb -> 'records_by_operation' ->> :'op')::int, 0)
SQL
}

step "First sync: bin/backflow-runner sync \"$sync_name\" (sends every active user)"
mark=$(wc -c <"$work/receiver.log")
changed_before=$(accepted changed)
bin/backflow-runner sync --log-level warn "$sync_name"

step "The first payload the webhook received (first record shown)"
# (awk reads to the end rather than exiting early, which would kill tail with SIGPIPE.)
tail -c +"$((mark + 1))" "$work/receiver.log" | awk '
  done { next }
  / operation=changed / && !started { started = 1; print; next }
  started && /^    },?$/ { print "    }"; print "    ...more records in this batch"; print "  ]"; print "}"; done = 1; next }
  started { print }'

read -r status new changed deleted delivered rejected invalid <<<"$(last_run)"
echo
echo "run: status=$status new=$new changed=$changed deleted=$deleted delivered=$delivered rejected=$rejected invalid=$invalid"
changed_after=$(accepted changed)
got=$((changed_after - changed_before))
echo "the webhook accepted $got records"
[[ "$status" == succeeded && "$new" -eq "$active" && "$got" -eq "$active" ]] ||
  die "expected a succeeded run sending $active new records, got status=$status new=$new received=$got"

step "Changing the warehouse: 3 users updated, 1 deleted"
psql_wh -c "UPDATE public.users SET role = 'Chief Customer Officer', type = 'paid user'
             WHERE unique_id IN (SELECT unique_id FROM public.users WHERE type <> 'churned user'
                                 ORDER BY unique_id LIMIT 3)
             RETURNING unique_id" | sed 's/^/updated: /'
psql_wh -c "DELETE FROM public.users
             WHERE unique_id = (SELECT unique_id FROM public.users WHERE type <> 'churned user'
                                ORDER BY unique_id OFFSET 3 LIMIT 1)
             RETURNING unique_id" | sed 's/^/deleted: /'

step "Second sync: only what changed is sent"
mark=$(wc -c <"$work/receiver.log")
changed_before=$(accepted changed)
deleted_before=$(accepted deleted)
bin/backflow-runner sync --log-level warn "$sync_name"
echo
echo "--- what the webhook received for this run:"
tail -c +"$((mark + 1))" "$work/receiver.log"
read -r status new changed deleted delivered rejected invalid <<<"$(last_run)"
echo "run: status=$status new=$new changed=$changed deleted=$deleted delivered=$delivered rejected=$rejected invalid=$invalid"
changed_after=$(accepted changed)
deleted_after=$(accepted deleted)
got_changed=$((changed_after - changed_before))
got_deleted=$((deleted_after - deleted_before))
echo "the webhook accepted $got_changed changed and $got_deleted deleted records"
[[ "$status" == succeeded && "$new" -eq 0 && "$changed" -eq 3 && "$deleted" -eq 1 &&
  "$got_changed" -eq 3 && "$got_deleted" -eq 1 ]] ||
  die "expected exactly 3 changed and 1 deleted records, got run new=$new changed=$changed deleted=$deleted, received changed=$got_changed deleted=$got_deleted"
echo "OK: exactly the 3 changed users and the 1 deleted user were sent"

step "Recent runs: bin/backflow-runner runs \"$sync_name\""
bin/backflow-runner runs "$sync_name"

step "Destroying the configuration"
# Its plan only lists what the apply above created: kept in a file, the summary line shown.
if ! tf destroy -auto-approve -input=false >"$work/destroy.log" 2>&1; then
  cat "$work/destroy.log"
  exit 1
fi
grep -E '^Destroy complete' "$work/destroy.log"

step "Stopping the receiver"
kill "$receiver_pid"
wait "$receiver_pid" 2>/dev/null || true
receiver_pid=""

step "Done: the demo ran end to end and left nothing running"
echo "(databases backflow_demo and backflow_demo_wh are left for inspection, e.g. the runs in"
echo " backflow.sync_runs; the next run drops and recreates them)"
