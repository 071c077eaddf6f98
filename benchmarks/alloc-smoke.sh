#!/usr/bin/env bash
# Allocation smoke (issue 18): runs PipelineReserveBenchmark briefly with the state preallocated
# (state-memory=preallocate) and fails when a reserve allocates more than the bound, measured by
# timed.alloc.norm: everything all threads allocate between a sale's first publish and its last
# reply, per reserve. The target is 48 B per reserve; the bound is twice that, so noise never
# fails it, while a per-command object (a String, a lambda, a boxed number: 16-40 bytes each)
# shows plainly in a figure that is otherwise about 0. Speed is not checked here, only bytes.
#
#   benchmarks/alloc-smoke.sh [--bound BYTES] [--out DIR]
#
# Needs benchmarks/target/benchmarks.jar (mvn install) and python3. Takes about a minute.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bound=96
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bound) bound="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' benchmarks/alloc-smoke.sh; exit 0 ;;
    *) echo "alloc-smoke.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$bound" in
  ''|*[!0-9]*) echo "alloc-smoke.sh: --bound must be a whole number of bytes: $bound" >&2; exit 2 ;;
esac
jar=benchmarks/target/benchmarks.jar
[ -f "$jar" ] || { echo "alloc-smoke.sh: $jar missing; run mvn -B install -DskipTests first" >&2; exit 2; }
if [ -z "$out" ]; then
  out=$(mktemp -d -t alloc-smoke-XXXXXX)
fi
mkdir -p "$out"

# Each invocation is a whole sale of 1M reserves, so one 1-second iteration still measures at least one.
run() {
  local name="$1"; shift
  java -jar "$jar" PipelineReserveBenchmark -p stateMemory=preallocate -p waitStrategy=PARKING "$@" \
    -f 1 -wi 1 -w 1s -i 1 -r 1s -foe true -prof gc -rf json -rff "$out/$name.json" > "$out/$name.log" 2>&1 \
    || { tail -30 "$out/$name.log"; echo "alloc-smoke.sh: the benchmark failed ($out/$name.log)" >&2; exit 1; }
}
run memory -p scenario=hotSku,catalog -p journal=memory
run fsync -p scenario=hotSku -p journal=fsync

python3 - "$bound" "$out/memory.json" "$out/fsync.json" <<'EOF'
import json, sys
bound = float(sys.argv[1])
failed = False
for path in sys.argv[2:]:
    for result in json.load(open(path)):
        params = result["params"]
        label = f"{params['scenario']}, journal {params['journal']}"
        metric = result["secondaryMetrics"].get("timed.alloc.norm")
        if metric is None:
            print(f"alloc-smoke: {label}: no timed.alloc.norm in the results (was -prof gc dropped?)")
            failed = True
            continue
        norm = metric["score"]
        rate = result["primaryMetric"]["score"]
        verdict = "ok" if norm <= bound else "OVER THE BOUND"
        print(f"alloc-smoke: {label}: {norm:.2f} B per reserve (bound {bound:.0f}), {rate:,.0f} reserves/s: {verdict}")
        failed |= norm > bound
sys.exit(1 if failed else 0)
EOF
