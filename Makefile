# bttls — BitTorrent over TLS 1.3: a BEP, a peer, a simulator and a model checker.
# `make run` runs the main job on the default scenario; `make test` runs every suite.

GO       ?= go
BIN      := bin
PKGS     := ./...
# Packages whose tests run again under the race detector (they start goroutines).
RACE_PKGS ?= ./protocol/... ./netmodel/... ./sim/...
# Seconds each fuzz target runs in `make test` (longer: make fuzz FUZZTIME=60s).
FUZZTIME ?= 3s

.PHONY: all build run test deps vet fmt-check unit race fuzz-short fuzz bench results validate dpi clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

deps:
	@scripts/install-deps.sh

run: build
	@scripts/run-default.sh

test: deps fmt-check vet unit race fuzz-short

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -count=1 -timeout 20m $(PKGS)

race:
	$(GO) test -count=1 -race -short -timeout 20m $(RACE_PKGS)

fuzz-short:
	@FUZZTIME=$(FUZZTIME) scripts/fuzz-all.sh

fuzz:
	@FUZZTIME=$${FUZZTIME:-60s} scripts/fuzz-all.sh

bench: build
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m $(PKGS)

results: build
	@scripts/make-results.sh

# The simulator's long validation against theory: Kumar–Ross flash
# crowds of 100 to 2,000 peers (about seven minutes on two cores, several GiB).
validate: deps
	BTSIM_VALIDATE=1 $(GO) test -count=1 -v -run 'TestKumarRoss' -timeout 60m ./sim/swarm

dpi: deps build
	$(GO) test -count=1 -v -run 'DPI' ./dpi/...

clean:
	rm -rf $(BIN) out
