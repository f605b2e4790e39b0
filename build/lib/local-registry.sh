# Sourced by build/ scripts: starts the CNCF Distribution registry on a free 127.0.0.1 port (plain HTTP),
# with its access log in DIR/access.log. Sets `registry` (host:port) and `registry_pid`; the caller stops it.
#   start_local_registry DIR
start_local_registry() {
  local dir=$1
  mkdir -p "$dir"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  registry=127.0.0.1:$port
  cat > "$dir/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: false}}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: $registry, secret: local-$$-$port}
YML
  docker-registry serve "$dir/config.yml" >"$dir/access.log" 2>"$dir/error.log" &
  registry_pid=$!
  for _ in $(seq 50); do curl -fsS "http://$registry/v2/" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "the local registry did not start:" >&2
  cat "$dir/error.log" >&2
  return 1
}
