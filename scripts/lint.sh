#!/usr/bin/env bash
# `make lint`: go vet, gofmt, and staticcheck at a pinned version (installed by scripts/tool.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> go vet"
go vet ./...

echo "==> gofmt"
unformatted=$(gofmt -l .)
if [[ -n "$unformatted" ]]; then
  echo "$unformatted"
  echo "these files are not gofmt-formatted: run make fmt"
  exit 1
fi

echo "==> staticcheck"
if ! staticcheck=$(bash scripts/tool.sh staticcheck); then
  echo "staticcheck could not be installed (see above): vet and gofmt passed, staticcheck did not run" >&2
  exit 1
fi
"$staticcheck" ./...
echo "lint: clean"
