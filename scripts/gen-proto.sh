#!/usr/bin/env bash
# Regenerates the Go code of proto/ with the pinned protoc-gen-go in ./bin and
# Debian's protoc (see .ci/install-tools). Output is committed; `make verify`
# re-runs this and fails on drift.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/bin:$PATH"
cd "$root/proto"
find . -name '*.pb.go' -delete
protoc -I . --go_out=. --go_opt=paths=source_relative $(find guildhall -name '*.proto' | sort)
