#!/usr/bin/env bash
# make check: install what is missing, build, run every test (unit + integration).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cd build
ctest --output-on-failure -j2 --timeout 1200
