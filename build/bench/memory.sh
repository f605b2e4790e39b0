#!/usr/bin/env bash
# Memory benchmark of the layer writer (docs/benchmarks.md): a child process writes a 1 GiB layer (default
# compression) from 16 generated files of 64 MiB; its peak RSS must stay within 64 MiB of its baseline.
# Prints the figures and PASS/FAIL on stdout; exits 1 on FAIL.
#   build/bench/memory.sh                    # 1 GiB
#   build/bench/memory.sh --size-mib 256     # a smaller layer: the figure should not change much
set -euo pipefail
cd "$(dirname "$0")/../.."
exec dotnet run -c Release --project tests/ContainerTasks.Benchmarks -- memory "$@"
