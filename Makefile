# cinch: every check CI runs is `make test` (see .ci/run and the README).
GO          ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 1000x
PKGS        := ./...

.PHONY: test lint unit fuzz bench build tidy-check torture test-codegen

## test: everything CI runs — lint, race-enabled tests, brief fuzzing, benchmarks once,
## the Python and TypeScript clients against a real cinch serve, and the web console in Chromium.
test: lint unit fuzz bench test-python test-typescript test-console

## lint: gofmt, go vet, staticcheck, go.mod tidy.
lint: tidy-check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

tidy-check:
	@cp go.mod /tmp/cinch.go.mod.bak; cp go.sum /tmp/cinch.go.sum.bak; \
	$(GO) mod tidy; \
	if ! git diff --quiet -- go.mod go.sum; then echo "go.mod/go.sum are not tidy: run go mod tidy"; git diff -- go.mod go.sum | head -20; exit 1; fi

## test-typescript: the TypeScript client (clients/typescript) against a cinch serve its tests start.
.PHONY: test-typescript
test-typescript:
	cd clients/typescript && npm ci && npm run build && npm test

## test-console: the web console (console/) driven in headless Chromium against a real cinch serve
## (console/e2e/console.test.mjs); `make console-shots` also saves docs/console/*.png. Installs Debian's chromium (apt-get,
## with sudo when not root) and playwright-core (npm ci) when missing. CHROMIUM picks another browser.
.PHONY: test-console
test-console:
	@if [ -z "$$CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1; then \
	  echo "test-console: installing chromium with apt-get"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; \
	fi
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GO) build -o "$$tmp/cinch" ./cmd/cinch && \
	cd console/e2e && npm ci --no-audit --no-fund && CINCH_BIN="$$tmp/cinch" node console.test.mjs

## console-shots: test-console, saving the README's screenshots under docs/console/.
.PHONY: console-shots
console-shots:
	CONSOLE_SHOTS=1 $(MAKE) test-console

## unit: all tests with the race detector (integration tests build and run the real binary).
unit:
	$(GO) test -race -count=1 $(PKGS)

## test-codegen: the codegen suites alone (unit runs them too): golden files, and the generated
## models compiled and run (go vet/run, tsc from npm, python3), scanned through SQLDB, over HTTP and the CLI.
test-codegen:
	$(GO) test -count=1 ./codegen/... && $(GO) test -count=1 -run 'Codegen' ./cli ./server

## fuzz: run every fuzz target briefly (FUZZTIME each). A count budget, not a duration:
## Go 1.26 fails duration-bounded fuzzing at random with "context deadline exceeded"
## (golang/go#75804, fixed in 1.27); a count has no wall-clock deadline. Targets are found
## with grep: `go test -list` would build every package's test binary first.
fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | sed 's/^func //'); do \
	    echo "fuzz $$dir $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$dir; \
	  done; \
	done

## bench: run every benchmark once so they keep compiling and working.
bench:
	$(GO) test -run XXX -bench . -benchtime 1x -short $(PKGS)

## test-python: the Python client's unittest suite (clients/python), against cinch serve processes it
## starts itself from a freshly built binary (CINCH_BIN). Python 3.11+, standard library only. Fails
## when a test fails, and when no test ran.
PYTHON ?= python3
.PHONY: test-python
test-python:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GO) build -o "$$tmp/cinch" ./cmd/cinch && \
	{ CINCH_BIN="$$tmp/cinch" $(PYTHON) -m unittest discover -s clients/python/tests -t clients/python -v 2>&1; \
	  echo $$? > "$$tmp/rc"; } | tee "$$tmp/log" && \
	rc=$$(cat "$$tmp/rc") && if [ "$$rc" != 0 ]; then echo "test-python: FAILED (exit $$rc)"; exit "$$rc"; fi && \
	if ! grep -Eq '^Ran [1-9][0-9]* tests? in ' "$$tmp/log"; then echo "test-python: no tests ran"; exit 1; fi

build:
	$(GO) build -o bin/cinch ./cmd/cinch

## cluster: three cluster nodes on this machine (scripts/cluster.sh; docs/cluster.md), Ctrl-C stops them.
.PHONY: cluster
cluster:
	scripts/cluster.sh

## torture: long crash/concurrency torture (TRIALS per operation; SEED replays a run).
TRIALS ?= 50
torture:
	CINCH_TORTURE_TRIALS=$(TRIALS) $(if $(SEED),CINCH_TORTURE_SEED=$(SEED)) $(GO) test -count=1 -timeout 60m -v -run 'Torture|Isolation|Concurrency' ./cmd/cinch
