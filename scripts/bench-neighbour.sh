#!/usr/bin/env bash
# Measures how msgread shares the app's quota (issue 22), against the bundled
# mock and a standalone one, on loopback only:
#
#  1. production: production traffic at 100 calls/s (Poisson) under a ceiling
#     of 200 of each limiter kind, msgread load at 200/s for DURATION, safe
#     and greedy: what msgread took of what production left (200/s less
#     production's actual calls) and production's refused share;
#  2. steps: production at 60/s for 30 s and 140/s for 30 s, repeating, under
#     the safe default, STEPS_DURATION: production's refused share;
#  3. neighbours: two (then three) greedy runs on one standalone mock of 200/s,
#     each started 10 s after the one before: each run's share of the calls
#     from 20 s after the last started (55 s), the share of the ceiling they
#     took together and each run's share of calls answered "slow down" then.
#
# Each figure is the median of RUNS runs; PAR runs go at once (the mock's
# and msgread's CPU at 200/s is small). PARTS picks parts (default all), KINDS
# the limiter kinds of part 1.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
PAR=${PAR:-3}
DURATION=${DURATION:-90}
STEPS_DURATION=${STEPS_DURATION:-180}
PARTS=${PARTS:-"production steps neighbours"}
KINDS=${KINDS:-"fixed-window sliding-window token-bucket"}
PORT=${PORT:-18410}
export MSGREAD_SECRET_KEY=${MSGREAD_SECRET_KEY:-msgread-development-key-not-a-secret}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/msgread" ./cmd/msgread
m=$dir/msgread
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# production KIND SHARE RATE SECONDS: one load per seed 1..RUNS, PAR at once;
# prints the medians of took and production's refused share.
production() {
  local kind=$1 share=$2 rate=$3 secs=$4 i
  printf '{"name":"neighbour-%s","ceiling":200,"ceiling_kind":"%s","production":{"rate":"%s","arrivals":"poisson"}}\n' \
    "$kind" "$kind" "$rate" >"$dir/$kind.json"
  for i in $(seq "$RUNS"); do
    "$m" load --scenario "$dir/$kind.json" --seed "$i" --rate 200 --duration "${secs}s" --share "$share" \
      --progress none --report "$dir/$kind.$share.$rate.$i.csv" --summary-json "$dir/$kind.$share.$rate.$i.json" \
      >"$dir/$kind.$share.$i.log" 2>&1 &
    if (( i % PAR == 0 )); then wait; fi
  done
  wait
  for i in $(seq "$RUNS"); do
    f=$dir/$kind.$share.$rate.$i.json
    json "$f" "d['calls']['by_code'].get('0',0) / (200*$secs - d['quota']['production_calls'])" >>"$dir/took.$kind.$share.$rate"
    json "$f" "d['quota']['production_refused_share'] if d['quota'].get('production_refused_share') else 0" >>"$dir/prod.$kind.$share.$rate"
    json "$f" "d['calls']['by_code'].get('60007',0) / d['calls']['attempts']" >>"$dir/thr.$kind.$share.$rate"
  done
  printf '%-14s %-6s production %-15s took %.3f of what production left, production refused %.3f %%, own throttled %.2f %% (medians of %d: took %s; production refused %s)\n' \
    "$kind" "$share" "$rate/s" "$(median <"$dir/took.$kind.$share.$rate")" \
    "$(echo "$(median <"$dir/prod.$kind.$share.$rate")*100" | bc -l)" \
    "$(echo "$(median <"$dir/thr.$kind.$share.$rate")*100" | bc -l)" "$RUNS" "$(tr '\n' ' ' <"$dir/took.$kind.$share.$rate")" \
    "$(tr '\n' ' ' <"$dir/prod.$kind.$share.$rate")"
}

# neighbours N: N greedy runs 10 s apart on one standalone mock.
neighbours() {
  local n=$1 r i
  for r in $(seq "$RUNS"); do
    "$m" mock --addr "127.0.0.1:$PORT" --scenario clean >"$dir/mock.log" 2>&1 &
    local mock=$!
    for _ in $(seq 50); do curl -s "http://127.0.0.1:$PORT/mock/stats" >/dev/null 2>&1 && break; sleep 0.1; done
    local total=$(( (n - 1) * 10 + 20 + 60 ))
    for i in $(seq 0 $((n - 1))); do
      "$m" load --endpoint "http://127.0.0.1:$PORT" --sdkappid 1400000000 --admin administrator --rate 200 --duration "$(( total - i * 10 ))s" --share greedy \
        --progress none --report "$dir/n$n.$r.$i.csv" --summary-json "$dir/n$n.$r.$i.json" >"$dir/n$n.$r.$i.log" 2>&1 &
      [ "$i" -lt $((n - 1)) ] && sleep 10
    done
    wait $(jobs -p | grep -v "^$mock$") 2>/dev/null || true
    kill "$mock"; wait "$mock" 2>/dev/null || true
    python3 - "$dir" "$n" "$r" <<'PY' >>"$dir/neighbours.$n"
import csv, datetime, json, sys
d, n, r = sys.argv[1], int(sys.argv[2]), sys.argv[3]
starts = [datetime.datetime.fromisoformat(json.load(open(f"{d}/n{n}.{r}.{i}.json"))["started_at"].replace("Z", "+00:00")) for i in range(n)]
t0 = starts[-1] + datetime.timedelta(seconds=20)
t1 = t0 + datetime.timedelta(seconds=55)
ok = []
for i in range(n):
    c = 0
    for row in csv.DictReader(open(f"{d}/n{n}.{r}.{i}.csv")):
        at = datetime.datetime.fromisoformat(row["finished_at"].replace("Z", "+00:00"))
        if row["status"] == "ok" and t0 <= at < t1:
            c += 1
    ok.append(c)
tot = sum(ok)
# Each run's calls answered "slow down" over the same span, from its timeline.
thr = []
for i in range(n):
    sent = refused = 0
    for row in csv.DictReader(open(f"{d}/n{n}.{r}.{i}.timeline.csv")):
        at = datetime.datetime.fromtimestamp(int(row["unix"]), datetime.timezone.utc)
        if t0 <= at < t1:
            sent += int(row["sent"])
            refused += int(row["throttled"])
    thr.append(refused / max(sent, 1))
print(" ".join(f"{x / tot:.3f}" for x in ok), f"{tot / (200 * 55):.3f}", " ".join(f"{x:.4f}" for x in thr))
PY
    echo "  $n runs, run $r: shares, together, throttled: $(tail -1 "$dir/neighbours.$n")"
  done
}

for part in $PARTS; do
  case $part in
  production)
    for kind in $KINDS; do
      for share in safe greedy; do production "$kind" "$share" 100 "$DURATION"; done
    done ;;
  steps)
    production fixed-window safe "60:30s,140:30s" "$STEPS_DURATION" ;;
  neighbours)
    neighbours 2; neighbours 3 ;;
  esac
done
