// Command callbackreceiver is the loopback endpoint of
// scripts/bench-callbacks.sh: it counts the callbacks it gets by
// CallbackCommand and answers each OK, or with -stall holds every request
// until it is stopped (an endpoint that hangs). It prints its URL on the
// first line, and its counts when SIGINT or SIGTERM stops it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "host:port to listen on")
	stall := flag.Bool("stall", false, "hold every request until stopped")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http://%s/im\n", ln.Addr())
	var mu sync.Mutex
	counts := map[string]int{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		counts[r.URL.Query().Get("CallbackCommand")]++
		mu.Unlock()
		if *stall {
			select {
			case <-ctx.Done():
			case <-r.Context().Done():
			}
		}
		_, _ = io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	<-ctx.Done()
	_ = srv.Close()
	mu.Lock()
	defer mu.Unlock()
	fmt.Printf("received C2C.CallbackAfterMsgReport %d Alert.RequestOverLimit %d\n", counts["C2C.CallbackAfterMsgReport"], counts["Alert.RequestOverLimit"])
}
