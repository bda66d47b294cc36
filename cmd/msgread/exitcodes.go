package main

import (
	"fmt"
	"strings"
)

// Exit codes. exitCodes says what each means; README.md's table is tested
// equal to it.
const (
	exitOK          = 0
	exitRowsFailed  = 1
	exitUsage       = 2
	exitAborted     = 3
	exitThreshold   = 4
	exitInterrupted = 130
)

// exitCodeMeaning is one exit status and what it means, in words for people.
type exitCodeMeaning struct {
	code    int
	meaning string
}

// exitCodes is the one table of msgread's exit codes: "msgread help" and
// "msgread help run" print it, and TestREADMEExitCodesAreTheCodes holds
// README.md's "Exit codes" table to it, word for word.
var exitCodes = []exitCodeMeaning{
	{exitOK, "every row ok"},
	{exitRowsFailed, "the run (or check) finished, but some rows failed, gave up or were invalid"},
	{exitUsage, "usage, configuration, input-file or output-file error (a file that exists, a report in use or damaged); nothing was sent"},
	{exitAborted, "stopped: a fatal API error (bad key, wrong region…), the failure-rate limit, an unreachable service or an outage past its budget, a resume given another input, an input that went bad after the first call (a line with no end within 64 MiB), a report or summary that cannot be written (a full disk), or a row not accounted for (a bug)"},
	{exitThreshold, "finished, but a threshold (--max-p99, --min-rate, --max-failed, --max-gave-up) was not met"},
	{exitInterrupted, "interrupted (SIGINT, SIGTERM or SIGHUP) after draining calls in flight (a second interrupt cuts them off) and flushing the report"},
}

// exitCodesHelp renders exitCodes for the help text: a heading, then each
// code and its meaning wrapped under 80 columns.
func exitCodesHelp() string {
	const indent = "       "
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, c := range exitCodes {
		line := fmt.Sprintf("  %-4d", c.code)
		for _, word := range strings.Fields(c.meaning) {
			if len(line) > len(indent) && len(line)+1+len(word) > 79 {
				b.WriteString(line + "\n")
				line = indent + word
				continue
			}
			line += " " + word
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
