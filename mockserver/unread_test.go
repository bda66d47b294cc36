package mockserver_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/fakeclock"
	"github.com/msgread/msgread/mockserver"
)

func unreadCall(t *testing.T, srv *mockserver.Server, sig, body string) chatapi.UnreadResponse {
	t.Helper()
	_, rec := serve(t, srv, "POST", chatapi.PathUnread+"?"+apiQuery(sig), body)
	var res chatapi.UnreadResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatalf("answer %q: %v", rec.Body.String(), err)
	}
	return res
}

// TestUnreadCountsComeFromHistoryAndMarks: a pair never marked has all its
// messages unread; marked with a time after its history, none; marked
// with a time inside it, those after the time; an account not among the
// users is in ErrorList with 70107.
func TestUnreadCountsComeFromHistoryAndMarks(t *testing.T) {
	until := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := newMock(t, mockserver.Config{Users: []string{"alice", "bob", "carol", "dave"}, Scenario: mockserver.Scenario{Ceiling: -1,
		History: &mockserver.History{Messages: 5, Days: 10, Until: until.Format(time.RFC3339)}}})
	sig := devSig(t)
	markRead(t, srv, sig, fmt.Sprintf(`{"Report_Account":"alice","Peer_Account":"bob","MsgReadTime":%d}`, until.Unix()))
	markRead(t, srv, sig, fmt.Sprintf(`{"Report_Account":"alice","Peer_Account":"carol","MsgReadTime":%d}`, until.Add(-5*24*time.Hour).Unix()))
	res := unreadCall(t, srv, sig, `{"To_Account":"alice","Peer_Account":["bob","carol","dave","zed"]}`)
	got := map[string]int{}
	for _, p := range res.Peers {
		got[p.PeerAccount] = p.Unread
	}
	if res.ErrorCode != 0 || got["bob"] != 0 || got["dave"] != 5 || got["carol"] < 0 || got["carol"] > 5 {
		t.Errorf("answer %+v: want bob 0 (read after his history), dave 5 (never marked), carol 0..5", res)
	}
	if len(res.Errors) != 1 || res.Errors[0] != (chatapi.PeerError{PeerAccount: "zed", ErrorCode: 70107}) {
		t.Errorf("errors %+v, want zed 70107", res.Errors)
	}
	// The same pair, the same seed: the same count.
	if again := unreadCall(t, srv, sig, `{"To_Account":"alice","Peer_Account":["carol"]}`); again.Peers[0].Unread != got["carol"] {
		t.Errorf("carol: %d, then %d", got["carol"], again.Peers[0].Unread)
	}
	if st := srv.Stats(); st.Unread.Requests != 2 || st.Unread.ByCode["0"] != 2 || st.Requests != 2 {
		t.Errorf("stats: unread %+v, mark-read requests %d; want 2 unread calls apart from 2 marks", st.Unread, st.Requests)
	}
}

// TestUnreadRefusals: the service's refusals of a bad unread-count body,
// and its own ceiling, apart from mark-read's.
func TestUnreadRefusals(t *testing.T) {
	eleven := `"p0","p1","p2","p3","p4","p5","p6","p7","p8","p9","p10"`
	for _, tc := range []struct {
		name, body string
		code       int
	}{
		{"eleven peers", `{"To_Account":"a","Peer_Account":[` + eleven + `]}`, chatapi.CodeBodyParse},
		{"no To_Account", `{"Peer_Account":["b"]}`, chatapi.CodeUnknownPeer},
		{"not JSON", `{"To_Account":`, chatapi.CodeBodyParse},
		{"peers not a list", `{"To_Account":"a","Peer_Account":"b"}`, chatapi.CodeBodyParse},
		{"null", `null`, chatapi.CodeBodyParse},
		{"a list", `[]`, chatapi.CodeBodyParse},
	} {
		srv := newMock(t, mockserver.Config{})
		if res := unreadCall(t, srv, devSig(t), tc.body); res.ErrorCode != tc.code || res.ActionStatus != chatapi.StatusFail {
			t.Errorf("%s: %+v, want %d", tc.name, res.Response, tc.code)
		} else if tc.code == chatapi.CodeUnknownPeer && !strings.Contains(res.ErrorInfo, "To_Account") {
			// This API's 90003 is about To_Account (the row's report_account),
			// not a Peer_Account: its text must not send the operator to the peer.
			t.Errorf("%s: ErrorInfo %q does not name To_Account", tc.name, res.ErrorInfo)
		}
	}
	clock := fakeclock.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	srv := newMock(t, mockserver.Config{Clock: clock, Scenario: mockserver.Scenario{Ceiling: 2}})
	sig := devSig(t)
	var codes []string
	for range 3 {
		codes = append(codes, fmt.Sprint(unreadCall(t, srv, sig, `{"To_Account":"a","Peer_Account":["b"]}`).ErrorCode))
	}
	codes = append(codes, fmt.Sprint(markRead(t, srv, sig, `{"Report_Account":"a","Peer_Account":"b"}`)))
	if got := strings.Join(codes, " "); got != "0 0 60007 0" {
		t.Errorf("codes %s: want the third unread call over its ceiling of 2/s and mark-read apart", got)
	}
}
