#!/usr/bin/env bash
# End-to-end demo on a machine with no internet and no Docker engine:
#   1. builds a .NET runtime base image from this machine's files (an OCI layout, made by umoci),
#   2. publishes samples/HelloContainer with dotnet publish,
#   3. assembles the app image with ctimage: the publish output as a reproducible layer on the base,
#      plus ENV, USER, WORKDIR and ENTRYPOINT, written as an OCI layout and a docker archive,
#   4. runs the image with runc and shows what a registry client (skopeo) sees.
# Everything lands under artifacts/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/artifacts/demo
bash build/bootstrap.sh
rm -rf "$out"
mkdir -p "$out"

step() { printf '\n== %s\n' "$*"; }

step "Building the base image (glibc + .NET runtime from this machine) into $out/base"
bash build/testimages/make-base.sh --kind dotnet --out "$out/base" --tag runtime

step "Publishing samples/HelloContainer"
dotnet publish samples/HelloContainer -c Release -o "$out/publish" -nologo -v:q
dotnet build src/ContainerTasks.Cli -c Release -nologo -v:q -o "$out/tool"

step "Assembling the image (no daemon): OCI layout and docker archive"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
common=(--from "oci:$out/base:runtime" --layer "$out/publish:/app" --tag hello-container:1.0
        --env GREETING="built by ContainerTasks" --user 1654 --workdir /app
        --entrypoint dotnet --entrypoint /app/HelloContainer.dll
        --label org.opencontainers.image.title=HelloContainer --cache "$out/cache")
digest=$(dotnet "$out/tool/ctimage.dll" build "${common[@]}" --to "oci:$out/image")
dotnet "$out/tool/ctimage.dll" build "${common[@]}" --to "docker-archive:$out/hello-container.tar" >/dev/null
echo "image digest: $digest"

step "Running it with runc"
bash build/testimages/run-image.sh "oci:$out/image:1.0"

step "What skopeo sees"
skopeo inspect --config "oci:$out/image:1.0" | jq -c '{user: .config.User, workdir: .config.WorkingDir, entrypoint: .config.Entrypoint, env: .config.Env, layers: (.rootfs.diff_ids | length)}'
echo "docker archive (for docker load / podman load): $out/hello-container.tar"
