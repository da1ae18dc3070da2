#!/usr/bin/env bash
# Renders charts/guildhall with every ci/*-values.yaml profile into
# charts/guildhall/golden/<profile>.yaml (helm template, the pinned Kubernetes
# version, the API versions the profile's "# helm-api-versions:" line names),
# and every deploy/ node into golden/deploy-<node>.yaml.
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
# The city's own releases (deploy/common.yaml, then the node's file), as
# deploy-<node>.yaml: the ACL test of services/standalone holds the KafkaUsers
# in them to what the code does on a broker that enforces them.
for node in hq jingkai caidian examples/hanyang; do
  name=$(basename "$node")
  "$HELM" template "gh-$name" "$CHART" --namespace "guildhall-$name" \
    --kube-version "$K8S_VERSION" -f "$k8s_root/deploy/common.yaml" -f "$k8s_root/deploy/$node.yaml" \
    --api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule \
    > "$out/deploy-$name.yaml"
done
if $check; then
  if ! diff -ru "$CHART/golden" "$out"; then
    echo "charts/guildhall/golden is stale: run scripts/k8s-render.sh and commit" >&2
    exit 1
  fi
  rm -rf "$out"
  echo "golden renders: up to date"
fi
