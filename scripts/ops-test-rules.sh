#!/usr/bin/env bash
# promtool check rules and test rules on the generated Prometheus rules, and
# checks that every alert has a promtool test and a runbook (make test-rules;
# make test runs it). promtool is Debian's prometheus package (.ci/run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rules=deploy/mixin/rules.yaml
tests=deploy/mixin/tests/alerts_test.yaml
promtool check rules "$rules"
cmp -s "$rules" charts/guildhall/files/prometheus-rules.yaml || { echo "the chart's rules differ from $rules: run make mixin"; exit 1; }
(cd "$(dirname "$tests")" && promtool test rules "$(basename "$tests")")
missing=0
for a in $(grep -oE '^ *- alert: [A-Za-z0-9]+' "$rules" | awk '{print $3}' | sort -u); do
  grep -q "alertname: $a\$" "$tests" || { echo "alert $a has no promtool test in $tests"; missing=1; }
  [ -s "docs/runbooks/$a.md" ] || { echo "alert $a has no runbook docs/runbooks/$a.md"; missing=1; }
  grep -q "runbook_url: .*/docs/runbooks/$a.md" "$rules" || { echo "alert $a does not link its runbook"; missing=1; }
done
exit $missing
