#!/usr/bin/env bash
# Runs a command in every module directory and fails if any run fails.
# Usage: scripts/each-module.sh go test ./...
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
failed=()
for m in $(./scripts/modules.sh); do
  echo "==> $m: $*"
  if ! (cd "$m" && "$@"); then
    failed+=("$m")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED in: ${failed[*]}" >&2
  exit 1
fi
