#!/usr/bin/env bash
# Restart at scale: how soon a `truce serve` on a full data directory
# serves, how long its background check of every projection row's seal
# takes, then its check of every row against the ledger folded again, and (REFOLD=1) what a re-fold of the whole ledger costs, the repair
# after an alarm and what a start without seals would cost every time.
#   scripts/bench-restart.sh DIR        # DIR filled by scripts/bench-ingest.sh (KEEP=DIR COUNT=…)
# The peer, measured in the same run: reading the database file once (the
# machine's I/O), and one ed25519 verification (what a re-fold does per
# statement).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/truce}
ADDR=${ADDR:-127.0.0.1:18081}
data=${1:?usage: scripts/bench-restart.sh DIR}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/truce
token=$(cat "$data/bench.token")
log=$(mktemp)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
size=$(du -h "$data/truce.db" | cut -f1)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
t=$(now); cat "$data/truce.db" > /dev/null; echo "peer: read the database file ($size) once: $(since "$t") s"
echo "peer: $(go test -run '^$' -bench 'BenchmarkVerify$' -benchtime 2000x ./ledger/ 2>/dev/null | awk '/BenchmarkVerify/{print $3, $4}') per ed25519 verification"
t=$(now)
"$BIN" serve --data "$data" --addr "$ADDR" --rate-limit 0 >"$log" 2>&1 &
pid=$!
until curl -sf "http://$ADDR/healthz" >/dev/null; do sleep 0.05; done
echo "serving (/healthz 200): $(since "$t") s"
until curl -sf -H "Authorization: Bearer $token" "http://$ADDR/v1/incidents?limit=100" >/dev/null; do sleep 0.05; done
echo "first page of incidents: $(since "$t") s"
until grep -q "every projection row's seal checked" "$log"; do sleep 0.5; done
grep -o "every projection row's seal checked.*" "$log"
echo "peak RSS after the sweep: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
until grep -q "ledger folded again\|projections against the ledger" "$log"; do sleep 1; done
grep -o "every projection row checked against.*\|projections against the ledger.*" "$log"
echo "peak RSS after the fold check: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
kill $pid; wait $pid 2>/dev/null || true
if [ "${REFOLD:-0}" = 1 ]; then
  t=$(now); "$BIN" refold --data "$data" >/dev/null 2>&1; echo "truce refold (every signature checked, every row folded and sealed again): $(since "$t") s"
fi
