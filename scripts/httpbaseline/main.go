// Command httpbaseline is the yardstick for scripts/bench-mock.sh: a bare
// net/http server that reads each body and answers the success envelope, with
// no checks at all. The mock's throughput is quoted as a ratio to it.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18091", "host:port to listen on")
	flag.Parse()
	ok := []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}` + "\n")
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(ok)
	})))
}
