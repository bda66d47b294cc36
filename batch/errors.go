package batch

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
)

// FatalError stops a run: the API answered with a code after which every
// later call would fail the same way.
type FatalError struct {
	Code int
	Info string
	Line int
	// Check says what to look at; Renewed is set when the UserSig was
	// refused as expired even after a fresh one was signed.
	Check   chatapi.Check
	Renewed bool
}

func (e *FatalError) Error() string {
	what := fmt.Sprintf("the API answered %d (%s)", e.Code, e.Info)
	if e.Code == 0 {
		what = e.Info
	}
	msg := fmt.Sprintf("stopped: %s on line %d", what, e.Line)
	if e.Renewed {
		msg += ": the UserSig was refused as expired even after renewing it"
	}
	if e.Check != chatapi.CheckNone {
		msg += ": " + e.Check.String()
	}
	return msg
}

// FailureRateError stops a run in which too many of the rows sent failed or
// gave up: something is wrong beyond single rows.
type FailureRateError struct {
	Failed, Sent int
	Limit        float64
	TopCode      string // the most frequent error code, if any
}

func (e *FailureRateError) Error() string {
	msg := fmt.Sprintf("stopped: %d of the %d rows sent failed or gave up (%.1f%%, more than the limit of %.0f%%)",
		e.Failed, e.Sent, 100*float64(e.Failed)/float64(e.Sent), 100*e.Limit)
	if e.TopCode != "" {
		msg += "; most often " + e.TopCode
	}
	return msg + ": check the report's error codes"
}

// errStopAfter ends dispatching at Config.StopAfter; Run then returns nil.
var errStopAfter = errors.New("batch: planned duration reached")

// ErrAborted is returned by Run after Abort.
var ErrAborted = errors.New("batch: run aborted")

// ErrRanTwice is returned by a second call to Run: a Runner, an Engine
// and a Job each run once.
var ErrRanTwice = errors.New("batch: a run runs once; make another (New, NewEngine, OpenJob)")

// ErrNoRows is returned by a run given nothing to read or write: a Job
// with neither Input nor Source, a Run with a nil Source, Feed, Output or
// Sink.
var ErrNoRows = errors.New("batch: a run needs its rows and an output: an Input or a Source, and somewhere to write")

// newFatalError describes the fatal answer res on line.
func newFatalError(res Result, line int) *FatalError {
	e := &FatalError{Code: res.Code, Info: res.Describe(), Line: line, Check: chatapi.Lookup(res.Code).Check,
		Renewed: chatapi.Lookup(res.Code).Class == chatapi.ClassRenew}
	if res.Err != nil && res.HTTPStatus == http.StatusNotFound {
		e.Check = chatapi.CheckEndpoint // the path does not exist there
	}
	return e
}

// UnreachableError stops a run whose first call never reached the service,
// however often it was tried.
type UnreachableError struct {
	Cause    string
	Attempts int
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("stopped before the first answer: %s (%d tries)", e.Cause, e.Attempts)
}

// OutageError stops a run after the service could not be reached for the
// outage budget.
type OutageError struct {
	Cause string
	For   time.Duration
}

func (e *OutageError) Error() string {
	return fmt.Sprintf("stopped: the service did not answer for %v (%s); the report holds every row that finished, resume to send the rest", e.For.Round(time.Second), e.Cause)
}
