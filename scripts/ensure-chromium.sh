#!/usr/bin/env bash
# Prints the path of a Chromium that the status page's browser test (runner/statuspage_test.go)
# can drive headless, as scripts/ensure-postgres.sh does for Postgres.
#
# Order:
#   1. BACKFLOW_CHROMIUM, which must be an executable;
#   2. chromium (Debian's package) or chromium-browser on the PATH;
#   3. Debian's `chromium` package, installed with apt-get (as root) when neither exists.
#
# Only the path goes to stdout; progress and errors go to stderr. It never skips silently: when
# no Chromium can be had it exits non-zero and says what to do.
set -euo pipefail

log() { echo "ensure-chromium: $*" >&2; }
die() {
  log "$*"
  exit 1
}

if [[ -n "${BACKFLOW_CHROMIUM:-}" ]]; then
  [[ -x "$BACKFLOW_CHROMIUM" ]] || die "BACKFLOW_CHROMIUM=$BACKFLOW_CHROMIUM is not an executable: point it at a Chromium or unset it"
  echo "$BACKFLOW_CHROMIUM"
  exit 0
fi

find_chromium() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null; }

if path=$(find_chromium); then
  echo "$path"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "no chromium found and not root: install Debian's chromium (sudo apt-get install -y chromium), or set BACKFLOW_CHROMIUM to a Chromium you have"
command -v apt-get >/dev/null || die "no chromium found and no apt-get: install Chromium yourself and set BACKFLOW_CHROMIUM to its path"
log "no chromium found: installing Debian's chromium package (apt-get; a minute or two)"
# Quietly to stderr: stdout carries only the path.
{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; } >&2 \
  || die "apt-get install chromium did not succeed (see above); install Chromium yourself, or set BACKFLOW_CHROMIUM"
path=$(find_chromium) || die "chromium was installed but is not on the PATH; set BACKFLOW_CHROMIUM to its path"
echo "$path"
