#!/usr/bin/env bash
# A cold layer (about 200 MB of .NET assemblies) to a local registry, compressed and then uploaded, against
# uploaded while it is compressed (issue #11). Prints a Markdown table of seconds. Needs build/bootstrap.sh.
#   build/bench/streaming.sh                 # 200 MB, 3 runs each
#   build/bench/streaming.sh --size-mb 500 --reps 5
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/ct-bench-streaming.XXXXXX)
trap 'kill $registry_pid 2>/dev/null || true; rm -rf "$work"' EXIT
source build/lib/local-registry.sh
start_local_registry "$work"
dotnet run -c Release --project tests/ContainerTasks.Benchmarks -- streaming --registry "$registry" "$@"
