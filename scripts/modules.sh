#!/usr/bin/env bash
# Prints every Go module directory of the repository, one per line, sorted.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
find . -name go.mod -not -path './.git/*' -not -path '*/testdata/*' -not -path './bin/*' -not -path '*/node_modules/*' \
  | sed 's|/go.mod$||; s|^\./||' | sort
