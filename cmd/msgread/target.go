package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/safetext"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports/digest"
)

// targetFlags say what "run" and "load" call: the bundled mock, started
// in-process, or a real region or endpoint with the app's credentials.
type targetFlags struct {
	app      appFlags
	mock     mockFlags
	endpoint string
	region   string
	timeJSON string // --msg-read-time-json
	// inProcess is set by --mock (run) or by giving no endpoint (load).
	inProcess bool
}

func (t *targetFlags) register(fs *flag.FlagSet, withRegion bool) {
	t.registerReal(fs, withRegion)
	t.mock.register(fs)
}

// registerReal registers the flags of a real target only: the app, the
// endpoint or region, MsgReadTime's type.
func (t *targetFlags) registerReal(fs *flag.FlagSet, withRegion bool) {
	t.app.register(fs)
	fs.StringVar(&t.endpoint, "endpoint", "", "API base `URL`, such as https://console.tim.qq.com or a mock's http://127.0.0.1:8080")
	fs.StringVar(&t.timeJSON, "msg-read-time-json", "number", "MsgReadTime's JSON type in each call: `number|string` (the reference pages differ; a probe\nanswered 90001 may mean the service wants the other)")
	if withRegion {
		fs.StringVar(&t.region, "region", "", "API region `name`: "+strings.Join(chatapi.RegionNames(), ", "))
	}
}

func (t *targetFlags) validate() error {
	switch {
	case t.inProcess && (t.endpoint != "" || t.region != ""):
		return usageError("--mock cannot be combined with --endpoint or --region")
	case t.endpoint != "" && t.region != "":
		return usageError("give --endpoint or --region, not both")
	case !t.inProcess && t.endpoint == "" && t.region == "":
		return usageError("no target: give --mock for the bundled mock, or --region (" + strings.Join(chatapi.RegionNames(), ", ") + ") or --endpoint with credentials")
	case t.timeJSON != "number" && t.timeJSON != "string":
		return usageError(fmt.Sprintf("--msg-read-time-json %q: want number or string", t.timeJSON))
	case !t.inProcess && t.mock.callback.given():
		return usageError("--callback-url rehearses a callback endpoint with the bundled mock's callbacks; a real --endpoint or --region " +
			"fires the app's own (to the callback URL set in the Chat console): drop --callback-url, or call the bundled mock")
	}
	if err := t.mock.validate(); err != nil {
		return err
	}
	if err := t.requireApp(); err != nil {
		return err
	}
	return t.app.validate()
}

// requireApp asks a real target for its app and admin (see
// appFlags.requireGiven); the bundled mock takes its defaults.
func (t *targetFlags) requireApp() error {
	switch {
	case t.inProcess:
		return nil
	case t.region != "":
		if _, err := chatapi.RegionEndpoint(t.region); err != nil {
			return usageErrorOf("--region: ", err) // a typo first: it is no service at all
		}
		return t.app.requireGiven("--region")
	}
	return t.app.requireGiven("--endpoint")
}

// target is what a run calls, resolved.
type target struct {
	client *batch.Client
	banner string
	mock   *mockserver.Server // nil for a real target; the caller closes it
	// info is the mock's scenario and seed: the bundled mock's, or those
	// a standalone mock at a loopback --endpoint gave; nil for a real
	// target.
	info *digest.MockInfo
}

// ceiling is the target's own limit in calls per second when known (the
// bundled mock's) and steady, else zero.
func (t *target) ceiling() float64 {
	if t.mock == nil || t.mock.Config().CeilingSteps != "" {
		return 0
	}
	return float64(max(t.mock.Config().Ceiling, 0))
}

// describe names the target for a job's outputs: the mock's scenario, seed
// and ceiling, or the real region or endpoint.
func (t *target) describe(f targetFlags) batch.Target {
	d := batch.Target{Name: "external endpoint " + chatapi.RedactEndpoint(f.endpoint), Ceiling: t.ceiling(), Mock: t.info}
	switch {
	case t.mock == nil && t.info != nil:
		d.Name, d.Seed = "the mock at "+chatapi.RedactEndpoint(f.endpoint), t.info.Seed
	case t.mock != nil:
		d.Name, d.Seed = "the bundled mock", f.mock.seed
		if t.mock.Config().Ceiling >= 0 {
			d.CeilingAt = t.mock.LeftAt // the ceiling, less the mock's production traffic
		}
		if t.mock.Config().Production != nil {
			mock := t.mock
			d.Production = func() (uint64, uint64) { p := mock.Production(); return p.Calls, p.Refused }
		}
	case f.region != "":
		d.Name = "region " + f.region
	}
	return d
}

// close stops the in-process mock, if any.
func (t *target) close() {
	if t.mock != nil {
		t.mock.Close()
	}
}

// resolve starts the in-process mock, or checks the real target's
// credentials, and returns a client for it. maxRate is the run's highest
// rate, for the warning above the API's ceiling.
func (t *targetFlags) resolve(ctx context.Context, e *env, name string, maxRate float64, timeout time.Duration, workers int) (*target, error) {
	admin := t.app.admins.values[0]
	var tgt *target
	var endpoint string
	var key chatapi.Secret
	var err error
	if t.inProcess {
		if tgt, endpoint, key, err = t.startMock(ctx, admin); err == nil {
			callbackNotice(e.stderr, name, tgt.mock.Config())
		}
	} else {
		tgt, endpoint, key, err = t.realTarget(ctx, e, name, maxRate)
	}
	if err != nil {
		return nil, err
	}
	if tgt.client, err = newClient(batch.ClientConfig{Endpoint: endpoint, SDKAppID: t.app.sdkappid, Admin: admin, Timeout: timeout, MaxConns: workers,
		TimeAsString: t.timeJSON == "string"}, key, t.app.ttl); err != nil {
		tgt.close()
		return nil, err
	}
	return tgt, nil
}

// startMock starts the bundled mock in-process, on loopback, with a key
// generated for this run alone.
func (t *targetFlags) startMock(ctx context.Context, admin string) (tgt *target, endpoint string, key chatapi.Secret, err error) {
	var raw [16]byte
	rand.Read(raw[:])
	key = chatapi.NewSecret(hex.EncodeToString(raw[:]))
	cfg, err := t.mock.config(ctx, mockserver.Config{SDKAppID: t.app.sdkappid, Admins: []string{admin}, Key: key})
	if err != nil {
		return nil, "", key, err
	}
	srv, err := mockserver.New(cfg)
	if err != nil {
		return nil, "", key, usageErrorOf("", err)
	}
	if err := srv.Start(""); err != nil {
		srv.Close() // its callback senders run from New
		return nil, "", key, err
	}
	banner := fmt.Sprintf("against the bundled mock at %s (app %d, %s, generated key)", srv.URL(), cfg.SDKAppID, t.mock.describe(srv.Config()))
	return &target{banner: banner, mock: srv, info: &digest.MockInfo{Scenario: t.mock.scenario, Seed: t.mock.seed}}, srv.URL(), key, nil
}

// realTarget checks a real target's key and region, and words its banner.
func (t *targetFlags) realTarget(ctx context.Context, e *env, name string, maxRate float64) (tgt *target, endpoint string, key chatapi.Secret, err error) {
	key, given, err := loadSecretKey(ctx, e, t.app.keyFile)
	if err != nil {
		return nil, "", key, err
	}
	if !given {
		return nil, "", key, usageError("no secret key: set " + secretKeyEnv + " or --secret-key-file (it is never taken as a flag value)")
	}
	endpoint = t.endpoint
	if t.region != "" {
		if endpoint, err = chatapi.RegionEndpoint(t.region); err != nil {
			return nil, "", key, usageErrorOf("--region: ", err)
		}
		if maxRate > batch.DefaultRate {
			fmt.Fprintf(e.stderr, "msgread %s: warning: --rate %g is above the API's documented ceiling of 200 calls/s; expect 60007 answers\n", name, maxRate)
		}
	}
	tgt = &target{}
	mockText := ""
	if t.region == "" {
		if tgt.info = standaloneMock(ctx, endpoint); tgt.info != nil {
			mockText = fmt.Sprintf(" (a msgread mock: scenario %s, seed %d)", tgt.info.Scenario, tgt.info.Seed)
		}
	}
	tgt.banner = fmt.Sprintf("against %s%s as %s of app %d", chatapi.RedactEndpoint(endpoint), mockText, t.app.admins.values[0], t.app.sdkappid)
	if t.region != "" {
		tgt.banner += fmt.Sprintf("\nmsgread %s: note: the webhook C2C.CallbackAfterMsgReport, if enabled, fires for every call: warn the owner of the app's callback endpoint", name)
	}
	return tgt, endpoint, key, nil
}

// standaloneMockTimeout bounds the question to a loopback endpoint.
const standaloneMockTimeout = 2 * time.Second

// standaloneMock asks a loopback endpoint's GET /mock/stats for the
// scenario and seed of the msgread mock serving there, so that the run's
// reports name them; nil when the endpoint is not on loopback (a real
// service is sent nothing but the run's calls), does not answer, or is no
// msgread mock (or one too old to say).
func standaloneMock(ctx context.Context, endpoint string) *digest.MockInfo {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, standaloneMockTimeout)
	defer cancel()
	stats := *u
	stats.RawQuery, stats.Fragment, stats.RawFragment, stats.User = "", "", "", nil // the stats' path only: no UserSig or password
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(stats.String(), "/")+"/mock/stats", nil)
	if err != nil {
		return nil
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var said struct {
		Scenario *string `json:"scenario"`
		Seed     *uint64 `json:"seed"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&said) != nil || said.Scenario == nil || said.Seed == nil {
		return nil
	}
	return &digest.MockInfo{Scenario: scenarioName(*said.Scenario), Seed: *said.Seed}
}

// maxScenarioName bounds the scenario name a standalone mock says, in
// bytes: a scenario's name is a word or two.
const maxScenarioName = 100

// scenarioName is the name a standalone mock said, fit for the banner,
// the headline, the JSON and the HTML: control characters escaped (an
// answer's escape sequences would reach the terminal) and cut to
// maxScenarioName bytes.
func scenarioName(said string) string {
	if said == "" {
		return "(unnamed)"
	}
	return safetext.QuoteCut(said, maxScenarioName)
}

// clientHeapLimit is the memory the Go runtime may grow to before the
// collector works harder: the run's 64 MB resident target, less a resumed
// 10 M-row run's fingerprints (held outside Go's heap, about 30 MB).
const clientHeapLimit = 24 << 20

// tuneGC lets the collector run less often when msgread is only the client
// (its live heap is a few MB, collected dozens of times a second under
// load): it waits for five times the live heap, within clientHeapLimit. A
// run with the in-process mock keeps Go's defaults: the mock keeps every
// pair it marked, which no fixed limit fits. GOGC or GOMEMLIMIT in the
// environment win.
func tuneGC(e *env) {
	if _, set := e.lookupEnv("GOGC"); set {
		return
	}
	if _, set := e.lookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(clientHeapLimit)
}

// newClient signs for and calls an endpoint; the client checks the URL.
func newClient(cfg batch.ClientConfig, key chatapi.Secret, ttl time.Duration) (*batch.Client, error) {
	signer, err := batch.NewSigner(batch.SignerConfig{SDKAppID: cfg.SDKAppID, Admin: cfg.Admin, Key: key, TTL: ttl})
	if err != nil {
		return nil, usageErrorOf("", err)
	}
	cfg.Signer = signer
	client, err := batch.NewClient(cfg)
	if err != nil {
		return nil, usageErrorOf("--endpoint: ", err)
	}
	return client, nil
}
