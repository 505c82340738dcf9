#!/usr/bin/env bash
# `make bench`: builds backflow-runner from this tree (or times BENCH_RUNNER) and measures it
# against the design's performance targets (docs/performance.md; how to run it: README, "Performance"). For each size in
# BENCH_ROWS (default: 100000 and 1000000) it recreates the databases backflow_bench_cp and
# backflow_bench_wh (BENCH_DB_PREFIX, default backflow_bench, names them) on BACKFLOW_DATABASE_URL's server (default
# postgres://postgres@127.0.0.1:5432/postgres), fills a users table shaped like the Census guide's,
# measures the ceilings E (COPY the model out) and D (post the same volume of pre-encoded batches of
# 1000 with a bare HTTP loop at concurrency 4) and times `backflow-runner sync` for: a first run, a
# run with nothing changed, 1% updated, and a mirror run with 1% deleted, with the runner's peak
# RSS; then a sync with a cursor (created_at, indexed): its first run, a run after 0.1% of the
# users changed (target 5% of E) and a full read that must send nothing; and, at the largest size,
# first runs with and without the delivery log (bench/cmd/benchctl/cursor.go). Each case is timed BENCH_REPEAT times (default 3) and each ceiling measured as often; the
# best counts (all samples are kept in the JSON), so a burst of other work on a shared machine does
# not decide a ratio. A case over its target prints where its CPU went (the runner, the Postgres
# backends, the receiver) and the top of the runner's CPU profile. Then the pacing cases (bench/cmd/benchctl/pacing.go; BENCH_PACING=0 skips
# them): adaptive pacing against a receiver with a hidden limit and against a slow one, and two
# runners sharing one limit. It prints a table and writes bench/results.json. The databases are dropped at
# the end (BENCH_KEEP=1 keeps them). A bench that fails writes what it measured to
# bench/results.partial.json and leaves bench/results.json as it was.
#
#   make bench                                   # builds what it times
#   BENCH_ROWS=100000 make bench
#   BENCH_ROWS=10000000 BENCH_REPEAT=1 make bench # the 10M-row size (a few minutes; the request cases
#     # run at up to 1M rows unless BENCH_CASES names them)
#   BENCH_CASES='first run,nothing changed,1% updated' make bench
#     # only the Postgres cases whose names start with one of these ("cursor": the cursor cases,
#     # "delivery log": its cost)
#   BENCH_RUNNER=/path/to/backflow-runner bash scripts/bench.sh
#   BENCH_KEEP=1 BENCH_RECEIVER_URL=http://127.0.0.1:18555 make bench
#     # keeps the databases and uses a receiver you started (bench/receiver --listen ...), so the
#     # runner can be rerun (and profiled: BACKFLOW_CPUPROFILE=file) with the environment the
#     # bench writes next to its logs
set -euo pipefail
cd "$(dirname "$0")/.."

runner=${BENCH_RUNNER:-}
if [[ -n $runner && ! -x $runner ]]; then
  echo "bench: BENCH_RUNNER=$runner is not an executable: point it at a backflow-runner binary, or unset it to time the tree's" >&2
  exit 1
fi

BACKFLOW_DATABASE_URL=$(bash scripts/ensure-postgres.sh BACKFLOW_DATABASE_URL)
export BACKFLOW_DATABASE_URL
echo "bench: Postgres at ${BACKFLOW_DATABASE_URL%%\?*}" >&2
# The MariaDB and DuckDB rows (BENCH_WAREHOUSES, default mysql,duckdb; empty for none) run after
# Postgres's sizes, with BENCH_WAREHOUSE_ROWS users (default 1000000).
if [[ ${BENCH_WAREHOUSES-mysql,duckdb} == *mysql* ]]; then
  BACKFLOW_TEST_MYSQL_URL=$(bash scripts/ensure-mariadb.sh)
  export BACKFLOW_TEST_MYSQL_URL
  echo "bench: MySQL at ${BACKFLOW_TEST_MYSQL_URL%%\?*}" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/backflow-bench.XXXXXX")
# Kept when something failed: the error names the runner's log in there.
trap 'rc=$?; if [[ $rc == 0 ]]; then rm -rf "$work"; else echo "bench: logs kept in $work/logs" >&2; fi' EXIT
if [[ -z $runner ]]; then
  # Built the way `make build` builds it, from this tree, so a clean clone benches what it holds.
  runner=$work/backflow-runner
  CGO_ENABLED=1 go build -trimpath -o "$runner" ./runner/cmd/backflow-runner
fi
go build -o "$work/receiver" ./bench/receiver
go build -o "$work/benchctl" ./bench/cmd/benchctl

keep=()
if [[ ${BENCH_KEEP:-} == 1 ]]; then
  keep=(-keep)
  echo "bench: runner logs are kept in $work/logs" >&2
  trap - EXIT
fi
mkdir -p "$work/logs"
"$work/benchctl" -rows "${BENCH_ROWS:-100000,1000000}" -runner "$runner" -receiver "$work/receiver" \
  -warehouses "${BENCH_WAREHOUSES-mysql,duckdb}" -warehouse-rows "${BENCH_WAREHOUSE_ROWS:-1000000}" \
  -repeat "${BENCH_REPEAT:-3}" -out bench/results.json -work "$work/logs" "${keep[@]}"
