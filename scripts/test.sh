#!/usr/bin/env bash
# Everything CI checks (`make test`): go vet, gofmt, every Go test including the Terraform
# acceptance tests against a real Postgres and a real OpenTofu (or Terraform), and the docs
# staleness check. It starts what it needs: scripts/ensure-postgres.sh finds or starts Postgres,
# scripts/ensure-mariadb.sh MariaDB, scripts/ensure-tofu.sh finds or builds the CLI,
# scripts/ensure-chromium.sh finds or installs Chromium. Nothing is skipped: a missing piece fails.
#
# The full `go test -v` output is kept in $BACKFLOW_TEST_LOG (default: a temporary file, named at
# the end); the console shows it without the === RUN/PAUSE/CONT noise, then one summary line.
# BACKFLOW_TEST_PKGS narrows the packages tested (default ./...), e.g. ./provider/..., and
# BACKFLOW_TEST_RUN the tests (go test -run). BACKFLOW_TEST_MYSQL_SERVER=mysql runs the MySQL
# driver's tests against Oracle's MySQL (scripts/ensure-mysql.sh) instead of MariaDB: `make
# test-mysql`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '==> %s\n' "$*"; }

step "Postgres"
BACKFLOW_TEST_DATABASE_URL=$(bash scripts/ensure-postgres.sh)
export BACKFLOW_TEST_DATABASE_URL
echo "using ${BACKFLOW_TEST_DATABASE_URL%%\?*}"

if [[ ${BACKFLOW_TEST_MYSQL_SERVER:-mariadb} == mysql ]]; then
  step "MySQL (Oracle's, not MariaDB)"
  BACKFLOW_TEST_MYSQL_URL=$(bash scripts/ensure-mysql.sh)
else
  step "MySQL / MariaDB"
  BACKFLOW_TEST_MYSQL_URL=$(bash scripts/ensure-mariadb.sh)
fi
export BACKFLOW_TEST_MYSQL_URL
echo "using ${BACKFLOW_TEST_MYSQL_URL%%\?*}"

step "C compiler (cgo: DuckDB)"
# Without cgo the DuckDB driver and its tests would silently drop out of the build.
cc=$(go env CC)
command -v "$cc" >/dev/null || { echo "no C compiler ($cc): DuckDB needs cgo; install gcc and g++ (Debian: apt-get install gcc g++)"; exit 1; }
export CGO_ENABLED=1
echo "using $(command -v "$cc")"

step "Chromium (the status page's browser test)"
BACKFLOW_CHROMIUM=$(bash scripts/ensure-chromium.sh)
export BACKFLOW_CHROMIUM
echo "using $BACKFLOW_CHROMIUM"

step "Terraform CLI"
tofu_out=$(bash scripts/ensure-tofu.sh)
TF_ACC_TERRAFORM_PATH=$(sed -n 1p <<<"$tofu_out")
TF_ACC_PROVIDER_HOST=$(sed -n 2p <<<"$tofu_out")
export TF_ACC=1 TF_ACC_TERRAFORM_PATH TF_ACC_PROVIDER_NAMESPACE=backflowhq TF_ACC_PROVIDER_HOST
# A TF_CLI_CONFIG_FILE naming a file that does not exist only makes every CLI call warn.
if [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -f "$TF_CLI_CONFIG_FILE" ]]; then
  unset TF_CLI_CONFIG_FILE
fi
echo "using $TF_ACC_TERRAFORM_PATH ($TF_ACC_PROVIDER_HOST)"

step "go vet"
go vet ./...

step "go mod tidy"
if ! tidy_diff=$(go mod tidy -diff 2>&1); then
  echo "$tidy_diff"
  echo "go.mod or go.sum is not tidy: run go mod tidy"
  exit 1
fi

step "gofmt"
unformatted=$(gofmt -l .)
if [[ -n "$unformatted" ]]; then
  echo "$unformatted"
  echo "these files are not gofmt-formatted: run make fmt"
  exit 1
fi

step "docs"
docs_ok=1
bash scripts/docs.sh --check || docs_ok=0

step "go test"
log="${BACKFLOW_TEST_LOG:-$(mktemp "${TMPDIR:-/tmp}/backflow-test.XXXXXX")}"
set +e
go test -count=1 -timeout 60m -v ${BACKFLOW_TEST_RUN:+-run "$BACKFLOW_TEST_RUN"} ${BACKFLOW_TEST_PKGS:-./...} 2>&1 | tee "$log" | grep --line-buffered -v -E '^\s*=== (RUN|PAUSE|CONT|NAME)'
status=${PIPESTATUS[0]}
set -e

passed=$(grep -c -E '^\s*--- PASS' "$log" || true)
failed=$(grep -c -E '^\s*--- FAIL' "$log" || true)
skipped=$(grep -c -E '^\s*--- SKIP' "$log" || true)
# A package that fails to build or panics prints FAIL without a --- FAIL line.
pkgfail=$(grep -c -E '^FAIL\s' "$log" || true)
echo "full go test output: $log"
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=$pkgfail
  [[ $failed -eq 0 ]] && failed=1
fi
[[ $docs_ok -eq 1 ]] || echo "docs check failed: docs/ is stale (run make docs) or the examples' snippets are invalid (the docs step above says which)"
summary="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && summary+=", $skipped skipped"
echo "$summary"
[[ $status -eq 0 && $docs_ok -eq 1 ]]
