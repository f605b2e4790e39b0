#!/usr/bin/env bash
# Runs a command in an OCI image without a container daemon: umoci unpacks the
# image into a temporary runtime bundle, runc runs it, and both the container
# and the bundle are removed afterwards.
#
#   run-image.sh [--env K=V]... [--user UID[:GID]] [--network none|host] [--name ID]
#                IMAGE_REF [-- ARGS...]
#
# IMAGE_REF: oci:LAYOUT_DIR[:TAG]           (TAG defaults to "latest")
#            oci-archive:FILE.tar[:TAG]     (converted with skopeo first)
#            docker-archive:FILE.tar[:REF]  (converted with skopeo first)
# ARGS, when given, replace the image's entrypoint + cmd (process.args).
#
# The container's stdout/stderr are passed through, stdin is /dev/null, and the
# exit status is the container's. Following the usual container engine
# convention, failures of this script or of runc exit with 125, a command that
# cannot be executed with 126 and a command that is not found with 127.
# Safe to run several times in parallel.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 125; }
usage() {
  cat >&2 <<EOF
usage: $prog [--env K=V]... [--user UID[:GID]] [--network none|host] [--name ID]
          IMAGE_REF [-- ARGS...]
  IMAGE_REF  oci:LAYOUT_DIR[:TAG] | oci-archive:FILE.tar[:TAG] | docker-archive:FILE.tar
  --env K=V  add or override an environment variable (--env K takes K from this shell)
  --user U   run as UID[:GID] or NAME[:GROUP] (looked up in the image's /etc/passwd)
  --network  none (default: own network namespace with loopback only) or host
  --name ID  runc container id (default: unique); a leftover container with
             this id is removed first
EOF
  exit 125
}

envs=() user= network=none name= ref= set_args=false args=()
while (($#)); do
  case $1 in
    -e|--env|-u|--user|--network|--name)
      (($# >= 2)) || usage
      case $1 in
        -e|--env) envs+=("$2") ;; -u|--user) user=$2 ;; --network) network=$2 ;;
        --name) name=$2 ;;
      esac
      shift 2 ;;
    --env=*) envs+=("${1#*=}"); shift ;;
    --user=*) user=${1#*=}; shift ;;
    --network=*) network=${1#*=}; shift ;;
    --name=*) name=${1#*=}; shift ;;
    -h|--help) usage ;;
    -*) echo "$prog: unknown option: $1" >&2; usage ;;
    *) ref=$1; shift; break ;;
  esac
done
[[ -n $ref ]] || usage
if (($#)); then
  [[ $1 == -- ]] || { echo "$prog: expected -- before the command, got: $1" >&2; usage; }
  shift
  if (($#)); then set_args=true; args=("$@"); fi
fi
case $network in none|host) ;; *) die "--network must be none or host" ;; esac
[[ -z $name || $name =~ ^[A-Za-z0-9_.+-]+$ ]] || die "invalid --name '$name'"
[[ $(id -u) -eq 0 ]] || die "must run as root (runc, umoci unpack)"

# --env K=V sets K; a bare --env K copies K from this environment (if set).
env_kv=()
for e in "${envs[@]}"; do
  if [[ $e == *=* ]]; then
    [[ -n ${e%%=*} ]] || die "invalid --env '$e'"
    env_kv+=("$e")
  elif [[ -n ${!e+set} ]]; then
    env_kv+=("$e=${!e}")
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/run-image.XXXXXXXXXX")
id=${name:-run-image-$$-${work##*.}}   # runc container id, unique unless --name
bundle=$work/bundle
log=$work/log
cleanup() {
  local rc=$?
  # Normally "runc run" removes the container itself; this covers signals
  # and failures in between.
  runc delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a tool quietly; its output is shown only when it fails.
q() {
  "$@" >"$log" 2>&1 || { cat "$log" >&2; die "command failed: $*"; }
}

# --------------------------------------------------------------- image ---
case $ref in
  oci:*)
    spec=${ref#oci:}
    if [[ -f $spec/index.json || $spec != *:* ]]; then
      layout=$spec tag=latest
    else
      layout=${spec%:*} tag=${spec##*:}
    fi
    [[ -f $layout/index.json ]] || die "not an OCI image layout: $layout"
    ;;
  oci-archive:*|docker-archive:*)
    layout=$work/image tag=image
    q skopeo copy --quiet --insecure-policy "$ref" "oci:$layout:$tag"
    ;;
  *) die "unsupported image reference '$ref' (use oci:, oci-archive: or docker-archive:)" ;;
esac

# umoci checks every layer's digest and diff_id while unpacking.
q umoci unpack --image "$layout:$tag" "$bundle"
rootfs=$bundle/rootfs

# The image config's Env (to tell image variables from umoci's defaults).
manifest=$(jq -r '.from_descriptor_path.descriptor_walk[-1].digest' "$bundle/umoci.json")
config=$(jq -r '.config.digest' "$layout/blobs/${manifest/://}")
image_env=$(jq -c '.config.Env // []' "$layout/blobs/${config/://}")

# ---------------------------------------------------------------- user ---
# Resolves --user as container engines do: the primary group and HOME come from the image's
# /etc/passwd when the user is listed there, otherwise gid 0 and HOME=/.
passwd_field() {   # passwd_field FILE KEY_FIELD KEY WANTED_FIELD
  local f=$rootfs/etc/$1
  [[ -f $f && ! -L $f ]] || return 0   # never follow links out of the rootfs
  awk -F: -v k="$2" -v v="$3" -v w="$4" '$k == v { print $w; exit }' "$f"
}
user_json=null
if [[ -n $user ]]; then
  u=${user%%:*} g=
  [[ $user == *:* ]] && g=${user#*:}
  if [[ $u =~ ^[0-9]+$ ]]; then
    uid=$u
  else
    uid=$(passwd_field passwd 1 "$u" 3)
    [[ -n $uid ]] || die "user '$u' not found in the image's /etc/passwd"
  fi
  home=$(passwd_field passwd 3 "$uid" 6)
  if [[ -z $g ]]; then
    gid=$(passwd_field passwd 3 "$uid" 4)
    gid=${gid:-0}
  elif [[ $g =~ ^[0-9]+$ ]]; then
    gid=$g
  else
    gid=$(passwd_field group 1 "$g" 3)
    [[ -n $gid ]] || die "group '$g' not found in the image's /etc/group"
  fi
  user_json=$(jq -nc --argjson uid "$uid" --argjson gid "$gid" --arg home "${home:-/}" \
    '{uid: $uid, gid: $gid, home: $home}')
fi

# -------------------------------------------------------------- config ---
args_json=$(jq -nc '$ARGS.positional' --args -- "${args[@]}")
env_json=$(jq -nc '$ARGS.positional' --args -- "${env_kv[@]}")
jq --arg id "$id" --argjson set_args "$set_args" --argjson args "$args_json" \
   --argjson image_env "$image_env" --argjson extra_env "$env_json" \
   --argjson user "$user_json" --arg network "$network" '
  def key: split("=")[0];
  def has_key($k): any(.[]; key == $k);
  # The default capability set of container engines; umoci grants only three.
  ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
   "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
   "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"] as $caps
  | .hostname = $id
  | .process.terminal = false
  | if $set_args then .process.args = $args else . end
  # umoci adds TERM=xterm for a terminal we do not have.
  | if ($image_env | has_key("TERM")) then .
    else .process.env |= map(select(key != "TERM")) end
  | if $user != null then
      .process.user = {uid: $user.uid, gid: $user.gid}
      | if ($image_env | has_key("HOME")) then .
        else .process.env = (.process.env | map(select(key != "HOME"))) + ["HOME=" + $user.home] end
    else . end
  # Later duplicates would be ignored by getenv(), so replace instead of append.
  | reduce $extra_env[] as $kv (.; .process.env = (.process.env | map(select(key != ($kv | key)))) + [$kv])
  | .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps,
                             inheritable: [], ambient: []}
  | if $network == "host" then .linux.namespaces |= map(select(.type != "network")) else . end
' "$bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$bundle/config.json"

# ----------------------------------------------------------------- run ---
# A container left behind under this id (e.g. a killed run with the same
# --name) would make "runc run" fail.
if stale=$(runc state "$id" 2>/dev/null); then
  stale_bundle=$(jq -r '.bundle // ""' <<<"$stale")
  runc delete --force "$id" >/dev/null 2>&1 || true
  # Its temporary directory too, if it was made by this script.
  [[ $stale_bundle == */run-image.*/bundle ]] && rm -rf "${stale_bundle%/bundle}"
fi
# Started in the background so that INT/TERM reach the traps at once; the
# EXIT trap then kills the container via "runc delete --force".
runc --log "$work/runc.log" --log-format json run --bundle "$bundle" "$id" </dev/null &
runc_pid=$!
rc=0
wait "$runc_pid" || rc=$?
# runc exits 1 when the process cannot even be started (it prints why on
# stderr); map that to the conventional 125/126/127 so it differs from a
# plain "exit 1".
if ((rc == 1)) && grep -q 'unable to start container process' "$work/runc.log" 2>/dev/null; then
  if grep -q 'executable file not found\|no such file or directory' "$work/runc.log"; then
    rc=127
  elif grep -q 'permission denied\|exec format error' "$work/runc.log"; then
    rc=126
  else
    rc=125
  fi
fi
exit "$rc"
