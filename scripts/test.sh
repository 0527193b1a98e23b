#!/usr/bin/env bash
# Runs Portico's whole test suite on a fresh machine: installs what the browser tests need (Chromium from
# Debian, the web-demo npm packages), builds the browser bundle, then runs every module's tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

(cd web-demo && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)

mvn -B -ntp verify "$@"
