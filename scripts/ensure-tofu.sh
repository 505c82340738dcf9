#!/usr/bin/env bash
# Prints the path of a Terraform-compatible CLI, building OpenTofu if none is available.
#
# Order: $TF_ACC_TERRAFORM_PATH if set; `tofu` on PATH; `terraform` on PATH; else OpenTofu
# built from the Go module proxy and cached under the user's cache directory. The second line
# printed is the provider host the CLI expects (registry.opentofu.org or registry.terraform.io).
# Progress goes to stderr, so `read -r cli host < <(scripts/ensure-tofu.sh)` works.
set -euo pipefail

TOFU_VERSION="${TOFU_VERSION:-v1.12.6}"

host_for() {
  case "$(basename "$1")" in
    terraform*) echo registry.terraform.io ;;
    *) echo registry.opentofu.org ;;
  esac
}

if [[ -n "${TF_ACC_TERRAFORM_PATH:-}" ]]; then
  echo "$TF_ACC_TERRAFORM_PATH"; host_for "$TF_ACC_TERRAFORM_PATH"; exit 0
fi
if [[ "${BACKFLOW_BUILD_TOFU:-}" != "1" ]]; then
  for c in tofu terraform; do
    if p=$(command -v "$c" 2>/dev/null); then echo "$p"; host_for "$p"; exit 0; fi
  done
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/backflow/opentofu-$TOFU_VERSION"
bin="$cache/tofu"
if [[ -x "$bin" ]] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"; echo registry.opentofu.org; exit 0
fi

echo ">> no tofu or terraform on PATH: building OpenTofu $TOFU_VERSION from the Go module proxy (a few minutes, cached in $cache)" >&2
mkdir -p "$cache"
moddir=$(cd "$cache" && GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [[ -z "$moddir" || ! -d "$moddir" ]]; then
  echo "ensure-tofu: go mod download github.com/opentofu/opentofu@$TOFU_VERSION gave no module directory" >&2
  exit 1
fi
(cd "$moddir" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$bin.tmp" ./cmd/tofu)
mv "$bin.tmp" "$bin"
"$bin" version >&2
echo "$bin"; echo registry.opentofu.org
