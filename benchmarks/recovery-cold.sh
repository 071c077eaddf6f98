#!/usr/bin/env bash
# Recovery time as a restarted server sees it: a fresh JVM per run, so JIT compilation and the
# first touch of the heap count (RecoveryBenchmark's warmed JMH iterations leave them out).
# Journals a flash sale of --commands commands once (RecoveryBenchmark's workload), recovers once
# to write the event log, then restarts --runs times, each a fresh JVM recovering with the event
# log on disk, as after a crash. Prints each run and the medians.
#
# Usage: benchmarks/recovery-cold.sh [--commands 10000000] [--runs 5] [--dir DIR] [--keep] [--reuse]
#                                    [--snapshot | --restart [--behind N]] [-- extra JVM flags, e.g. -XX:+UseTransparentHugePages]
# --keep leaves DIR in place; --reuse skips the prepare step when DIR already holds a kept journal
# of the same size (compare JVM flags without journalling 10M commands again).
# --snapshot: each run also writes the recovered state as a snapshot (Chronicle Map files, synced)
# and loads it back into a fresh state, and prints the medians of the three: what a snapshot costs
# to take and to start from, against the replay of the commands it stands for. Chronicle Map's first
# use in a JVM (class loading and the code it generates, paid once a process: a server pays it at
# start) is timed apart, before the write.
# --restart: writes a snapshot of the recovered state once (at the journal's end, with the event log's
# true sequence and the engine's clock, as the snapshotter writes one), then each run is a fresh JVM
# recovering as a restarted server does: the snapshot loaded, nothing left to replay. Recovery's time
# is then the snapshot's load (plus Chronicle Map's first use in the process).
# --behind N (with --restart): the snapshot is N commands before the journal's end, written as the
# background snapshotter writes one (the journal replayed up to there), and each restart replays
# those N after loading it: what a server restarted between two snapshots does (at most
# snapshot-interval-commands + snapshot-defer-max-commands behind).
# JVM flags: jvm.options, -Xms8g -Xmx8g (a fixed heap, as RecoveryBenchmark and deploy/ use), $JAVA_OPTS, then the extra flags.
# Build first: mvn -B -q -DskipTests package (benchmarks/target/benchmarks.jar).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/benchmarks/target/benchmarks.jar"

commands=10000000
runs=5
dir=""
keep=false
reuse=false
mode=recover
behind=0
while [ $# -gt 0 ]; do
  case "$1" in
    --commands) commands="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    --reuse) reuse=true; keep=true; shift ;;
    --snapshot) mode=snapshot; shift ;;
    --restart) mode=restart; shift ;;
    --behind) behind="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "recovery-cold.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
extra=("$@")
[ -f "$jar" ] || { echo "recovery-cold.sh: $jar missing; run mvn -B -q -DskipTests package" >&2; exit 2; }
case "$behind" in ''|*[!0-9]*) echo "recovery-cold.sh: --behind must be a number" >&2; exit 2 ;; esac
[ "$behind" = 0 ] || [ "$mode" = restart ] || { echo "recovery-cold.sh: --behind goes with --restart" >&2; exit 2; }
case "$runs" in ''|*[!0-9]*) echo "recovery-cold.sh: --runs must be a number" >&2; exit 2 ;; esac
[ "$runs" -ge 1 ] && [ "$runs" -le 50 ] || { echo "recovery-cold.sh: --runs must be 1..50" >&2; exit 2; }
if [ -z "$dir" ]; then
  dir="$(mktemp -d "${TMPDIR:-/tmp}/checkout-recovery-cold-XXXXXX")"
fi
if [ "$keep" != true ]; then
  trap 'rm -rf "$dir"' EXIT
fi

run() {
  # shellcheck disable=SC2086
  java ${JAVA_OPTS:-} @"$root/jvm.options" -Xms8g -Xmx8g -Dorg.slf4j.simpleLogger.log.net.openhft=warn \
    "${extra[@]}" -cp "$jar" io.checkout.benchmarks.RecoveryColdStart "$@"
}

echo "recovery-cold: $commands commands in $dir, $runs runs, extra JVM flags: ${extra[*]:-none}"
if [ "$reuse" = true ] && [ -f "$dir/prepared-$commands" ]; then
  echo "prepare: reusing the journal and event log in $dir"
else
  rm -f "$dir"/prepared-*
  prepared="$(run prepare "$dir" "$commands" | grep '^recovered_ms=')"
  echo "prepare (event log absent, fresh JVM): $prepared"
  touch "$dir/prepared-$commands"
fi
if [ "$mode" = restart ]; then
  echo "snapshot $behind commands before the journal's end (fresh JVM): $(run keep-snapshot "$dir" "$commands" "$behind" | grep '^recovered_ms=')"
fi
recovered=()
uptimes=()
writes=() firsts=()
loads=()
field() { # line name: the value of name=... in line
  local rest="${1#*"$2"=}"
  echo "${rest%% *}"
}
for i in $(seq 1 "$runs"); do
  if [ "$mode" = restart ]; then
    line="$(run restart "$dir" "$commands" "$behind" | grep '^recovered_ms=')"
  else
    line="$(run "$mode" "$dir" "$commands" | grep '^recovered_ms=')"
  fi
  echo "run $i ($([ "$mode" = restart ] && echo "from the snapshot" || echo "event log present"), fresh JVM): $line"
  recovered+=("$(field "$line" recovered_ms)")
  uptimes+=("$(field "$line" jvm_uptime_ms)")
  if [ "$mode" = snapshot ]; then
    firsts+=("$(field "$line" chronicle_first_use_ms)")
    writes+=("$(field "$line" snapshot_write_ms)")
    loads+=("$(field "$line" snapshot_load_ms)")
  fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "median over $runs runs: recovery $(median "${recovered[@]}") ms; JVM start to recovered $(median "${uptimes[@]}") ms"
if [ "$mode" = snapshot ]; then
  echo "median over $runs runs: snapshot write $(median "${writes[@]}") ms; snapshot load $(median "${loads[@]}") ms;" \
    "Chronicle Map's first use in the JVM $(median "${firsts[@]}") ms (once a process, before the write)"
fi
