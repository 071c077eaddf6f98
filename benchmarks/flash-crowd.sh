#!/usr/bin/env bash
# A flash crowd against a fresh single-node server (issue 22): capacity first (closed model, 1,000
# reserves in flight on one connection, the server's per-connection maximum), then for each factor
# F a loadgen flash-crowd run at half of that capacity with a crowd of F times it (ramp 1 s, held
# 10 s, 500 ms caller deadline), with each --client-limit given. Everything in one run, against the
# same server, so the ratios are same-run ratios. Prints each run's crowd summary and audit line;
# the full reports (text, JSON, HTML with charts) stay in the work directory it names.
#
# Usage: benchmarks/flash-crowd.sh [--factors "4 10"] [--client-limits "aimd none"] [--deadline 500ms]
#                                  [--channels 1] [--smoke]
# --smoke: capacity for 3 s and one short crowd of 4x with the aimd limit, for CI: checks that every
#          part runs and the audit passes, not how fast.
# Build first: mvn -B -q -DskipTests install (bin/checkout-server and bin/loadgen run the jars).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
factors="4 10" limits="aimd none" deadline=500ms channels=1
capacity_duration=15s capacity_warmup=5s crowd_at=8s crowd_hold=10s duration=28s warmup=5s
while [ $# -gt 0 ]; do
  case "$1" in
    --factors) factors="$2"; shift 2 ;;
    --client-limits) limits="$2"; shift 2 ;;
    --deadline) deadline="$2"; shift 2 ;;
    --channels) channels="$2"; shift 2 ;;
    --smoke) factors=4 limits=aimd capacity_duration=4s capacity_warmup=1s crowd_at=3s crowd_hold=2s duration=7s
             warmup=1s; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# shellcheck source=bin/scratch-server.sh
. "$root/bin/scratch-server.sh"
work="$(mktemp -d /tmp/flash-crowd.XXXXXX)"
trap stop_scratch_server EXIT
start_scratch_server "$work/server" --set order-capacity=4000000 --set user-counter-capacity=4000000 \
  --set idempotency-capacity=8000000
common=(--target "127.0.0.1:$SCRATCH_SERVER_PORT" --admin-token "$SCRATCH_ADMIN_TOKEN" --setup --skus 100
        --stock 1000000000 --limit 0 --users 1000000 --quiet)

"$root/bin/loadgen" "${common[@]}" --scenario catalog --sku-prefix capacity- --confirm-ratio 0 --cancel-ratio 0 \
  --get-ratio 0 --concurrency 1000 --duration "$capacity_duration" --warmup "$capacity_warmup" \
  > "$work/capacity.txt" 2>&1
capacity="$(grep -m1 '^throughput:' "$work/capacity.txt" | sed -E 's/.* ([0-9,]+) reserves\/s.*/\1/' | tr -d ,)"
echo "capacity (closed model, 1,000 in flight): $capacity reserves/s; reports in $work"
failed=0
for factor in $factors; do
  for limit in $limits; do
    out="$work/crowd-${factor}x-$limit.txt"
    "$root/bin/loadgen" "${common[@]}" --scenario flash-crowd --sku-prefix "crowd-$factor-$limit-" \
      --rate $((capacity / 2)) --crowd-rate $((capacity * factor)) --crowd-at "$crowd_at" --crowd-ramp 1s \
      --crowd-hold "$crowd_hold" --duration "$duration" --warmup "$warmup" --deadline "$deadline" \
      --max-in-flight 40000 --channels "$channels" --client-limit "$limit" \
      --json "${out%.txt}.json" --html "${out%.txt}.html" \
      > "$out" 2>&1 || failed=1
    echo "== crowd of ${factor}x capacity ($((capacity * factor))/s), client limit $limit"
    grep -E '^  (before the crowd|while it held|of all reserves)|^AUDIT' "$out" || { cat "$out"; failed=1; }
  done
done
exit "$failed"
