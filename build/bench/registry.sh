#!/usr/bin/env bash
# Registry traffic of `dotnet publish` with the SDK's built-in container support and with ContainerTasks,
# counted from the registry's own access log (never from our counters). For each: a first publish
# (base image in another repository of the same registry), then a publish with no change.
# Prints a Markdown table. Needs build/bootstrap.sh. About one minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
work=$(mktemp -d /tmp/ct-bench-registry.XXXXXX)
trap 'kill $registry_pid 2>/dev/null || true; rm -rf "$work"' EXIT

source build/lib/local-registry.sh
start_local_registry "$work"

bash build/testimages/make-base.sh --kind dotnet --out "$work/base" --tag runtime >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$work/base:runtime" "docker://$registry/dotnet/runtime:10.0"
version=$(bash build/pack.sh 2>/dev/null)
cp -r samples/HelloContainer "$work/app"
rm -rf "$work/app/bin" "$work/app/obj"
echo '<Project />' > "$work/Directory.Build.props"

export NUGET_PACKAGES=$work/nuget MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
export DOTNET_CONTAINER_INSECURE_REGISTRIES=$registry CONTAINERTASKS_CACHE=$work/cache
publish() { # $1 = label, rest = extra args
  local label=$1; shift
  local before; before=$(wc -l < "$work/access.log")
  local start; start=$(date +%s.%N)
  dotnet publish "$work/app" -c Release -t:PublishContainer --disable-build-servers -nologo -v:q \
    -p:ContainerRegistry="$registry" -p:ContainerBaseImage="$registry/dotnet/runtime:10.0" \
    -p:RestoreAdditionalProjectSources="$root/artifacts/packages" "$@" >"$work/$label.out" 2>&1 || { cat "$work/$label.out"; exit 1; }
  local end; end=$(date +%s.%N)
  sleep 0.3
  tail -n +"$((before + 1))" "$work/access.log" > "$work/$label.log"
  echo "$label $(python3 -c "print(f'{$end-$start:.1f}')")" >> "$work/times"
}
publish builtin-first -p:ContainerRepository=bench/builtin
publish builtin-again -p:ContainerRepository=bench/builtin
publish ours-first -p:ContainerRepository=bench/ours -p:ContainerTasksVersion="$version"
publish ours-again -p:ContainerRepository=bench/ours -p:ContainerTasksVersion="$version"

python3 - "$work" <<'PY'
import os, re, sys, urllib.parse
work = sys.argv[1]
times = dict(line.split() for line in open(os.path.join(work, "times")))
line_re = re.compile(r'"(\w+) (\S+) HTTP/[\d.]+" (\d+) (\d+)')
def blob_size(digest):
    algo, hexd = digest.split(":")
    path = os.path.join(work, "data", "docker", "registry", "v2", "blobs", algo, hexd[:2], hexd, "data")
    return os.path.getsize(path) if os.path.exists(path) else 0
rows = []
for label in ["builtin-first", "builtin-again", "ours-first", "ours-again"]:
    requests = 0; uploads = 0; up_bytes = 0; mounts = 0; down = 0; manifests = 0
    for line in open(os.path.join(work, label + ".log")):
        m = line_re.search(line)
        if not m or "/v2/" not in m.group(2) or m.group(2) == "/v2/":
            continue
        method, target, status, size = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
        requests += 1
        query = urllib.parse.parse_qs(urllib.parse.urlparse(target).query)
        if method == "PUT" and "/blobs/uploads/" in target and status == 201 and "digest" in query:
            uploads += 1; up_bytes += blob_size(query["digest"][0])
        if method == "POST" and "mount" in query and status == 201:
            mounts += 1
        if method == "GET":
            down += size
        if method == "PUT" and "/manifests/" in target:
            manifests += 1
    rows.append((label, times[label], requests, uploads, up_bytes, mounts, down, manifests))
print("| publish | time (s) | requests | blobs uploaded | bytes uploaded | blobs mounted | bytes downloaded | manifest PUTs |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
for r in rows:
    print("| %s | %s | %d | %d | %d | %d | %d | %d |" % r)
PY
