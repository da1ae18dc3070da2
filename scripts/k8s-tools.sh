#!/usr/bin/env bash
# Builds, once per pinned version and tools source, what make test-k8s needs
# beyond helm and kubeconform (scripts/install-tools.sh):
#   bin/k8s-schemas-<k8s version>-<key>/  kubeconform's schemas: the Kubernetes OpenAPI
#                                         document of the k8s.io/kubernetes module and the CRDs
#   bin/k8s-dryrun-<k8s version>-<key>.test  the kube-apiserver dry-run (tools/k8s/dryrun)
# and prints the two paths. Measured build times go to stderr.
set -euo pipefail
. "$(dirname "$0")/k8s-env.sh"
export GOWORK=off GOFLAGS=-buildvcs=false
key=$(tools_key k8s)
schemas="$k8s_root/bin/k8s-schemas-$K8S_VERSION-$key"
dryrun="$k8s_root/bin/k8s-dryrun-$K8S_VERSION-$key.test"
src=""
trap '[ -z "$src" ] || rm -rf "$src"' EXIT
if [ ! -f "$schemas/.done" ] || [ ! -x "$dryrun" ]; then
  src=$(tools_module k8s)
fi
if [ ! -f "$schemas/.done" ]; then
  start=$SECONDS
  kube=$(module_dir "k8s.io/kubernetes@v$K8S_VERSION")
  rm -rf "$k8s_root"/bin/k8s-schemas-*
  mapfile -t crds < <(crd_files)
  (cd "$src" && go run ./schemagen -openapi "$kube/api/openapi-spec/swagger.json" -out "$schemas" "${crds[@]}") >&2
  touch "$schemas/.done"
  echo "k8s-tools: schemas built in $((SECONDS - start)) s" >&2
fi
if [ ! -x "$dryrun" ]; then
  start=$SECONDS
  echo "k8s-tools: building the kube-apiserver dry-run (k8s.io/kubernetes v$K8S_VERSION; minutes on a cold cache)" >&2
  rm -f "$k8s_root"/bin/k8s-dryrun-*.test
  # -vet=off: vet would analyse every dependency of k8s.io/kubernetes for its facts.
  (cd "$src" && go test -c -vet=off -o "$dryrun" ./dryrun)
  echo "k8s-tools: kube-apiserver dry-run built in $((SECONDS - start)) s" >&2
fi
echo "$schemas"
echo "$dryrun"
