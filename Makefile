# The two set-up commands are `make demo` and `make test`; both install what is missing first.
SWIFT ?= swift
JOBS ?= 2
RELEASE_BIN = .build/release/peer

.PHONY: deps build debug test demo bench venv check-pytorch clean

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
	$(MAKE) venv
	.venv/bin/python tools/bench-pytorch.py --threads 2 > .build/pytorch-learn.json
	$(RELEASE_BIN) bench learn --threads 2 --pytorch .build/pytorch-learn.json --out benchmarks/results/learn.md

## venv: Python tools for cross-checks (never needed by the product): torch (CPU), numpy
venv: .venv/bin/python
.venv/bin/python:
	python3 -m venv .venv
	.venv/bin/pip install -q torch==2.13.0 torchvision numpy pydicom Pillow

## check-pytorch: peer model init + forward against PyTorch (strict load, logits within 1e-4)
check-pytorch: build venv
	@mkdir -p .build/check
	$(RELEASE_BIN) model init --model resnet18 --seed 7 --out .build/check/resnet18.safetensors --force
	.venv/bin/python -c "import numpy, json, struct; x = numpy.random.default_rng(7).random((2, 1, 64, 64), dtype=numpy.float32); h = json.dumps({'input': {'dtype': 'F32', 'shape': list(x.shape), 'data_offsets': [0, x.nbytes]}}).encode(); h += b' ' * (-len(h) % 8); open('.build/check/input.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + x.tobytes())"
	$(RELEASE_BIN) model forward --weights .build/check/resnet18.safetensors --input .build/check/input.safetensors --output .build/check/logits.safetensors
	.venv/bin/python tools/check-pytorch.py .build/check/resnet18.safetensors .build/check/input.safetensors .build/check/logits.safetensors

clean:
	rm -rf .build
