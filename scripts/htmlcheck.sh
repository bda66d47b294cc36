#!/usr/bin/env bash
# Renders a load test's HTML report in headless Chromium (Debian's chromium
# package), fails on any console error, checks that the three charts were
# drawn, and leaves a screenshot in out/htmlcheck.png to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || { echo "htmlcheck: needs chromium (apt-get install chromium)"; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go run ./cmd/msgread load --scenario flaky --seed 3 --duration 5s --progress none \
  --report "$dir/load.csv" --html "$dir/load.html" 2>"$dir/load.log" || { cat "$dir/load.log"; exit 1; }
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --user-data-dir="$dir/profile" --hide-scrollbars)
# Console messages reach stderr with --enable-logging=stderr as ":CONSOLE:"
# lines (every level logged as INFO). The report has no script, so any console
# message at all is a failure.
"$CHROMIUM" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$dir/load.html" >"$dir/dom.html" 2>"$dir/console.log"
if grep -q ':CONSOLE' "$dir/console.log"; then
  echo "htmlcheck: console messages:"; grep ':CONSOLE' "$dir/console.log"; exit 1
fi
charts=$(grep -o '<svg class="chart"' "$dir/dom.html" | wc -l)
lines=$(grep -o '<polyline' "$dir/dom.html" | wc -l)
bars=$(grep -o '<rect x="160"' "$dir/dom.html" | wc -l)
if [ "$charts" -ne 3 ] || [ "$lines" -lt 5 ] || [ "$bars" -lt 1 ]; then
  echo "htmlcheck: charts not drawn: $charts charts, $lines lines, $bars error bars"; exit 1
fi
mkdir -p out
"$CHROMIUM" "${flags[@]}" --window-size=1000,1500 --screenshot="$PWD/out/htmlcheck.png" "file://$dir/load.html" 2>/dev/null
[ -s out/htmlcheck.png ] || { echo "htmlcheck: no screenshot"; exit 1; }
echo "htmlcheck: ok: $charts charts, $lines lines, $bars error bars, no console errors; screenshot out/htmlcheck.png"
