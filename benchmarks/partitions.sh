#!/usr/bin/env bash
# The same loadgen flash sale against 1, 2 and 3 partitions (each a single-node server on
# loopback, one partition map), alternating, in one run. loadgen reads the map from partition 0,
# spreads its SKUs evenly over the partitions and sends every call to the owner (--partitioned).
# On a 2-core machine every partition and loadgen share the same two cores, so the total cannot
# grow much with partitions here: the figure shows the cost of partitioning, not its gain.
#
# Usage: benchmarks/partitions.sh [--rounds 2] [--duration 20s] [--warmup 5s] [--concurrency 64]
#                                 [--api unary|stream-batch] [--skus 6] [--counts "1 2 3"] [--smoke]
# Build first: mvn -B -q -DskipTests install (bin/checkout-server and bin/loadgen run the jars).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=2 duration=20s warmup=5s concurrency=64 api=unary skus=6 counts="1 2 3"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --api) api="$2"; shift 2 ;;
    --skus) skus="$2"; shift 2 ;;
    --counts) counts="$2"; shift 2 ;;
    --smoke) rounds=1 duration=3s warmup=1s; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d /tmp/partitions.XXXXXX)"
token="partitions-bench-token-0123456789abcdef"
echo "$token" > "$work/token"
pids=()
cleanup() { for pid in "${pids[@]:-}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
common=(--set host=127.0.0.1 --set admin-token-file="$work/token" --set sku-capacity=100
        --set order-capacity=4000000 --set user-counter-capacity=4000000 --set idempotency-capacity=8000000)

await_ready() { # metrics port
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$1/ready" > /dev/null; then return 0; fi
    sleep 0.2
  done
  echo "server on metrics port $1 not ready" >&2; exit 1
}

write_map() { # partitions -> the map JSON on stdout: the 16384 slots split evenly
  local n="$1" id first last sep=""
  printf '{"version": 1, "partitions": ['
  for id in $(seq 0 $((n - 1))); do
    first=$((16384 * id / n)); last=$((16384 * (id + 1) / n - 1))
    printf '%s{"id": %d, "targets": ["127.0.0.1:%d"], "slots": [{"first": %d, "last": %d}]}' \
      "$sep" "$id" $((23400 + id)) "$first" "$last"
    sep=", "
  done
  printf ']}\n'
}

drive() { # label partitions
  local out="$work/run.out"
  "$root/bin/loadgen" --target 127.0.0.1:23400 --partitioned --setup --admin-token "$token" --api "$api" \
    --concurrency "$concurrency" --duration "$duration" --warmup "$warmup" --skus "$skus" \
    --stock 100000000 --quiet > "$out" 2>&1 || true
  local throughput p99 audit spread
  throughput="$(grep -m1 '^throughput:' "$out" || echo 'throughput: (none)')"
  p99="$(grep -m1 '^  reserve ' "$out" | awk '{print "p50 " $3 " ms, p99 " $5 " ms"}')"
  audit="$(grep -m1 '^AUDIT' "$out" || echo 'AUDIT: (none)')"
  spread="$(grep -m1 '^reserved by partition' "$out" || echo 'reserved by partition: (none)')"
  echo "$1: $throughput; reserve $p99; $spread; $audit"
  if ! grep -q '^AUDIT: PASS' "$out"; then
    echo "--- loadgen output ---" >&2; cat "$out" >&2
    return 1
  fi
}

stop_all() {
  for pid in "${pids[@]:-}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]:-}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

status=0
for round in $(seq 1 "$rounds"); do
  for n in $counts; do
    rm -rf "$work"/p-*
    write_map "$n" > "$work/map.json"
    for id in $(seq 0 $((n - 1))); do
      # Several servers on one machine: none touches its whole heap at start (bin/default-jvm.sh).
      JAVA_OPTS="${JAVA_OPTS:-} -XX:-AlwaysPreTouch" "$root/bin/checkout-server" serve --port $((23400 + id)) --data-dir "$work/p-$id" \
        --set metrics-port=$((23450 + id)) --set partition-map-file="$work/map.json" --set partition-id="$id" \
        "${common[@]}" > "$work/p-$id.log" 2>&1 &
      pids+=($!)
    done
    for id in $(seq 0 $((n - 1))); do await_ready $((23450 + id)); done
    drive "round $round, $n partition(s)" "$n" || status=1
    stop_all
  done
done
exit "$status"
