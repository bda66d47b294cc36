package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// readmeExitCodes reads the table under README.md's "## Exit codes"
// heading: one row a code, "| code | meaning |".
func readmeExitCodes(t *testing.T) []exitCodeMeaning {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Exit codes\n")
	if !ok {
		t.Fatal(`README.md has no "## Exit codes" section`)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	var got []exitCodeMeaning
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if !strings.HasPrefix(line, "| ") || len(cells) != 2 {
			continue
		}
		code, err := strconv.Atoi(cells[0])
		if err != nil {
			continue // the heading and the rule under it
		}
		got = append(got, exitCodeMeaning{code, cells[1]})
	}
	return got
}

// TestREADMEExitCodesAreTheCodes: README.md's exit-code table says, word
// for word, what exitCodes (the table the help prints) says.
func TestREADMEExitCodesAreTheCodes(t *testing.T) {
	got := readmeExitCodes(t)
	if len(got) != len(exitCodes) {
		t.Fatalf("README.md lists %d exit codes, exitCodes %d:\nREADME: %v\ncode:   %v", len(got), len(exitCodes), got, exitCodes)
	}
	for i, want := range exitCodes {
		if got[i] != want {
			t.Errorf("exit code row %d:\nREADME.md: | %d | %s |\nexitCodes: | %d | %s |", i, got[i].code, got[i].meaning, want.code, want.meaning)
		}
	}
}

// TestHelpPrintsTheExitCodes: "msgread help" and "msgread help run" print
// every code of exitCodes with its whole meaning.
func TestHelpPrintsTheExitCodes(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"help", "run"}, {"run", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			e, out, _ := testEnv(nil)
			if err := run(context.Background(), args, e); exitCode(err) != exitOK {
				t.Fatal(err)
			}
			_, help, ok := strings.Cut(out.String(), "\nExit codes:\n")
			if !ok {
				t.Fatalf("no exit codes in:\n%s", out)
			}
			flat := strings.Join(strings.Fields(help), " ")
			for _, c := range exitCodes {
				if want := strconv.Itoa(c.code) + " " + c.meaning; !strings.Contains(flat, want) {
					t.Errorf("help lacks %q", want)
				}
			}
		})
	}
}

// TestExitCodesAreEachListedOnce: every code main can exit with is in the
// table once, in increasing order.
func TestExitCodesAreEachListedOnce(t *testing.T) {
	want := []int{exitOK, exitRowsFailed, exitUsage, exitAborted, exitThreshold, exitInterrupted}
	if len(exitCodes) != len(want) {
		t.Fatalf("exitCodes has %d rows, want %d", len(exitCodes), len(want))
	}
	for i, c := range exitCodes {
		if c.code != want[i] || strings.TrimSpace(c.meaning) == "" || strings.Contains(c.meaning, "|") {
			t.Errorf("row %d: %+v", i, c)
		}
	}
}
