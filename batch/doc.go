// Package batch runs a batch of admin_set_msg_read calls: it reads the rows
// of an input CSV (Input) or makes synthetic ones (Synthetic), signs and
// sends each call (Client, Signer) under one rate ceiling, retries what is
// transient and stops on what is fatal (Runner), and hands each finished
// row to an Output, such as a reports.Files.
//
// A row's path, one direction:
//
//	Source ──► feed ──► workers ──► Output
//	(rows)     resume:   a ticket from the dispatcher (the one goroutine
//	           skip or   that paces, holds the probe and breaks the
//	           send      circuit), the call, the retry policy
//
// The Meter sees every attempt and every finished row: the Summary, the
// per-second timeline and the progress are its views. Every time the run
// measures or waits comes from one Clock (Config.Clock), so the tests run
// on a fake one.
//
// A failed row is report data, never an error: Runner.Run returns an error
// only when the run cannot go on (a fatal answer, the failure-rate limit,
// an unreachable service, an unwritable output, a resume that refuses the
// input, or cancellation), and the Summary is valid in every case.
package batch
