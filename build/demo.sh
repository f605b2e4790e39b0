#!/usr/bin/env bash
# The whole job, end to end, on a machine with no internet and no Docker engine:
#   1. start a local registry (the CNCF Distribution registry) on 127.0.0.1,
#   2. build a .NET runtime base image from this machine's files and push it there,
#   3. pack ContainerTasks and `dotnet publish -p:PublishContainer=true` the sample app with it,
#   4. pull the pushed image back and run it with runc (no daemon), printing the app's output.
# Everything lands under artifacts/demo/; the registry stops when the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/artifacts/demo
bash build/bootstrap.sh >/dev/null
rm -rf "$out"
mkdir -p "$out/registry"

step() { printf '\n== %s\n' "$*"; }

source build/lib/local-registry.sh
step "Starting a local registry"
start_local_registry "$out/registry"
trap 'kill $registry_pid 2>/dev/null || true' EXIT
echo "registry at $registry"

step "Building a .NET runtime base image from this machine's files and pushing it"
bash build/testimages/make-base.sh --kind dotnet --out "$out/base" --tag runtime
skopeo copy -q --dest-tls-verify=false "oci:$out/base:runtime" "docker://$registry/dotnet/runtime:10.0"

step "Packing ContainerTasks"
version=$(bash build/pack.sh)
echo "ContainerTasks $version in artifacts/packages"

step "dotnet publish -p:PublishContainer=true (samples/HelloContainer)"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
dotnet publish samples/HelloContainer -c Release --disable-build-servers -nologo \
  -p:ContainerTasksVersion="$version" -p:RestoreAdditionalProjectSources="$root/artifacts/packages" \
  -p:PublishContainer=true -p:ContainerRegistry="$registry" -p:ContainerBaseImage="$registry/dotnet/runtime:10.0" \
  -p:ContainerImageTags='1.0%3Blatest'

step "Pulling the image back and running it with runc"
skopeo copy -q --src-tls-verify=false "docker://$registry/samples/hello-container:1.0" "oci:$out/pulled:1.0"
bash build/testimages/run-image.sh "oci:$out/pulled:1.0"

step "What the registry holds"
curl -fsS "http://$registry/v2/samples/hello-container/tags/list"; echo
skopeo inspect --tls-verify=false "docker://$registry/samples/hello-container:1.0" | jq -c '{Digest, Env, Layers: (.Layers | length)}'
