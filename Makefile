# The two commands a newcomer needs: `make demo` and `make test`.
GO       ?= go
BIN      := bin/truce
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build demo test lint fuzz bench bench-ingest clean

build:
	$(GO) build -o $(BIN) ./cmd/truce

# Builds everything and starts a server with the Abu Dhabi scenario loaded;
# prints the URL and a token for each demo member.
demo: build
	./$(BIN) demo

# Formatting, vet, staticcheck and every test (with the race detector).
test: lint
	$(GO) test -race -count=1 ./...

lint:
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt" ]; then echo "gofmt needed: $$fmt"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Runs each fuzz target for FUZZTIME (default 20s).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Micro-benchmarks (go test -bench).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The load generator against a real server; see BENCHMARKS.md.
bench-ingest: build
	./scripts/bench-ingest.sh

clean:
	rm -rf bin
