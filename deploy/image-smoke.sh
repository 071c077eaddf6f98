#!/usr/bin/env bash
# Checks the image Jib builds, as far as this machine allows (no Docker daemon, no registry):
#   1. builds checkout-server/target/jib-image.tar on an empty ("scratch") base, offline;
#   2. checks its config: non-root user, entrypoint with the jvm.options argfile, ports, volume;
#   3. unpacks the layers into a directory and runs the image's own classpath, main class and
#      jvm.options with this machine's JDK: `serve` must come up and answer /ready and /live.
# What it cannot check: the real base image (a JRE from a registry) and running under a container
# runtime. See deploy/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

offline=()
[ "${CHECKOUT_SMOKE_OFFLINE:-}" = "1" ] && offline=(-o)
mvn -B -q "${offline[@]}" -pl checkout-server -am -Pimage -Dcheckout.image.base=scratch -DskipTests package

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

tar -xf checkout-server/target/jib-image.tar -C "$work"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
manifest = json.load(open(f"{work}/manifest.json"))[0]
config = json.load(open(f"{work}/{manifest['Config']}"))["config"]
def check(what, ok):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        sys.exit(1)
check("tag checkout-server:0.1.0", manifest["RepoTags"] == ["checkout-server:0.1.0"])
check("runs as a non-root user: " + config["User"], not config["User"].split(":")[0] in ("", "0", "root"))
check("entrypoint uses the jvm.options argfile", "@/app/config/jvm.options" in config["Entrypoint"])
check("main class io.checkout.server.Main", config["Entrypoint"][-1] == "io.checkout.server.Main")
check("default command serve", config["Cmd"] == ["serve"])
check("ports 9090 and 9464", set(config["ExposedPorts"]) == {"9090/tcp", "9464/tcp"})
check("data volume /var/lib/checkout", "/var/lib/checkout" in config["Volumes"])
PY

rootfs="$work/rootfs"
mkdir -p "$rootfs"
for layer in $(python3 -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))[0]['Layers']))" "$work/manifest.json"); do
  tar -xzf "$work/$layer" -C "$rootfs" 2>/dev/null
done
cmp "$rootfs/app/config/jvm.options" jvm.options
echo "ok   the image's jvm.options is the repository's"
[ "$(stat -c %a "$rootfs/var/lib/checkout")" = "775" ] || { echo "FAIL /var/lib/checkout mode"; exit 1; }
echo "ok   /var/lib/checkout is group-writable (775)"

# The image's classpath file names /app/...; point it at the unpacked copy.
classpath="$(sed "s#/app/#$rootfs/app/#g" "$rootfs/app/jib-classpath-file")"
main="$(cat "$rootfs/app/jib-main-class-file")"
metrics_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
java @"$rootfs/app/config/jvm.options" -cp "$classpath" "$main" serve --port 0 --data-dir "$work/data" \
  --set host=127.0.0.1 --set metrics-port="$metrics_port" --set order-capacity=1000 \
  --set user-counter-capacity=1000 --set idempotency-capacity=1000 --set sku-capacity=100 > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do
  if curl -fsS "http://127.0.0.1:$metrics_port/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log"; echo "FAIL server from the image's layers exited"; exit 1; fi
  sleep 0.2
done
fail() { echo "FAIL $1"; cat "$work/server.log"; exit 1; }
curl -fsS "http://127.0.0.1:$metrics_port/ready" >/dev/null || fail "/ready"
echo "ok   server from the image's layers is ready"
curl -fsS "http://127.0.0.1:$metrics_port/live" >/dev/null || fail "/live"
echo "ok   /live"
scrape="$(curl -fsS "http://127.0.0.1:$metrics_port/metrics")" || fail "/metrics"
grep -q "^checkout_serving 1" <<<"$scrape" || fail "/metrics does not say serving: $(grep checkout_serving <<<"$scrape")"
echo "ok   /metrics says serving"
echo "image smoke: PASS"
