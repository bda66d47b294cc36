package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// statsServer answers GET /mock/stats with body, as a standalone mock (or
// something posing as one) on loopback would.
func statsServer(t *testing.T, body string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/mock/stats" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The scenario a loopback endpoint says goes into the banner on the
// terminal, the headline, the JSON and the HTML: escape sequences in it
// are escaped (they would retitle the window or colour the terminal), and
// a megabyte of it is cut to a name's length.
func TestStandaloneMockScenarioIsMadeSafe(t *testing.T) {
	for _, tc := range []struct{ name, said, want string }{
		{"a plain name", "flaky", "flaky"},
		{"escape sequences", "\x1b]0;PWNED\x07\x1b[31mred", `"\x1b]0;PWNED\a\x1b[31mred"`},
		{"a megabyte", strings.Repeat("A", 1<<20-100), strings.Repeat("A", maxScenarioName) + "…"},
		{"empty", "", "(unnamed)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, _ := json.Marshal(tc.said)
			srv := statsServer(t, fmt.Sprintf(`{"scenario":%s,"seed":7}`, name))
			info := standaloneMock(context.Background(), srv.URL)
			if info == nil {
				t.Fatal("the mock was not recognised")
			}
			if info.Scenario != tc.want || info.Seed != 7 {
				t.Errorf("scenario %.200q seed %d, want %.200q seed 7", info.Scenario, info.Seed, tc.want)
			}
		})
	}
}

// An endpoint given with a query or a fragment (a UserSig pasted with it)
// is still asked at its /mock/stats, with neither sent along.
func TestStandaloneMockAskedWithoutQuery(t *testing.T) {
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		if r.URL.Path != "/mock/stats" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `{"scenario":"slow","seed":3}`)
	}))
	t.Cleanup(srv.Close)
	for _, ep := range []string{srv.URL + "/?usersig=SECRETSIG&x=1", srv.URL + "/#usersig=SECRETSIG"} {
		info := standaloneMock(context.Background(), ep)
		if info == nil || info.Scenario != "slow" {
			t.Errorf("%s: %+v, want the mock's scenario slow", ep, info)
		}
		if strings.Contains(query, "SECRETSIG") {
			t.Errorf("%s: /mock/stats was asked with the query %q", ep, query)
		}
	}
}
