# Sourced by benchmarks/compare.sh, settings-ab.sh and latency.sh, after bin/scratch-server.sh: what
# they need to check their options and the build, run loadgen against the scratch server, read
# its figures and the server's CPU (benchmarks/profile-server.sh takes its sale from here too). Not a
# command of its own.
# Error messages name the script that sourced this file.
#
#   check_server_heap HEAP               exits 2 unless HEAP is a size such as 4g or 2048m, or default
#   server_java_opts_for HEAP [FLAGS]    prints the server's JAVA_OPTS: -Xms and -Xmx at HEAP with
#                                        -XX:+AlwaysPreTouch (none for default), then FLAGS if any
#   check_built_jars                     exits 1 if the server or loadgen jar is missing
#   json_number FILE NAME                prints the number NAME in loadgen's --json FILE
#   cpu_watch FILE PID                   every 0.5 s while PID lives, appends "epoch-ms machine-idle
#                                        machine-total PID-cpu" (jiffies) to FILE; run it in the background
#   cpu_within FILE FROM-MS TO-MS        prints "machine-idle-share PID-cores" over FILE's samples
#                                        within [FROM, TO] (loadgen's measured part), or nothing
#   run_loadgen NAME CONCURRENCY [ARGS ...]
#                                        runs bin/loadgen against the scratch server, CONCURRENCY in
#                                        flight, the caller's $duration and $warmup, JSON and output to
#                                        the caller's $scratch/NAME.json and .out; exits 1 if it fails
#   SUCCESS_PATH_SALE                    loadgen's arguments for a sale where every reserve succeeds

# shellcheck shell=bash

# Every reserve takes the success path: one SKU with 10^9 units, 10^8 buyers, limit 1, nothing
# paid, cancelled or repeated. The audit then reads every order back (not timed).
# shellcheck disable=SC2034  # used by the scripts that source this file
SUCCESS_PATH_SALE=(--setup --scenario flash-sale --skus 1 --stock 1000000000 --users 100000000 --limit 1
                   --confirm-ratio 0 --cancel-ratio 0 --repeat-ratio 0 --audit-orders-max 20000000)

check_server_heap() {
  local heap="${1:-}"
  if [ "$heap" != default ] && ! [[ "$heap" =~ ^[0-9]+[mMgG]$ ]]; then
    echo "$(basename "$0"): --server-heap must be a size such as 4g or 2048m, or default; got $heap" >&2
    exit 2
  fi
}

# A fixed heap is touched at start, as deploy/README.md has it and as bin/checkout-server does for
# the heap it fixes itself (bin/default-jvm.sh adds -XX:+AlwaysPreTouch only when it chooses the
# heap): untouched, the kernel zeroes each page of the heap as the server first uses it, while it is
# measured; that was 38% of the pipeline thread's CPU samples under the batch stream, and a quarter
# of the server's CPU per call (benchmarks/README.md, History 2026-12-07). FLAGS naming
# AlwaysPreTouch (-XX:-AlwaysPreTouch, say) win.
server_java_opts_for() {
  local heap="${1:-}" flags="${2:-}" opts=""
  if [ "$heap" != default ]; then
    opts="-Xms$heap -Xmx$heap"
    case "$flags" in
      *AlwaysPreTouch*) ;;
      *) opts="$opts -XX:+AlwaysPreTouch" ;;
    esac
  fi
  if [ -n "$flags" ]; then
    opts="${opts:+$opts }$flags"
  fi
  printf '%s\n' "$opts"
}

check_built_jars() {
  local root jar
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  for jar in "$root/checkout-server/target/checkout-server-all.jar" "$root/loadgen/target/loadgen-all.jar"; do
    if [ ! -f "$jar" ]; then
      echo "$(basename "$0"): $jar not found; build with: mvn -B -q -DskipTests package" >&2
      exit 1
    fi
  done
}

# loadgen JSON -> one number (Jackson prints "name" : value).
json_number() {
  sed -n "s/^  \"$2\" : \([0-9.Ee+-]*\),\{0,1\}$/\1/p" "$1" | head -1
}

# Bash builtins but for sleep, so the sampling takes little of the machine it measures.
cpu_watch() {
  local now cpu proc field idle total
  while kill -0 "$2" 2>/dev/null; do
    now="${EPOCHREALTIME/./}"
    read -r -a cpu </proc/stat
    # Fields 14 and 15 of the process's stat (utime, stime); its name, field 2, has no spaces here.
    read -r -a proc 2>/dev/null <"/proc/$2/stat" || break
    idle=$((cpu[4] + cpu[5]))
    total=0
    for field in "${cpu[@]:1}"; do total=$((total + field)); done
    echo "${now:0:-3} $idle $total $((proc[13] + proc[14]))" >>"$1"
    sleep 0.5
  done
}

cpu_within() {
  awk -v from="$2" -v to="$3" -v hz="$(getconf CLK_TCK)" '
    $1 >= from && !started { started = 1; t0 = $1; i0 = $2; a0 = $3; p0 = $4 }
    $1 <= to { t1 = $1; i1 = $2; a1 = $3; p1 = $4 }
    END {
      if (!started || a1 <= a0 || t1 <= t0) exit
      printf "%.4f %.4f\n", (i1 - i0) / (a1 - a0), (p1 - p0) / hz / ((t1 - t0) / 1000)
    }' "$1"
}

# The audit must pass for a rate to count: a fast wrong answer is not a result.
# shellcheck disable=SC2154  # duration, warmup and scratch are the calling script's
run_loadgen() {
  local name="$1" in_flight="$2" root
  shift 2
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if ! "$root/bin/loadgen" --target "127.0.0.1:$SCRATCH_SERVER_PORT" --admin-token "$SCRATCH_ADMIN_TOKEN" --quiet \
      --concurrency "$in_flight" --duration "$duration" --warmup "$warmup" --json "$scratch/$name.json" "$@" \
      >"$scratch/$name.out" 2>&1; then
    echo "$(basename "$0"): loadgen $name failed:" >&2
    cat "$scratch/$name.out" >&2
    exit 1
  fi
}
