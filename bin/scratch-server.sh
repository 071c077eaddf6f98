# Sourced by bin/flash-sale and benchmarks/compare.sh: starts bin/checkout-server as its own process
# on a fresh data directory and a free port, and stops it again. Not a command of its own.
#
#   start_scratch_server DIR [--set name=value ...]   sets SCRATCH_SERVER_PID and SCRATCH_SERVER_PORT
#   stop_scratch_server                              TERM, then wait: the shutdown hook drains and closes state
#
# SCRATCH_SERVER_CPUS, if set (e.g. "0"), pins the server to those CPUs with taskset, so a load
# generator pinned to the others does not take the server's CPU (a machine of its own, in small).

SCRATCH_SERVER_PID=""
SCRATCH_SERVER_PORT=""
# The server's admin token (Inventory calls need it), read from the token file it makes in data-dir.
SCRATCH_ADMIN_TOKEN=""

start_scratch_server() {
  local dir="$1"
  shift
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  mkdir -p "$dir"
  local pin=()
  if [ -n "${SCRATCH_SERVER_CPUS:-}" ]; then
    pin=(taskset -c "$SCRATCH_SERVER_CPUS")
  fi
  ${pin[@]+"${pin[@]}"} "$root/bin/checkout-server" serve --port 0 --set host=127.0.0.1 --set metrics-port=0 --data-dir "$dir/data" "$@" \
    >"$dir/server.log" 2>&1 &
  SCRATCH_SERVER_PID=$!
  SCRATCH_SERVER_PORT=""
  # The server logs the port it bound once it serves. A cold JVM on a busy machine can take a
  # while, so wait up to 60 s, and stop early if it exits.
  local attempt
  for attempt in $(seq 1 600); do
    SCRATCH_SERVER_PORT="$(grep -o 'serving on port [0-9]*' "$dir/server.log" 2>/dev/null | grep -o '[0-9]*$' || true)"
    if [ -n "$SCRATCH_SERVER_PORT" ]; then
      SCRATCH_ADMIN_TOKEN="$(cat "$dir/data/admin-token")"
      return 0
    fi
    if ! kill -0 "$SCRATCH_SERVER_PID" 2>/dev/null; then
      echo "the server exited during start:" >&2
      cat "$dir/server.log" >&2
      SCRATCH_SERVER_PID=""
      return 3
    fi
    sleep 0.1
  done
  echo "the server did not report its port within 60 s:" >&2
  cat "$dir/server.log" >&2
  return 3
}

stop_scratch_server() {
  if [ -n "$SCRATCH_SERVER_PID" ] && kill -0 "$SCRATCH_SERVER_PID" 2>/dev/null; then
    kill -TERM "$SCRATCH_SERVER_PID"
    wait "$SCRATCH_SERVER_PID" 2>/dev/null || true
  fi
  SCRATCH_SERVER_PID=""
}
