#!/usr/bin/env bash
# Compression benchmark of the layer writer (docs/benchmarks.md): the layer writer at each level, DeflateStream,
# SharpZipLib 1/6/9, gzip -1/-6, pigz -1/-6 and SHA-256 alone over one ~200 MB publish-like tar.
# Prints a Markdown table on stdout and progress on stderr. Takes about 10 minutes with the defaults.
#   build/bench/compression.sh                       # default input: made from the .NET installation
#   build/bench/compression.sh --input DIR --reps 3  # your own publish folder, fewer repetitions
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in gzip pigz taskset /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || { echo "compression.sh: $tool is missing (build/bootstrap.sh installs pigz and taskset; apt-get install time)" >&2; exit 1; }
done
exec dotnet run -c Release --project tests/ContainerTasks.Benchmarks -- compression "$@"
