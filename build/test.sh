#!/usr/bin/env bash
# Runs every test of the solution. Installs the machine prerequisites first (build/bootstrap.sh, a no-op
# when they are present); tests themselves never install anything and fail, never skip, when a tool is missing.
# Ends with one summary line: "tests: N passed, N failed, N skipped"; fails when any test failed or was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash build/bootstrap.sh >/dev/null
configuration=${CONFIGURATION:-Release}
results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

dotnet build ContainerTasks.sln -c "$configuration" -nologo -v:q
status=0
dotnet test ContainerTasks.sln -c "$configuration" --no-build -nologo \
  --logger "trx;LogFilePrefix=results" --results-directory "$results" "$@" || status=$?

python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(counters.get("passed"))
    failed += int(counters.get("failed")) + int(counters.get("error")) + int(counters.get("timeout")) + int(counters.get("aborted"))
    skipped += int(counters.get("notExecuted"))
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
# A skipped test is not a passing one: a missing tool or a skip attribute fails the run.
if passed == 0 or skipped > 0:
    sys.exit(1)
PY
exit $status
