#!/usr/bin/env bash
# Packs the ContainerTasks NuGet package into artifacts/packages and prints its version.
#   build/pack.sh [VERSION]     (default: 0.1.0-local.<unix time>, unique so NuGet never serves a stale copy)
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-0.1.0-local.$(date +%s)}
# The package names the repository it was packed from, when the clone has a remote.
url=$(git remote get-url origin 2>/dev/null || true)
case "$url" in https://*) repository=(-p:ContainerTasksRepositoryUrl="$url") ;; *) repository=() ;; esac
dotnet pack src/ContainerTasks/ContainerTasks.csproj -c Release -p:Version="$version" "${repository[@]}" -o artifacts/packages -nologo -v:q --disable-build-servers >&2
echo "$version"
