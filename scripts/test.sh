#!/usr/bin/env bash
# The whole test suite on a fresh machine: system packages, npm dependencies, build, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/setup.sh
npx tsc -p tsconfig.json --noEmit
npx vitest run "$@"
