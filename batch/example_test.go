package batch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// Example runs three rows through a Runner against the mock on loopback:
// the shape of "msgread run --mock" in a few lines of Go.
func Example() {
	srv, _ := mockserver.New(mockserver.Config{Users: []string{"alice", "bob", "carol"}})
	srv.Start("") // 127.0.0.1, a free port
	defer srv.Close()

	cfg := srv.Config()
	signer, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: cfg.SDKAppID, Admin: cfg.Admins[0], Key: cfg.Key})
	client, _ := batch.NewClient(batch.ClientConfig{Endpoint: srv.URL(), SDKAppID: cfg.SDKAppID, Admin: cfg.Admins[0], Signer: signer})
	runner, _ := batch.New(batch.Config{Caller: client, Profile: batch.Constant(200)})

	in, _ := batch.NewInput(strings.NewReader("Report_Account,Peer_Account,MsgReadTime\n" +
		"alice,bob,1700000000\n" +
		"alice,dave,1700000000\n" + // dave does not exist: 90003
		"carol,,\n")) // no peer: invalid, never sent
	out := &printed{}
	sum, err := runner.Run(context.Background(), in, out)
	fmt.Println(err, sum.ByStatus[reports.StatusOK], sum.ByStatus[reports.StatusFailed], sum.ByStatus[reports.StatusInvalid])
	for _, m := range srv.Marks() {
		fmt.Println(m.ReportAccount, m.PeerAccount, m.ReadTime)
	}
	// Output:
	// <nil> 1 1 1
	// alice bob 1700000000
}

// printed is an Output that keeps nothing: the summary has the counts.
type printed struct{}

func (*printed) Write(reports.Record) error { return nil }
func (*printed) Flush() error               { return nil }

// Example_classes shows how an answer's code decides what the runner does.
func Example_classes() {
	for _, code := range []int{0, 60007, 70001, 90003, 70009} {
		c := chatapi.Lookup(code)
		fmt.Println(code, c.Class, c.Throttle)
	}
	// Output:
	// 0 ok false
	// 60007 retry true
	// 70001 renew false
	// 90003 per-row false
	// 70009 fatal false
}

// ExampleOpenJob is "msgread run --mock" as a library call: a Job opens
// the report files, runs the rows and judges the run; the caller prints
// and decides the exit.
func ExampleOpenJob() {
	srv, _ := mockserver.New(mockserver.Config{Users: []string{"alice", "bob"}})
	srv.Start("")
	defer srv.Close()
	cfg := srv.Config()
	signer, _ := batch.NewSigner(batch.SignerConfig{SDKAppID: cfg.SDKAppID, Admin: cfg.Admins[0], Key: cfg.Key})
	client, _ := batch.NewClient(batch.ClientConfig{Endpoint: srv.URL(), SDKAppID: cfg.SDKAppID, Admin: cfg.Admins[0], Signer: signer})

	dir, _ := os.MkdirTemp("", "msgread-example-")
	defer os.RemoveAll(dir)
	input := filepath.Join(dir, "in.csv")
	os.WriteFile(input, []byte("report_account,peer_account\nalice,bob\nbob,alice\n"), 0o600)
	in, _ := batch.OpenInput(context.Background(), input, nil)
	defer in.Close()

	runner := batch.DefaultConfig()
	runner.Caller = client
	job, err := batch.OpenJob(context.Background(), batch.JobConfig{Command: "run", Runner: runner, Input: in,
		Files: reports.Plan{Report: filepath.Join(dir, "report.csv"), SendLog: true, InputHeader: in.HeaderLine()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	end := job.Run(context.Background())
	fmt.Println(end.Stop, end.Summary.Rows, end.Summary.ByStatus[reports.StatusOK], filepath.Base(end.HTML))
	// Output:
	// <nil> 2 2 report.html
}
