package mockserver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of Callback.
const (
	// DefaultCallbackQueue is how many callbacks may wait to be sent;
	// beyond it a callback is dropped, and counted.
	DefaultCallbackQueue = 10_000
	// DefaultCallbackConns is how many callbacks are in flight at most,
	// each on a connection of its own.
	DefaultCallbackConns = 16
	// DefaultCallbackTimeout bounds one callback, from its send to its
	// answer's last byte.
	DefaultCallbackTimeout = 2 * time.Second
	// DefaultAlertAt is the share of an API's limit whose passing in one
	// second raises Alert.RequestOverLimit: 80 %, as the service's page
	// has it.
	DefaultAlertAt = 0.8
)

// Bounds of Callback's settings.
const (
	MaxCallbackQueue   = 1_000_000
	MaxCallbackConns   = 1024
	MaxCallbackTimeout = time.Minute
)

// Callback makes the mock call the app's webhooks, as the service does once
// a callback URL is configured, so that the app's endpoint can be
// rehearsed: C2C.CallbackAfterMsgReport for each mark it made, and
// Alert.RequestOverLimit for each second in which an API's calls passed
// AlertAt of its limit or the ceiling refused one. In a scenario:
//
//	"callback": {"url": "http://127.0.0.1:9000/im", "queue": 10000, "conns": 16, "timeout": "2s"}
//
// The zero values of Queue, Conns, Timeout and AlertAt mean their Default*.
// The callbacks never slow the API's answers: they wait in a queue of
// Queue, sent by Conns senders, each cut off after Timeout; a callback
// that finds the queue full is dropped and counted.
type Callback struct {
	URL     string   `json:"url"`
	Queue   int      `json:"queue,omitempty"`
	Conns   int      `json:"conns,omitempty"`
	Timeout Duration `json:"timeout,omitempty"`
	AlertAt float64  `json:"alert_at,omitempty"`
}

// withDefaults returns c with its zero settings at their defaults.
func (c Callback) withDefaults() Callback {
	if c.Queue == 0 {
		c.Queue = DefaultCallbackQueue
	}
	if c.Conns == 0 {
		c.Conns = DefaultCallbackConns
	}
	if c.Timeout == 0 {
		c.Timeout = Duration(DefaultCallbackTimeout)
	}
	if c.AlertAt == 0 {
		c.AlertAt = DefaultAlertAt
	}
	return c
}

// Validate checks the callback's URL and bounds. Its errors never hold the
// URL: it may carry a token.
func (c Callback) Validate() error {
	if _, err := ParseCallbackURL(c.URL); err != nil {
		return fmt.Errorf("callback: url: %w", err)
	}
	switch {
	case c.Queue < 0 || c.Queue > MaxCallbackQueue:
		return fmt.Errorf("callback: queue %d is not from 1 to %d", c.Queue, MaxCallbackQueue)
	case c.Conns < 0 || c.Conns > MaxCallbackConns:
		return fmt.Errorf("callback: conns %d is not from 1 to %d", c.Conns, MaxCallbackConns)
	case c.Timeout < 0 || time.Duration(c.Timeout) > MaxCallbackTimeout:
		return fmt.Errorf("callback: timeout %v is not above 0 and at most %v", time.Duration(c.Timeout), MaxCallbackTimeout)
	case c.AlertAt < 0 || c.AlertAt > 10:
		return fmt.Errorf("callback: alert_at %v is not a share of the limit above 0 and at most 10", c.AlertAt)
	}
	return nil
}

// ErrCallbackURL is wrapped by ParseCallbackURL's errors.
var ErrCallbackURL = errors.New("want an absolute http:// or https:// URL with a host, such as http://127.0.0.1:9000/im")

// ParseCallbackURL checks a callback URL: http or https, with a host and a
// valid port. Its errors do not repeat the URL.
func ParseCallbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return nil, fmt.Errorf("not a URL: %w", ErrCallbackURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("the scheme is not http or https: %w", ErrCallbackURL)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("no host: %w", ErrCallbackURL)
	}
	if p := u.Port(); strings.HasSuffix(u.Host, ":") || p != "" && !validPort(p) {
		return nil, fmt.Errorf("no valid port: %w", ErrCallbackURL)
	}
	return u, nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// LoopbackURL reports whether u's host is this machine: localhost or a
// loopback address (a name that resolves to one is not taken on trust).
func LoopbackURL(u *url.URL) bool {
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RedactCallbackURL returns u fit for logs and read-outs: its scheme, host
// and path, with any userinfo (the user name too: https://TOKEN@host/ is
// how many endpoints take a token) and the query hidden, as
// chatapi.RedactEndpoint hides an endpoint's.
func RedactCallbackURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	if u.User != nil {
		r.User = url.User("xxxxx")
	}
	s := r.String()
	if u.RawQuery != "" {
		s += "?…"
	}
	return s
}
