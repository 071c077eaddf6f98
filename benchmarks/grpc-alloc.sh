#!/usr/bin/env bash
# Server-side allocation per reserve over gRPC, by API: what one call costs the server's collector,
# transport and engine together. One fresh server (fsync journal, the defaults); for each API, a
# warm-up loadgen run on the catalog scenario with --confirm-ratio 0 (reserves only), then a second
# run during whose middle (from a third to five sixths of --duration, so that neither its setup nor
# its audit counts) the server's own counters are read twice: the JVM's allocated bytes
# (jvm_gc_memory_allocated_bytes_total, counted by Micrometer at each young collection, so the
# window should span many of them), reserves answered (checkout_reserve_outcomes_total) and GC
# pauses. Each read follows a full collection asked for with jcmd GC.run, so that the allocated
# bytes are counted exactly at the window's edges (the counter otherwise moves only at young
# collections, which on a large heap come seconds apart). Prints reserves/s, bytes per reserve and
# GC pause time per second in that window (the two forced collections' pauses excluded).
#
# Usage: benchmarks/grpc-alloc.sh [--apis "unary stream stream-batch"] [--concurrency 64] [--duration 30]
# Build first: mvn -B -q -DskipTests install (bin/checkout-server and bin/loadgen run the jars).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
apis="unary stream stream-batch" concurrency=64 duration=30
while [ $# -gt 0 ]; do
  case "$1" in
    --apis) apis="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "grpc-alloc.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
# shellcheck source=bin/scratch-server.sh
. "$root/bin/scratch-server.sh"

work="$(mktemp -d -t grpc-alloc-XXXXXX)"
trap stop_scratch_server EXIT
napis=$(echo "$apis" | wc -w)
start_scratch_server "$work/server" --set sku-capacity=$((napis * 40000 + 1000)) \
  --set order-capacity=20000000 --set user-counter-capacity=20000000 --set idempotency-capacity=40000000
target="127.0.0.1:$SCRATCH_SERVER_PORT"
metrics_port="$(grep -o 'metrics on http port [0-9]*' "$work/server/server.log" | grep -o '[0-9]*$')"
echo "server on $target, metrics on $metrics_port; catalog, reserves only, $concurrency in flight; reports in $work"

# Sum of a metric's samples (all label sets) from the server's Prometheus page.
metric() {
  curl -s "http://127.0.0.1:$metrics_port/metrics" | awk -v name="$1" \
    '$1 == name || index($1, name "{") == 1 { sum += $NF } END { printf "%.0f\n", sum }'
}
pause_seconds() {
  curl -s "http://127.0.0.1:$metrics_port/metrics" | awk \
    'index($1, "jvm_gc_pause_seconds_sum") == 1 { sum += $NF } END { printf "%.6f\n", sum }'
}

failed=0
for api in $apis; do
  run() {
    "$root/bin/loadgen" --target "$target" --admin-token "$SCRATCH_ADMIN_TOKEN" --setup --scenario catalog \
      --confirm-ratio 0 --sku-prefix "alloc-$1-$api-" --concurrency "$concurrency" --api "$api" \
      --duration "${duration}s" --quiet > "$work/$1-$api.txt" 2>&1
  }
  run warm || { cat "$work/warm-$api.txt"; failed=1; continue; }
  run measured &
  loadgen=$!
  sleep $((duration / 3))
  jcmd "$SCRATCH_SERVER_PID" GC.run > /dev/null && sleep 1 # the GC notification reaches Micrometer on its own thread
  bytes0="$(metric jvm_gc_memory_allocated_bytes_total)"
  reserves0="$(metric checkout_reserve_outcomes_total)"
  pause0="$(pause_seconds)"
  start=$(date +%s.%N)
  sleep $((duration / 2))
  end=$(date +%s.%N)
  reserves1="$(metric checkout_reserve_outcomes_total)"
  pause1="$(pause_seconds)"
  jcmd "$SCRATCH_SERVER_PID" GC.run > /dev/null && sleep 1 # the GC notification reaches Micrometer on its own thread
  bytes1="$(metric jvm_gc_memory_allocated_bytes_total)"
  counted="$(metric checkout_reserve_outcomes_total)" # the reserves of the allocated bytes, up to the collection
  wait "$loadgen" || { cat "$work/measured-$api.txt"; failed=1; continue; }
  awk -v api="$api" -v b="$((bytes1 - bytes0))" -v n="$((counted - reserves0))" -v r="$((reserves1 - reserves0))" -v p0="$pause0" -v p1="$pause1" \
    -v s="$start" -v e="$end" 'BEGIN {
      printf "%-14s %8.0f reserves/s, %7.0f B allocated per reserve, GC pauses %5.1f ms/s\n",
        api, r / (e - s), (n > 0 ? b / n : 0), 1000 * (p1 - p0) / (e - s) }'
  grep -m1 '^AUDIT' "$work/measured-$api.txt" || true
done
exit "$failed"
