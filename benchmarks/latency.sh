#!/usr/bin/env bash
# Latency at moderate load (issue 18's latency targets). For each journal durability (process, then
# fsync) and each --gc, one fresh server; on its data directory, with the server idle, the device's
# own fsync latency (FsyncProbe, as the journal syncs); the unary peak (closed model, 64 in flight,
# catalog); then per round one open-model run per API at --share of that peak (operations/s), each
# prewarmed and its warm-up cut. Per run it prints the reserve's p50, p99 and p99.9 from the
# intended send time (what a caller sees), its p99 from the actual send (without loadgen's own lag),
# the sender's lag p99, and the JVM pauses (safepoints: GC and the rest) of the server and of
# loadgen within the measured part, from their -Xlog:safepoint logs, and how busy the machine and the
# server were then (/proc). At the end, the medians per
# durability and API against the targets: p99 <= 5 ms with journal-durability=process, and with
# fsync p99 <= the device's fsync p99 + 2 ms. Reports and logs stay in the work directory it names.
#
# Usage: benchmarks/latency.sh [--rounds 2] [--durabilities "process fsync"] [--share 0.5] [--rate OPS]
#          [--apis "unary stream stream-batch unary-batched empty"] [--gc "default"] [--server-opts "..."]
#          [--loadgen-opts "..."] [--loadgen-args "..."] [--loadgen-nice N] [--server-set "name=value ..."] [--pin]
#          [--gc-phases] [--sched]
#          [--duration 20s] [--warmup 5s] [--prewarm 15s] [--smoke]
# --apis: the reserve APIs to run, each an open-model catalog run; "empty" adds a run of empty calls
#         (grpc.health.v1 Check, answered on the event loop) at the same rate: the tail of the
#         transport, both JVMs and the machine without the engine, printed beside each API's p99.
#         Each run prints its p99 per second of the measured part (median and largest: a steady tail
#         and a few bad seconds read apart) and, for unary and empty, the server's own durations of
#         the method (Reserve, Check) over the measured part, from its Prometheus buckets
#         (grpc_server_processing_duration_seconds, scraped as the measured part starts and after the
#         run: from the call's start on the server's event loop to its close; ServerLatencySummary).
#         Besides, the server is scraped every 15 s from its start, as deploy/prometheus scrapes it:
#         a server in a sale is, and a first scrape at the measured part's start compiled the
#         scrape's code (a few hundred methods) within that part's first second. Each scrape's start
#         and length go to scrapes.txt in the server's directory; bad-seconds.py names the seconds
#         they fall in.
# --rate: every open-model run at OPS operations/s instead of --share of each server's peak (the
#         peak is still measured and printed): arms whose peaks differ are then offered the same load.
# --gc-phases: both JVMs log G1's pause phases (-Xlog:gc*,gc+phases=debug), and each run prints, per
#         JVM, its young pauses in the measured part and the medians of the two phases that made most
#         of them (GcPhaseSummary: scanning old objects' cards, with how many G1 left for the pause,
#         and copying survivors), then its Remark pauses (count, median, longest, class unloading).
#         G1 only: other collectors print "no young pauses".
# --sched: every second, each thread's scheduler figures of both JVMs (/proc/PID/task/TID/schedstat:
#         time on a CPU, time runnable but waiting for one, timeslices), and per run and JVM: CPU
#         and run-queue wait in ms per second, and the three threads that waited most (their CPU,
#         their wait, and the mean wait per timeslice). Linux with schedstats; samples with bash
#         builtins only, so the sampling costs the machine little.
# --gc: the server's collector, one server per value: default (what bin/checkout-server runs), g1,
#       parallel, serial, zgc, shenandoah. --server-opts: more JVM flags for every server;
#       --loadgen-opts: JVM flags for every loadgen run (besides those of bin/loadgen);
#       --loadgen-args: more loadgen options for the open-model runs (not the peak's), e.g.
#       "--send-tick 1ms" (loadgen's own default 0s: each call sent when due);
#       --loadgen-nice: loadgen at this nice value (1-19; the server at 0), so that on shared cores
#       the scheduler runs a woken server thread before loadgen's, as if loadgen had cores of its own;
#       --server-set: server settings for every server (e.g. "state-memory=preallocate").
# --pin: the server on CPU 0 and loadgen on CPU 1 (taskset), the peak included. A JVM that sees one
#        CPU would pick the serial collector; bin/checkout-server and bin/loadgen name G1 unless
#        JAVA_OPTS names a collector (bin/default-jvm.sh), so --gc default is G1 pinned or not.
# --smoke: one short round of the empty call, unary and stream against a process-durability server, for CI: checks
#          that every part runs and the audits pass, not the figures.
# Per server, at its end, benchmarks/bad-seconds.py lines each run's bad seconds (twice its per-second
# median) up with the server's background snapshots, its GC pauses and the --sched figures; run it
# again with --jit-log for a server run with -Xlog:jit+compilation (see its --help).
# Build first: mvn -B -q -DskipTests install (bin/checkout-server, bin/loadgen, benchmarks.jar).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds=2 durabilities="process fsync" share=0.5 fixed_rate="" apis="unary stream stream-batch unary-batched" gcs=default
server_opts="" loadgen_opts="" loadgen_args="" loadgen_nice="" server_set="" pin=no gc_phases=no sched=no duration=20s warmup=5s prewarm=15s peak_duration=15s peak_warmup=5s
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --durabilities) durabilities="$2"; shift 2 ;;
    --share) share="$2"; shift 2 ;;
    --rate) fixed_rate="$2"; shift 2 ;;
    --gc-phases) gc_phases=yes; shift ;;
    --sched) sched=yes; shift ;;
    --apis) apis="$2"; shift 2 ;;
    --gc) gcs="$2"; shift 2 ;;
    --server-opts) server_opts="$2"; shift 2 ;;
    --loadgen-opts) loadgen_opts="$2"; shift 2 ;;
    --loadgen-args) loadgen_args="$2"; shift 2 ;;
    --loadgen-nice) loadgen_nice="$2"; shift 2 ;;
    --server-set) server_set="$2"; shift 2 ;;
    --pin) pin=yes; shift ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --prewarm) prewarm="$2"; shift 2 ;;
    --smoke) rounds=1 durabilities=process apis="empty unary stream" duration=4s warmup=1s prewarm=2s peak_duration=3s
             peak_warmup=1s; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "latency.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$rounds" in ''|*[!0-9]*|0) echo "latency.sh: --rounds must be a positive whole number" >&2; exit 2 ;; esac
read -r -a loadgen_extra <<< "$loadgen_args"
case "$loadgen_nice" in
  '') ;;
  [1-9]|1[0-9]) ;;
  *) echo "latency.sh: --loadgen-nice must be 1..19, got $loadgen_nice" >&2; exit 2 ;;
esac
case "$fixed_rate" in
  '') ;;
  *[!0-9]*|0) echo "latency.sh: --rate must be a positive whole number of operations/s, got $fixed_rate" >&2; exit 2 ;;
  *) if [ "$fixed_rate" -gt 1000000 ]; then echo "latency.sh: --rate must be at most 1000000, got $fixed_rate" >&2; exit 2; fi ;;
esac
if ! awk -v s="$share" 'BEGIN { exit !(s > 0 && s <= 1) }'; then
  echo "latency.sh: --share must be above 0 and at most 1, got $share" >&2
  exit 2
fi
benchmarks_jar="$root/benchmarks/target/benchmarks.jar"
if [ ! -f "$benchmarks_jar" ]; then
  echo "latency.sh: $benchmarks_jar not found; build it with: mvn -B -q -DskipTests install" >&2
  exit 1
fi
gc_flags() { # name: the JVM flags that choose that collector
  case "$1" in
    default) echo "" ;;
    g1) echo "-XX:+UseG1GC" ;;
    parallel) echo "-XX:+UseParallelGC" ;;
    serial) echo "-XX:+UseSerialGC" ;;
    zgc) echo "-XX:+UseZGC" ;;
    shenandoah) echo "-XX:+UseShenandoahGC" ;;
    *) echo "latency.sh: unknown --gc $1 (default, g1, parallel, serial, zgc, shenandoah)" >&2; return 2 ;;
  esac
}
for gc in $gcs; do gc_flags "$gc" > /dev/null; done
# shellcheck source=bin/scratch-server.sh
. "$root/bin/scratch-server.sh"
# shellcheck source=benchmarks/lib.sh
. "$root/benchmarks/lib.sh"
loadgen_pin=()
if [ "$pin" = yes ]; then
  if [ "$(nproc --all)" -lt 2 ]; then
    echo "--pin needs two CPUs (server on 0, loadgen on 1); this machine has $(nproc --all)" >&2
    exit 2
  fi
  export SCRATCH_SERVER_CPUS=0
  loadgen_pin=(taskset -c 1)
fi
work="$(mktemp -d -t latency-XXXXXX)"
# Keep the reports and logs, not the servers' journals.
trap 'stop_scratch_server; rm -rf "$work"/*/server/data' EXIT
napis=$(echo "$apis" | wc -w)
server_sets=()
for setting in $server_set; do server_sets+=(--set "$setting"); done
echo "latency at ${fixed_rate:+$fixed_rate ops/s (--rate), not }$share of the unary peak; APIs: $apis; $rounds round(s); pin: $pin; loadgen JVM flags: '$loadgen_opts', options: '$loadgen_args', nice: ${loadgen_nice:-0}; reports in $work"

pauses() { # safepoint-log from-epoch-ms to-epoch-ms: "N pauses, max X ms, Y ms in all" within [from, to]
  awk -v from="$2" -v to="$3" '
    match($0, /^\[[0-9]+ms\]/) {
      t = substr($0, 2, RLENGTH - 4) + 0
      if (t < from || t > to) next
      if (match($0, /Total: [0-9]+ ns/)) {
        ns = substr($0, RSTART + 7, RLENGTH - 10) + 0
        n++; sum += ns; if (ns > max) max = ns
      }
    }
    END { printf "%d pauses, max %.1f ms, %.1f ms in all", n, max / 1e6, sum / 1e6 }' "$1"
}

cpu_share() { # cpu-watch-file from-epoch-ms to-epoch-ms: "machine idle X%, server Y% of a core" within [from, to]
  local share
  share="$(cpu_within "$@")"
  if [ -z "$share" ]; then
    printf "CPU not sampled"
    return
  fi
  echo "$share" | awk '{ printf "machine idle %.0f%%, server %.0f%% of a core", 100 * $1, 100 * $2 }'
}

phases_flag() { # log-file: the -Xlog flag for G1's pause phases with --gc-phases, else nothing
  if [ "$gc_phases" = yes ]; then echo "-Xlog:gc*,gc+phases=debug:file=$1:timemillis"; fi
}

sched_watch() { # file pid: every second until pid exits, a line per thread: epoch-ms tid name cpu-ns wait-ns slices
  local now task stat name
  while kill -0 "$2" 2>/dev/null; do
    now="$(date +%s%3N)"
    for task in /proc/"$2"/task/*; do
      read -r stat 2>/dev/null < "$task/schedstat" || continue
      read -r name 2>/dev/null < "$task/comm" || continue
      echo "$now ${task##*/} ${name// /_} $stat"
    done >> "$1"
    sleep 1
  done
}

sched_summary() { # sched-file from-epoch-ms to-epoch-ms: CPU and run-queue wait per second, the 3 threads that waited most
  awk -v from="$2" -v to="$3" '
    $1 < from || $1 > to || NF < 6 { next }
    !($2 in t0) { t0[$2] = $1; c0[$2] = $4; w0[$2] = $5; s0[$2] = $6; name[$2] = $3 }
    { t1[$2] = $1; c1[$2] = $4; w1[$2] = $5; s1[$2] = $6 }
    END {
      for (id in t0) {
        if (t1[id] <= t0[id]) continue
        sec = (t1[id] - t0[id]) / 1000
        cpu[id] = (c1[id] - c0[id]) / 1e6 / sec; wait[id] = (w1[id] - w0[id]) / 1e6 / sec
        slices[id] = (s1[id] - s0[id]) / sec
        allcpu += cpu[id]; allwait += wait[id]; n++
      }
      if (n == 0) { printf "not sampled"; exit }
      printf "CPU %.0f ms/s, run-queue wait %.0f ms/s; waited most:", allcpu, allwait
      for (k = 1; k <= 3; k++) {
        best = ""
        for (id in wait) if (!(id in shown) && (best == "" || wait[id] > wait[best])) best = id
        if (best == "") break
        shown[best] = 1
        # (no comparison inside printf arguments: mawk would read ">" as a redirection)
        per = 0; if (slices[best] > 0) per = wait[best] * 1000 / slices[best]
        sep = ""; if (k > 1) sep = ","
        printf "%s %s (CPU %.0f, wait %.0f ms/s, %.0f us a timeslice)", sep, name[best], cpu[best], wait[best], per
      }
    }' "$1"
}

lg() { # safepoint-log loadgen-args...: bin/loadgen (pinned with --pin), its JVM pauses logged; with --sched sampled
  JAVA_OPTS="$loadgen_opts -Xlog:safepoint:file=$1:timemillis $(phases_flag "${1%-safepoints.log}-gc-phases.log")" \
    ${loadgen_pin[@]+"${loadgen_pin[@]}"} ${loadgen_nice:+nice -n "$loadgen_nice"} "$root/bin/loadgen" "${@:2}" &
  local pid=$!
  if [ "$sched" = yes ]; then sched_watch "${1%-safepoints.log}-sched.txt" "$pid" & fi
  wait "$pid"
}

duration_seconds() { # a loadgen duration (5s, 500ms, 1m): in seconds, for sleep
  case "$1" in
    *ms) awk -v v="${1%ms}" 'BEGIN { print v / 1000 }' ;;
    *s) echo "${1%s}" ;;
    *m) awk -v v="${1%m}" 'BEGIN { print v * 60 }' ;;
    *) echo "$1" ;;
  esac
}

scrape_metrics() { # file: the server's /metrics into it; no file if the scrape failed
  curl -sf "http://127.0.0.1:$metrics_port/metrics" > "$1" || rm -f "$1"
}

prometheus_watch() { # pid file: the server's /metrics every 15 s until pid exits, as deploy/prometheus scrapes it;
  # each scrape's start (epoch ms) and length (ms, curl's time_total) into file, for bad-seconds.py
  local started took
  while kill -0 "$1" 2>/dev/null; do
    started="$(date +%s%3N)"
    took="$(curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$metrics_port/metrics" || true)"
    if [ -n "$took" ]; then
      echo "$started $(awk -v s="$took" 'BEGIN { printf "%.1f", s * 1000 }')" >> "$2"
    fi
    sleep 15
  done
}

scrape_measured() { # loadgen-output metrics-file: the server's /metrics once loadgen's prewarm is done and its warm-up over
  local polls=0
  until grep -q 'the measured run starts now' "$1" 2>/dev/null; do
    polls=$((polls + 1))
    if [ "$polls" -ge 6000 ]; then return 0; fi # 20 minutes: the run is not coming
    sleep 0.2
  done
  sleep "$(duration_seconds "$warmup")"
  scrape_metrics "$2"
}

summary="$work/summary.txt"
: > "$summary"
failed=0
for durability in $durabilities; do
  for gc in $gcs; do
    label="$durability-$gc"
    dir="$work/$label"
    mkdir -p "$dir"
    # Each run creates 10,000 SKUs and its prewarm 10,000 more; the peak's run the same. The
    # peak and each run (with its prewarm) make up to about 2M orders on this VM: the tables are
    # sized for 3M each (the defaults, 2M orders, ran out in a unary and stream run, 2026-12-08:
    # the stream's last seconds refused with ORDER_TABLE_FULL); --server-set can name others.
    tables=$(((rounds * napis + 1) * 3000000))
    JAVA_OPTS="$(gc_flags "$gc") $server_opts -Xlog:safepoint:file=$dir/server-safepoints.log:timemillis
      -Xlog:gc:file=$dir/server-gc.log:timemillis $(phases_flag "$dir/server-gc-phases.log")" \
      start_scratch_server "$dir/server" --set journal-durability="$durability" \
      --set sku-capacity=$(((rounds * napis + 1) * 20000 + 1000)) --set order-capacity=$tables \
      --set user-counter-capacity=$tables --set idempotency-capacity=$((2 * tables)) \
      ${server_sets[@]+"${server_sets[@]}"}
    target="127.0.0.1:$SCRATCH_SERVER_PORT"
    metrics_port="$(grep -m1 -o 'http port [0-9]*' "$dir/server/server.log" | awk '{ print $3 }' || true)"
    cpu_watch "$dir/cpu.txt" "$SCRATCH_SERVER_PID" &
    if [ -n "$metrics_port" ]; then prometheus_watch "$SCRATCH_SERVER_PID" "$dir/scrapes.txt" & fi
    if [ "$sched" = yes ]; then sched_watch "$dir/server-sched.txt" "$SCRATCH_SERVER_PID" & fi
    collector="$(grep -m1 -o 'Using [A-Za-z0-9 ]*' "$dir/server-gc.log" || true)"
    probe="$(java -cp "$benchmarks_jar" io.checkout.benchmarks.FsyncProbe "$dir/server/data" 2000)"
    fsync_p99="$(echo "$probe" | grep -o 'p99_ms=[0-9.]*' | cut -d= -f2)"
    echo "== journal-durability=$durability, gc $gc (flags: '$(gc_flags "$gc") $server_opts', settings: '$server_set'), server on $target"
    echo "   device, idle server: $probe"
    lg "$dir/peak-safepoints.log" --target "$target" --admin-token "$SCRATCH_ADMIN_TOKEN" --setup --scenario catalog \
      --sku-prefix "peak-" --concurrency 64 --api unary --prewarm "$prewarm" --duration "$peak_duration" \
      --warmup "$peak_warmup" --quiet > "$dir/peak.txt" 2>&1 || failed=1
    peak="$(grep -m1 '^throughput:' "$dir/peak.txt" | sed -E 's/^throughput: ([0-9,]+) ops\/s.*/\1/' | tr -d , || true)"
    if [ -z "$peak" ] || [ "$peak" = 0 ]; then
      echo "   the peak run gave no throughput:"
      cat "$dir/peak.txt"
      failed=1
      stop_scratch_server
      continue
    fi
    rate="$(awk -v p="$peak" -v s="$share" 'BEGIN { r = int(p * s); print (r < 1 ? 1 : r) }')"
    if [ -n "$fixed_rate" ]; then rate="$fixed_rate"; fi
    echo "   unary peak (closed model, 64 in flight): $peak ops/s; open-model runs at $rate ops/s"
    for round in $(seq 1 "$rounds"); do
      for api in $apis; do
        name="round-$round-$api"
        out="$dir/$name.txt"
        # "empty": grpc.health.v1 Check at the same rate, the transport's and the machine's own tail
        scenario=(--scenario catalog --api "$api") row=reserve
        if [ "$api" = empty ]; then scenario=(--scenario empty-call --api unary) row=health-check; fi
        # unary and empty: the server's own durations of the method over the measured part
        method=""
        if [ "$api" = unary ]; then method=Reserve; elif [ "$api" = empty ]; then method=Check; fi
        scraper=""
        rm -f "$dir/$name-metrics-start.txt" "$dir/$name-metrics-end.txt"
        if [ -n "$method" ] && [ -n "$metrics_port" ]; then
          : > "$out"
          scrape_measured "$out" "$dir/$name-metrics-start.txt" &
          scraper=$!
        fi
        lg "$dir/$name-loadgen-safepoints.log" --target "$target" --admin-token "$SCRATCH_ADMIN_TOKEN" --setup \
          "${scenario[@]}" --sku-prefix "lat-$round-$api-" --rate "$rate" --prewarm "$prewarm" \
          --duration "$duration" --warmup "$warmup" --json "$dir/$name.json" --quiet ${loadgen_extra[@]+"${loadgen_extra[@]}"} > "$out" 2>&1 || failed=1
        if [ -n "$scraper" ]; then
          kill "$scraper" 2>/dev/null || true
          wait "$scraper" 2>/dev/null || true
          scrape_metrics "$dir/$name-metrics-end.txt"
        fi
        reserve="$(grep -m1 -E "^  $row " "$out" || true)"
        sent="$(grep -m1 -E '^  sent ' "$out" || true)"
        lag="$(grep -m1 -E '^  lag ' "$out" || true)"
        if [ -z "$reserve" ] || [ ! -f "$dir/$name.json" ]; then
          cat "$out"
          failed=1
          continue
        fi
        from="$(json_number "$dir/$name.json" measuredFromEpochMillis)"
        seconds="$(json_number "$dir/$name.json" measuredSeconds)"
        to="$(awk -v f="$from" -v s="$seconds" 'BEGIN { printf "%.0f", f + s * 1000 }')"
        # count p50 p90 p99 p99.9 p99.99 max, in ms
        read -r _ _ p50 _ p99 p999 _ <<< "$reserve"
        sent_p99="$(echo "$sent" | awk '{ print $5 }')"
        lag_p99="$(echo "$lag" | awk '{ print $5 }')"
        printf '   round %s %-14s %s p50 %s  p99 %s  p99.9 %s ms | from the send p99 %s | lag p99 %s\n' \
          "$round" "$api" "$row" "$p50" "$p99" "$p999" "${sent_p99:--}" "$lag_p99"
        per_second="$(grep -m1 '^per second: ' "$out" | sed 's/^per second: //' || true)"
        if [ -n "$per_second" ]; then echo "      per second: $per_second"; fi
        if [ -f "$dir/$name-metrics-start.txt" ] && [ -f "$dir/$name-metrics-end.txt" ]; then
          echo "      $(java -cp "$benchmarks_jar" io.checkout.benchmarks.ServerLatencySummary "$dir/$name-metrics-start.txt" "$dir/$name-metrics-end.txt" "$method")"
        fi
        echo "      JVM pauses: server $(pauses "$dir/server-safepoints.log" "$from" "$to"); loadgen $(pauses "$dir/$name-loadgen-safepoints.log" "$from" "$to")"
        echo "      CPU: $(cpu_share "$dir/cpu.txt" "$from" "$to")"
        if [ "$gc_phases" = yes ]; then
          echo "      server G1: $(java -cp "$benchmarks_jar" io.checkout.benchmarks.GcPhaseSummary "$dir/server-gc-phases.log" "$from" "$to")"
          echo "      loadgen G1: $(java -cp "$benchmarks_jar" io.checkout.benchmarks.GcPhaseSummary "$dir/$name-loadgen-gc-phases.log" "$from" "$to")"
        fi
        if [ "$sched" = yes ]; then
          echo "      server threads: $(sched_summary "$dir/server-sched.txt" "$from" "$to")"
          echo "      loadgen threads: $(sched_summary "$dir/$name-loadgen-sched.txt" "$from" "$to")"
        fi
        grep -m1 '^AUDIT' "$out" | sed 's/^/      /' || true
        grep -q '^AUDIT: PASS' "$out" || failed=1
        echo "$durability $gc $api $p50 $p99 $p999 $fsync_p99" >> "$summary"
      done
    done
    echo "   server's collector: ${collector:-(not in its log)}; JVM flags: $(gc_flags "$gc") $server_opts"
    stop_scratch_server
    # After the stop: the server's log then has every background snapshot's line.
    echo "   bad seconds (benchmarks/bad-seconds.py $dir):"
    python3 "$root/benchmarks/bad-seconds.py" "$dir" | sed 's/^/     /' || failed=1
  done
done

echo "medians over the rounds (ms, from the intended send time), against the targets:"
awk '
  { key = $1 " " $2 " " $3; n[key]++; p50[key, n[key]] = $4; p99[key, n[key]] = $5; p999[key, n[key]] = $6; fs[key] = $7
    if (!(key in seen)) { seen[key] = 1; order[++keys] = key } }
  function median(arr, key, count,   i, j, t, v) {
    for (i = 1; i <= count; i++) v[i] = arr[key, i] + 0
    for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return (count % 2) ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2
  }
  END {
    for (k = 1; k <= keys; k++) {
      key = order[k]; split(key, part, " ")
      m99 = median(p99, key, n[key])
      bound = part[1] == "fsync" ? fs[key] + 2 : 5
      verdict = m99 <= bound ? "met" : "not met"
      base = part[1] " " part[2] " empty"
      if (part[3] == "empty") verdict = "no target: the empty call, the floor under every API"
      else if (base in n) verdict = sprintf("%s; %.3f ms above the empty call", verdict, m99 - median(p99, base, n[base]))
      printf "  %-8s %-10s %-14s p50 %7.3f  p99 %8.3f  p99.9 %8.3f   target p99 <= %.3f: %s\n", part[1], part[2], part[3],
        median(p50, key, n[key]), m99, median(p999, key, n[key]), bound, verdict
    }
  }' "$summary"
exit "$failed"
