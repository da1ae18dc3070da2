# Sourced by scripts/k8s-*.sh: the pinned versions of the Kubernetes
# validation (helm and kubeconform themselves are pinned in install-tools.sh).
# The Kubernetes release the renders are checked against: its OpenAPI document
# (kubeconform's schemas) and its kube-apiserver (the dry-run), both from the
# k8s.io/kubernetes module; the staging modules are the matching v0.x.
K8S_VERSION=1.34.4
# CRDs from Go modules (the module proxy serves their repositories' files).
GATEWAY_API_MODULE=sigs.k8s.io/gateway-api@v1.4.1
PROMETHEUS_OPERATOR_MODULE=github.com/prometheus-operator/prometheus-operator@v0.85.0
# Strimzi is no Go module: its CRDs are committed (tools/k8s/crds/strimzi/SOURCE).
STRIMZI_VERSION=1.2.0

k8s_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELM="$k8s_root/bin/helm"
KUBECONFORM="$k8s_root/bin/kubeconform"
CHART="$k8s_root/charts/guildhall"

# module_dir <module@version>: its directory in the module cache (downloaded if needed).
module_dir() {
  (cd "$k8s_root/tools/k8s" && GOWORK=off GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
}

# crd_files: every CRD file the chart's renders need, one a line.
crd_files() {
  local gw po
  gw=$(module_dir "$GATEWAY_API_MODULE")
  po=$(module_dir "$PROMETHEUS_OPERATOR_MODULE")
  echo "$gw/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"
  echo "$gw/config/crd/standard/gateway.networking.k8s.io_gateways.yaml"
  echo "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
  echo "$po/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"
  echo "$k8s_root/tools/k8s/crds/strimzi/043-Crd-kafkatopic.yaml"
  echo "$k8s_root/tools/k8s/crds/strimzi/044-Crd-kafkauser.yaml"
}

# tools_module <dir under tools/>: a copy of that tools module in a fresh
# temporary directory outside the repository, where its go.mod.tools and
# go.sum.tools become go.mod and go.sum; the caller removes it when done
# (a trap). The tools modules keep no go.mod in the tree, and their copies
# live outside it, so that scripts/modules.sh (go.work, make test, make
# lint) never takes them for product modules: their dependencies
# (k8s.io/kubernetes and its staging modules, go-containerregistry) must
# never enter the workspace's build list. What is built from them is kept
# in bin/, keyed by tools_key.
tools_module() {
  local src="$k8s_root/tools/$1" dst
  dst=$(mktemp -d "${TMPDIR:-/tmp}/guildhall-tools-$1.XXXXXX")
  cp -R "$src"/. "$dst"/
  mv "$dst/go.mod.tools" "$dst/go.mod"; mv "$dst/go.sum.tools" "$dst/go.sum"
  echo "$dst"
}

# tools_key <dir under tools/>: a short hash of that module's sources, so a
# binary built from it is rebuilt when they change.
tools_key() {
  (cd "$k8s_root/tools/$1" && find . -type f \( -name '*.go' -o -name 'go.*.tools' \) | sort | xargs sha256sum | sha256sum | cut -c1-12)
}
