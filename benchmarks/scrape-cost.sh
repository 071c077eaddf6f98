#!/usr/bin/env bash
# What a Prometheus scrape of /metrics costs the server: a fresh server (defaults, a fresh data
# directory), a short catalog sale against it so that its SKU and gRPC series exist (1,020 series,
# 1,152 lines with their comments, on 2026-12-08), then --scrapes scrapes one after the other to
# warm the scrape's code, then --scrapes more measured: the server's CPU per scrape (utime + stime
# from /proc in clock ticks of 10 ms, so the total over the scrapes divided by them) and the wall
# time per scrape as curl saw it (curl's own start included). The server is idle while scraped: a
# loaded server's scrape costs it more, and a fresh one's much more (its scrape code not compiled).
#
# Usage: benchmarks/scrape-cost.sh [--scrapes 300] [--sale 10s]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bin/scratch-server.sh"
. "$root/benchmarks/lib.sh"

scrapes=300
sale=10s
while [ $# -gt 0 ]; do
  case "$1" in
    --scrapes) scrapes="$2"; shift 2 ;;
    --sale) sale="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "scrape-cost.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
check_built_jars

work="$(mktemp -d /tmp/scrape-cost-XXXXXX)"
cleanup() { stop_scratch_server; rm -rf "$work"; }
trap cleanup EXIT
start_scratch_server "$work/server"
metrics_port="$(grep -m1 -o 'http port [0-9]*' "$work/server/server.log" | awk '{ print $3 }')"
"$root/bin/loadgen" --target "127.0.0.1:$SCRATCH_SERVER_PORT" --admin-token "$SCRATCH_ADMIN_TOKEN" --quiet \
  --setup --scenario catalog --concurrency 64 --duration "$sale" --warmup 2s >"$work/sale.out" 2>&1 \
  || { echo "scrape-cost.sh: the sale failed:" >&2; cat "$work/sale.out" >&2; exit 1; }

server_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SCRATCH_SERVER_PID/stat"; }
scrape_all() { # count: scrapes one after the other; fails if one does
  local i
  for i in $(seq "$1"); do
    curl -sf -o /dev/null "http://127.0.0.1:$metrics_port/metrics"
  done
}

scrape_all "$scrapes"
ticks_before="$(server_cpu_ticks)"
started="$(date +%s%N)"
scrape_all "$scrapes"
ended="$(date +%s%N)"
ticks_after="$(server_cpu_ticks)"
hz="$(getconf CLK_TCK)"
lines="$(curl -sf "http://127.0.0.1:$metrics_port/metrics" | grep -vc '^#')"
echo "$scrapes scrapes of $lines series lines after as many to warm up:" \
  "server CPU $(((ticks_after - ticks_before) * 1000000 / hz / scrapes)) us a scrape," \
  "wall $(((ended - started) / 1000 / scrapes)) us a scrape (curl's start included)"
