#!/usr/bin/env bash
# Runs every fuzz target of the repository (every `func FuzzX(f *testing.F)`
# in a _test.go file) for a while each.
#   scripts/fuzz.sh [DURATION]          fuzz each target for DURATION (default 3s: the
#                                        smoke run `make test` does)
#   scripts/fuzz.sh -corpus [DURATION]  the same, then copy what the fuzzer found
#                                        interesting into testdata/fuzz/<Target>/, the
#                                        committed corpus every `go test` replays
# A failing input is written to testdata/fuzz/<Target>/ by go test itself and
# fails the run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
corpus=false
if [ "${1:-}" = "-corpus" ]; then corpus=true; shift; fi
duration=${1:-3s}
cache=$(go env GOCACHE)/fuzz
failed=()
while IFS=: read -r file name; do
  dir=$(dirname "$file")
  mod=$dir
  while [ ! -f "$mod/go.mod" ]; do mod=$(dirname "$mod"); done
  rel=${dir#"$mod"}; rel=${rel#/}
  pkg=./$rel; [ -n "$rel" ] || pkg=.
  echo "==> fuzz $name in $dir for $duration"
  # The whole output on a failure (the reason is rarely in the last lines),
  # the last lines on success.
  if ! out=$(cd "$mod" && go test -run '^$' -fuzz "^${name}\$" -fuzztime "$duration" "$pkg" 2>&1); then
    printf '%s\n' "$out" | tail -n 60
    failed+=("$dir:$name")
    continue
  fi
  printf '%s\n' "$out" | tail -n 3
  if $corpus; then
    ip=$(cd "$mod" && go list "$pkg")
    if [ -d "$cache/$ip/$name" ]; then
      mkdir -p "$dir/testdata/fuzz/$name"
      cp -n "$cache/$ip/$name"/* "$dir/testdata/fuzz/$name/"
    fi
  fi
done < <(git ls-files -co --exclude-standard '*_test.go' | xargs grep -Ho '^func Fuzz[A-Za-z0-9_]*(f \*testing.F)' | sed 's/^\(.*\):func \(Fuzz[A-Za-z0-9_]*\)(.*/\1:\2/' | sort)
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing FAILED: ${failed[*]}" >&2
  exit 1
fi
