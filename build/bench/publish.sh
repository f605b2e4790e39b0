#!/usr/bin/env bash
# `dotnet publish -t:PublishContainer` with the SDK's built-in container support against ContainerTasks, on one
# local registry and the same base images, for three apps (and a fourth on request):
#   hello  samples/HelloContainer (framework-dependent console app; base: dotnet/runtime)
#   web    build/bench/publish/web: ASP.NET Core app with large NuGet dependencies and a wwwroot
#          (publish output about 477 MB; base: dotnet/aspnet)
#   sc     `dotnet new console` published -r linux-x64 --self-contained (base: dotnet/runtime, standing in
#          for runtime-deps, which build/testimages/make-base.sh does not make)
#   win    samples/HelloContainer published -r win-x64 (framework-dependent) on a Windows-shaped nanoserver base
#          (build/testimages/make-windows-base.py, one OCI manifest: the built-in handles no Windows index entry).
#          Only with --apps
#   mp     the same console app, self-contained for two platforms in one publish:
#          -p:ContainerRuntimeIdentifiers="linux-x64;linux-arm64" (RuntimeIdentifiers in the project, as restore
#          needs them, and SelfContained only when a RuntimeIdentifier is set, so that the outer build has none);
#          base: a two-platform index of dotnet/runtime (the arm64 image is an arm64-labelled copy with the same
#          layers, made by build/bench/publish/multi-base.py). Only with --apps; phases cold, nochange, change
#          and fresh
# For each app and tool, phases (tools interleaved, each in its own copy of the app and its own repository):
#   cold      bin/ and obj/ deleted, empty content caches (fresh CONTAINERTASKS_CACHE and TMPDIR, which holds
#             the built-in's store), a new repository; once per repetition
#   nochange  the same publish again
#   change    one line of Program.cs edited, then the same publish
#   mem       (not mp) one line edited, `dotnet publish` without a container, then the container step alone as
#             `dotnet msbuild PROJ -t:PublishContainer -p:NoBuild=true` under /usr/bin/time -v (peak RSS)
#   base      (not mp) the same msbuild process without the container step (-t:Publish), for the MSBuild
#             share of that RSS
#   fresh     fresh CI runners sharing one repository and tag (issue #11), each runner a new machine: a new
#             git clone of the app at a path of its own (no bin/ or obj/), empty CONTAINERTASKS_CACHE, TMPDIR,
#             HOME, XDG_CACHE_HOME and DOTNET_CLI_HOME (only NUGET_PACKAGES is shared, so packages are present);
#             file times set to each file's last commit (as git restore-mtime does); every fresh publish adds
#             -p:ContinuousIntegrationBuild=true -p:ContainerImageTag=latest:
#               fresh-a   runner A publishes commit 1 (the sources as they are) to a new repository (setup)
#               fresh-b2  runner B' publishes commit 1 again (no change) to the same repository:tag, while the
#                         tag still points at A's image; its manifest digest is compared with runner A's
#               fresh-b1  then runner B publishes commit 2 (one line of Program.cs changed) to it
#             a new repository per repetition; the tools take turns within each runner step. The web app's
#             image is not reproducible as it is (its static web assets' compressed copies carry their build
#             time in staticwebassets.endpoints.json), so runner B' differs from A unless --fresh-args has
#             -p:CompressionEnabled=false
# Measured: wall time of each `dotnet publish`; the container task's own time from -clp:PerformanceSummary
# (CreateNewImage for the built-in, BuildContainerImage for ContainerTasks; for mp the built-in's two
# CreateNewImage calls and its CreateImageIndex added up, although its platforms run in parallel); blobs and
# bytes uploaded and requests, counted from the registry's access log (completed
# `PUT …/blobs/uploads/…?digest=`, sized by the blob the registry stored). Prints Markdown tables (medians)
# and ratios on stdout, progress on stderr. The fresh phase also records each publish's manifest digest
# (logs/<label>.digest, read with a HEAD request after the access log is cut, so not counted).
#
#   build/bench/publish.sh [--smoke] [--reps N] [--web-reps N] [--apps hello,web,sc,mp] [--phases LIST]
#                          [--fresh-args ARGS] [--ours-args ARGS] [--package-version V] [--keep]
#     --smoke            app hello only, one repetition, phases cold,nochange,change,mem (no fresh), under
#                        2 minutes; exits 1 if a check fails (for CI)
#     --reps N           repetitions of each phase for hello, sc and mp (default 5)
#     --apps LIST        apps to run (default hello,web,sc; mp only when named)
#     --phases LIST      phases to run, of cold,nochange,change,mem,fresh (default all; mem includes base);
#                        nochange, change and mem need cold, which they add. E.g. the fresh runners alone:
#                        build/bench/publish.sh --apps web --phases fresh --web-reps 3
#     --web-reps N       repetitions of each phase for web (default 3)
#     --fresh-args ARGS  more MSBuild arguments for every publish of phase fresh, both tools (split at spaces),
#                        e.g. --fresh-args -p:CompressionEnabled=false
#     --ours-args ARGS   more MSBuild arguments for every publish of ContainerTasks (not the built-in), e.g.
#                        --ours-args "-p:ContainerSbom=false -p:ContainerProvenance=false" to measure what the SBOM
#                        and provenance cost (run once with, once without)
#     --package-version  use an already packed ContainerTasks from artifacts/packages instead of build/pack.sh
#     --keep             keep the work folder (apps, logs, registry data) under /tmp
# Needs build/bootstrap.sh. NuGet packages are kept across runs in $CT_BENCH_NUGET (default /tmp/ct-bench-nuget);
# the first run restores about 500 MB of packages for the web app. About 11 minutes with the defaults without
# fresh; fresh adds six publishes per app and repetition, most of them full builds (about 12 minutes more with
# the defaults; web alone with --web-reps 3, about 8).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
here=$root/build/bench/publish

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
reps=5 web_reps=3 apps="hello web sc" smoke=0 keep=0 version= phases= fresh_args= ours_args=
while (($#)); do
  case $1 in
    --smoke) smoke=1 reps=1 web_reps=1 apps=hello ;;
    --reps) reps=${2:?}; shift ;;
    --web-reps) web_reps=${2:?}; shift ;;
    --apps) apps=${2//,/ }; shift ;;
    --phases) phases=${2//,/ }; shift ;;
    --fresh-args) fresh_args=${2:?}; shift ;;
    --ours-args) ours_args=${2:?}; shift ;;
    --package-version) version=${2:?}; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage ;;
    *) echo "publish.sh: unknown argument: $1" >&2; usage ;;
  esac
  shift
done
for a in $apps; do case $a in hello|web|sc|mp|win) ;; *) echo "publish.sh: unknown app '$a'" >&2; exit 2 ;; esac; done
if [[ -z $phases ]]; then   # --smoke leaves out fresh (six more publishes, about a minute for hello)
  if ((smoke)); then phases="cold nochange change mem"; else phases="cold nochange change mem fresh"; fi
fi
for p in $phases; do case $p in cold|nochange|change|mem|fresh) ;; *) echo "publish.sh: unknown phase '$p'" >&2; exit 2 ;; esac; done
has_phase() { [[ " $phases " == *" $1 "* ]]; }
if ! has_phase cold && { has_phase nochange || has_phase change || has_phase mem; }; then
  phases="cold $phases"   # they continue from the cold publish's copy, caches and repository
fi
for t in docker-registry skopeo jq python3 curl /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "publish.sh: missing $t (run build/bootstrap.sh)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/ct-bench-publish.XXXXXX)
mkdir -p "$work/logs" "$work/apps" "$work/cache" "$work/tmp"
registry_pid=
finish() {
  local rc=$?
  [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null || true
  if ((keep)); then
    echo "publish.sh: work folder kept: $work" >&2
  elif ((rc != 0)); then
    rm -rf "$work/data" "$work/apps" "$work/cache" "$work/tmp" "$work/fresh"
    echo "publish.sh: failed; logs in $work/logs" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap finish EXIT
say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# ------------------------------------------------------------------ registry, base images, package ---
source build/lib/local-registry.sh
start_local_registry "$work"

say "base images (make-base.sh) → $registry"
bash build/testimages/make-base.sh --kind dotnet --out "$work/base" --tag runtime >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$work/base:runtime" "docker://$registry/dotnet/runtime:10.0"
if [[ " $apps " == *" mp "* ]]; then   # the same image as linux/amd64 and (relabelled) linux/arm64, in one index
  skopeo copy -q "oci:$work/base:runtime" "oci:$work/multi:amd64"
  python3 "$here/multi-base.py" "$work/multi" amd64 multi
  skopeo copy -q --all --dest-tls-verify=false "oci:$work/multi:multi" "docker://$registry/dotnet/runtime-multi:10.0"
fi
if [[ " $apps " == *" win "* ]]; then
  python3 build/testimages/make-windows-base.py --out "$work/windows" --tag nanoserver >/dev/null
  skopeo copy -q --dest-tls-verify=false "oci:$work/windows:nanoserver" "docker://$registry/windows/runtime:nanoserver"
fi
if [[ " $apps " == *" web "* ]]; then
  bash build/testimages/make-base.sh --kind aspnet --out "$work/base" --tag aspnet >/dev/null
  skopeo copy -q --dest-tls-verify=false "oci:$work/base:aspnet" "docker://$registry/dotnet/aspnet:10.0"
fi
if [[ -z $version ]]; then
  say "packing ContainerTasks (build/pack.sh)"
  version=$(bash build/pack.sh 2>"$work/logs/pack.log")
fi
[[ -f artifacts/packages/ContainerTasks.$version.nupkg ]] || { echo "publish.sh: no artifacts/packages/ContainerTasks.$version.nupkg" >&2; exit 1; }

# ------------------------------------------------------------------------------------------ environment ---
unset SOURCE_DATE_EPOCH CONTAINERTASKS_CACHE
export NUGET_PACKAGES=${CT_BENCH_NUGET:-/tmp/ct-bench-nuget}
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export DOTNET_CONTAINER_INSECURE_REGISTRIES=$registry
mkdir -p "$NUGET_PACKAGES"

# ------------------------------------------------------------------------------------------------ apps ---
declare -A proj base args msargs marker nreps
mkdir -p "$work/fresh"
echo '<Project />' > "$work/apps/Directory.Build.props"   # keeps the repository's props out
echo '<Project />' > "$work/fresh/Directory.Build.props"

template() { # $1 = app → a clean copy of the app in $work/template/$1
  local t=$work/template/$1
  mkdir -p "$work/template"
  case $1 in
    hello|win) cp -r samples/HelloContainer "$t"; rm -rf "$t/bin" "$t/obj" ;;
    web)   cp -r "$here/web" "$t" ;;
    sc)    dotnet new console -n SelfContainedApp -o "$t" --no-restore >"$work/logs/dotnet-new.log" 2>&1 ;;
    mp)    dotnet new console -n MultiPlatformApp -o "$t" --no-restore >"$work/logs/dotnet-new-mp.log" 2>&1
           # Restore needs every runtime identifier, so they go in the project (as docs/multi-platform.md says).
           # SelfContained only for a given RuntimeIdentifier (the inner publish of each platform): a plain
           # SelfContained=true makes the SDK pick the machine's RID for the outer build, and the built-in then
           # publishes that one platform only.
           sed -i 's#</TargetFramework>#&\n    <RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>\n    <SelfContained Condition="'"'\$(RuntimeIdentifier)' != ''"'">true</SelfContained>#' \
             "$t/MultiPlatformApp.csproj"
           grep -q '<RuntimeIdentifiers>' "$t/MultiPlatformApp.csproj" || { echo "publish.sh: could not edit $t/MultiPlatformApp.csproj" >&2; exit 1; } ;;
  esac
}
checkout() { # $1 = app, $2 = tool, $3 = folder: a copy of the app's sources (commit 1) with the tool added
  cp -r "$work/template/$1" "$3"
  add_tool "$2" "$3"
}
add_tool() { # $1 = tool, $2 = the app's folder
  if [[ $1 == ours ]]; then
    # ContainerTasks the way a user adds it: one PackageReference.
    cat > "$2/Directory.Build.props" <<XML
<Project>
  <PropertyGroup>
    <RestoreAdditionalProjectSources>$root/artifacts/packages</RestoreAdditionalProjectSources>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="ContainerTasks" Version="$version" PrivateAssets="all" />
  </ItemGroup>
</Project>
XML
  else
    echo '<Project />' > "$2/Directory.Build.props"
  fi
}
for app in $apps; do
  template "$app"
  case $app in
    hello) proj[$app]=HelloContainer.csproj base[$app]=dotnet/runtime:10.0 args[$app]= msargs[$app]= marker[$app]='without a daemon!' nreps[$app]=$reps ;;
    web)   proj[$app]=WebBench.csproj base[$app]=dotnet/aspnet:10.0 args[$app]= msargs[$app]= marker[$app]='bench build' nreps[$app]=$web_reps ;;
    sc)    proj[$app]=SelfContainedApp.csproj base[$app]=dotnet/runtime:10.0 marker[$app]='Hello, World!' nreps[$app]=$reps
           args[$app]='-r linux-x64 --self-contained'
           msargs[$app]='-p:RuntimeIdentifier=linux-x64 -p:_CommandLineDefinedRuntimeIdentifier=true -p:SelfContained=true -p:_CommandLineDefinedSelfContained=true' ;;
    win)   proj[$app]=HelloContainer.csproj base[$app]=windows/runtime:nanoserver marker[$app]='without a daemon!' nreps[$app]=$reps
           args[$app]='-r win-x64 --self-contained false'
           msargs[$app]='-p:RuntimeIdentifier=win-x64 -p:_CommandLineDefinedRuntimeIdentifier=true -p:SelfContained=false -p:_CommandLineDefinedSelfContained=true' ;;
    mp)    proj[$app]=MultiPlatformApp.csproj base[$app]=dotnet/runtime-multi:10.0 marker[$app]='Hello, World!' nreps[$app]=$reps
           # Quoted for MSBuild, which then splits the list: the built-in takes %3B as part of one RID.
           args[$app]='-p:ContainerRuntimeIdentifiers="linux-x64;linux-arm64"' msargs[$app]= ;;
  esac
  for tool in builtin ours; do
    d=$work/apps/$app-$tool
    checkout "$app" "$tool" "$d"
    say "restore $app-$tool"
    # shellcheck disable=SC2086
    dotnet restore "$d" --disable-build-servers -nologo -v:q ${msargs[$app]} >"$work/logs/restore-$app-$tool.log" 2>&1 \
      || { cat "$work/logs/restore-$app-$tool.log" >&2; exit 1; }
  done
done

# ------------------------------------------------------------------------------------------- one step ---
printf 'app\ttool\tphase\trep\twall_s\tout\tslice\ttime\n' > "$work/runs.tsv"
declare -A cache tmpd repo edits
runner_env=()

edit_line() { # $1 = Program.cs, $2 = marker, $3 = text: the marker's string literal becomes "MARKER (TEXT)"
  python3 - "$1" "$2" "$3" <<'PY'
import re, sys
path, marker, note = sys.argv[1:]
text = open(path, encoding="utf-8-sig").read()
text, count = re.subn(re.escape(marker) + r'[^"]*"', f'{marker} ({note})"', text, count=1)
assert count == 1, f"marker {marker!r} not found in {path}"
open(path, "w", encoding="utf-8").write(text)
PY
}
edit_program() { # $1 = app, $2 = tool: a one-line change of Program.cs, different every time
  local key=$1-$2
  edits[$key]=$(( ${edits[$key]:-0} + 1 ))
  edit_line "$work/apps/$key/Program.cs" "${marker[$1]}" "edit ${edits[$key]}"
}

# Runs one measured command ($5…) for app $1, tool $2, phase $3, repetition $4, with the environment of that
# app/tool, and records its wall time and the registry's access-log lines written meanwhile.
measure() {
  local app=$1 tool=$2 phase=$3 rep=$4; shift 4
  local key=$app-$tool label=$app.$tool.$phase.$rep
  local before start end wall timefile=- timed=()
  if [[ $phase == mem || $phase == base ]]; then
    timefile=$work/logs/$label.time
    timed=(/usr/bin/time -v -o "$timefile")
  fi
  before=$(wc -l < "$work/access.log")
  start=$(date +%s.%N)
  # runner_env (fresh runners) comes last, so that its TMPDIR and CONTAINERTASKS_CACHE win.
  if ! env TMPDIR="${tmpd[$key]:-}" CONTAINERTASKS_CACHE="${cache[$key]:-}" "${runner_env[@]}" "${timed[@]}" "$@" \
      >"$work/logs/$label.out" 2>&1; then
    tail -n 40 "$work/logs/$label.out" >&2
    echo "publish.sh: $label failed (log: $work/logs/$label.out)" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  sleep 0.3   # let the registry write its last access-log lines
  tail -n +"$((before + 1))" "$work/access.log" > "$work/logs/$label.access"
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$app" "$tool" "$phase" "$rep" "$wall" "$label.out" "$label.access" \
    "$( [[ $timefile == - ]] && echo - || basename "$timefile")" >> "$work/runs.tsv"
  say "$(printf '%-5s %-7s %-8s %s: %6.2f s' "$app" "$tool" "$phase" "$rep" "$wall")"
}

common() { # $1 app, $2 tool, [$3 repository]: the registry settings, the same for both tools (and --ours-args for ours)
  echo "-p:ContainerRegistry=$registry -p:ContainerBaseImage=$registry/${base[$1]} -p:ContainerRepository=${3:-${repo[$1-$2]}} $([[ $2 == ours ]] && echo "$ours_args")"
}
publish_container() { # $1 app, $2 tool, $3 phase, $4 rep, [$5 verbosity]
  local d=$work/apps/$1-$2
  # shellcheck disable=SC2046,SC2086
  measure "$1" "$2" "$3" "$4" dotnet publish "$d/${proj[$1]}" -c Release -t:PublishContainer --disable-build-servers -nologo \
    "-v:${5:-m}" -clp:PerformanceSummary $(common "$1" "$2") ${args[$1]}
}
container_step_alone() { # $1 app, $2 tool, $3 rep: publish without a container, then the container step alone
  local d=$work/apps/$1-$2
  # shellcheck disable=SC2086
  env TMPDIR="${tmpd[$1-$2]}" dotnet publish "$d/${proj[$1]}" -c Release --disable-build-servers -nologo -v:q ${args[$1]} \
    >"$work/logs/$1.$2.mem-prepare.$3.out" 2>&1 || { cat "$work/logs/$1.$2.mem-prepare.$3.out" >&2; exit 1; }
  # shellcheck disable=SC2046,SC2086
  measure "$1" "$2" mem "$3" dotnet msbuild "$d/${proj[$1]}" -t:PublishContainer -p:NoBuild=true -p:Configuration=Release \
    -p:_IsPublishing=true -nodeReuse:false -m:1 -nologo -v:m -clp:PerformanceSummary $(common "$1" "$2") ${msargs[$1]}
  # shellcheck disable=SC2046,SC2086
  measure "$1" "$2" base "$3" dotnet msbuild "$d/${proj[$1]}" -t:Publish -p:NoBuild=true -p:Configuration=Release \
    -p:_IsPublishing=true -nodeReuse:false -m:1 -nologo -v:m -clp:PerformanceSummary $(common "$1" "$2") ${msargs[$1]}
}
tools_for_rep() { if (($1 % 2)); then echo builtin ours; else echo ours builtin; fi; }   # alternate who goes first

publish_size() { # $1 app, $2 the built-in's copy of it: size and file count of its publish output, for the report
  local pubs=() pub
  if [[ $1 == mp ]]; then   # both platforms' publish folders together
    pubs=("$2/bin/Release/net10.0/"linux-{x64,arm64}/publish)
  else
    for pub in "$2/bin/Release/net10.0/"{,linux-x64/,win-x64/}publish; do
      if [[ -d $pub ]]; then pubs=("$pub"); fi
    done
  fi
  if ((${#pubs[@]})) && [[ -d ${pubs[0]} ]]; then
    du -scb "${pubs[@]}" | tail -n 1 | cut -f1 > "$work/logs/$1.publish-bytes"
    find "${pubs[@]}" -type f | wc -l > "$work/logs/$1.publish-files"
  fi
}
manifest_digest() { # $1 repository: the digest of what its tag latest points at (a HEAD request, as a client does)
  local digest
  digest=$(curl -fsSI "http://$registry/v2/$1/manifests/latest" \
    -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json' \
    | tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }') || true
  [[ $digest == sha256:* ]] || { echo "publish.sh: no manifest for $registry/$1:latest" >&2; return 1; }
  echo "$digest"
}
# The app as a git repository, $work/origin/$1, that runners clone: tag c1 = the sources as they are, tag c2 = one
# line of Program.cs changed. A git checkout, as on CI: the SDK's source control information (SourceRoot) lets
# ContinuousIntegrationBuild map the checkout's path away, so that two checkouts can build the same assemblies.
fresh_origin() {
  local o=$work/origin/$1
  [[ -d $o ]] && return 0
  mkdir -p "$work/origin"
  cp -r "$work/template/$1" "$o"
  printf 'bin/\nobj/\n' > "$o/.gitignore"
  local g=(git -C "$o" -c user.name=bench -c user.email=bench@localhost -c commit.gpgsign=false -c tag.gpgsign=false)
  { "${g[@]}" init -q && "${g[@]}" add -A && "${g[@]}" commit -q -m "commit 1" && "${g[@]}" tag c1 \
    && edit_line "$o/Program.cs" "${marker[$1]}" "commit 2" && "${g[@]}" commit -q -am "commit 2" && "${g[@]}" tag c2; } \
    >"$work/logs/origin-$1.log" 2>&1 || { cat "$work/logs/origin-$1.log" >&2; exit 1; }
}
# One publish of phase fresh on a new machine: $1 app, $2 tool, $3 runner (a: commit 1, b1: commit 2, b2: commit 1
# again), $4 repetition. Everything machine-local is new and empty (a new clone at a path of its own, so no bin/ or
# obj/; content cache, TMPDIR, HOME, XDG_CACHE_HOME, DOTNET_CLI_HOME); NUGET_PACKAGES is the shared package folder.
fresh_runner() {
  local app=$1 tool=$2 runner=$3 i=$4
  local m=$work/fresh/$app-$tool-$i-$runner
  local src=$m/checkout/$app label=$app.$tool.fresh-$runner.$i commit=c1
  if [[ $runner == b1 ]]; then commit=c2; fi
  mkdir -p "$m/home" "$m/cache" "$m/tmp" "$m/checkout"
  fresh_origin "$app"
  git clone -q "$work/origin/$app" "$src"
  git -C "$src" checkout -q "$commit"
  # Each file's time is that of the last commit that changed it (what git restore-mtime does), not the checkout's:
  # the web app's static web assets write file times into its staticwebassets.endpoints.json (docs/benchmarks.md,
  # "Reproducibility of (b)"), so that a plain checkout alone makes a new app layer.
  local f
  git -C "$src" ls-files -z | while IFS= read -r -d '' f; do
    touch -d "@$(git -C "$src" log -1 --format=%ct -- "$f")" "$src/$f"
  done
  add_tool "$tool" "$src"   # not committed: the package is the one thing that differs between the tools
  runner_env=(HOME="$m/home" XDG_CACHE_HOME="$m/home/.cache" DOTNET_CLI_HOME="$m/home" TMPDIR="$m/tmp"
    CONTAINERTASKS_CACHE="$m/cache" DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_NOLOGO=1
    DOTNET_GENERATE_ASPNET_CERTIFICATE=false DOTNET_ADD_GLOBAL_TOOLS_TO_PATH=false
    DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=true DOTNET_SKIP_WORKLOAD_INTEGRITY_CHECK=true)
  # shellcheck disable=SC2046,SC2086
  measure "$app" "$tool" "fresh-$runner" "$i" dotnet publish "$src/${proj[$app]}" -c Release -t:PublishContainer \
    --disable-build-servers -nologo -v:m -clp:PerformanceSummary $(common "$app" "$tool" "bench/$app-$tool-fresh-$i") \
    -p:ContainerImageTag=latest -p:ContinuousIntegrationBuild=true ${args[$app]} $fresh_args
  runner_env=()
  manifest_digest "bench/$app-$tool-fresh-$i" > "$work/logs/$label.digest"
  if [[ $tool == builtin && ! -f $work/logs/$app.publish-bytes ]]; then publish_size "$app" "$src"; fi
  if ((!keep)); then rm -rf "$m"; fi
}

# ---------------------------------------------------------------------------------------------- phases ---
git_rev=$(git rev-parse --short HEAD)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
git_dirty=$(git status --porcelain -- src | wc -l)
for app in $apps; do
  n=${nreps[$app]}
  for ((i = 1; i <= n; i++)); do
    has_phase cold || break
    for tool in $(tools_for_rep "$i"); do
      key=$app-$tool
      rm -rf "$work/apps/$key/bin" "$work/apps/$key/obj"
      cache[$key]=$work/cache/$key-$i tmpd[$key]=$work/tmp/$key-$i repo[$key]=bench/$key-$i
      mkdir -p "${cache[$key]}" "${tmpd[$key]}"
      publish_container "$app" "$tool" cold "$i"
    done
  done
  for ((i = 1; i <= n; i++)); do
    has_phase nochange || break
    for tool in $(tools_for_rep "$i"); do publish_container "$app" "$tool" nochange "$i"; done
  done
  for ((i = 1; i <= n; i++)); do
    has_phase change || break
    for tool in $(tools_for_rep "$i"); do edit_program "$app" "$tool"; publish_container "$app" "$tool" change "$i"; done
  done
  if [[ $app != mp ]] && has_phase mem; then   # mp: no mem/base phases
    for ((i = 1; i <= n; i++)); do
      for tool in $(tools_for_rep "$i"); do edit_program "$app" "$tool"; container_step_alone "$app" "$tool" "$i"; done
    done
  elif [[ $app == mp ]] && has_phase cold; then   # both tools must have pushed a two-platform index (a single image would not compare)
    for tool in builtin ours; do
      got=$(skopeo inspect --raw --tls-verify=false "docker://$registry/${repo[$app-$tool]}:latest" \
        | jq -r '[.manifests[]?.platform | "\(.os)/\(.architecture)"] | sort | join(" ")')
      [[ $got == "linux/amd64 linux/arm64" ]] || { echo "publish.sh: mp, $tool: expected an index of linux/amd64 and linux/arm64, got '$got'" >&2; exit 1; }
    done
  fi
  if has_phase fresh; then   # runner A for both tools, then B' (the tag still at A's image), then B; a new repository per repetition
    for ((i = 1; i <= n; i++)); do
      for runner in a b2 b1; do
        for tool in $(tools_for_rep "$i"); do fresh_runner "$app" "$tool" "$runner" "$i"; done
      done
    done
  fi
  if has_phase cold; then
    # Not measured: one more change for ContainerTasks at -v:d, for its per-layer lines.
    edit_program "$app" ours
    publish_container "$app" ours detail 1 d
    sed -i '$d' "$work/runs.tsv"
    publish_size "$app" "$work/apps/$app-builtin"
  fi
done

# --------------------------------------------------------------------------------------------- report ---
python3 "$here/report.py" --work "$work" --registry-data "$work/data" --apps "$apps" --smoke "$smoke" \
  --meta "ContainerTasks $version (commit $git_rev$( ((git_dirty)) && echo ", $git_dirty files changed in src/"))" \
  --meta "$(dotnet --version | sed 's/^/.NET SDK /'), $(nproc) cores, $(docker-registry --version 2>/dev/null | awk '{print $NF}' | sed 's/^/Distribution registry /')" \
  --meta "phases: $phases$([[ -n $fresh_args ]] && echo " (fresh with $fresh_args)")$([[ -n $ours_args ]] && echo "; ContainerTasks with $ours_args"); repetitions: hello ${nreps[hello]:-0}, web ${nreps[web]:-0}, sc ${nreps[sc]:-0}$([[ -n ${nreps[mp]:-} ]] && echo ", mp ${nreps[mp]}"); $(date -u +%Y-%m-%dT%H:%MZ); load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
