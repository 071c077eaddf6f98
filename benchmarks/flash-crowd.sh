#!/usr/bin/env bash
# A flash crowd against a fresh single-node server, or a 3-member cluster (issue 22): capacity
# first (closed model, 1,000 reserves in flight on one connection, the server's per-connection
# maximum; measured again at the end), then for each factor F a loadgen flash-crowd run at half of that capacity with a crowd of F
# times it (ramp 1 s, held 10 s, 500 ms caller deadline), with each --client-limit given. Everything
# in one run, against the same server, so the ratios are same-run ratios. Prints each run's crowd
# summary and audit line; the full reports (text, JSON, HTML with charts) stay in the work directory
# it names.
#
# Usage: benchmarks/flash-crowd.sh [--factors "4 10"] [--client-limits "aimd none"] [--deadline 500ms]
#                                  [--channels 1] [--client-limit-max 1000] [--api unary] [--cluster] [--pin]
#                                  [--repeat 1] [--no-background-snapshots | --snapshot-interval N] [--send-tick 1ms]
#                                  [--smoke]
# --api: how every loadgen run calls Reserve (loadgen's option), capacity included: unary (the
#        default) or unary-batched (the same calls through the SDK's auto-batching). Auto-batched,
#        the capacity itself rose 3.6x (108k reserves/s at 1,000 in flight, 2026-12-03), so 4x and
#        10x of it are beyond what one loadgen on the same 2 cores can offer, and a whole run fills
#        the 16M-order table: use it with loadgen on a machine of its own.
# --client-limit-max: the most calls in flight the SDK's adaptive limit may allow per channel
#        (loadgen's option; capacity is always measured with 1,000 in flight).
# --cluster: a 3-member cluster on loopback (as cluster-compare.sh starts it) instead of one server;
#            loadgen calls all three through static:///. Its consensus, not the transport, is then
#            the bottleneck, so the server's own queue (the ring in front of the gateway) is where a
#            crowd waits, and admission by queueing delay does the shedding.
# --pin: the server (or every member) on CPU 0 and loadgen on CPU 1 (taskset), capacity included,
#        so a crowd's cost to the generator is not taken from the server: loadgen on a machine of
#        its own, in small. Without it both share every CPU, and at 10x the generator's CPU (over
#        300,000 calls/s, most refused in the client) is what the server loses. Both JVMs keep G1
#        on their one CPU (bin/default-jvm.sh); until 2026-12-05 they fell back to the serial
#        collector there, whose young pauses (0.1-0.56 s) stalled the server mid-crowd.
# --repeat N: the crowds N times, with capacity measured again after each round, so every crowd has
#        a capacity measured just before and just after it; prints each crowd's goodput against both
#        (the larger, and their mean) and, per factor and limit, the medians over the rounds. The
#        server's own rate moves by a third between minutes on a shared VM (34-49k reserves/s within
#        an hour, 2026-12-04), so one crowd against one capacity figure is a ratio of two noisy samples.
#        The server's tables (and heap) grow with the rounds: each round makes about 4M orders.
# --no-background-snapshots: the server takes no snapshot while it runs (snapshot-interval-commands=0;
#        one at shutdown only). It takes one every 5M commands (the server's default until
#        2026-12-05, kept so that rounds stay comparable; the default is now 2M, onto a kept copy), and one was 30-75 s of a
#        core on this VM for 2-3M orders (Chronicle Map writes and loads; benchmarks/README,
#        2026-12-04): one that overlaps a capacity run or a crowd takes up to a third of the
#        server's rate from that figure alone.
# --snapshot-interval N: a background snapshot every N commands instead (the server's default
#        snapshot-defer-max-commands, 3M, and snapshot-copy=keep apply either way).
# --send-tick D: loadgen's --send-tick for the crowds (default 1ms; 0s for a sleep until each send
#        is due, loadgen's own default). A 10x crowd is over 500,000 offered calls a second, and a
#        sender that sleeps until each is due wakes thousands of times a second, each wake-up some
#        microseconds of the core the server shares (2026-12-05, 300,000 offered/s: the sender 0.33
#        of a core against 0.15 with 1 ms, medians). Sends then leave up to 1 ms late: in the latency
#        from the intended time, not in the one from the send.
# Each loadgen run prewarms 20 s first (the same load on SKUs of its own, not measured; before a
# crowd, with 2 s of the crowd at its 15th second, see loadgen/README).
# --smoke: capacity for 3 s (before and after) and one short crowd of 4x with the aimd limit, for CI:
#          checks that every part runs and the audit passes, not how fast.
# Build first: mvn -B -q -DskipTests install (bin/checkout-server and bin/loadgen run the jars).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
send_tick=1ms factors="4 10" limits="aimd none" deadline=500ms channels=1 cluster=no pin=no limit_max=1000 api=unary repeat=1
snapshots=(--set snapshot-interval-commands=5000000)
capacity_duration=25s capacity_warmup=10s crowd_at=8s crowd_hold=10s duration=28s warmup=5s prewarm=20s
while [ $# -gt 0 ]; do
  case "$1" in
    --factors) factors="$2"; shift 2 ;;
    --client-limits) limits="$2"; shift 2 ;;
    --deadline) deadline="$2"; shift 2 ;;
    --channels) channels="$2"; shift 2 ;;
    --client-limit-max) limit_max="$2"; shift 2 ;;
    --api) api="$2"; shift 2 ;;
    --cluster) cluster=yes; shift ;;
    --pin) pin=yes; shift ;;
    --repeat) repeat="$2"; shift 2 ;;
    --no-background-snapshots) snapshots=(--set snapshot-interval-commands=0); shift ;;
    --snapshot-interval) snapshots=(--set snapshot-interval-commands="$2"); shift 2 ;;
    --send-tick) send_tick="$2"; shift 2 ;;
    --smoke) factors=4 limits=aimd capacity_duration=3s capacity_warmup=1s crowd_at=3s crowd_hold=2s duration=7s
             warmup=1s prewarm=1s; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if ! [[ "$repeat" =~ ^[1-9][0-9]?$ ]]; then
  echo "--repeat must be a number of rounds from 1 to 99, got $repeat" >&2
  exit 2
fi
# shellcheck source=bin/scratch-server.sh
. "$root/bin/scratch-server.sh"
server_pin=() loadgen_pin=()
if [ "$pin" = yes ]; then
  if [ "$(nproc --all)" -lt 2 ]; then
    echo "--pin needs two CPUs (server on 0, loadgen on 1); this machine has $(nproc --all)" >&2
    exit 2
  fi
  export SCRATCH_SERVER_CPUS=0
  server_pin=(taskset -c 0) loadgen_pin=(taskset -c 1)
fi
loadgen() { ${loadgen_pin[@]+"${loadgen_pin[@]}"} "$root/bin/loadgen" "$@"; }
work="$(mktemp -d /tmp/flash-crowd.XXXXXX)"
# Sized for a whole run with its prewarms (a 4M-order table filled up in the second crowd of a run
# on 2026-12-03, and a 16M one in the fifth round of a --repeat 5 on 2026-12-04, and refused
# everything after with ORDER_TABLE_FULL).
# A round (two crowds and a capacity run, each with its prewarm) makes about 4M orders; the first
# two capacity runs about 3M. At most 16M orders for one or two rounds (a 6 GiB heap holds them),
# more for more rounds, with a heap to match (about 0.4 GiB per million orders, 2026-12-04).
orders_m=$(( 8 + 4 * repeat < 16 ? 16 : 8 + 4 * repeat ))
heap_g=$(( orders_m <= 16 ? 6 : orders_m * 4 / 10 + 1 ))
capacities=(--set order-capacity="${orders_m}000000" --set user-counter-capacity="${orders_m}000000"
            --set idempotency-capacity="$((2 * orders_m))000000")
if [ "$cluster" = yes ]; then
  # Three members on the same machine take a few thousand reserves a second: the old sizes hold them.
  capacities=(--set order-capacity=4000000 --set user-counter-capacity=4000000 --set idempotency-capacity=8000000)
fi
metrics_ports=()
if [ "$cluster" = yes ]; then
  token="flash-crowd-token-0123456789abcdef"
  echo "$token" > "$work/token"
  member_pids=()
  # Keep the reports, not the members' data (archives and snapshots of millions of orders).
  trap 'for pid in "${member_pids[@]:-}"; do kill "$pid" 2>/dev/null || true; done; wait; rm -rf "$work"/member-*' EXIT
  members="127.0.0.1:23400,127.0.0.1:23410,127.0.0.1:23420"
  for id in 0 1 2; do
    # Several servers on one machine: none touches its whole heap at start (bin/default-jvm.sh).
    JAVA_OPTS="${JAVA_OPTS:-} -XX:-AlwaysPreTouch" ${server_pin[@]+"${server_pin[@]}"} "$root/bin/checkout-server" serve --port "2330$id" --data-dir "$work/member-$id" --set metrics-port="2336$id" \
      --set host=127.0.0.1 --set admin-token-file="$work/token" --set mode=cluster --set cluster-member-id="$id" \
      --set cluster-members="$members" "${capacities[@]}" > "$work/member-$id.log" 2>&1 &
    member_pids+=($!)
    metrics_ports+=("2336$id")
  done
  for port in "${metrics_ports[@]}"; do
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/ready" > /dev/null && break; sleep 0.2; done
  done
  target="static:///127.0.0.1:23300,127.0.0.1:23301,127.0.0.1:23302"
else
  # Keep the reports, not the server's data (journal and snapshots of millions of orders).
  trap 'stop_scratch_server; rm -rf "$work/server/data"' EXIT
  # A fixed heap as deploy/ runs it: the tables of ~10M orders outgrow the JVM's default here.
  JAVA_OPTS="-Xms${heap_g}g -Xmx${heap_g}g" start_scratch_server "$work/server" "${capacities[@]}" "${snapshots[@]}"
  token="$SCRATCH_ADMIN_TOKEN"
  target="127.0.0.1:$SCRATCH_SERVER_PORT"
  metrics_ports+=("$(grep -o 'metrics on http port [0-9]*' "$work/server/server.log" | grep -o '[0-9]*$')")
fi
common=(--target "$target" --admin-token "$token" --setup --skus 100 --stock 1000000000 --limit 0 --users 1000000
        --api "$api" --audit-orders-max 10000000 --quiet)

metric_sum() { # metrics-text line-prefix: the sum of the values of the lines that start with it
  # %.0f, not %d: mawk's %d stops at 2^31 - 1, which made a 6 GiB heap read as 2048 MiB.
  echo "$1" | awk -v prefix="$2" 'index($0, prefix) == 1 {sum += $NF} END {printf "%.0f", sum}'
}

server_refusals() { # the servers' refusals so far, summed over members
  local port queue=0 ring=0 expired=0 metrics
  for port in "${metrics_ports[@]}"; do
    metrics="$(curl -sf "http://127.0.0.1:$port/metrics" || true)"
    queue=$((queue + $(metric_sum "$metrics" 'checkout_requests_refused_total{reason="queue_delay"')))
    ring=$((ring + $(metric_sum "$metrics" 'checkout_requests_refused_total{reason="ring_full"')))
    expired=$((expired + $(metric_sum "$metrics" 'checkout_commands_skipped_expired_total')))
  done
  echo "refused by the server so far: $queue QUEUE_DELAY, $ring RING_FULL; $expired skipped as expired"
}

heap_watch() { # file: every 0.5 s, the servers' summed heap use (bytes) while the crowd runs, into it
  local port metrics used
  while true; do
    used=0
    for port in "${metrics_ports[@]}"; do
      metrics="$(curl -sf "http://127.0.0.1:$port/metrics" || true)"
      used=$((used + $(metric_sum "$metrics" 'jvm_memory_used_bytes{area="heap"')))
    done
    echo "$used" >> "$1"
    sleep 0.5
  done
}

heap_max() { # the servers' summed maximum heap (bytes)
  local port max=0
  for port in "${metrics_ports[@]}"; do
    max=$((max + $(metric_sum "$(curl -sf "http://127.0.0.1:$port/metrics" || true)" 'jvm_memory_max_bytes{area="heap"')))
  done
  echo "$max"
}

measure_capacity() { # label: prints the successful reserves/s of a closed-model run with 1,000 in flight
  loadgen "${common[@]}" --scenario catalog --sku-prefix "capacity-$1-" --confirm-ratio 0 \
    --cancel-ratio 0 --get-ratio 0 --concurrency 1000 --prewarm "$prewarm" --duration "$capacity_duration" \
    --warmup "$capacity_warmup" \
    > "$work/capacity-$1.txt" 2>&1 || echo "capacity run $1 failed: see $work/capacity-$1.txt" >&2
  # RESERVED answers over the measured seconds, not loadgen's throughput line: that counts refused
  # reserves too, and a server whose order table was full "did" 33k reserves/s (2026-12-04).
  local reserved seconds
  reserved="$(grep -m1 '^reserve results:' "$work/capacity-$1.txt" | grep -o 'RESERVED [0-9,]*' | tr -dc 0-9 || true)"
  seconds="$(grep -m1 '; measured [0-9.]* s' "$work/capacity-$1.txt" | sed -E 's/.*; measured ([0-9.]+) s.*/\1/' || true)"
  awk -v r="${reserved:-0}" -v s="${seconds:-0}" 'BEGIN { printf "%d\n", (s > 0 ? r / s : 0) }'
}
# Every loadgen run first runs its own load for 20 s on SKUs of its own (--prewarm), not counted: a
# fresh loadgen JVM is still compiling for 15-20 s on 2 cores, and with only the runs' 5-10 s
# warm-up the crowd met a generator whose goodput climbed from 10k to 22k reserves/s while the crowd
# held (2026-12-03), and whose client limit refused calls even at half of capacity.
# A fresh server is cold: a first closed-model run (not counted) warms its JIT, or the capacity
# measured next, and the crowds sized from it, would be a fraction of the warm server's (13-15k
# against 30-35k reserves/s, 2026-12-03). Each loadgen is a fresh JVM, so every run still has its
# own warm-up; capacity is measured again after each round of crowds, and each crowd's goodput is
# compared with the larger and with the mean of the capacities just before and after it.
measure_capacity warm-up > /dev/null
# caps[r]: the capacity measured after round r (caps[0]: before the first); round r's crowds are
# sized from caps[r-1] and compared with caps[r-1] and caps[r].
caps=("$(measure_capacity before)")
echo "capacity (closed model, 1,000 in flight): ${caps[0]} reserves/s; reports in $work"
failed=0
for round in $(seq 1 "$repeat"); do
  capacity="${caps[round - 1]}"
  if [ "$repeat" -gt 1 ]; then
    echo "== round $round of $repeat, crowds sized from $capacity reserves/s"
  fi
  for factor in $factors; do
    for limit in $limits; do
      out="$work/crowd-${factor}x-$limit-$round.txt"
      heap_watch "${out%.txt}.heap" & watcher=$!
      loadgen "${common[@]}" --scenario flash-crowd --sku-prefix "crowd-$round-$factor-$limit-" \
        --rate $((capacity / 2)) --crowd-rate $((capacity * factor)) --crowd-at "$crowd_at" --crowd-ramp 1s \
        --crowd-hold "$crowd_hold" --prewarm "$prewarm" --duration "$duration" --warmup "$warmup" --deadline "$deadline" \
        --max-in-flight 40000 --channels "$channels" --client-limit "$limit" --client-limit-max "$limit_max" \
        --send-tick "$send_tick" \
        --json "${out%.txt}.json" --html "${out%.txt}.html" \
        > "$out" 2>&1 || failed=1
      kill "$watcher" 2>/dev/null || true
      wait "$watcher" 2>/dev/null || true
      echo "== crowd of ${factor}x capacity ($((capacity * factor))/s), client limit $limit"
      grep -E '^  (before the crowd|while it held|of all reserves)|^AUDIT' "$out" || { cat "$out"; failed=1; }
      echo "  $(server_refusals)"
      sort -n "${out%.txt}.heap" | tail -1 | awk -v max="$(heap_max)" \
        '{ printf "  server heap during the run: at most %.0f MiB of %.0f MiB\n", $1 / 1048576, max / 1048576 }'
    done
  done
  caps+=("$(measure_capacity "after-$round")")
  echo "capacity after round $round: ${caps[round]} reserves/s"
done
median() { # numbers on stdin, one per line: their median (the mean of the middle two for an even count)
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print 0 } else if (NR % 2) { print v[(NR + 1) / 2] }
    else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}
echo "goodput while each crowd held, against the capacity measured just before and just after its round:"
for factor in $factors; do
  for limit in $limits; do
    : > "$work/ratios-${factor}x-$limit"
    for round in $(seq 1 "$repeat"); do
      goodput="$(grep -m1 '^  while it held' "$work/crowd-${factor}x-$limit-$round.txt" \
        | sed -E 's/.*goodput ([0-9,]+) reserves.*/\1/' | tr -d ,)"
      before="${caps[round - 1]}" after="${caps[round]}"
      best=$(( after > before ? after : before )) mean=$(( (after + before) / 2 ))
      if [ "$best" -eq 0 ]; then
        echo "  round $round, ${factor}x, client limit $limit: no capacity figure to compare with"
        failed=1
        continue
      fi
      awk -v g="${goodput:-0}" -v b="$best" -v m="$mean" 'BEGIN { printf "%.4f %.4f\n", g / b, g / m }' \
        >> "$work/ratios-${factor}x-$limit"
      awk -v f="$factor" -v l="$limit" -v r="$round" -v g="${goodput:-0}" -v b="$best" -v m="$mean" \
        'BEGIN { printf "  round %d, %sx, client limit %s: %d reserves/s = %.2f of the larger (%d), %.2f of the mean (%d)\n",
                        r, f, l, g, g / b, b, g / m, m }'
    done
    if [ "$repeat" -gt 1 ]; then
      printf '  median of %d rounds, %sx, client limit %s: %.2f of the larger, %.2f of the mean\n' "$repeat" "$factor" "$limit" \
        "$(cut -d' ' -f1 "$work/ratios-${factor}x-$limit" | median)" "$(cut -d' ' -f2 "$work/ratios-${factor}x-$limit" | median)"
    fi
  done
done
exit "$failed"
