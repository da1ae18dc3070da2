#!/usr/bin/env bash
# Renders charts/guildhall with every ci/*-values.yaml profile into
# charts/guildhall/golden/<profile>.yaml (helm template, the pinned Kubernetes
# version, the API versions the profile's "# helm-api-versions:" line names).
# -check: fail if a committed render differs (the chart changed without them).
set -euo pipefail
. "$(dirname "$0")/k8s-env.sh"
check=false
[ "${1:-}" = -check ] && check=true
out="$CHART/golden"
$check && out=$(mktemp -d /tmp/k8s-golden.XXXXXX)
mkdir -p "$out"
for values in "$CHART"/ci/*-values.yaml; do
  profile=$(basename "$values" -values.yaml)
  apis=()
  for a in $(sed -n 's/^# helm-api-versions: *//p' "$values" | tr ',' ' '); do apis+=(--api-versions "$a"); done
  "$HELM" template "gh-$profile" "$CHART" --namespace guildhall --kube-version "$K8S_VERSION" \
    -f "$values" "${apis[@]}" > "$out/$profile.yaml"
done
if $check; then
  if ! diff -ru "$CHART/golden" "$out"; then
    echo "charts/guildhall/golden is stale: run scripts/k8s-render.sh and commit" >&2
    exit 1
  fi
  rm -rf "$out"
  echo "golden renders: up to date"
fi
