#!/usr/bin/env bash
# Measures the mock with an independent load generator (wrk): throughput on
# loopback with latency off and every UserSig verified (from its cache), then
# the mock's peak memory (VmHWM) once it has served at least 1 M calls over
# 100 000 distinct pairs. Only 127.0.0.1 is touched; the run is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench-mock: needs wrk (apt-get install wrk)"; exit 2; }
PORT=${PORT:-18090}
DURATION=${DURATION:-60s}
CONNS=${CONNS:-64}
go build -o bin/msgread ./cmd/msgread
bin/msgread mock --addr "127.0.0.1:$PORT" --ceiling 0 2>/tmp/msgread-bench-mock.log &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
sig=$(bin/msgread usersig 2>/dev/null)
export MSGREAD_PATH="/v4/openim/admin_set_msg_read?sdkappid=1400000000&identifier=administrator&usersig=$sig&random=1&contenttype=json"
wrk -t2 -c"$CONNS" -d"$DURATION" -s scripts/marks.lua "http://127.0.0.1:$PORT" | tee /tmp/msgread-bench-wrk.txt
stats=$(curl -sf "http://127.0.0.1:$PORT/mock/stats")
requests=$(printf '%s' "$stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["requests"], s["by_code"].get("0",0), s["marks"])')
hwm=$(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")
rss=$(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status")
read -r total ok marks <<<"$requests"
mock_rps=$(awk '/Requests\/sec/ {print $2}' /tmp/msgread-bench-wrk.txt)
kill $pid; wait $pid 2>/dev/null || true

# The same load against a bare net/http server that checks nothing: the
# ceiling that Go's HTTP stack and wrk put on this machine.
go build -o bin/httpbaseline ./scripts/httpbaseline
bin/httpbaseline --addr "127.0.0.1:$((PORT+1))" &
pid=$!
for _ in $(seq 50); do curl -sf -X POST "http://127.0.0.1:$((PORT+1))/" >/dev/null && break; sleep 0.1; done
base_rps=$(wrk -t2 -c"$CONNS" -d"$DURATION" -s scripts/marks.lua "http://127.0.0.1:$((PORT+1))" | awk '/Requests\/sec/ {print $2}')

echo "mock: $total requests ($ok ok), $marks distinct pairs marked; peak RSS (VmHWM) $hwm, RSS at the end $rss"
echo "throughput: mock $mock_rps req/s, bare net/http $base_rps req/s, ratio $(awk -v a="$mock_rps" -v b="$base_rps" 'BEGIN{printf "%.2f", a/b}')"
