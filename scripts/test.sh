#!/usr/bin/env bash
# The whole test suite from a fresh clone (`npm test`, the CI entry): system packages
# (scripts/setup-ci.sh), npm packages, build, the static checks (`npm run check`: typecheck, lint,
# format, shellcheck), then every test file with node's test runner. Pass test files to run only those.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-ci.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npm run --silent build
npm run --silent check

mapfile -t files < <(find test -name '*.test.ts' | sort)
if [ $# -gt 0 ]; then files=("$@"); fi
# A private PID namespace reaps anything a test leaves behind (activated daemons re-parent to it).
# /proc is mounted anew inside it so pids the buses report match what /proc shows.
runner=(node --import tsx --test --test-concurrency=2 --test-timeout=300000 "${files[@]}")
ns=(unshare --pid --fork --kill-child --mount-proc)
if "${ns[@]}" true >/dev/null 2>&1; then
  exec "${ns[@]}" -- "${runner[@]}"
fi
exec "${runner[@]}"
