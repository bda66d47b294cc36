package mockserver

import (
	"errors"
	"fmt"
	"time"
)

// History is the message history the mock gives each conversation before
// it started, from which get_c2c_unread_msg_num counts: a pair's unread
// count is the number of its messages after its read time, all of them
// when it was never marked. In a scenario:
//
//	"history": {"messages": 5, "days": 365, "until": "2025-01-01T00:00:00Z"}
//
// Each pair has Messages messages, spread (by the seed, the same for the
// same pair) over the Days before Until (default: the mock's start).
// Messages 0 gives every conversation none: every count is 0.
type History struct {
	Messages int     `json:"messages"`
	Days     float64 `json:"days"`
	Until    string  `json:"until,omitempty"`
}

// DefaultHistory is a scenario's history when it sets none.
var DefaultHistory = History{Messages: 5, Days: 365}

// MaxHistoryMessages bounds a pair's messages (each count walks them).
const MaxHistoryMessages = 1000

// Validate checks the history's settings.
func (h History) Validate() error {
	switch {
	case h.Messages < 0 || h.Messages > MaxHistoryMessages:
		return fmt.Errorf("mockserver: history: messages %d is not in [0, %d]", h.Messages, MaxHistoryMessages)
	case h.Messages > 0 && !(h.Days > 0 && h.Days <= 36500):
		return fmt.Errorf("mockserver: history: days %v is not in (0, 36500]", h.Days)
	}
	if h.Until != "" {
		if _, err := time.Parse(time.RFC3339, h.Until); err != nil {
			return errors.New("mockserver: history: until is not an RFC 3339 time, such as 2025-01-01T00:00:00Z")
		}
	}
	return nil
}

// history is a History resolved: its messages end at until (Unix seconds).
type history struct {
	messages int
	span     int64 // seconds
	until    int64
	seed     uint64
}

func newHistory(h History, start time.Time, seed uint64) history {
	until := start.Unix()
	if t, err := time.Parse(time.RFC3339, h.Until); err == nil {
		until = t.Unix()
	}
	return history{messages: h.Messages, span: max(int64(h.Days*86400), 1), until: until, seed: seed}
}

// unread counts the messages of the conversation of report with peer
// after readTime; marked false counts them all.
func (h history) unread(report, peer string, readTime int64, marked bool) int {
	if !marked {
		return h.messages
	}
	x := pairHash(h.seed, report, peer)
	n := 0
	for range h.messages {
		x ^= x << 13 // xorshift: the pair's message times, one a step
		x ^= x >> 7
		x ^= x << 17
		if h.until-int64(x%uint64(h.span)) > readTime {
			n++
		}
	}
	return n
}
