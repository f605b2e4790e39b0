#!/usr/bin/env bash
# Packs the ContainerTasks NuGet package into artifacts/packages and prints its version.
#   build/pack.sh [VERSION]     (default: 0.1.0-local.<unix time>, unique so NuGet never serves a stale copy)
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-0.1.0-local.$(date +%s)}
dotnet pack src/ContainerTasks/ContainerTasks.csproj -c Release -p:Version="$version" -o artifacts/packages -nologo -v:q --disable-build-servers >&2
echo "$version"
