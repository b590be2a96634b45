#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or stale, then builds dist/ (and the dashboard, dist/web).
# Used by `npm run demo` and `npm test`, so both work on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci: a few minutes the first time; better-sqlite3 compiles from source)" >&2
  npm ci --no-audit --no-fund
fi
npx tsc -p tsconfig.build.json
node scripts/build-web.mjs
