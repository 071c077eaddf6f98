#!/usr/bin/env bash
# What JVM start-up options do for a fresh server's first seconds (issue 18): a server restarted in
# a live sale faces a crowd with a cold JIT. For each option set: a fresh server (its own data
# directory) with those options in JAVA_OPTS, the time from launch to serving, then a fresh loadgen
# (the same cold client every time, so differences are the server's) driving a catalog sale at 64
# in flight for --duration, printing its ops/s second by second and the mean of the first 5 and of
# the last 5 seconds. Repeated --rounds times, option sets in turn.
#
# Option sets (the server only):
#   default       bin/checkout-server as it starts (bin/default-jvm.sh), tiered C1 + C2
#   appcds        an application class-data-sharing archive of the server, dumped at the exit of a
#                 training run first (-XX:ArchiveClassesAtExit, JDK 17's dynamic archive)
#   c1-only       -XX:TieredStopAtLevel=1: C1 alone, quick to compile, slower code for good
#   no-tiered     -XX:-TieredCompilation: C2 alone, interpreted until then
#   pretouch      -XX:+AlwaysPreTouch: every page of the heap touched before the server starts, so
#                 none is first touched (and zeroed by the kernel) while it serves
#   no-pretouch   -XX:-AlwaysPreTouch: the heap's pages touched as they are first used
#
# Usage: benchmarks/cold-start.sh [--rounds 2] [--duration 20s] [--sets "default appcds c1-only no-tiered"]
# Build first: mvn -B -q -DskipTests install (bin/checkout-server and bin/loadgen run the jars).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=2 duration=20s sets="default appcds c1-only no-tiered"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --sets) sets="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "cold-start.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
# shellcheck source=bin/scratch-server.sh
. "$root/bin/scratch-server.sh"
work="$(mktemp -d /tmp/cold-start.XXXXXX)"
trap 'stop_scratch_server; rm -rf "$work"/*/data' EXIT
archive="$work/server.jsa"

options_of() {
  case "$1" in
    default) echo "" ;;
    appcds) echo "-XX:SharedArchiveFile=$archive" ;;
    c1-only) echo "-XX:TieredStopAtLevel=1" ;;
    no-tiered) echo "-XX:-TieredCompilation" ;;
    pretouch) echo "-XX:+AlwaysPreTouch" ;;
    no-pretouch) echo "-XX:-AlwaysPreTouch" ;;
    *) echo "unknown option set $1" >&2; exit 2 ;;
  esac
}

sale() { # out-file: a short catalog sale against the scratch server, progress lines kept
  "$root/bin/loadgen" --target "127.0.0.1:$SCRATCH_SERVER_PORT" --admin-token "$SCRATCH_ADMIN_TOKEN" --setup \
    --scenario catalog --skus 1000 --stock 1000000 --limit 0 --users 1000000 --concurrency 64 \
    --duration "$1" --warmup 0s > "$2" 2>&1
}

if [[ " $sets " == *" appcds "* ]]; then
  # Training run: the classes a server loads while serving a sale, dumped when it exits.
  JAVA_OPTS="-XX:ArchiveClassesAtExit=$archive" start_scratch_server "$work/training"
  sale 10s "$work/training.txt"
  stop_scratch_server
  ls -l "$archive" | awk '{ printf "AppCDS archive: %.0f MiB\n", $5 / 1048576 }'
fi

echo "cold start, $rounds round(s), $(nproc) cores; ops/s by second of a fresh server's first sale ($duration, 64 in flight)"
for round in $(seq 1 "$rounds"); do
  for set in $sets; do
    dir="$work/$set-$round"
    launched=$(date +%s%N)
    JAVA_OPTS="$(options_of "$set")" start_scratch_server "$dir"
    serving_ms=$(( ($(date +%s%N) - launched) / 1000000 ))
    sale "$duration" "$dir/sale.txt"
    stop_scratch_server
    rates=$(grep -E '^\[ *[0-9]+s\] +[0-9,]+ ops/s' "$dir/sale.txt" | sed -E 's/^\[ *[0-9]+s\] +([0-9,]+) ops\/s.*/\1/' \
      | tr -d , | tr '\n' ' ')
    # shellcheck disable=SC2086
    echo "$rates" | awk -v set="$set" -v round="$round" -v ms="$serving_ms" '{
      n = NF; first = 0; last = 0
      for (i = 1; i <= 5 && i <= n; i++) first += $i
      for (i = n - 4; i <= n; i++) if (i >= 1) last += $i
      printf "round %d %-10s serving after %5d ms; first 5 s %7.0f ops/s, last 5 s %7.0f ops/s; by second: %s\n",
        round, set, ms, first / 5, last / 5, $0 }'
  done
done
