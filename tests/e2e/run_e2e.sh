#!/usr/bin/env bash
# Runs the viewer's end-to-end tests: node --test on the given test file (default
# viewer.e2e.mjs; each e2e.* CTest entry passes its own).
set -euo pipefail
cd "$(dirname "$0")"
# --install (CTest e2e.install, the fixture every e2e.* test requires): only the npm ci, once
# before the test files run — two of them installing at once in one node_modules broke each other.
if [[ "${1:-}" == "--install" ]]; then
  if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  exit 0
fi
[[ -d node_modules ]] || { echo "run_e2e.sh: no node_modules (run it with --install first)" >&2; exit 1; }
exec node --test --test-reporter=spec "${1:-viewer.e2e.mjs}"
