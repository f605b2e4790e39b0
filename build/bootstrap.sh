#!/usr/bin/env bash
# Installs the machine prerequisites for building, testing and the demo.
# Idempotent: skips apt entirely when every tool is already present.
set -euo pipefail

packages=(docker-registry skopeo umoci runc crun oci-image-tool busybox-static jq
          apache2-utils openssl python3 pigz file util-linux curl time podman)
tools=(docker-registry skopeo umoci runc crun oci-image-tool busybox jq htpasswd openssl python3 pigz file unshare curl taskset /usr/bin/time podman)

missing=()
for t in "${tools[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "bootstrap: all tools present"
  exit 0
fi
echo "bootstrap: missing ${missing[*]}; installing packages"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null 2>&1 || { echo "bootstrap: $t still missing after install" >&2; exit 1; }
done
echo "bootstrap: done"
