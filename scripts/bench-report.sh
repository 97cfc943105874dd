#!/usr/bin/env bash
# The daily report and the hourly digest at scale: a `truce serve` on a
# full data directory, each request timed with curl, three runs each.
#   scripts/bench-report.sh DIR DATE [HOUR]
# DIR is filled by scripts/bench-ingest.sh (KEEP=DIR COUNT=… SPREAD=…), with
# `truce import areas` and `truce import borders` run on it for regions and
# spillover; DATE is the report's day (YYYY-MM-DD), HOUR an hour ending
# (RFC 3339) for the hourly digest. Each request runs four times: the
# first reads pages from disk, the rest mostly from the page cache.
# The peer, measured in the same run: one ed25519 verification.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/truce}
ADDR=${ADDR:-127.0.0.1:18082}
data=${1:?usage: scripts/bench-report.sh DIR DATE [HOUR]}
date=${2:?usage: scripts/bench-report.sh DIR DATE [HOUR]}
hour=${3:-${date}T12:00:00Z}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/truce
token=$(cat "$data/bench.token")
log=$(mktemp)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "peer: $(go test -run '^$' -bench 'BenchmarkVerify$' -benchtime 2000x ./ledger/ 2>/dev/null | awk '/BenchmarkVerify/{print $3, $4}') per ed25519 verification"
"$BIN" serve --data "$data" --addr "$ADDR" --rate-limit 0 >"$log" 2>&1 &
pid=$!
until curl -sf "http://$ADDR/healthz" >/dev/null; do sleep 0.2; done
echo "ledger: $(curl -s "http://$ADDR/healthz")"
# The map index loads in the background after start; the report reads it
# once it holds the whole ledger (until then the incidents' columns).
# The start's sweep of every row's seal competes for the disk: wait for
# both. (The fold check that follows runs for minutes at a million; the
# figures are taken while it runs.)
until grep -q "map index loaded" "$log" && grep -q "every projection row's seal checked" "$log"; do sleep 1; done
grep -o "map index loaded.*" "$log" | head -1
grep -o "every projection row's seal checked.*" "$log" | head -1
time_it() { # label url
  for _ in 1 2 3 4; do
    /usr/bin/time -f "%e" -o /tmp/bench-report-t curl -sf -o /tmp/bench-report-body -H "Authorization: Bearer $token" "http://$ADDR$2"
    printf '%s\t%s s\t%s bytes\n' "$1" "$(cat /tmp/bench-report-t)" "$(stat -c %s /tmp/bench-report-body)"
  done
}
time_it "daily, internal, json" "/v1/reports/daily?date=$date&format=json"
echo "the day's $(tr -d ' \n' < /tmp/bench-report-body | grep -o '"total":{[^}]*}' | head -1)"
time_it "daily, internal, html (uk)" "/v1/reports/daily?date=$date&format=html&lang=uk"
time_it "daily, public, json" "/v1/reports/daily?date=$date&audience=public&format=json"
time_it "hourly digest" "/v1/reports/hourly?at=$hour"
echo "server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
