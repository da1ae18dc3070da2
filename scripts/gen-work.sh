#!/usr/bin/env bash
# Regenerates go.work from the modules in the tree (make verify checks drift).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
{
  echo "go 1.26.0"
  echo
  echo "use ("
  for m in $(./scripts/modules.sh); do printf '\t./%s\n' "$m"; done
  echo ")"
  echo
  echo "// go-kit v0.13.0 still requires the monolithic genproto module; in workspace"
  echo "// mode (no module-graph pruning across modules) it collides with the split"
  echo "// genproto/googleapis/* modules etcd and grpc use. Each module alone builds"
  echo "// without this; the workspace needs a genproto that no longer holds them."
  echo "replace google.golang.org/genproto => google.golang.org/genproto v0.0.0-20261026165753-2ffab32bce7e"
} > go.work
