package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// The words of "msgread help" and of each command's -h: what the command
// does, in a person's terms. The flags' own lines come from their
// registration; writeHelp lays them out.

// usage writes "msgread help": the commands, the environment twins and
// the exit codes.
func usage(w io.Writer) {
	fmt.Fprint(w, `msgread marks one-to-one conversations read in bulk through Tencent Cloud
Chat's admin_set_msg_read, and ships a mock of that API for rehearsals.

Usage:
  msgread COMMAND [flags] [args]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every flag goes after its command. A flag whose 0 (or -1) turns something off
also takes the word off (--ceiling off, --max-p99 off).
Every flag has an environment twin: --sdkappid is MSGREAD_SDKAPPID; a MSGREAD_
variable that no command reads (a typo) is noted on stderr. The secret key comes
from MSGREAD_SECRET_KEY or --secret-key-file, never from a flag value.
Run "msgread help COMMAND" (or "msgread COMMAND -h") for a command's flags, and
"msgread --version" for the version.

`)
	fmt.Fprint(w, exitCodesHelp())
}

// writeHelp writes a command's help: its usage line, what it does, and
// every flag with its placeholder, default and environment twin.
func writeHelp(w io.Writer, fs *flag.FlagSet, name, argsUsage, about string) {
	fmt.Fprintf(w, "Usage: msgread %s [flags] %s\n\n%s\n\nFlags (each also read from its environment twin):\n", name, argsUsage, strings.TrimSpace(about))
	fs.VisitAll(func(f *flag.Flag) {
		typ, help := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n    \t%s", f.Name, typ, strings.ReplaceAll(help, "\n", "\n    \t"))
		switch f.DefValue {
		case "", "false", "0", "0s", "[]":
		default:
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "\n    \t[%s]\n", envName(f.Name))
	})
}

// runAbout is the help of "msgread run"; its exit codes come from exitCodes.
var runAbout = `
Marks the conversations of INPUT.csv read (INPUT may be - for standard input).
INPUT has a header row with report_account and peer_account (or Report_Account,
Peer_Account) and optionally msg_read_time (MsgReadTime): Unix seconds or RFC 3339;
empty means now. One line is one row. Every row ends in the report (--report)
exactly once, as ok, failed, gave_up or invalid; the rows to try again also go to
--failed, in the input's format. A file is read up to the size it had when the
run opened it: rows appended during the run are not read (a note says the input
grew), and a --resume of the report sends them. A file that ends before that
size (cut or replaced during the run), or that no longer holds what was just
read (rewritten in place), stops the run with an input error: nothing of the new
content is sent. Do not start a run on a file still being written (a last line
without a line end is read as it is then), and do not change the input during a
run.

INPUT may be compressed with gzip or zstd (rows.csv.gz, rows.csv.zst; told by its
first bytes, not its name): it is read decompressed, its lines and line numbers
those of the CSV inside, and a report of the plain file resumes from it. A
compressed file cut short or damaged is refused before the first call, naming the
last line read whole; zstd windows over 8 MiB (zstd --long, --ultra) are refused.

Target: --mock runs the bundled mock in-process (no account needed); otherwise
--region or --endpoint, with --sdkappid, --admin and the secret key from
MSGREAD_SECRET_KEY or --secret-key-file. --sdkappid and --admin must be given
for a real target (or MSGREAD_SDKAPPID and MSGREAD_ADMIN): their defaults are
the mock's, and msgread never acts as the mock's admin of the mock's app
against a real service; without them it refuses (exit 2) before any call. With --mock, --callback-url URL rehearses
the app's callback endpoint (see "msgread help load").

Every call, retries included, is paced by one dispatcher at --rate calls/s.
Transient answers are retried with backoff; a fatal one (wrong key, region or
admin) stops the run at once with exit 3.

A crashed or interrupted run continues with --resume OLD_REPORT: lines ok in it
are not sent again (each is checked against the input first, its pair and its
msg_read_time); everything else is read again. With --report OLD the new rows
are appended to it; a new --report is made holding the old done lines, as
skipped, before the first call: whenever a run dies, its report lists every line
done so far, and the next resume names it. REPORT.sent, beside each report, logs
every line before its first call, so that a resume counts exactly the rows it
sends again. The timeline is written second by second and synced with the
report, so a killed run keeps its seconds; after a resume the HTML report charts
the whole chain, every run's seconds, while its reports hold at most 128 MB
(--html-run-only: this run's alone), and
"msgread report NEWEST.csv" rebuilds the chain's summary, JSON and HTML.

Thresholds for CI (--max-p99, --min-rate, --max-failed, --max-gave-up) are
checked at the end: the run finishes, names each breached one and exits 4.
--baseline OLD.json compares the run with an earlier green run's summary JSON:
a p99, send rate or failed share worse by more than --max-regression (10%) is a
threshold not met too.

A closed terminal sends SIGHUP: run a long migration under nohup, systemd-run
or tmux (see docs/operating.md).

` + exitCodesHelp() + `
Examples:
  msgread run --mock testdata/sample.csv
  msgread run --mock --resume out/report-20260101-120000.csv testdata/sample.csv
  MSGREAD_SECRET_KEY=... msgread run --region singapore --sdkappid 20000001 --admin ops rows.csv`

// loadAbout is the help of "msgread load".
const loadAbout = `
A capacity test: sends synthetic rows (or --input FILE) through the same runner as
"msgread run", against the bundled mock with one of its scenarios (or --endpoint,
with --sdkappid and --admin: the mock's defaults are not assumed for it),
at a rate that may change over the run, and reports how it went.

Rate: --rate 200 (constant), --rate 100,200,300 --step 30s (steps),
--rate 50:300 (a linear ramp over --ramp, by default --duration), or
--stages 100:30s,200:1m,0:10s (k6-style: ramp to each rate over its time).
Length: --duration, or --rows; steps and stages end with their last one
(90 s for the steps above) unless --duration is given; otherwise 60 s.

It measures latency from each call's intended send time as well as from its
actual send (wrk2's correction for coordinated omission: a call that waited for a
free worker counts its wait), and counts the calls sent more than 10 ms late.

Writes: the report (--report), a per-second timeline CSV (--timeline), an HTML
report with charts that opens in a browser with no server (--html), the summary
(stderr, --summary-json), and a projection: how long --project rows would take.

Rehearse your callback endpoint: with --callback-url URL the bundled mock POSTs
C2C.CallbackAfterMsgReport to URL for each mark it makes, as the service does for
every admin_set_msg_read, and Alert.RequestOverLimit for each second an API passes
80% of its ceiling ("does our endpoint hold 200/s for 14 hours?"). They go from a
queue of --callback-queue (10000) through --callback-conns (16) connections, each
cut off after --callback-timeout (2s), never slowing the API; the summary counts
them sent, answered (2xx), failed, dropped (queue full) and not delivered by the
end, with the endpoint's latency. Not with --endpoint: a real service fires its
own.

Thresholds (--max-p99, --min-rate, --max-failed, --max-gave-up): on any breach
the run finishes, names it and exits 4. --baseline OLD.json compares the test
with an earlier green one's summary JSON: its p99 (from the intended send), send
rate and failed share may be at most --max-regression (10%) worse, or it exits 4.
Exits 3 if a fatal answer or the failure-rate limit (--max-failure-rate, as in
run) stops it.

Examples:
  msgread load --scenario flaky --rate 200 --duration 60s
  msgread load --rate 200 --duration 14h --callback-url http://127.0.0.1:9000/im
  msgread load --scenario testdata/scenarios/regress.json --seed 7 --duration 20s \
    --max-p99 1s --min-rate 0.98 --max-failed 0.001 --max-gave-up 0
  msgread load --scenario testdata/scenarios/regress.json --seed 7 --duration 20s \
    --baseline out/last-green.json --max-regression 10% --summary-json out/this.json`

// mockAbout is the help of "msgread mock".
const mockAbout = `
Serves a mock of POST /v4/openim/admin_set_msg_read until interrupted. It checks
the query, the UserSig (with the app's key), the admin, the ceiling and the body
as the real service does, and answers with the documented codes. Read-outs:
  GET  /metrics      Prometheus metrics (calls by code, latency, ceiling rejections)
  GET  /mock/stats   JSON: calls per second, by code, latency percentiles
  GET  /mock/state   CSV of the marks it holds
  POST /mock/reset   forget the marks and zero /mock/stats (/metrics' counters never
                     go down: they count from the start; the answer says so)
  GET  /healthz      liveness

With --callback-url URL (or a scenario's "callback") it also calls the app's
webhooks at URL, as the service does: C2C.CallbackAfterMsgReport for each mark it
makes (none for a mark a scenario's "ignore" fault drops), Alert.RequestOverLimit
for each second an API's calls pass 80% of its ceiling or the ceiling refuses
one. A queue of --callback-queue (10000) callbacks, --callback-conns (16)
connections and --callback-timeout (2s) each keep a slow endpoint from slowing
the API; a callback that finds the queue full is dropped. /mock/stats
("callbacks") and /metrics (msgread_mock_callbacks_*) count them sent, answered,
failed, dropped and pending, with the endpoint's latency. Only URL is called (no
proxy, no redirect); a URL beyond this machine is named at start.

Without MSGREAD_SECRET_KEY or --secret-key-file it uses the development key
named in the README; "msgread usersig" signs with the same key.`

// genAbout is the help of "msgread gen".
const genAbout = `
Writes a synthetic input CSV (report_account,peer_account,msg_read_time): --rows
pairs of two different users drawn from a population of --population, with read
times spread over --from..--to, and --invalid-rate of the rows made invalid on
purpose (an empty account, a space, milliseconds, a bad time, an account over 32
bytes). The same flags and --seed write the same bytes, and "msgread load" sends
the same rows without a file.

Examples:
  msgread gen --rows 1000000 --out rows.csv
  msgread gen --rows 50000 --invalid-rate 0.01 --seed 7 | msgread check -`

// usersigAbout is the help of "msgread usersig".
const usersigAbout = `
Prints a UserSig for the admin, signed with the app's secret key
(MSGREAD_SECRET_KEY or --secret-key-file; without either, the mock's
development key), to call the API or the mock by hand:

  curl -d '{"Report_Account":"alice","Peer_Account":"bob"}' \
    "http://127.0.0.1:8080/v4/openim/admin_set_msg_read?sdkappid=1400000000&identifier=administrator&usersig=$(msgread usersig)&random=1&contenttype=json"`

// versionAbout is the help of "msgread version".
const versionAbout = "Prints msgread's version, Go version and platform."

// verifyAbout is the help of "msgread verify"; its exit codes are its own.
const verifyAbout = `
Reads a sample of REPORT.csv's done rows (ok, or skipped as done before) back
with get_c2c_unread_msg_num, ten peers of one account a call, and says row by
row whether the conversation is read: the proof a run cannot give, for an OK
answer that changed nothing (a mis-parsed field, the wrong app, a service bug)
looks like any other. With a resume chain, verify the newest report: it holds
every line done before it. A report kept compressed (REPORT.csv.gz, .csv.zst)
is read decompressed; its verify report is then REPORT.verify.csv.

The calls go through the same engine as run: --rate (default 200, the API's own
ceiling), retries, the breaker and the outage budget, the one-call probe (a
wrong key costs one call, exit 3), Ctrl-C (exit 130, the verify report kept).
Target flags (--sdkappid and --admin required), the key and the UserSig as for run (there is no --mock: a fresh
mock has marked nothing; run --mock --verify N verifies against the run's own).

Writes the verify report (--out, default REPORT.verify.csv): line,
report_account, peer_account, msg_read_time, unread, verdict (read, unread,
error), error_code, error.

What it proves: the conversation's unread count is 0 now. What it cannot: a row
marked with a past msg_read_time keeps the messages after that time unread, by
design; such rows are counted apart ("unread after a past read time").

Exit codes: 0 every sampled row read (or nothing to verify); 1 any unread or in
error; 2 a flag, the report or the verify report's file; 3 a fatal answer or
the outage budget; 130 interrupted.

Examples:
  MSGREAD_SECRET_KEY=... msgread verify --region singapore --sdkappid 20000001 --admin ops out/report.csv
  msgread verify --endpoint http://127.0.0.1:8080 --sdkappid 1400000000 --admin administrator --sample all out/report.csv`
