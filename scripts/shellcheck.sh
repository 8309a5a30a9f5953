#!/usr/bin/env bash
# Runs ShellCheck over every shell script of the project: install.sh, scripts/, bin/, .ci/.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck >/dev/null 2>&1 || {
  echo "shellcheck: not installed (apt-get install shellcheck, or run scripts/setup-ci.sh as root)" >&2
  exit 1
}
mapfile -t scripts < <(
  {
    echo install.sh
    find scripts -name '*.sh'
    find bin .ci -type f
  } | sort -u
)
shellcheck --external-sources "${scripts[@]}"
