#!/usr/bin/env bash
# The callback rehearsal measured: msgread load at 200 calls/s (--share
# greedy: 200/s from the first second) for DURATION (20s) against the
# bundled mock, with no callbacks, then with
# --callback-url pointing at scripts/callbackreceiver on loopback: an
# endpoint that answers, one that stalls (default queue of 10000), and one
# that stalls behind a queue of 500. RUNS (3) rounds; for each run it prints
# the API's p99 (from the send) and the callbacks' counts from the summary
# JSON beside what the endpoint received, then the medians of the p99.
# Needs jq.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v jq >/dev/null || { echo "bench-callbacks needs jq (apt-get install jq)" >&2; exit 2; }
RUNS=${RUNS:-3}
DURATION=${DURATION:-20s}
dir=$(mktemp -d)
rpid=""
trap '[ -n "$rpid" ] && kill "$rpid" 2>/dev/null; rm -rf "$dir"' EXIT
go build -o "$dir/msgread" ./cmd/msgread
go build -o "$dir/receiver" ./scripts/callbackreceiver
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for i in $(seq "$RUNS"); do
  for mode in none answers stalls stalls-queue-500; do
    args=() received=""
    if [ "$mode" != none ]; then
      stall=(); [ "$mode" != answers ] && stall=(-stall)
      recv="$dir/recv.$mode.$i"
      "$dir/receiver" "${stall[@]}" >"$recv" & rpid=$!
      for _ in $(seq 100); do [ -s "$recv" ] && break; sleep 0.1; done
      [ -s "$recv" ] || { echo "the callback receiver did not start within 10 s" >&2; exit 1; }
      args=(--callback-url "$(head -1 "$recv")")
      [ "$mode" = stalls-queue-500 ] && args+=(--callback-queue 500)
    fi
    out="$dir/$mode.$i"
    "$dir/msgread" load --rate 200 --share greedy --duration "$DURATION" --progress none "${args[@]}" \
      --report "$out.csv" --summary-json "$out.json" 2>"$out.log" || { cat "$out.log"; exit 1; }
    if [ -n "$rpid" ]; then
      kill -TERM "$rpid"; wait "$rpid" || true; rpid=""
      received=$(tail -1 "$recv")
    fi
    p99=$(jq '.latency.p99_ms' "$out.json")
    echo "$mode $p99" >>"$dir/results"
    printf '%-16s run %d: ok %s, API p99 %s ms; callbacks %s; %s\n' "$mode" "$i" "$(jq '.rows.ok' "$out.json")" "$p99" \
      "$(jq -c 'if .callbacks then .callbacks | {sent, answered, failed, failed_by, dropped, pending, p99_ms: .latency.p99_ms, alerts: .alerts} else "none" end' "$out.json")" \
      "${received:-no endpoint}"
  done
done
for mode in none answers stalls stalls-queue-500; do
  printf '%-16s median of %d: API p99 %s ms\n' "$mode" "$RUNS" "$(awk -v m="$mode" '$1==m {print $2}' "$dir/results" | median)"
done
