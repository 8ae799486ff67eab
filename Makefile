# The Makefile is what CI runs (.ci/run calls `make lint`, `make test` and `make chaos`).
SHELL := /bin/bash
GO ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test lint fuzz bench bench-go bench-hl7 chaos ci tidy-check build package

build:
	$(GO) build -o bin/docbridge ./cmd/docbridge

test:
	$(GO) test -race -count=1 -timeout 40m ./...

lint: tidy-check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(STATICCHECK) ./...

tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

# Short fuzz runs of every fuzz target (FUZZTIME each).
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# The benchmark harness (bench/harness): docbridge serve as a real process
# against the MES simulator; prints a table and rewrites the generated part
# of BENCHMARKS.md. BENCH_FLAGS passes options (go run ./bench/harness -h).
BENCH_FLAGS ?=
bench:
	$(GO) run ./bench/harness $(BENCH_FLAGS)

# The go test benchmarks of every package.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count=3 ./...

# HL7 v2 parser side by side with simple-hl7 (needs node and npm).
bench-hl7:
	bench/hl7/run.sh

# The reliability suite: the daemon killed with SIGKILL ten times during a
# 5,000-document flow, MES outages, 1,000 hostile inputs, and (when
# DOCBRIDGE_TEST_POSTGRES is set) three instances on one PostgreSQL with one
# killed; it prints its figures (lines starting FIGURES). CHAOS_SEED=n
# replays a run.
chaos:
	$(GO) test -tags chaos -count=1 -run Chaos -v -timeout 30m ./cmd/docbridge 2>&1 | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|FIGURES|SEED|chaos_test' ; exit $${PIPESTATUS[0]}

ci: lint test chaos

# The .deb: the binary (its version stamped: `docbridge version` says
# VERSION), the systemd unit, the configuration under /etc/docbridge/ and
# the install and removal scripts (packaging/). VERSION defaults to the
# last tag (0.0.0 without one) plus the commit: 0.0.0+gitabc1234. nfpm is a
# tool of go.mod (`go tool nfpm`): fetched once through the module proxy
# like any dependency, never at each build.
NFPM ?= $(GO) tool nfpm
VERSION ?= $(shell v=$$(git describe --tags --abbrev=0 2>/dev/null | sed 's/^v//'); h=$$(git rev-parse --short HEAD 2>/dev/null); echo $${v:-0.0.0}+git$${h:-unknown})
GOARCH ?= $(shell $(GO) env GOARCH)
package:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.buildVersion=$(VERSION)" -o bin/docbridge ./cmd/docbridge
	mkdir -p dist
	VERSION=$(VERSION) GOARCH=$(GOARCH) $(NFPM) package --config packaging/nfpm.yaml --packager deb --target dist/
