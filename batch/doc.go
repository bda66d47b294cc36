// Package batch runs msgread's jobs. A Job (OpenJob, Run) owns a run from
// its outputs to its judged summary: the report files opened, a resume
// checked against the input, the engine run, every row accounted for, the
// stop classified, the quota measured, the thresholds judged and the
// charts written.
//
// The engine, Engine[T], is generic over the call: a Work[T] says how a
// work item is called (the caller), which items finish without a call, and
// which line names an item; pacing, the probe, retries, the breaker and
// outage budget, throttling and the meter know nothing else of the API.
// Runner is the rows' work on it: each row of an input CSV (Input,
// OpenInput) or of synthetic rows (Synthetic) marked read with
// admin_set_msg_read, signed and sent by a Client. Verify is the second:
// a sample of a report's done rows (SampleReport, SampleStream) read back
// with get_c2c_unread_msg_num, ten peers of one account a call, each row
// judged read, unread or in error.
//
// An item's path, one direction:
//
//	Feed ──► workers ──► Sink
//	(items)  a ticket from the dispatcher (the one goroutine that paces,
//	         holds the probe and breaks the circuit), the call, the
//	         retry policy; each attempt reported to the dispatcher
//
// The Meter sees every attempt and every finished item: it alone writes
// the Summary, and the per-second timeline, the progress and the
// Prometheus Collector are its views. Every time the run measures or
// waits comes from one Clock (Config.Clock; the client, the signer and
// the mock take the same type), so the tests run on a fake one.
//
// A failed row is report data, never an error: Run returns an error only
// when the run cannot go on (a fatal answer, the failure-rate limit, an
// unreachable service, an unwritable output, a resume that refuses the
// input, or cancellation), and the Summary is valid in every case.
package batch
