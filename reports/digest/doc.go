// Package digest presents how a run went, for people and for CI: the
// Summary and its text, the summary JSON's contract (Document, the Stop
// codes), the thresholds' verdicts, the share of the service's quota the
// run took, the per-second timeline and the HTML report (the page, its
// charts and the projection). It reads the report's on-disk types from
// package reports and writes nothing but what it is given.
package digest
