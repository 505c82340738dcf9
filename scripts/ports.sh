# Sourced by the ensure-*.sh scripts that start a private server on a free local port.

# port_free PORT: true when nothing accepts a TCP connection on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_on_free_port FIRST_PORT ERROR_LOG: calls the caller's `start PORT` on each free port from
# FIRST_PORT until one starts, and sets `port` to it. A start that failed because another process
# took the port between the check and the bind (its ERROR_LOG says "Address already in use")
# moves on to the next port; any other failure stops. On failure it prints the log's end.
start_on_free_port() {
  port=$1
  local log=$2
  for _ in $(seq 1 50); do
    if port_free "$port"; then
      start "$port" && return 0
      grep -q "Address already in use" "$log" 2>/dev/null || break
    fi
    port=$((port + 1))
  done
  tail -n 30 "$log" >&2 || true
  return 1
}
