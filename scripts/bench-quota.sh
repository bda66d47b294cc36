#!/usr/bin/env bash
# Runs msgread load at 200 calls/s against the mock's `throttled` (a steady
# ceiling of 100/s the client does not know) and `shared` (what production
# traffic leaves of the app's quota, changing every 15 s) scenarios, three
# times each, alternating, and prints each run's share of the calls the
# mock had left (from 5 s after each change) and the share of calls
# answered "slow down", with the medians. RUNS and DURATION (default 90s
# for shared; throttled runs 30s, as issue 13 measured it) change it.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
DURATION=${DURATION:-90s}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/msgread" ./cmd/msgread
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for i in $(seq "$RUNS"); do
  for sc in throttled shared; do
    d=$DURATION; [ "$sc" = throttled ] && d=30s
    "$dir/msgread" load --scenario "$sc" --rate 200 --duration "$d" --share greedy --progress none \
      --report "$dir/$sc.$i.csv" --summary-json "$dir/$sc.$i.json" 2>"$dir/$sc.$i.log" || { cat "$dir/$sc.$i.log"; exit 1; }
    # The summary JSON's quota: {"share_of_available": .., "throttled_share": ..}.
    share=$(grep -o '"share_of_available": *[0-9.e-]*' "$dir/$sc.$i.json" | grep -o '[0-9.e-]*$')
    thr=$(grep -o '"throttled_share": *[0-9.e-]*' "$dir/$sc.$i.json" | grep -o '[0-9.e-]*$')
    echo "$sc $share $thr" >>"$dir/results"
    printf '%-9s run %d (%s): %.1f %% of what was left, %.2f %% throttled\n' "$sc" "$i" "$d" "$(echo "$share*100" | bc -l)" "$(echo "$thr*100" | bc -l)"
  done
done
for sc in throttled shared; do
  s=$(awk -v s="$sc" '$1==s {print $2}' "$dir/results" | median)
  t=$(awk -v s="$sc" '$1==s {print $3}' "$dir/results" | median)
  printf '%-9s median of %d: %.1f %% of what was left (goal >= 97 %%), %.2f %% throttled (goal <= 0.5 %%)\n' "$sc" "$RUNS" "$(echo "$s*100" | bc -l)" "$(echo "$t*100" | bc -l)"
done
