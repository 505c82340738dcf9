#!/usr/bin/env bash
# Prints the path of a Terraform-compatible CLI, building OpenTofu if none is available.
#
# Order: $TF_ACC_TERRAFORM_PATH if set; `tofu` on PATH; the OpenTofu this script built before
# (cached under the user's cache directory); `terraform` on PATH; else OpenTofu built from source
# with the Go toolchain (a few minutes, once) into that cache. The second line
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
cache="${XDG_CACHE_HOME:-$HOME/.cache}/backflow/opentofu-$TOFU_VERSION"
bin="$cache/tofu"
cached() { [[ -x "$bin" ]] && TF_CLI_CONFIG_FILE=/dev/null "$bin" version >/dev/null 2>&1; }

# BACKFLOW_BUILD_TOFU=1 ignores what is on PATH (to test the build path).
if [[ "${BACKFLOW_BUILD_TOFU:-}" != "1" ]]; then
  if p=$(command -v tofu 2>/dev/null); then echo "$p"; host_for "$p"; exit 0; fi
fi
if cached; then
  echo "$bin"; echo registry.opentofu.org; exit 0
fi
if [[ "${BACKFLOW_BUILD_TOFU:-}" != "1" ]]; then
  if p=$(command -v terraform 2>/dev/null); then echo "$p"; host_for "$p"; exit 0; fi
fi

# Another process may be building into the same cache: wait for it rather than build twice.
if [[ -e "$bin.tmp" ]]; then
  echo ">> an OpenTofu build into $cache seems under way: waiting up to 15 minutes for it" >&2
  for _ in $(seq 1 180); do
    cached && { echo "$bin"; echo registry.opentofu.org; exit 0; }
    [[ -e "$bin.tmp" ]] || break
    # A build writes the file as it links; one untouched for minutes was left by a killed build.
    [[ -n "$(find "$bin.tmp" -mmin +3 2>/dev/null)" ]] && break
    sleep 5
  done
  cached && { echo "$bin"; echo registry.opentofu.org; exit 0; }
  rm -f "$bin.tmp"
fi

echo ">> no tofu or terraform on PATH: building OpenTofu $TOFU_VERSION from source with the Go toolchain (a few minutes, cached in $cache)" >&2
mkdir -p "$cache"
moddir=$(cd "$cache" && GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [[ -z "$moddir" || ! -d "$moddir" ]]; then
  echo "ensure-tofu: go mod download github.com/opentofu/opentofu@$TOFU_VERSION gave no module directory" >&2
  exit 1
fi
(cd "$moddir" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$bin.tmp" ./cmd/tofu)
mv "$bin.tmp" "$bin"
TF_CLI_CONFIG_FILE=/dev/null "$bin" version >&2
echo "$bin"; echo registry.opentofu.org
