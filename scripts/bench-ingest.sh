#!/usr/bin/env bash
# Load test: a real `truce serve` on a fresh data directory, and the load
# generator posting client-signed incident reports to it. Prints the
# generator's figures and the server's peak RSS.
#   DURATION=60s CONCURRENCY=128 RATE=0 PRESIGN=0 BATCH=1 scripts/bench-ingest.sh
# With AGREEMENT=FILE (for example docs/examples/agreement.json, in force
# since March 2026), an agreement between ua and ru is drafted and signed
# first, so that the centre evaluates every report as it arrives. Several
# files, separated by commas, are several instruments in force together:
# every report is judged against each of them.
# With SPREAD=8760h the reports' observed times fall over a year before now
# (one hour by default), as the daily report at scale needs.
# With COUNT=N the run stops after N reports; with KEEP=DIR the data
# directory is DIR and stays, with the member's token in DIR/bench.token.
# Filling a directory for the benchmarks at a million incidents:
#   KEEP=/var/tmp/truce-1m COUNT=1000000 BATCH=500 CONCURRENCY=8 scripts/bench-ingest.sh
# and for the daily report, a year of them judged against an agreement:
#   KEEP=/var/tmp/truce-1m-year COUNT=1000000 BATCH=500 CONCURRENCY=8 SPREAD=8760h \
#     AGREEMENT=docs/examples/agreement.json scripts/bench-ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/truce}
DURATION=${DURATION:-60s}
CONCURRENCY=${CONCURRENCY:-128}
RATE=${RATE:-0}
PRESIGN=${PRESIGN:-0}
BATCH=${BATCH:-1}
COUNT=${COUNT:-0}
ADDR=${ADDR:-127.0.0.1:18080}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/truce
if [ -n "${KEEP:-}" ]; then
  [ ! -e "$KEEP" ] || { echo "KEEP=$KEEP exists: give a new directory" >&2; exit 1; }
  mkdir -p "$KEEP"
  data=$KEEP
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
else
  data=$(mktemp -d)
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
fi
"$BIN" party add --data "$data" --id ua --name Ukraine --kind belligerent >/dev/null
token=$("$BIN" member add --data "$data" --party ua --name "Load generator" --roles representative \
  --key-out "$data/bench.key" --json | sed -n 's/.*"token": "\(truce_[^"]*\)".*/\1/p')
echo "$token" > "$data/bench.token"
tok() { sed -n 's/.*"token": "\(truce_[^"]*\)".*/\1/p'; }
if [ -n "${AGREEMENT:-}" ]; then
  "$BIN" party add --data "$data" --id ru --name Russia --kind belligerent >/dev/null
  "$BIN" party add --data "$data" --id us --name "United States" --kind mediator >/dev/null
  ru=$("$BIN" member add --data "$data" --party ru --name "RU rep" --roles representative --json | tok)
  us=$("$BIN" member add --data "$data" --party us --name "Mediator" --roles representative --json | tok)
fi
# One token posting as fast as the server answers is what the per-token rate
# limit is there to stop: it is off for this run.
"$BIN" serve --data "$data/" --addr "$ADDR" --rate-limit 0 ${DEBUG_ADDR:+--debug-addr "$DEBUG_ADDR"} >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.1; done
if [ -n "${AGREEMENT:-}" ]; then
  IFS=, read -r -a files <<< "$AGREEMENT"
  for file in "${files[@]}"; do
    id=$(sed -n 's/^  "id": "\(.*\)",$/\1/p' "$file" | head -1)
    TRUCE_SERVER="http://$ADDR" TRUCE_TOKEN="$us" "$BIN" agreement draft "$file" >/dev/null
    TRUCE_SERVER="http://$ADDR" TRUCE_TOKEN="$token" "$BIN" agreement sign "$id" --key "$data/bench.key" >/dev/null
    TRUCE_SERVER="http://$ADDR" TRUCE_TOKEN="$ru" "$BIN" agreement sign "$id" >/dev/null
    echo "agreement: $id signed; every report is evaluated against it"
  done
  TRUCE_SERVER="http://$ADDR" TRUCE_TOKEN="$us" "$BIN" agreement in-force
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
# A run lasts DURATION, or until COUNT reports are in.
length=(--duration "$DURATION")
[ "$COUNT" = 0 ] || length=(--count "$COUNT")
echo "run: ${length[*]} concurrency=$CONCURRENCY rate=$RATE presign=$PRESIGN batch=$BATCH"
"$BIN" bench ingest --server "http://$ADDR" --token "$token" --key "$data/bench.key" "${length[@]}" \
  --concurrency "$CONCURRENCY" --rate "$RATE" --presign "$PRESIGN" --batch "$BATCH" --spread "${SPREAD:-1h}" ${JSON:+--json}
echo "server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
echo "ledger: $(curl -s http://$ADDR/healthz)"
if [ -n "${AGREEMENT:-}" ]; then
  sleep 5 # let the evaluator finish what the run left
  echo "evaluated: $(curl -s -H "Authorization: Bearer $token" "http://$ADDR/v1/statements?limit=1" >/dev/null; curl -s "http://$ADDR/healthz")"
fi
