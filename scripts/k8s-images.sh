#!/usr/bin/env bash
# make images: one OCI image per binary, without a container engine. Builds
# each binary static (CGO_ENABLED=0; the SQLite driver is pure Go) with the
# version linked in, writes the images as OCI layouts under dist/images/
# (tools/images: go-containerregistry, no base image), then checks every
# image's config and contents (tools/images/images_test.go).
# VERSION (default: git describe) and SOURCE_DATE_EPOCH (default: the commit
# time) make the build reproducible: the same commit gives the same digests.
set -euo pipefail
. "$(dirname "$0")/k8s-env.sh"
cd "$k8s_root"
export GOFLAGS=-buildvcs=false
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
REVISION=${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
CA=${CA:-/etc/ssl/certs/ca-certificates.crt}
OUT=${OUT:-dist/images}
# binary:package — every binary of make build.
binaries=(
  guildhall:./services/standalone/cmd/guildhall
  membership:./services/membership/cmd/membership
  meetings:./services/meetings/cmd/meetings
  patrols:./services/patrols/cmd/patrols
  messaging:./services/messaging/cmd/messaging
  compliance:./services/compliance/cmd/compliance
  hq:./services/hq/cmd/hq
  devstack:./services/standalone/cmd/devstack
  console:./services/standalone/cmd/console
)
mkdir -p bin/images
paths=(); names=()
for b in "${binaries[@]}"; do
  name=${b%%:*}; pkg=${b#*:}
  CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath \
    -ldflags "-s -w -X github.com/guildhall/guildhall/pkg/node.version=$VERSION" -o "bin/images/$name" "$pkg"
  paths+=("bin/images/$name"); names+=("$name")
done
src=$(tools_module images)
trap 'rm -rf "$src"' EXIT
key=$(tools_key images)
tool="bin/imagebuild-$key"
if [ ! -x "$tool" ]; then
  (cd "$src" && GOWORK=off go build -o "$k8s_root/$tool" .)
fi
"$tool" -out "$OUT" -version "$VERSION" -revision "$REVISION" -epoch "$SOURCE_DATE_EPOCH" -ca "$CA" "${paths[@]}"
(cd "$src" && GOWORK=off go test -count=1 . -args -images "$k8s_root/$OUT" -want "$(IFS=,; echo "${names[*]}")")
