#!/usr/bin/env bash
# The same loadgen flash sale against a single-node server and against a 3-member cluster (three
# member JVMs on loopback, the SDK's static:/// target over all three), alternating, in one run.
# On a 2-core machine the three members, their Aeron agents and loadgen share two cores, so the
# cluster's figures are pessimistic: in production each member has a machine of its own.
#
# Usage: benchmarks/cluster-compare.sh [--rounds 2] [--duration 20s] [--warmup 5s] [--concurrency 64]
#                                      [--api unary|stream-batch] [--sync-level 1]
# Build first: mvn -B -q -DskipTests install (bin/checkout-server and bin/loadgen run the jars).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=2 duration=20s warmup=5s concurrency=64 api=unary sync_level=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --api) api="$2"; shift 2 ;;
    --sync-level) sync_level="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d /tmp/cluster-compare.XXXXXX)"
token="cluster-compare-token-0123456789abcdef"
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

drive() { # label target
  local out="$work/$1.out"
  "$root/bin/loadgen" --target "$2" --setup --admin-token "$token" --api "$api" --concurrency "$concurrency" \
    --duration "$duration" --warmup "$warmup" --stock 100000000 --quiet > "$out" 2>&1 || true
  local throughput p99 audit
  throughput="$(grep -m1 '^throughput:' "$out" || echo 'throughput: (none)')"
  p99="$(grep -m1 '^  reserve ' "$out" | awk '{print "p50 " $3 " ms, p99 " $5 " ms"}')"
  audit="$(grep -m1 '^AUDIT' "$out" || echo 'AUDIT: (none)')"
  echo "$1: $throughput; reserve $p99; $audit"
}

stop_all() {
  for pid in "${pids[@]:-}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]:-}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

for round in $(seq 1 "$rounds"); do
  rm -rf "$work/single" "$work"/member-*
  "$root/bin/checkout-server" serve --port 23100 --data-dir "$work/single" --set metrics-port=23150 "${common[@]}" \
    > "$work/single.log" 2>&1 &
  pids+=($!)
  await_ready 23150
  drive "round $round single-node" "127.0.0.1:23100"
  stop_all

  members="127.0.0.1:23200,127.0.0.1:23210,127.0.0.1:23220"
  for id in 0 1 2; do
    # Several servers on one machine: none touches its whole heap at start (bin/default-jvm.sh).
    JAVA_OPTS="${JAVA_OPTS:-} -XX:-AlwaysPreTouch" "$root/bin/checkout-server" serve --port "2310$id" --data-dir "$work/member-$id" --set metrics-port="2316$id" \
      --set mode=cluster --set cluster-member-id="$id" --set cluster-members="$members" \
      --set cluster-file-sync-level="$sync_level" "${common[@]}" > "$work/member-$id.log" 2>&1 &
    pids+=($!)
  done
  for id in 0 1 2; do await_ready "2316$id"; done
  drive "round $round 3-member cluster" "static:///127.0.0.1:23100,127.0.0.1:23101,127.0.0.1:23102"
  stop_all
done
