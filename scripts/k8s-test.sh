#!/usr/bin/env bash
# make test-k8s: the chart, offline, every check failing the run.
#  1. helm lint --strict with every ci/ profile; wrong values the schema must refuse
#  2. the golden renders are current (scripts/k8s-render.sh -check)
#  3. kubeconform -strict of the renders (the deploy/ nodes among them) against the
#     pinned Kubernetes and CRD schemas
#  4. a real kube-apiserver's server-side dry run of every render
set -euo pipefail
. "$(dirname "$0")/k8s-env.sh"
cd "$k8s_root"
tmp=$(mktemp -d /tmp/k8s-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "== helm lint --strict"
for values in "$CHART"/ci/*-values.yaml; do
  "$HELM" lint --strict "$CHART" --kube-version "$K8S_VERSION" -f "$values" >"$tmp/lint.out" 2>&1 \
    || { cat "$tmp/lint.out"; exit 1; }
  echo "ok   $(basename "$values")"
done

echo "== values the schema refuses"
base=(--kube-version "$K8S_VERSION" -f "$CHART/ci/district-values.yaml")
refuse() { # what, helm --set arguments…
  local what=$1; shift
  if "$HELM" template x "$CHART" "${base[@]}" "$@" >/dev/null 2>"$tmp/err"; then
    echo "FAIL accepted: $what ($*)"; exit 1
  fi
  echo "ok   refused: $what ($(grep -m1 -oE "at '[^']*'[^\"]*|required[^\"]*" "$tmp/err" | head -c 120))"
}
refuse "a role that is none" --set role=city
refuse "a district id that is no registry id" --set district=Jing_Kai
refuse "a district without its PII secret" --set pii.secretName=
refuse "postgres without its DSN secret" --set database.mode=postgres
refuse "a broker that is no host:port" --set 'kafka.brokers={kafka-0}'
refuse "an unknown key" --set replica=3
refuse "a duration Go cannot parse" --set-string config.heartbeatInterval=15
refuse "an OIDC issuer without TLS" --set auth.oidc.issuer=http://sso.example.org
refuse "a log level that is none" --set log.level=verbose

echo "== golden renders"
./scripts/k8s-render.sh -check

echo "== every service binary has its Deployment; every GUILDHALL_* variable is a flag"
# A binary ignores a variable it has no flag for, so a misspelt one would pass
# every other check: each must be the flag of at least one service binary.
mkdir -p "$tmp/bin"
flags="$tmp/flags"; : > "$flags"
for d in services/*/cmd/*/; do
  name=$(basename "$d")
  case "$name" in guildhall|devstack|errtable|faults|openapi|soak) continue ;; esac
  GOFLAGS=-buildvcs=false go build -o "$tmp/bin/$name" "./$d"
  { "$tmp/bin/$name" -help 2>&1 || true; } | sed -n 's/^  -\([a-z][a-z0-9.-]*\).*/\1/p' \
    | tr 'a-z.-' 'A-Z__' | sed 's/^/GUILDHALL_/' >> "$flags"
  grep -q "^  name: gh-[a-z-]*-$name$" "$CHART"/golden/*.yaml || { echo "FAIL no Deployment of $name in any golden render"; exit 1; }
done
# GUILDHALL_DB_DSN is -db.dsn of the PostgreSQL stores (issue 14 part 4), set only in postgres mode.
echo GUILDHALL_DB_DSN >> "$flags"
unknown=$(grep -ohE '\bGUILDHALL_[A-Z0-9_]+' "$CHART"/golden/*.yaml | sort -u | grep -vxFf "$flags" || true)
if [ -n "$unknown" ]; then echo "FAIL variables no binary has a flag for: $unknown"; exit 1; fi
echo "ok   $(grep -ohE '\bGUILDHALL_[A-Z0-9_]+' "$CHART"/golden/*.yaml | sort -u | wc -l) variables, each a flag"

./scripts/k8s-tools.sh > "$tmp/tools"
mapfile -t built < "$tmp/tools"
schemas=${built[0]} dryrun=${built[1]}

echo "== kubeconform -strict (Kubernetes $K8S_VERSION and the CRDs' schemas)"
"$KUBECONFORM" -strict -summary -output text \
  -schema-location "$schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  "$CHART"/golden/*.yaml

echo "== kube-apiserver $K8S_VERSION: server-side dry run of every render"
mapfile -t crds < <(crd_files)
rc=0
"$dryrun" -test.run TestDryRunRenders -test.v -test.timeout 15m \
  -renders "$CHART/golden/*.yaml" -crds "$(IFS=,; echo "${crds[*]}")" >"$tmp/dryrun.log" 2>&1 || rc=$?
# The apiserver logs a lot: show the test's own lines (the whole log on failure).
if [ "$rc" -ne 0 ]; then cat "$tmp/dryrun.log"; exit "$rc"; fi
grep -E '^(--- |PASS|ok)|dryrun_test.go' "$tmp/dryrun.log" | sed "s|$tmp/||g"
