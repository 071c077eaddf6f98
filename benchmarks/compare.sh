#!/usr/bin/env bash
# Compares, in one go on this machine and at the same concurrency:
#   1. an empty gRPC call: grpc.health.v1.Health/Check on the same server (same Netty settings, same
#      channel and client code, no pipeline and no state): the transport's limit;
#   2. Reserve, unary; and the same plain SDK calls from as many callers through the SDK's
#      auto-batching (loadgen --api unary-batched), carried in ReserveBatchStream messages;
#   3. ReserveStream (the SDK's flow-controlled StreamingReserver), at the same concurrency and
#      again with --stream-in-flight requests in flight (1024 by default: as many as
#      redis-benchmark keeps in flight pipelined, 64 clients x -P 16);
#   3b. ReserveBatchStream (the SDK's BatchStreamingReserver): batches of --pipeline reserves (16,
#      as redis-benchmark -P 16 sends 16 commands per write), --stream-in-flight reserves in flight
#      (64 batches of 16 by default, as redis-benchmark -c 64 -P 16 has);
#   4. Redis + Lua, the usual alternative: Debian's redis-server (installed with apt-get if missing),
#      no persistence, a Lua script doing the same stock check, per-user limit and decrement, driven
#      by redis-benchmark unpipelined and pipelined.
# Each round starts a fresh checkout server (bin/checkout-server, its own process, fresh data
# directory, free port) and a fresh redis-server; loadgen runs in a third process. It prints each
# round's rates and ratios, then the medians over the rounds.
#
# Usage: benchmarks/compare.sh [--rounds N] [--duration 15s] [--warmup 5s] [--concurrency 64]
#                              [--stream-in-flight 1024] [--pipeline 16]
#                              [--journal-durability fsync|process] [--server-heap 6g]
#                              [--server-jvm-flags "FLAGS"] [--smoke]
# --smoke: one short round, for CI: checks that every part runs, not how fast (JVM default heap).
# --server-heap: the server JVM's heap, fixed at start (-Xms = -Xmx) and touched at start
#   (-XX:+AlwaysPreTouch, unless --server-jvm-flags names it; since 2026-12-07), as deploy/ and the
#   JMH benchmarks run it; 6g holds the ~5M orders the first server of a round takes. "default" leaves
#   the JVM's own sizing: a heap that starts small and grows, so once the tables fill it G1 marks
#   concurrently back to back (a quarter to a half of a core); figures recorded before the
#   ReserveBatchStream section of benchmarks/README.md were taken that way.
# --server-jvm-flags: more JVM flags for the server, after the heap (GC settings, for instance);
#   the servers read JAVA_OPTS from this script, not from the caller's environment.
# Build first: mvn -B -q -DskipTests package (the server and loadgen jars).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../bin/scratch-server.sh
. "$root/bin/scratch-server.sh"
# shellcheck source=lib.sh
. "$root/benchmarks/lib.sh"

rounds=3
duration=15s
warmup=5s
concurrency=64
stream_in_flight=1024
pipeline=16
redis_requests=1000000
durability=fsync
server_heap=6g
server_jvm_flags=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --stream-in-flight) stream_in_flight="$2"; shift 2 ;;
    --pipeline) pipeline="$2"; shift 2 ;;
    --journal-durability) durability="$2"; shift 2 ;;
    --server-heap) server_heap="$2"; shift 2 ;;
    --server-jvm-flags) server_jvm_flags="$2"; shift 2 ;;
    --smoke) rounds=1; duration=3s; warmup=1s; redis_requests=20000; server_heap=default; shift ;;
    *) echo "compare.sh: unknown option $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done

check_server_heap "$server_heap"
server_java_opts="$(server_java_opts_for "$server_heap" "$server_jvm_flags")"

check_built_jars
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
  echo "installing redis-server (Debian package) for the baseline"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q redis-server
fi

scratch="$(mktemp -d -t checkout-compare-XXXXXX)"
redis_pid=""
stop_redis() {
  if [ -n "$redis_pid" ] && kill -0 "$redis_pid" 2>/dev/null; then
    kill -TERM "$redis_pid"
    wait "$redis_pid" 2>/dev/null || true
  fi
  redis_pid=""
}
trap 'stop_scratch_server; stop_redis; rm -rf "$scratch"' EXIT

free_port() {
  # Port 0 means "no TCP" to Redis, so ask the kernel for a free port (python3), else pick one at random.
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}

# Same checks and decrement as a reserve: stock, per-user limit, then take the units. The order id
# counter stands in for the order record. Keys: stock, held-per-user hash, order counter.
# Args: user, quantity, limit. Returns the order id, 0 sold out, -1 limit reached.
lua='local q = tonumber(ARGV[2])
local stock = tonumber(redis.call("GET", KEYS[1]) or "0")
if stock < q then return 0 end
local held = tonumber(redis.call("HGET", KEYS[2], ARGV[1]) or "0")
if held + q > tonumber(ARGV[3]) then return -1 end
redis.call("HINCRBY", KEYS[2], ARGV[1], q)
redis.call("DECRBY", KEYS[1], q)
return redis.call("INCR", KEYS[3])'

redis_rate() {
  # redis-benchmark --csv prints "test","rps",...; the rate is the second field.
  redis-benchmark -h 127.0.0.1 -p "$redis_port" -c "$concurrency" -n "$redis_requests" -r 100000000 -P "$1" --csv \
    EVALSHA "$sha" 3 stock:1 held:1 orders:1 __rand_int__ 1 1 | tail -1 | cut -d, -f2 | tr -d '"'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "compare.sh: $rounds round(s), $duration per loadgen run ($warmup warm-up), concurrency $concurrency, one channel;"
echo "  ReserveStream also with $stream_in_flight in flight; ReserveBatchStream in batches of $pipeline, $stream_in_flight in flight."
echo "  Redis: $redis_requests EVALSHA per run, $concurrency clients, pipelined run -P $pipeline."
echo "  Server journal on, journal-durability=$durability: every command journalled before its answer;"
echo "  server heap ${server_heap}, server JAVA_OPTS: ${server_java_opts:-none}. $(nproc) cores."
empties=(); unaries=(); autos=(); streams=(); wides=(); batches=(); redis_plain=(); redis_piped=()
for round in $(seq 1 "$rounds"); do
  # Sized for the widest run: 150,000/s for the whole run is ~4M orders (each a buyer and a request id).
  JAVA_OPTS="$server_java_opts" start_scratch_server "$scratch/server-$round" --set order-capacity=8000000 --set user-counter-capacity=8000000 \
    --set idempotency-capacity=16000000 --set journal-durability="$durability"
  run_loadgen "empty-$round" "$concurrency" --scenario empty-call
  # Every reserve takes the success path (SUCCESS_PATH_SALE, lib.sh); the audit reads every order back.
  run_loadgen "unary-$round" "$concurrency" "${SUCCESS_PATH_SALE[@]}" --api unary
  # The same plain calls from $concurrency callers, carried by the SDK's auto-batching in batch messages.
  run_loadgen "auto-$round" "$concurrency" "${SUCCESS_PATH_SALE[@]}" --api unary-batched --batch-size "$concurrency"
  run_loadgen "stream-$round" "$concurrency" "${SUCCESS_PATH_SALE[@]}" --api stream
  # A wider window lets each journal batch (and its fsync) cover more commands.
  run_loadgen "wide-$round" "$stream_in_flight" "${SUCCESS_PATH_SALE[@]}" --api stream
  stop_scratch_server

  # Many reserves per message: the same window, sent as batches the way redis-benchmark pipelines.
  # A server of its own, since the runs above already fill a good part of its order table, warmed
  # first by an unrecorded run of the same load (the runs above warm theirs for each other).
  JAVA_OPTS="$server_java_opts" start_scratch_server "$scratch/batch-server-$round" --set order-capacity=8000000 \
    --set user-counter-capacity=8000000 --set idempotency-capacity=16000000 --set journal-durability="$durability"
  run_loadgen "batch-warm-$round" "$stream_in_flight" "${SUCCESS_PATH_SALE[@]}" --api stream-batch --batch-size "$pipeline" \
    --duration "$warmup" --warmup 0s
  run_loadgen "batch-$round" "$stream_in_flight" "${SUCCESS_PATH_SALE[@]}" --api stream-batch --batch-size "$pipeline"
  stop_scratch_server

  redis_port="$(free_port)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$scratch" >"$scratch/redis-$round.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$redis_port" set stock:1 1000000000 >/dev/null
  sha="$(redis-cli -p "$redis_port" script load "$lua")"
  rp="$(redis_rate 1)"
  rpp="$(redis_rate "$pipeline")"
  # The same invariant the audit checks on our side: stock taken == units held.
  taken=$((1000000000 - $(redis-cli -p "$redis_port" get stock:1)))
  held="$(redis-cli -p "$redis_port" eval 'local t = 0 for _, v in ipairs(redis.call("HVALS", KEYS[1])) do t = t + tonumber(v) end return t' 1 held:1)"
  if [ "$taken" != "$held" ]; then
    echo "compare.sh: Redis baseline inconsistent: $taken units taken, $held held" >&2
    exit 1
  fi
  stop_redis

  e="$(json_number "$scratch/empty-$round.json" operationsPerSecond)"
  u="$(json_number "$scratch/unary-$round.json" reservesPerSecond)"
  a="$(json_number "$scratch/auto-$round.json" reservesPerSecond)"
  s="$(json_number "$scratch/stream-$round.json" reservesPerSecond)"
  w="$(json_number "$scratch/wide-$round.json" reservesPerSecond)"
  b="$(json_number "$scratch/batch-$round.json" reservesPerSecond)"
  empties+=("$e"); unaries+=("$u"); autos+=("$a"); streams+=("$s"); wides+=("$w"); batches+=("$b"); redis_plain+=("$rp"); redis_piped+=("$rpp")
  printf 'round %d: empty call %.0f/s, Reserve unary %.0f/s, ReserveStream %.0f/s, ReserveStream %s in flight %.0f/s, ReserveBatchStream (batch %s, %s in flight) %.0f/s, Redis+Lua %.0f/s, pipelined %.0f/s\n' \
    "$round" "$e" "$u" "$s" "$stream_in_flight" "$w" "$pipeline" "$stream_in_flight" "$b" "$rp" "$rpp"
  printf '  unary/empty %s, stream/unary %s, stream/Redis %s, stream/Redis pipelined %s, unary/Redis %s; %s in flight: stream/unary %s, stream/Redis pipelined %s\n' \
    "$(ratio "$u" "$e")" "$(ratio "$s" "$u")" "$(ratio "$s" "$rp")" "$(ratio "$s" "$rpp")" "$(ratio "$u" "$rp")" \
    "$stream_in_flight" "$(ratio "$w" "$u")" "$(ratio "$w" "$rpp")"
  printf '  ReserveBatchStream: batch/unary %s, batch/stream %s in flight %s, batch/Redis pipelined %s\n' \
    "$(ratio "$b" "$u")" "$stream_in_flight" "$(ratio "$b" "$w")" "$(ratio "$b" "$rpp")"
  printf '  SDK reserve() auto-batched, %s callers: %.0f/s, %s x unary, %s x Redis + Lua unpipelined\n' \
    "$concurrency" "$a" "$(ratio "$a" "$u")" "$(ratio "$a" "$rp")"
done

me="$(median "${empties[@]}")"; mu="$(median "${unaries[@]}")"; ms="$(median "${streams[@]}")"; mw="$(median "${wides[@]}")"
mb="$(median "${batches[@]}")"; ma="$(median "${autos[@]}")"; mr="$(median "${redis_plain[@]}")"; mp="$(median "${redis_piped[@]}")"
echo
echo "medians over $rounds round(s) (rates per second; ratios of the medians):"
printf '  empty call (health Check) %10.0f\n  Reserve unary            %10.0f   %s of the empty call (target >= 0.80)\n' "$me" "$mu" "$(ratio "$mu" "$me")"
printf '  SDK reserve(), auto-batched, %s callers %6.0f   %s x unary, %s x Redis + Lua unpipelined -c %s (target >= 2)\n' \
  "$concurrency" "$ma" "$(ratio "$ma" "$mu")" "$(ratio "$ma" "$mr")" "$concurrency"
printf '  ReserveStream            %10.0f   %s x unary (target >= 3)\n' "$ms" "$(ratio "$ms" "$mu")"
printf '  ReserveStream, %-4s in flight %6.0f   %s x unary, %s x Redis + Lua -P %s\n' "$stream_in_flight" "$mw" "$(ratio "$mw" "$mu")" \
  "$(ratio "$mw" "$mp")" "$pipeline"
printf '  ReserveBatchStream, %s x %s   %6.0f   %s x unary, %s x ReserveStream %s in flight, %s x Redis + Lua -P %s (target > 1)\n' \
  "$stream_in_flight" "$pipeline" "$mb" "$(ratio "$mb" "$mu")" "$(ratio "$mb" "$mw")" "$stream_in_flight" "$(ratio "$mb" "$mp")" "$pipeline"
printf '  Redis + Lua              %10.0f   ReserveStream is %s x, unary %s x\n' "$mr" "$(ratio "$ms" "$mr")" "$(ratio "$mu" "$mr")"
printf '  Redis + Lua, -P %-3s      %10.0f   ReserveStream is %s x (target > 1)\n' "$pipeline" "$mp" "$(ratio "$ms" "$mp")"
