# The two set-up commands are `make demo` and `make test`; both install what is missing first.
SWIFT ?= swift
JOBS ?= 2
RELEASE_BIN = .build/release/peer

.PHONY: deps build debug test demo bench clean

## deps: install libsodium-dev and libopenblas-dev when missing (apt-get; root or sudo)
deps:
	@tools/install-deps.sh

## build: release build of the `peer` executable
build: deps
	$(SWIFT) build -c release -j $(JOBS) --product peer

## test: every test of every module (Swift Testing)
test: deps
	$(SWIFT) build -j $(JOBS) --build-tests
	$(SWIFT) test -j $(JOBS) --skip-build

## demo: the most complete thing the project can do today
demo: build
	@mkdir -p .build/demo
	$(RELEASE_BIN) --help
	@echo
	$(RELEASE_BIN) keygen --out .build/demo/identity.key --force
	$(RELEASE_BIN) topology generate ring --peers 4 --out .build/demo/ring-4.json --keys-dir .build/demo/keys --force
	$(RELEASE_BIN) topology check .build/demo/ring-4.json
	$(RELEASE_BIN) simulate --peers 10 --dimension 100000 --drop 0.2 --rounds 2

## bench: measured figures, written to benchmarks/results/
bench: build
	$(RELEASE_BIN) bench crypto --out benchmarks/results/crypto.md
	$(RELEASE_BIN) bench transport --out benchmarks/results/transport.md
	$(RELEASE_BIN) bench aggregation --out benchmarks/results/aggregation.md

clean:
	rm -rf .build
