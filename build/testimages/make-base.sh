#!/usr/bin/env bash
# Builds a small base image from files of this machine into an OCI image layout,
# without a container daemon, using umoci (new / unpack / repack / config).
#
#   make-base.sh --kind busybox|dotnet|aspnet --out LAYOUT_DIR --tag TAG [--dotnet-root DIR]
#
# Kinds and their layers (each kind extends the previous one, like the usual
# runtime-deps / runtime / aspnet image chain):
#   busybox  1 layer : static busybox + applet symlinks, /etc/passwd, /etc/group
#   dotnet   3 layers: + glibc, libstdc++, ICU, OpenSSL, zlib, CA certs, tzdata
#                      + the .NET host and Microsoft.NETCore.App
#   aspnet   4 layers: + Microsoft.AspNetCore.App
# Config changes (ENV, LABEL, CMD) are separate "umoci config" calls between the
# layers, so the history looks like that of an image built from a build file.
#
# Layers are reproducible: every file gets the mtime $SOURCE_DATE_EPOCH (default
# 2024-01-01T00:00:00Z), which is also used for all "created" fields, so the
# same inputs give the same digests and all kinds share the busybox layer.
#
# The layout is created if needed and may hold several tags; an existing TAG is
# replaced, and unreferenced blobs are garbage-collected afterwards.
# On success prints exactly one line: "LAYOUT_DIR:TAG sha256:<manifest digest>".
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
  cat >&2 <<EOF
usage: $prog --kind busybox|dotnet|aspnet --out LAYOUT_DIR --tag TAG [--dotnet-root DIR]
  --dotnet-root  .NET installation to copy the runtime from (default /usr/share/dotnet)
EOF
  exit 2
}

# ------------------------------------------------------------- arguments ---
kind= out= tag= dotnet_root=/usr/share/dotnet
while (($#)); do
  case $1 in
    --kind|--out|--tag|--dotnet-root)
      (($# >= 2)) || usage
      case $1 in
        --kind) kind=$2 ;; --out) out=$2 ;; --tag) tag=$2 ;; --dotnet-root) dotnet_root=$2 ;;
      esac
      shift 2 ;;
    -h|--help) usage ;;
    *) echo "$prog: unknown argument: $1" >&2; usage ;;
  esac
done
[[ -n $kind && -n $out && -n $tag ]] || usage
case $kind in busybox|dotnet|aspnet) ;; *) die "unknown --kind '$kind'" ;; esac
[[ $tag =~ ^[A-Za-z0-9_.-]+$ ]] || die "invalid tag '$tag' (allowed: A-Z a-z 0-9 _ . -)"
[[ $(id -u) -eq 0 ]] || die "must run as root (umoci keeps file owners only as root)"
[[ $(uname -m) == x86_64 ]] || die "host files are copied as they are, so the host must be x86_64"
for t in umoci jq ldd file flock; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done
ldconfig_bin=$(command -v ldconfig || echo /sbin/ldconfig)
[[ -x $ldconfig_bin ]] || die "missing tool: ldconfig"

epoch=${SOURCE_DATE_EPOCH:-1704067200}
[[ $epoch =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH must be seconds since 1970"
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
dotnet_dir=/usr/share/dotnet   # location of the runtime inside the image

# --------------------------------------------------------------- helpers ---
# Runs a tool quietly; its output is shown only when it fails.
q() {
  "$@" >"$log" 2>&1 || { cat "$log" >&2; die "command failed: $*"; }
}

newest_dir() {   # newest_dir DIR -> name of the highest-versioned subdirectory
  local d=$1 v
  [[ -d $d ]] || die "not found: $d"
  v=$(ls -1 "$d" | sort -V | tail -n 1)
  [[ -n $v ]] || die "empty: $d"
  echo "$v"
}

# Unpacks the current state of the image into a fresh bundle. Needed before
# every layer: "umoci repack" builds on the manifest recorded in the bundle at
# unpack time (umoci.json), not on the tag's current manifest, so "umoci config"
# changes made after an unpack would silently be dropped by the next repack.
begin_layer() {
  rm -rf "$bundle"
  q umoci unpack --image "$image" "$bundle"
}

# Packs what was added to the rootfs since begin_layer as one new layer.
# All files get the fixed mtime first (reproducible tars); files of earlier
# layers have it already, so umoci's mtree diff only picks up the new ones.
add_layer() {
  find "$rootfs" -exec touch -h -d "@$epoch" {} +
  q umoci repack --history.created "$created" --history.created_by "$1" \
    --image "$image" "$bundle"
}

# One "umoci config" call = one empty_layer history entry, like one build-file
# instruction. Usage: set_config 'ENV K=V' --config.env K=V ...
set_config() {
  local created_by=$1; shift
  q umoci config --image "$image" --created "$created" \
    --history.created "$created" --history.created_by "$created_by" "$@"
}

# Copies a host path into the rootfs at the same path. Symlink chains are
# recreated link by link and the real file at the end is copied. Parent
# directories are created through the image's own /lib -> usr/lib links.
# ("cp --parents" is avoided: coreutils 9.1 fails with it on absolute paths.)
copy_host_path() {
  local p=$1 target i
  for ((i = 0; i < 40; i++)); do
    [[ -L $p || -e $p ]] || die "host file not found: $p"
    if [[ ! -L $rootfs$p && ! -e $rootfs$p ]]; then
      mkdir -p "$rootfs${p%/*}"
      cp -P -p "$p" "$rootfs$p"
    fi
    [[ -L $p ]] || return 0
    target=$(readlink "$p")
    [[ $target == /* ]] || target=${p%/*}/$target
    p=$(realpath -s -m "$target")   # normalise ".." without following links
  done
  die "symlink loop at $1"
}

# Prints the shared objects (and the ELF interpreter) the given files load.
# Unresolved optional libraries (liblttng-ust for the runtime's tracing
# provider, which coreclr loads only if it can) are skipped.
elf_deps() {
  { ldd "$@" 2>/dev/null || true; } | awk '
    $2 == "=>" && $3 ~ /^\// { print $3; next }   # libfoo.so.1 => /lib/.../libfoo.so.1 (0x..)
    NF >= 2 && $1 ~ /^\// { print $1 }            # /lib64/ld-linux-x86-64.so.2 (0x..)
  ' | sort -u
}

# Prints the path of the newest x86-64 library in the loader cache whose
# soname matches the regex (for libraries the runtime dlopen()s by name).
host_lib() {
  "$ldconfig_bin" -p | awk -v re="$1" '$1 ~ re && /x86-64/ { print $1, $NF }' \
    | sort -V | tail -n 1 | cut -d' ' -f2
}

# ---------------------------------------------------------------- layers ---
applets=(sh ash ls cat cp mv ln rm rmdir mkdir chmod chown touch stat id env pwd
         echo printf test '[' true false find xargs wc sleep head tail grep egrep
         sed awk sort uniq cut tr tee basename dirname readlink realpath uname
         hostname whoami date du df ps kill which seq expr md5sum sha256sum tar
         gzip gunzip diff more vi nc wget)

layer_busybox() {
  local busybox_host available a
  busybox_host=$(readlink -f "$(command -v busybox || echo /bin/busybox)")
  [[ -x $busybox_host ]] || die "busybox not found (install busybox-static)"
  file -L "$busybox_host" | grep -q 'statically linked' \
    || die "$busybox_host is not statically linked (install busybox-static)"
  begin_layer

  # merged-/usr layout (as on the host); host library paths such as
  # /lib/x86_64-linux-gnu/... then resolve to the same files in the image.
  mkdir -p "$rootfs"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin} \
           "$rootfs"/{etc,root,tmp,var/tmp,home/app,proc,sys,dev}
  ln -s usr/bin "$rootfs/bin"
  ln -s usr/sbin "$rootfs/sbin"
  ln -s usr/lib "$rootfs/lib"
  ln -s usr/lib64 "$rootfs/lib64"
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  chmod 700 "$rootfs/root"

  install -m 755 "$busybox_host" "$rootfs/usr/bin/busybox"
  available=" $("$busybox_host" --list | tr '\n' ' ') "
  for a in "${applets[@]}"; do
    if [[ $available == *" $a "* ]]; then ln -s busybox "$rootfs/usr/bin/$a"; fi
  done
  [[ -L $rootfs/usr/bin/sh ]] || die "busybox has no sh applet"

  cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1654:1654:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
app:x:1654:
nogroup:x:65534:
EOF
  chmod 644 "$rootfs/etc/passwd" "$rootfs/etc/group"
  chown 1654:1654 "$rootfs/home/app"
  chmod 755 "$rootfs/home/app"

  add_layer "COPY busybox /bin/ (static busybox, applets, /etc/passwd, /etc/group) # make-base.sh"
  set_config "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --os linux --architecture amd64 \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  set_config "LABEL org.opencontainers.image.vendor=ContainerTasks tests" \
    --config.label "org.opencontainers.image.vendor=ContainerTasks tests"
  set_config 'CMD ["sh"]' --config.cmd sh
}

layer_runtime_deps() {
  local lib libs=() elves=() dlopened=() re p
  begin_layer
  # Libraries the runtime loads with dlopen() by name, invisible to ldd.
  for re in '^libicuuc\.so\.[0-9]+$' '^libicui18n\.so\.[0-9]+$' \
            '^libssl\.so\.[0-9.]+$' '^libcrypto\.so\.[0-9.]+$' '^libz\.so\.1$'; do
    lib=$(host_lib "$re")
    [[ -n $lib ]] || die "no host library matching $re (install libicu, libssl3, zlib1g)"
    dlopened+=("$lib")
  done
  mapfile -t elves < <(find "$fxr" "$netcore" -name '*.so*' -type f)
  mapfile -t libs < <(elf_deps "$dotnet_root/dotnet" "${elves[@]}" "${dlopened[@]}")
  for lib in "${libs[@]}" "${dlopened[@]}"; do
    # Libraries of the runtime itself (libmscordbi needs libmscordaccore) come
    # with the runtime layer.
    [[ $lib == "$dotnet_root"/* ]] || copy_host_path "$lib"
  done

  # Not needed to start, but usual in a runtime-deps image.
  for p in /etc/ssl/certs/ca-certificates.crt /usr/lib/ssl/cert.pem /usr/lib/ssl/certs; do
    if [[ -e $p ]]; then copy_host_path "$p"; fi
  done
  if [[ -d /usr/share/zoneinfo ]]; then
    mkdir -p "$rootfs/usr/share"
    cp -a /usr/share/zoneinfo "$rootfs/usr/share/"
  fi

  add_layer "COPY glibc libstdc++ libicu libssl zlib ca-certificates tzdata / # make-base.sh"
  set_config "ENV APP_UID=1654 DOTNET_RUNNING_IN_CONTAINER=true" \
    --config.env APP_UID=1654 --config.env DOTNET_RUNNING_IN_CONTAINER=true
}

layer_runtime() {
  local f
  set_config "ENV DOTNET_VERSION=$rt_version" --config.env "DOTNET_VERSION=$rt_version"
  begin_layer
  mkdir -p "$rootfs$dotnet_dir/host/fxr" "$rootfs$dotnet_dir/shared/Microsoft.NETCore.App"
  cp -p "$dotnet_root/dotnet" "$rootfs$dotnet_dir/dotnet"
  for f in LICENSE.txt ThirdPartyNotices.txt; do
    if [[ -f $dotnet_root/$f ]]; then cp -p "$dotnet_root/$f" "$rootfs$dotnet_dir/"; fi
  done
  cp -a "$fxr" "$rootfs$dotnet_dir/host/fxr/"
  cp -a "$netcore" "$rootfs$dotnet_dir/shared/Microsoft.NETCore.App/"
  ln -s ../share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
  add_layer "COPY dotnet host/fxr shared/Microsoft.NETCore.App/$rt_version $dotnet_dir/ # make-base.sh"
}

layer_aspnet() {
  set_config "ENV ASPNET_VERSION=$asp_version" --config.env "ASPNET_VERSION=$asp_version"
  begin_layer
  mkdir -p "$rootfs$dotnet_dir/shared/Microsoft.AspNetCore.App"
  cp -a "$aspnetcore" "$rootfs$dotnet_dir/shared/Microsoft.AspNetCore.App/"
  add_layer "COPY shared/Microsoft.AspNetCore.App/$asp_version $dotnet_dir/ # make-base.sh"
  set_config "ENV ASPNETCORE_HTTP_PORTS=8080" --config.env ASPNETCORE_HTTP_PORTS=8080
}

# ----------------------------------------------------------------- input ---
if [[ $kind != busybox ]]; then
  [[ -x $dotnet_root/dotnet ]] || die "no .NET installation at $dotnet_root"
  rt_version=$(newest_dir "$dotnet_root/shared/Microsoft.NETCore.App")
  netcore=$dotnet_root/shared/Microsoft.NETCore.App/$rt_version
  fxr=$dotnet_root/host/fxr/$(newest_dir "$dotnet_root/host/fxr")
  [[ -f $netcore/libcoreclr.so ]] || die "$netcore does not look like a .NET runtime"
fi
if [[ $kind == aspnet ]]; then
  asp_version=$rt_version   # prefer the ASP.NET Core version matching the runtime
  [[ -d $dotnet_root/shared/Microsoft.AspNetCore.App/$asp_version ]] \
    || asp_version=$(newest_dir "$dotnet_root/shared/Microsoft.AspNetCore.App")
  aspnetcore=$dotnet_root/shared/Microsoft.AspNetCore.App/$asp_version
fi

# ---------------------------------------------------------------- layout ---
work=$(mktemp -d "${TMPDIR:-/tmp}/make-base.XXXXXXXX")
log=$work/log
bundle=$work/bundle
rootfs=$bundle/rootfs
image=   # LAYOUT:TEMP_TAG while a build is in progress

cleanup() {
  local rc=$?
  if [[ -n $image && $rc -ne 0 ]]; then   # failed build: drop its tag and blobs
    umoci rm --image "$image" >/dev/null 2>&1 || true
    umoci gc --layout "$out" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

out_arg=$out
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Serialise builds into the same layout: umoci does not lock index.json, and
# the final gc must not delete blobs of a build still in progress. Locking the
# directory itself keeps the layout free of extra files.
exec 9<"$out"
flock 9
if [[ ! -e $out/index.json ]]; then
  [[ -z $(ls -A "$out") ]] || die "$out exists, is not empty and is not an OCI layout"
  q umoci init --layout "$work/layout"   # umoci init wants to create the directory
  mv "$work/layout"/* "$out"/
fi

# ----------------------------------------------------------------- build ---
# Built under a temporary tag, so a failure leaves an older TAG untouched.
image="$out:$tag.build-$$"
q umoci new --image "$image"
layer_busybox
if [[ $kind != busybox ]]; then
  layer_runtime_deps
  layer_runtime
fi
if [[ $kind == aspnet ]]; then
  layer_aspnet
fi

# Publish under the requested tag (replacing an older image of that name) and
# drop blobs no tag refers to any more.
q umoci tag --image "$image" "$tag"
q umoci rm --image "$image"
image=
q umoci gc --layout "$out"
chmod -R a+rX "$out"   # umoci writes blobs and index.json with mode 0600

digest=$(jq -r --arg t "$tag" \
  '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)][0].digest' \
  "$out/index.json")
[[ $digest == sha256:* ]] || die "tag $tag not found in $out/index.json"
echo "$out_arg:$tag $digest"
