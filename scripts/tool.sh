#!/usr/bin/env bash
# Prints the path of a pinned development tool, installing it first with `go install` into a
# cache directory, so the tools never enter the project's go.mod.
#
#   scripts/tool.sh tfplugindocs | goreleaser | staticcheck
#
# The cache is ${BACKFLOW_TOOLS_DIR:-${XDG_CACHE_HOME:-~/.cache}/backflow/bin}; each tool is kept
# under a versioned name, so bumping a version below installs the new one beside the old.
# Progress goes to stderr.
set -euo pipefail

case "${1:-}" in
  tfplugindocs) pkg=github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs version=v0.25.0 ;;
  goreleaser) pkg=github.com/goreleaser/goreleaser/v2 version=v2.16.0 ;;
  staticcheck) pkg=honnef.co/go/tools/cmd/staticcheck version=v0.8.2 ;;
  *)
    echo "usage: scripts/tool.sh tfplugindocs|goreleaser|staticcheck" >&2
    exit 2
    ;;
esac
name="$1"

dir="${BACKFLOW_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/backflow/bin}"
bin="$dir/$name-$version"
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$dir"
echo ">> installing $name $version (go install $pkg@$version; once, cached in $dir)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Outside any module, so the project's go.mod is neither read nor changed.
if ! (cd "$tmp" && GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "$pkg@$version" >&2); then
  echo "tool.sh: go install $pkg@$version did not succeed (output above); check that the Go module proxy is reachable (GOPROXY)" >&2
  exit 1
fi
mv "$tmp/$(basename "${pkg%/v[0-9]*}")" "$bin"
echo "$bin"
