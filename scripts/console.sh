#!/usr/bin/env bash
# The web console's build and tests (web/console: Vue 3 + Element Plus +
# ECharts, built with Vite; versions pinned in package-lock.json).
#   scripts/console.sh build    npm ci, vite build into web/console/dist (committed: the Go build embeds it)
#   scripts/console.sh test     npm ci, the vitest unit tests
#   scripts/console.sh verify   build, then fail if dist differs from what is committed
# Needs Node.js >= 20.19 and npm (Debian's nodejs is older: use the one the
# machine has, or nodejs.org's). Without them, test skips with a note,
# except in CI (CI set), where it fails; build and verify always fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/web/console"
cmd=${1:-}

have_node() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
  # Vite 8 needs Node.js 20.19 or newer.
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}
if ! have_node; then
  if [ "$cmd" = test ] && [ -z "${CI:-}" ]; then
    echo "console: Node.js >= 20.19 and npm not found: the console's unit tests are skipped (CI runs them)"
    exit 0
  fi
  echo "console: Node.js >= 20.19 and npm are needed" >&2
  exit 1
fi
install() { npm ci --no-audit --no-fund --loglevel=error; }

case "$cmd" in
build) install && npm run --silent build ;;
test) install && npm test --silent ;;
verify)
  install && npm run --silent build >/dev/null
  cd "$root"
  git diff --exit-code -- web/console/dist >/dev/null && test -z "$(git status --porcelain -- web/console/dist)" ||
    { git status --porcelain -- web/console/dist; echo "web/console/dist is stale: run make console and commit"; exit 1; }
  ;;
*) echo "usage: $0 build|test|verify" >&2; exit 2 ;;
esac
