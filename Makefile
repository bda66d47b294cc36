# msgread: the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
BIN     ?= bin/msgread
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: build test vet fmt mock fuzz clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/msgread

# test runs vet, then every test (with the fuzz targets' seed corpora) under the race detector.
test: vet
	$(GO) test -race ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# mock serves the mock API on 127.0.0.1:8080 with the development key.
mock: build
	$(BIN) mock

# fuzz runs each native fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzMarkRead$$' -fuzztime $(FUZZTIME) ./mockserver
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeResponse$$' -fuzztime $(FUZZTIME) ./batch

clean:
	rm -rf bin out
