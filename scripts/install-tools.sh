#!/usr/bin/env bash
# Installs the pinned Go tools into ./bin. Versions live here and nowhere else.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export GOBIN="$root/bin"
export GOWORK=off
mkdir -p "$GOBIN"
want() { # name version package
  local stamp="$GOBIN/.$1-$2"
  if [ ! -x "$GOBIN/$1" ] || [ ! -f "$stamp" ]; then
    echo "installing $3@$2"
    (cd "$root" && go install "$3@$2")
    rm -f "$GOBIN/.$1-"*
    touch "$stamp"
  fi
}
want staticcheck v0.8.2 honnef.co/go/tools/cmd/staticcheck
want protoc-gen-go v1.36.12 google.golang.org/protobuf/cmd/protoc-gen-go
# Kubernetes validation (make test-k8s): the chart linter/renderer and the
# schema checker. The kube-apiserver of the dry-run is built by scripts/k8s-tools.sh.
want helm v3.22.0 helm.sh/helm/v3/cmd/helm
want kubeconform v0.7.0 github.com/yannh/kubeconform/cmd/kubeconform
# sloth generates the SLO rules (make mixin); its version is stamped in so
# the generated sloth_slo_info says which sloth wrote them.
want_ldflags() { # name version package ldflags
  local stamp="$GOBIN/.$1-$2"
  if [ ! -x "$GOBIN/$1" ] || [ ! -f "$stamp" ]; then
    echo "installing $3@$2"
    (cd "$root" && go install -ldflags "$4" "$3@$2")
    rm -f "$GOBIN/.$1-"*
    touch "$stamp"
  fi
}
want_ldflags sloth v0.16.0 github.com/slok/sloth/cmd/sloth "-X github.com/slok/sloth/internal/info.Version=v0.16.0"
