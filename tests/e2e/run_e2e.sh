#!/usr/bin/env bash
# Runs the viewer's end-to-end tests (CTest entry e2e.viewer): installs
# playwright-core and puppeteer-core when needed (npm ci), then node --test on the given
# test file (default viewer.e2e.mjs; the other e2e.* CTest entries pass theirs).
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node --test --test-reporter=spec "${1:-viewer.e2e.mjs}"
