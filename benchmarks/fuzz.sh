#!/usr/bin/env bash
# Hostile bytes against a fresh single-node server for a long time (issue 21): `loadgen fuzz`
# (random and mutated protobuf payloads to every public method, raw HTTP/2), then the server's
# heap and a restart that must recover every order it acknowledged. Prints the cases tried, what
# was sent, how the server answered, and PASS or FAIL. CI runs a short seeded run as an IT
# (loadgen's WireFuzzIT); this is the long one.
#
# Usage: benchmarks/fuzz.sh [--duration 10m] [--seed N]
# Build first: mvn -B -q -DskipTests install (bin/checkout-server and bin/loadgen run the jars).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration=10m seed=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# shellcheck source=bin/scratch-server.sh
. "$root/bin/scratch-server.sh"
work="$(mktemp -d /tmp/fuzz.XXXXXX)"
trap 'stop_scratch_server' EXIT
start_scratch_server "$work/server"
metrics_port="$(grep -o 'metrics on http port [0-9]*' "$work/server/server.log" | grep -o '[0-9]*$')"
echo "server on port $SCRATCH_SERVER_PORT (log: $work/server/server.log); fuzzing for $duration"
status=0
"$root/bin/loadgen" fuzz --target "127.0.0.1:$SCRATCH_SERVER_PORT" --admin-token "$SCRATCH_ADMIN_TOKEN" \
  --cases 1000000000 --duration "$duration" ${seed:+--seed "$seed"} | tee "$work/fuzz.txt" || status=$?
metrics="$(curl -sf "http://127.0.0.1:$metrics_port/metrics")"
echo "server heap used after the run: $(echo "$metrics" | awk '/^jvm_memory_used_bytes\{area="heap"/ {sum += $NF} END {printf "%.0f MiB", sum / 1048576}')"
echo "server errors logged: $(grep -c ' ERROR ' "$work/server/server.log" || true)"
orders_before="$(echo "$metrics" | awk '/^checkout_table_used_entries\{table="orders"/ {print $NF}')"
stop_scratch_server
# The same data directory again: everything acknowledged must come back.
"$root/bin/checkout-server" serve --port 0 --set host=127.0.0.1 --set metrics-port=0 \
  --data-dir "$work/server/data" > "$work/server/restart.log" 2>&1 &
SCRATCH_SERVER_PID=$!
for _ in $(seq 1 600); do grep -q 'serving on port' "$work/server/restart.log" && break; sleep 0.1; done
echo "after a restart: $(grep -o 'recovered in .*' "$work/server/restart.log" | head -1)"
echo "orders before the restart: ${orders_before:-unknown}"
exit "$status"
