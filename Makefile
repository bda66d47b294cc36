# msgread: the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
BIN     ?= bin/msgread
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# STAMP names each run's outputs anew: msgread never overwrites a file.
STAMP   := $(shell date +%Y%m%d-%H%M%S)

.PHONY: demo build test vet lint fmt mock fuzz bench bench-mock bench-quota bench-neighbour bench-vegeta crashtest regress htmlcheck clean

# demo runs the sample input (3000 rows, 6 of them invalid on purpose) against
# the bundled mock at the API's 200 calls/s, writing a report under out/.
# msgread exits 1 because of the invalid rows: that is the expected outcome.
demo:
	$(GO) run ./cmd/msgread run --mock --report out/demo-$(STAMP).csv --summary-json out/demo-$(STAMP).json testdata/sample.csv; \
	  code=$$?; if [ $$code -eq 1 ]; then echo "demo: exit 1 as expected (the sample has 6 invalid rows); see out/"; else exit $$code; fi

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/msgread

# test runs vet, then every test (with the fuzz targets' seed corpora) under the race detector.
test: vet
	$(GO) test -race ./...

# crashtest kills a 20,000-row run on the flaky scenario with SIGKILL 20 times
# at random moments, resuming after each, and checks that every line has
# exactly one final status across the chain and the mock every mark.
# CRASH=short runs the chain of the ordinary suite (5 kills, 4,000 rows).
CRASH ?= full
crashtest:
	MSGREAD_CRASH_FULL=$(filter full,$(CRASH)) $(GO) test -race -count 1 -run '^TestCrashResume$$' -v ./cmd/msgread

# regress is the CI regression run: a fixed-seed scenario for 20 s at the API's
# 200 calls/s (greedy: it measures msgread's own pace on a mock no other traffic
# shares, where safe's 10 s start would count against --min-rate), failing (exit 4) when a threshold is not met; then 500 of its ok
# rows are read back from the bundled mock (exit 1 when any is not read).
regress:
	$(GO) run ./cmd/msgread load --scenario testdata/scenarios/regress.json --seed 7 \
	  --rate 200 --share greedy --duration 20s --progress log --report out/regress-$(STAMP).csv \
	  --max-p99 2s --min-rate 0.97 --max-failed 0.001 --max-gave-up 0 --verify 500

# htmlcheck renders three HTML reports (a load test, a stepped one, a run
# against a standalone mock of seed 7) in headless Chromium (Debian's chromium
# package): the headline first, naming the scenario and seed; no console
# errors; the charts drawn; a screenshot of each.
htmlcheck:
	scripts/htmlcheck.sh

vet:
	$(GO) vet ./...

# lint runs staticcheck, pinned, fetched through the Go module proxy.
lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# mock serves the mock API on 127.0.0.1:8080 with the development key.
mock: build
	$(BIN) mock

# fuzz runs each native fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzMarkRead$$' -fuzztime $(FUZZTIME) ./mockserver
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeResponse$$' -fuzztime $(FUZZTIME) ./batch
	$(GO) test -run '^$$' -fuzz '^FuzzSentSigsRedact$$' -fuzztime $(FUZZTIME) ./batch/chatapi
	$(GO) test -run '^$$' -fuzz '^FuzzInput$$' -fuzztime $(FUZZTIME) ./batch
	$(GO) test -run '^$$' -fuzz '^FuzzLoadResume$$' -fuzztime $(FUZZTIME) ./reports

# bench measures the numbers docs/benchmarks.md quotes: the achieved rate against the
# ceiling over a 20 s run at 200 calls/s, peak memory over 100 k to 3 M rows
# and of a resumed 10 M-row run, and how fast --resume loads a 10 M-line
# report (MSGREAD_BENCH_LINES sets the 10 M).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 -timeout 60m ./batch
	$(GO) test -run '^$$' -bench LoadResume -benchtime 1x -count 3 -timeout 30m ./reports

# bench-quota measures how much of the mock's ceiling a load takes when the
# client does not know it: `throttled` (steady) and `shared` (changing), three
# runs each (about 6 minutes).
bench-quota:
	scripts/bench-quota.sh

# bench-callbacks measures the callback rehearsal: load at 200 calls/s for 20 s
# with no callbacks, then with a loopback endpoint that answers, one that
# stalls, and one that stalls behind a queue of 500 (three rounds, about 6
# minutes; needs jq): the API's p99 and the callbacks' counts.
.PHONY: bench-callbacks
bench-callbacks:
	scripts/bench-callbacks.sh

# bench-neighbour measures how msgread shares the app's quota (issue 22):
# production traffic under each limiter kind, safe and greedy; production in
# steps; two and three runs on one standalone mock (~25 min; see the script).
bench-neighbour:
	scripts/bench-neighbour.sh

# bench-vegeta compares calls per client CPU-second with vegeta v12.13.0
# (installed with go install) against the same mock: 64 workers, no ceiling,
# 15 s each, five runs each, alternating which goes first (about 3 minutes).
bench-vegeta:
	scripts/bench-vegeta.sh

# bench-mock measures the mock with wrk (apt-get install wrk): throughput with
# latency off and UserSigs verified, against a bare net/http server, and peak
# memory after >= 1 M calls over 100 k distinct pairs (DURATION=60s).
bench-mock:
	scripts/bench-mock.sh
	$(GO) test -run '^$$' -bench 'Verify|ServeMarkRead' ./mockserver

clean:
	rm -rf bin out
