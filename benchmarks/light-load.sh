#!/usr/bin/env bash
# Latency at light load, unary Reserve against the SDK's auto-batching (issue 18, item 4: whether
# auto-batching may be the SDK's default). One fresh server (fsync journal, the defaults); then,
# for each round, one loadgen run per API in turn, each an open model at --rate operations/s on the
# catalog scenario, prewarmed (not measured), with a warm-up cut from the figures. Prints each run's
# reserve latency (p50, p90, p99, p99.9 from the intended send time) and, at the end, the medians
# per API. The full reports stay in the work directory it names.
#
# Usage: benchmarks/light-load.sh [--rounds 3] [--rate 2000] [--duration 20s] [--warmup 5s]
#                                 [--prewarm 15s] [--apis "unary unary-batched"]
# Build first: mvn -B -q -DskipTests install (bin/checkout-server and bin/loadgen run the jars).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=3 rate=2000 duration=20s warmup=5s prewarm=15s apis="unary unary-batched"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --prewarm) prewarm="$2"; shift 2 ;;
    --apis) apis="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "light-load.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$rounds" in ''|*[!0-9]*|0) echo "light-load.sh: --rounds must be a positive whole number" >&2; exit 2 ;; esac
# shellcheck source=bin/scratch-server.sh
. "$root/bin/scratch-server.sh"

work="$(mktemp -d -t light-load-XXXXXX)"
trap stop_scratch_server EXIT
# Each run creates 10,000 SKUs and its prewarm 10,000 more.
napis=$(echo "$apis" | wc -w)
start_scratch_server "$work/server" --set sku-capacity=$((rounds * napis * 20000 + 1000))
target="127.0.0.1:$SCRATCH_SERVER_PORT"
echo "server on $target; rate $rate ops/s, catalog, $rounds round(s); reports in $work"

failed=0
for round in $(seq 1 "$rounds"); do
  for api in $apis; do
    out="$work/round-$round-$api.txt"
    "$root/bin/loadgen" --target "$target" --admin-token "$SCRATCH_ADMIN_TOKEN" --setup --scenario catalog \
      --sku-prefix "light-$round-$api-" --rate "$rate" --api "$api" --prewarm "$prewarm" --duration "$duration" \
      --warmup "$warmup" --quiet > "$out" 2>&1 || failed=1
    line="$(grep -m1 -E '^  reserve ' "$out" || true)"
    if [ -z "$line" ]; then
      cat "$out"
      failed=1
      continue
    fi
    # count p50 p90 p99 p99.9 p99.99 max, in ms
    echo "$line" | awk -v r="$round" -v a="$api" \
      '{ printf "round %s, %-14s reserve p50 %s  p90 %s  p99 %s  p99.9 %s ms (%s reserves)\n", r, a, $3, $4, $5, $6, $2 }'
    grep -m1 '^AUDIT' "$out" || true
  done
done

echo "medians over the rounds (ms):"
for api in $apis; do
  for column in 3 5; do
    grep -h -m1 -E '^  reserve ' "$work"/round-*-"$api".txt 2>/dev/null | awk -v c="$column" '{ print $c }' | sort -n \
      | awk -v a="$api" -v c="$column" '{ v[NR] = $1 } END {
          if (NR == 0) exit
          m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "  %-14s %s %.3f\n", a, (c == 3 ? "p50" : "p99"), m }'
  done
done
exit "$failed"
