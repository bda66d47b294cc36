package main

import (
	"strings"
	"unicode/utf8"
)

// suggest returns the candidate a mistyped name most likely meant ("rnu"
// is run, "rpeort" is report), or "" when none is near enough to be a
// typo: one edit away for a name of up to four letters, two for longer
// ones, a swap of two neighbours counting as one edit. Case is ignored;
// the first of equally near candidates wins. A name longer than
// maxSuggested is no typo of a name of msgread's, and is not compared.
func suggest(name string, candidates []string) string {
	if len(name) > maxSuggested {
		return ""
	}
	name = strings.ToLower(name)
	most := 1
	if utf8.RuneCountInString(name) > 4 {
		most = 2
	}
	best, bestDist := "", most+1
	for _, c := range candidates {
		if d := editDistance(name, strings.ToLower(c)); d < bestDist && d < utf8.RuneCountInString(c) {
			best, bestDist = c, d
		}
	}
	return best
}

// maxSuggested bounds the names suggest compares, in bytes: the longest
// flag is 20 letters, and a pasted megabyte must not cost a square of it.
const maxSuggested = 64

// editDistance is the optimal string alignment distance between a and b:
// the insertions, deletions, substitutions and swaps of two neighbouring
// characters that turn one into the other, each substring edited once.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// didYouMean is ": did you mean X?" for suggest's answer, "" for none.
func didYouMean(prefix, name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return ": did you mean " + prefix + s + "?"
	}
	return ""
}
