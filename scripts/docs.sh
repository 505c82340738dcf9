#!/usr/bin/env bash
# Regenerates the provider documentation in docs/ with tfplugindocs (`make docs`), or with
# --check regenerates it into a temporary copy and fails when docs/ differs (`make test`).
#
# tfplugindocs would otherwise build the provider and download Terraform itself; instead this
# script builds the provider, asks the CLI that the tests use (scripts/ensure-tofu.sh) for its
# schema through a dev_overrides CLI configuration, and hands tfplugindocs that schema file.
# docs/runner.md is written by hand and left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
[[ "${1:-}" == "--check" ]] && check=1

tfplugindocs=$(bash scripts/tool.sh tfplugindocs)
tofu_out=$(bash scripts/ensure-tofu.sh)
cli=$(sed -n 1p <<<"$tofu_out")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo ">> building the provider" >&2
mkdir -p "$work/plugins"
CGO_ENABLED=0 go build -o "$work/plugins/terraform-provider-backflow" .

# dev_overrides makes the CLI use the binary just built, with no `init` and no registry.
cat >"$work/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "backflowhq/backflow" = "$work/plugins"
  }
  direct {}
}
EOF
mkdir -p "$work/config"
cat >"$work/config/main.tf" <<'EOF'
terraform {
  required_providers {
    backflow = { source = "backflowhq/backflow" }
  }
}

provider "backflow" {}
EOF

echo ">> reading the provider schema with $(basename "$cli")" >&2
if ! TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 "$cli" -chdir="$work/config" providers schema -json \
  >"$work/schema.raw.json" 2>"$work/schema.err"; then
  cat "$work/schema.err" >&2
  echo "docs.sh: '$(basename "$cli") providers schema -json' did not succeed (output above)" >&2
  exit 1
fi
# tfplugindocs looks the schema up under the provider's bare name ("backflow"), not under its
# source address (registry.opentofu.org/backflowhq/backflow or registry.terraform.io/...).
sed -E 's#"registry\.[a-z.]+/backflowhq/backflow":#"backflow":#' \
  "$work/schema.raw.json" >"$work/schema.json"
grep -q '"backflow":' "$work/schema.json" || {
  echo "docs.sh: the schema from $(basename "$cli") has no backflowhq/backflow provider" >&2
  exit 1
}

# The snippets tfplugindocs puts on the resource and data source pages are one configuration a
# user may copy whole: the provider's, every resource's and every data source's, each file naming
# what the others declare. `validate` checks them against the schema just read (no database):
# an attribute renamed or removed, a duplicate name, a reference to nothing.
echo ">> validating the snippets of examples/provider, examples/resources and examples/data-sources" >&2
mkdir -p "$work/snippets"
for f in examples/provider/provider.tf examples/resources/*/resource.tf examples/data-sources/*/data-source.tf; do
  cp "$f" "$work/snippets/$(tr / _ <<<"${f#examples/}")"
done
if ! TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 "$cli" -chdir="$work/snippets" validate -no-color \
  >"$work/validate.out" 2>&1; then
  cat "$work/validate.out" >&2
  echo "docs.sh: the examples' snippets are not a valid configuration (output above)" >&2
  exit 1
fi

generate() { # generate PROVIDER_DIR
  "$tfplugindocs" generate --provider-dir "$1" --provider-name backflow \
    --rendered-provider-name Backflow --providers-schema "$work/schema.json" >"$work/tfplugindocs.log" 2>&1 || {
    cat "$work/tfplugindocs.log" >&2
    echo "docs.sh: tfplugindocs generate did not succeed (output above)" >&2
    exit 1
  }
}

if [[ $check -eq 0 ]]; then
  echo ">> tfplugindocs generate" >&2
  generate "$PWD"
  echo ">> docs/ regenerated" >&2
  exit 0
fi

mkdir -p "$work/copy"
cp -R examples "$work/copy/"
[[ -d templates ]] && cp -R templates "$work/copy/"
[[ -d docs ]] && cp -R docs "$work/copy/"
generate "$work/copy"
if ! diff -ru docs "$work/copy/docs" >"$work/docs.diff" 2>&1; then
  head -n 60 "$work/docs.diff"
  echo "docs/ is stale: run make docs"
  exit 1
fi
echo "docs/ is up to date"
