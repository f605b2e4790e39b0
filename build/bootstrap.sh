#!/usr/bin/env bash
# Installs the machine prerequisites for building, testing and the demo.
# Idempotent: skips apt entirely when every tool is already present, and npm when its install matches the lock file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(docker-registry skopeo umoci runc crun oci-image-tool busybox-static jq
          apache2-utils openssl python3 pigz file util-linux curl time podman nodejs npm)
tools=(docker-registry skopeo umoci runc crun oci-image-tool busybox jq htpasswd openssl python3 pigz file unshare curl taskset /usr/bin/time podman node npm)

missing=()
for t in "${tools[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "bootstrap: all tools present"
else
  echo "bootstrap: missing ${missing[*]}; installing packages"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  for t in "${tools[@]}"; do
    command -v "$t" >/dev/null 2>&1 || { echo "bootstrap: $t still missing after install" >&2; exit 1; }
  done
  echo "bootstrap: done"
fi

# The schema checks of the CI recipes in docs/ci/ (CiRecipeTests): the exact versions of build/ci-recipes/package-lock.json,
# installed into artifacts/tools/ci-recipes with npm's cache in artifacts/tools/npm-cache.
ci_tools="$root/artifacts/tools/ci-recipes"
if cmp -s "$root/build/ci-recipes/package-lock.json" "$ci_tools/package-lock.json" && [ -d "$ci_tools/node_modules" ]; then
  echo "bootstrap: CI recipe checks present"
else
  rm -rf "$ci_tools"
  mkdir -p "$ci_tools"
  cp "$root/build/ci-recipes/package.json" "$root/build/ci-recipes/package-lock.json" "$ci_tools/"
  (cd "$ci_tools" && npm ci --ignore-scripts --no-audit --no-fund --update-notifier=false --cache "$root/artifacts/tools/npm-cache" >/dev/null)
  echo "bootstrap: CI recipe checks installed"
fi
