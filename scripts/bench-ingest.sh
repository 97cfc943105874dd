#!/usr/bin/env bash
# Load test: a real `truce serve` on a fresh data directory, and the load
# generator posting client-signed incident reports to it. Prints the
# generator's figures and the server's peak RSS.
#   DURATION=60s CONCURRENCY=128 RATE=0 PRESIGN=0 BATCH=1 scripts/bench-ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/truce}
DURATION=${DURATION:-60s}
CONCURRENCY=${CONCURRENCY:-128}
RATE=${RATE:-0}
PRESIGN=${PRESIGN:-0}
BATCH=${BATCH:-1}
ADDR=${ADDR:-127.0.0.1:18080}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/truce
data=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
"$BIN" party add --data "$data" --id ua --name Ukraine --kind belligerent >/dev/null
token=$("$BIN" member add --data "$data" --party ua --name "Load generator" --roles representative \
  --key-out "$data/bench.key" --json | sed -n 's/.*"token": "\(truce_[^"]*\)".*/\1/p')
"$BIN" serve --data "$data/" --addr "$ADDR" ${DEBUG_ADDR:+--debug-addr "$DEBUG_ADDR"} >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "run: duration=$DURATION concurrency=$CONCURRENCY rate=$RATE presign=$PRESIGN batch=$BATCH"
"$BIN" bench ingest --server "http://$ADDR" --token "$token" --key "$data/bench.key" \
  --duration "$DURATION" --concurrency "$CONCURRENCY" --rate "$RATE" --presign "$PRESIGN" --batch "$BATCH" ${JSON:+--json}
echo "server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
echo "ledger: $(curl -s http://$ADDR/healthz)"
