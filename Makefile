# The two commands a newcomer needs: `make demo` and `make test`.
GO       ?= go
BIN      := bin/truce
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build demo test lint fuzz bench bench-ingest clean web-assets

# The console's third-party code (MapLibre, the world-atlas borders,
# topojson-client) comes from the npm registry through web/assets'
# lockfile and is embedded from web/static/vendor. Without npm the console
# still works, without its map.
VENDOR := web/static/vendor/countries-110m.json
web-assets: $(VENDOR)
$(VENDOR): web/assets/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd web/assets && npm ci --no-audit --no-fund --loglevel=error && cd ../.. && \
	  mkdir -p web/static/vendor && \
	  cp web/assets/node_modules/maplibre-gl/dist/maplibre-gl-csp.js web/assets/node_modules/maplibre-gl/dist/maplibre-gl-csp-worker.js \
	     web/assets/node_modules/maplibre-gl/dist/maplibre-gl.css web/assets/node_modules/topojson-client/dist/topojson-client.min.js \
	     web/assets/node_modules/world-atlas/countries-50m.json web/assets/node_modules/world-atlas/countries-110m.json web/static/vendor/; \
	else echo "npm not found: building the console without its map"; fi

build: web-assets
	$(GO) build -o $(BIN) ./cmd/truce

# Builds everything and starts a server with the Abu Dhabi scenario loaded;
# prints the URL and a token for each demo member.
demo: build
	./$(BIN) demo

# Formatting, vet, staticcheck and every test (with the race detector).
test: lint web-assets
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
	rm -rf bin web/static/vendor web/assets/node_modules
