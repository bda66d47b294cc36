#!/usr/bin/env bash
# Renders three HTML reports in headless Chromium (Debian's chromium
# package): a load test, a stepped load test and a run of the sample
# against a standalone mock of seed 7. Fails on any console error, checks
# that the headline comes first (naming the mock's scenario and seed, a
# projection for load tests only) and that the charts were drawn, and
# leaves screenshots in out/htmlcheck-*.png to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || { echo "htmlcheck: needs chromium (apt-get install chromium)"; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/msgread" ./cmd/msgread
"$dir/msgread" load --scenario flaky --seed 3 --duration 5s --progress none \
  --report "$dir/load.csv" --html "$dir/load.html" 2>"$dir/load.log" || { cat "$dir/load.log"; exit 1; }
"$dir/msgread" load --scenario flaky --seed 3 --rate 100,200 --step 2s --progress none \
  --report "$dir/steps.csv" --html "$dir/steps.html" 2>"$dir/steps.log" || { cat "$dir/steps.log"; exit 1; }
# The run calls a standalone mock of seed 7 (its page must say so, not the
# run's own --seed default); it exits 1 on the sample's six invalid rows,
# as make demo explains.
"$dir/msgread" mock --addr 127.0.0.1:0 --scenario flaky --seed 7 >"$dir/mock.log" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do grep -q ' at http://' "$dir/mock.log" && break; sleep 0.1; done
endpoint=$(grep -o 'at http://[0-9.:]*' "$dir/mock.log" | head -1 | cut -c4-)
[ -n "$endpoint" ] || { echo "htmlcheck: the mock did not start:"; cat "$dir/mock.log"; exit 1; }
MSGREAD_SECRET_KEY=msgread-development-key-not-a-secret "$dir/msgread" run --endpoint "$endpoint" --sdkappid 1400000000 --admin administrator \
  --rate 1000 --progress none --report "$dir/run.csv" testdata/sample.csv 2>"$dir/run.log" || [ $? -eq 1 ] || { cat "$dir/run.log"; exit 1; }
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --user-data-dir="$dir/profile" --hide-scrollbars)
mkdir -p out
for page in load steps run; do
  # Console messages reach stderr with --enable-logging=stderr as ":CONSOLE:"
  # lines (every level logged as INFO). The report has no script, so any
  # console message at all is a failure.
  "$CHROMIUM" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$dir/$page.html" >"$dir/dom.html" 2>"$dir/console.log"
  if grep -q ':CONSOLE' "$dir/console.log"; then
    echo "htmlcheck $page: console messages:"; grep ':CONSOLE' "$dir/console.log"; exit 1
  fi
  # The headline is the first thing under the title, names the target
  # with its scenario and seed, and has a projection for a load test only.
  flat=$(tr -d '\n' <"$dir/dom.html")
  if ! grep -q '<body><h1>[^<]*</h1><table id="headline">' <<<"$flat"; then
    echo "htmlcheck $page: the headline is not the first thing under the title"; exit 1
  fi
  headline=$(grep -o '<table id="headline">.*</table>' <<<"$flat" | sed 's|</table>.*||')
  for label in against rows rate latency time throttled; do
    grep -q "<th>$label</th>" <<<"$headline" || { echo "htmlcheck $page: no \"$label\" in the headline"; exit 1; }
  done
  want_seed=3; [ "$page" = run ] && want_seed=7
  grep -q "scenario flaky, seed $want_seed<" <<<"$headline" || { echo "htmlcheck $page: the headline does not name scenario flaky, seed $want_seed"; exit 1; }
  if [ "$page" = run ] && grep -q 'projection' <<<"$flat"; then
    echo "htmlcheck run: a run has no projection, but the page shows one"; exit 1
  fi
  if [ "$page" != run ] && ! grep -q '<th>projection</th><td>10000000 rows would take' <<<"$headline"; then
    echo "htmlcheck $page: no projection in the headline"; exit 1
  fi
  charts=$(grep -o '<svg class="chart"' "$dir/dom.html" | wc -l)
  lines=$(grep -o '<polyline' "$dir/dom.html" | wc -l)
  if [ "$charts" -ne 5 ] || [ "$lines" -lt 8 ]; then
    echo "htmlcheck $page: charts not drawn: $charts charts, $lines lines"; exit 1
  fi
  if [ "$page" = steps ] && { ! grep -q '<h2>Per step</h2>' "$dir/dom.html" || ! grep -q 'class="bound"' "$dir/dom.html"; }; then
    echo "htmlcheck steps: no per-step table or step marks"; exit 1
  fi
  if [ "$page" != run ] && { ! grep -q '<rect x="160"' "$dir/dom.html" || ! grep -q '<th>meaning</th>' "$dir/dom.html"; }; then
    echo "htmlcheck $page: no error bars or code legend for the flaky scenario"; exit 1
  fi
  hovers=$(grep -o '<g class="hover"' "$dir/dom.html" | wc -l)
  if [ "$hovers" -ne 4 ] || ! grep -q '>99.9%</text>' "$dir/dom.html"; then
    echo "htmlcheck $page: $hovers charts with hover values (want 4), or no latency distribution"; exit 1
  fi
  "$CHROMIUM" "${flags[@]}" --window-size=1000,2900 --screenshot="$PWD/out/htmlcheck-$page.png" "file://$dir/$page.html" 2>/dev/null
  [ -s "out/htmlcheck-$page.png" ] || { echo "htmlcheck $page: no screenshot"; exit 1; }
  echo "htmlcheck $page: ok: headline first ($(grep -o '<th>' <<<"$headline" | wc -l) lines), $charts charts, $lines lines, $hovers with hover values, no console errors; screenshot out/htmlcheck-$page.png"
done
