#!/usr/bin/env bash
# Two arms of server settings on one build, alternated on this (noisy, shared) machine: per pair,
# each arm gets a fresh server (bin/checkout-server, its own data directory and port) with its
# settings, then an empty gRPC call run (grpc.health.v1 Check: the transport's limit at that
# moment) and a reserve run at the same concurrency (closed model, every reserve on the success
# path, audited), and the server's CPU over the reserve run's measured part (/proc/PID/stat, utime
# + stime, sampled every 0.5 s). The arms' order flips every pair (A B, B A, A B, ...), so a drift
# of the machine falls on both.
# Prints one line per arm and pair, then per arm the medians of: the reserve rate, its ratio to the
# empty call of the same server, and the server's CPU per reserve (microseconds of CPU time per
# reserve, the least noisy of the three where other work takes the cores); and the median of the
# per-pair ratios B/A of the reserve rate and of the CPU per reserve.
#
# Usage: benchmarks/settings-ab.sh --a "name=value ..." --b "name=value ..." [--pairs 4]
#          [--api unary] [--duration 15s] [--warmup 5s] [--concurrency 64]
#          [--journal-durability fsync] [--server-set "name=value ..."] [--server-heap 6g] [--smoke]
#   e.g. benchmarks/settings-ab.sh --a "unary-answers=replier" --b "unary-answers=event-loop"
# An arm's settings may be empty ("") for the server's defaults; --journal-durability and
# --server-set apply to both (e.g. larger tables for a fast API: --api stream-batch --concurrency 1024
# --server-set "order-capacity=8000000 user-counter-capacity=8000000 idempotency-capacity=16000000"). --api: loadgen's --api for the reserve run (unary, stream, stream-batch, unary-batched).
# --smoke: one short pair with the JVM's default heap, for CI: checks that every part runs.
# Build first: mvn -B -q -DskipTests package (the server and loadgen jars).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../bin/scratch-server.sh
. "$root/bin/scratch-server.sh"
# shellcheck source=lib.sh
. "$root/benchmarks/lib.sh"

arm_a=""
arm_b=""
arms_given=0
pairs=4
api=unary
duration=15s
warmup=5s
concurrency=64
durability=fsync
server_heap=6g
common_settings=""
while [ $# -gt 0 ]; do
  case "$1" in
    --a) arm_a="$2"; arms_given=$((arms_given + 1)); shift 2 ;;
    --b) arm_b="$2"; arms_given=$((arms_given + 2)); shift 2 ;;
    --pairs) pairs="$2"; shift 2 ;;
    --api) api="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --journal-durability) durability="$2"; shift 2 ;;
    --server-heap) server_heap="$2"; shift 2 ;;
    --server-set) common_settings="$2"; shift 2 ;;
    --smoke) pairs=1; duration=3s; warmup=1s; server_heap=default; shift ;;
    *) echo "settings-ab.sh: unknown option $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done
if [ "$arms_given" -ne 3 ]; then
  echo "settings-ab.sh: give both arms, --a \"name=value ...\" and --b \"name=value ...\"" >&2
  exit 2
fi
if ! [[ "$pairs" =~ ^[1-9][0-9]?$ ]]; then
  echo "settings-ab.sh: --pairs must be 1-99, got $pairs" >&2
  exit 2
fi
check_server_heap "$server_heap"
check_built_jars
if [ ! -r /proc/self/stat ]; then
  echo "settings-ab.sh: needs /proc (Linux) for the server's CPU time" >&2
  exit 1
fi
server_java_opts="$(server_java_opts_for "$server_heap")"

scratch="$(mktemp -d -t checkout-settings-ab-XXXXXX)"
trap 'stop_scratch_server; rm -rf "$scratch"' EXIT

# Every reserve takes the success path, as compare.sh's (SUCCESS_PATH_SALE, lib.sh).
sale=("${SUCCESS_PATH_SALE[@]}")
if [ "$api" = stream-batch ]; then
  sale+=(--batch-size 16)
elif [ "$api" = unary-batched ]; then
  sale+=(--batch-size "$concurrency")
fi

echo "settings-ab.sh: A = '${arm_a}', B = '${arm_b}'; $pairs pair(s), --api $api, $concurrency in flight," \
  "$duration (+ $warmup warm-up) per run, journal-durability=$durability, server heap" \
  "$server_heap${common_settings:+; both arms: $common_settings}"
results="$scratch/results"
: > "$results"
run_arm() {
  local pair="$1" arm="$2" settings="$3"
  local sets=(--set journal-durability="$durability")
  local setting
  for setting in $common_settings $settings; do
    sets+=(--set "$setting")
  done
  JAVA_OPTS="$server_java_opts" start_scratch_server "$scratch/server-$pair-$arm" "${sets[@]}"
  run_loadgen "empty-$pair-$arm" "$concurrency" --scenario empty-call
  local cpu="$scratch/cpu-$pair-$arm.txt" watcher
  cpu_watch "$cpu" "$SCRATCH_SERVER_PID" &
  watcher=$!
  run_loadgen "reserve-$pair-$arm" "$concurrency" "${sale[@]}" --api "$api"
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  stop_scratch_server
  local empty reserves from seconds to cores
  empty="$(json_number "$scratch/empty-$pair-$arm.json" operationsPerSecond)"
  reserves="$(json_number "$scratch/reserve-$pair-$arm.json" reservesPerSecond)"
  # CPU per reserve: the server's CPU a second over the measured part of the run alone (loadgen's
  # measuredFromEpochMillis and measuredSeconds), over the measured reserve rate. Not over the whole
  # loadgen run: its setup, warm-up and audit (minutes, for millions of orders, against a 15 s
  # measured part) would be most of that time.
  from="$(json_number "$scratch/reserve-$pair-$arm.json" measuredFromEpochMillis)"
  seconds="$(json_number "$scratch/reserve-$pair-$arm.json" measuredSeconds)"
  to="$(awk -v f="$from" -v s="$seconds" 'BEGIN { printf "%.0f", f + s * 1000 }')"
  cores="$(cpu_within "$cpu" "$from" "$to" | awk '{ print $2 }')"
  python3 - "$pair" "$arm" "$empty" "$reserves" "${cores:-nan}" >>"$results" <<'PY'
import sys
pair, arm, empty, reserves, cores = sys.argv[1:]
cpu_ms_per_s = float(cores) * 1000
reserves = float(reserves)
us_per_reserve = cpu_ms_per_s * 1000 / reserves if reserves > 0 else float("nan")
print(pair, arm, float(empty), reserves, cpu_ms_per_s, us_per_reserve)
PY
  tail -1 "$results" | awk '{printf "   pair %s %s: empty call %.0f/s, reserves %.0f/s (%.2f of it), server CPU %.0f ms/s, %.1f us a reserve\n", $1, $2, $3, $4, $4 / $3, $5, $6}'
}

for pair in $(seq 1 "$pairs"); do
  if [ $((pair % 2)) -eq 1 ]; then
    run_arm "$pair" A "$arm_a"
    run_arm "$pair" B "$arm_b"
  else
    run_arm "$pair" B "$arm_b"
    run_arm "$pair" A "$arm_a"
  fi
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
by = {}
for pair, arm, empty, reserves, cpu, us in rows:
    by.setdefault(arm, {})[pair] = (float(empty), float(reserves), float(us))
for arm in ("A", "B"):
    runs = list(by[arm].values())
    print("   median %s: reserves %.0f/s, %.2f of the empty call, %.1f us of server CPU a reserve (%d runs)" % (
        arm,
        statistics.median(r[1] for r in runs),
        statistics.median(r[1] / r[0] for r in runs),
        statistics.median(r[2] for r in runs),
        len(runs)))
pairs = sorted(set(by["A"]) & set(by["B"]))
rate = [by["B"][p][1] / by["A"][p][1] for p in pairs]
cpu = [by["B"][p][2] / by["A"][p][2] for p in pairs]
print("   B/A per pair: reserves %s (median %.2f, B ahead in %d of %d); CPU a reserve %s (median %.2f)" % (
    " ".join("%.2f" % r for r in rate), statistics.median(rate), sum(r > 1 for r in rate), len(rate),
    " ".join("%.2f" % c for c in cpu), statistics.median(cpu)))
PY
