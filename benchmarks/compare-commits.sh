#!/usr/bin/env bash
# Runs benchmarks/compare.sh for several commits in turn, round by round, so that each commit's
# figures are measured beside the others' on the same (noisy, shared) machine: round 1 of every
# commit, then round 2 of every commit, and so on. Each commit is checked out in a git worktree of
# its own under a scratch directory and built there (server and loadgen jars), then measured with
# its own compare.sh. Prints each round's line from compare.sh; take medians per commit.
#
# Usage: benchmarks/compare-commits.sh [--rounds N] COMMIT... [-- compare.sh options]
#   e.g. benchmarks/compare-commits.sh --rounds 3 main~1 main -- --duration 20s --warmup 5s
# Build needs Maven with the dependencies in ~/.m2 (run mvn -B -DskipTests package once first).
# A commit before 2026-12-07 runs its server's fixed heap untouched (no -XX:+AlwaysPreTouch, see
# compare.sh's --server-heap); beside a later one, pass -- --server-jvm-flags "-XX:+AlwaysPreTouch"
# so that both are measured alike.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

rounds=3
commits=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "compare-commits.sh: unknown option $1 (see the header of this script)" >&2; exit 2 ;;
    *) commits+=("$1"); shift ;;
  esac
done
if [ ${#commits[@]} -lt 1 ] || ! [[ "$rounds" =~ ^[1-9][0-9]?$ ]]; then
  echo "usage: benchmarks/compare-commits.sh [--rounds 1-99] COMMIT... [-- compare.sh options]" >&2
  exit 2
fi

scratch="$(mktemp -d -t checkout-commits-XXXXXX)"
dirs=()
cleanup() {
  for dir in "${dirs[@]}"; do
    git -C "$root" worktree remove --force "$dir" >/dev/null 2>&1 || true
  done
  rm -rf "$scratch"
}
trap cleanup EXIT

for commit in "${commits[@]}"; do
  sha="$(git -C "$root" rev-parse --short "$commit^{commit}")"
  dir="$scratch/$sha"
  git -C "$root" worktree add --detach -q "$dir" "$sha"
  dirs+=("$dir")
  echo "building $commit ($sha)"
  (cd "$dir" && mvn -B -q -DskipTests package -pl proto,client-sdk,checkout-server,loadgen)
done

for round in $(seq 1 "$rounds"); do
  for i in "${!commits[@]}"; do
    dir="${dirs[$i]}"
    echo "=== round $round: ${commits[$i]} ($(basename "$dir")) $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$dir/benchmarks/compare.sh" --rounds 1 "$@" | grep -E "^round|^  unary/|^  ReserveBatchStream:"
  done
done
