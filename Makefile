# The two set-up commands are `make demo` and `make test`; both install what is missing first.
SWIFT ?= swift
JOBS ?= 2
RELEASE_BIN = .build/release/peer
FIXTURE = ../shared/fixtures/siim/1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm

.PHONY: deps build debug test demo bench bench-data bench-node faults soak faults-simulated venv check-data check-pytorch check-node clean

## deps: install libsodium-dev and libopenblas-dev when missing (apt-get; root or sudo)
deps:
	@tools/install-deps.sh

## build: release build of the `peer` executable
build: deps
	$(SWIFT) build -c release -j $(JOBS) --product peer

## test: every test of every module (Swift Testing)
# Suites that depend on timing run apart from the CPU-heavy training suites of a debug build,
# which would starve them: first the socket suites (their failure detector takes 3 s without a
# frame for a neighbour down), then the in-memory protocol suites of PeerTests (their peers wait
# phase timeouts for one another), then everything else.
SOCKET_SUITES = --filter GossipTests --filter RealTransportRoundTests --filter NodeProcessTests --filter LaunchTests --filter FaultInjectionTests --filter CheckpointCrashTests
PROTOCOL_SUITES = --filter '^PeerTests\.'
test: deps
	$(SWIFT) build -j $(JOBS) --build-tests
	$(SWIFT) test -j $(JOBS) --skip-build $(SOCKET_SUITES)
	$(SWIFT) test -j $(JOBS) --skip-build $(PROTOCOL_SUITES) $(subst --filter,--skip,$(SOCKET_SUITES))
	$(SWIFT) test -j $(JOBS) --skip-build $(subst --filter,--skip,$(SOCKET_SUITES) $(PROTOCOL_SUITES))

## demo: the most complete thing the project can do today
demo: build
	@mkdir -p .build/demo
	$(RELEASE_BIN) --help
	@echo
	$(RELEASE_BIN) keygen --out .build/demo/identity.key --force
	$(RELEASE_BIN) topology generate ring --peers 4 --out .build/demo/ring-4.json --keys-dir .build/demo/keys --force
	$(RELEASE_BIN) topology check .build/demo/ring-4.json
	$(RELEASE_BIN) simulate --peers 10 --dimension 100000 --drop 0.2 --rounds 2 --rejoin
	$(RELEASE_BIN) simulate --peers 8 --dimension 20000 --masking regular:4 --fault split-view:3 --rounds 2 --seed 7
	@rm -rf .build/demo/hospital
	$(RELEASE_BIN) data synth --out .build/demo/hospital --images 400 --size 256 --positive-rate 0.5 --site 1
	$(RELEASE_BIN) data labels .build/demo/hospital/train-rle.csv --size 256
	$(RELEASE_BIN) data inspect $$(find .build/demo/hospital -name '*.dcm' | sort | head -1) --png .build/demo/first-image.png
	$(RELEASE_BIN) train --data .build/demo/hospital --model small-cnn --image-size 48 --epochs 10 --learning-rate 0.01 --alpha 0.5 --no-augment --out .build/demo/small-cnn.safetensors
	$(RELEASE_BIN) model evaluate --weights .build/demo/small-cnn.safetensors --data .build/demo/hospital
	@rm -rf .build/demo/federation && mkdir -p .build/demo/federation
	$(RELEASE_BIN) topology generate ring --peers 4 --out .build/demo/federation/ring-4.json --keys-dir .build/demo/federation/keys \
		--base-port 47400 --model resnet18 --image-size 64 --rounds 5 --local-epochs 2 --optimizer adam --learning-rate 0.001
	$(RELEASE_BIN) launch .build/demo/federation/ring-4.json --synthetic 500 --positive-rate 0.5 --keys-dir .build/demo/federation/keys \
		--state-root .build/demo/federation/state

## bench: measured figures, written to benchmarks/results/
bench: build
	$(RELEASE_BIN) bench crypto --out benchmarks/results/crypto.md
	$(RELEASE_BIN) bench transport --out benchmarks/results/transport.md
	$(MAKE) venv
	.venv/bin/pip install -q flwr==1.42.0
	.venv/bin/python tools/bench-flower.py > .build/flower-aggregation.json
	$(RELEASE_BIN) bench aggregation --flower .build/flower-aggregation.json --out benchmarks/results/aggregation.md
	.venv/bin/python tools/bench-pytorch.py --threads 2 > .build/pytorch-learn.json
	$(RELEASE_BIN) bench learn --threads 2 --pytorch .build/pytorch-learn.json --out benchmarks/results/learn.md
	$(MAKE) bench-data

## bench-data: DICOM decoding speed next to pydicom + Pillow, and the synthetic task's learning
## curve (ResNet-18 at 64 px on 2,000 synthetic images, all and half of the training part,
## scored on their 300 test images and on 1,000 more images of the same site)
BENCH_DATA = .build/bench-data
bench-data: build venv
	rm -rf $(BENCH_DATA) && mkdir -p $(BENCH_DATA)
	$(RELEASE_BIN) data synth --out $(BENCH_DATA)/decode --images 16 --seed 7
	.venv/bin/python tools/bench-decode.py $(BENCH_DATA)/decode $(FIXTURE) > $(BENCH_DATA)/reference.json
	$(RELEASE_BIN) data synth --out $(BENCH_DATA)/hospital --images 2000 --seed 1
	$(RELEASE_BIN) train --data $(BENCH_DATA)/hospital --image-size 64 --epochs 8 --out $(BENCH_DATA)/full.safetensors --json > $(BENCH_DATA)/full.json
	$(RELEASE_BIN) train --data $(BENCH_DATA)/hospital --image-size 64 --epochs 8 --fraction 0.5 --out $(BENCH_DATA)/half.safetensors --json > $(BENCH_DATA)/half.json
	$(RELEASE_BIN) data synth --out $(BENCH_DATA)/external --images 1000 --seed 2
	$(RELEASE_BIN) model evaluate --weights $(BENCH_DATA)/full.safetensors --data $(BENCH_DATA)/external --part all --json > $(BENCH_DATA)/full-external.json
	$(RELEASE_BIN) model evaluate --weights $(BENCH_DATA)/half.safetensors --data $(BENCH_DATA)/external --part all --json > $(BENCH_DATA)/half-external.json
	$(RELEASE_BIN) bench data --data $(BENCH_DATA)/decode --fixture $(FIXTURE) --reference $(BENCH_DATA)/reference.json \
		--curve-full $(BENCH_DATA)/full.json --curve-half $(BENCH_DATA)/half.json \
		--external-full $(BENCH_DATA)/full-external.json --external-half $(BENCH_DATA)/half-external.json --out benchmarks/results/data.md

## bench-node: two ResNet-18 peers at 128 px, batch 16, 10 rounds: resident memory per round and
## the peak against 1.5 GiB (benchmarks/results/node.md)
bench-node: build
	rm -rf .build/bench-node
	python3 tools/bench-node.py $(RELEASE_BIN) .build/bench-node benchmarks/results/node.md

## faults: the kill matrix on real processes, every phase x every role of the round's tree, and a
## leaf frozen in every phase, six peers each (benchmarks/results/faults.md)
faults: build
	python3 tools/faults.py $(RELEASE_BIN) .build/faults-matrix benchmarks/results/faults.md

## soak: 50 rounds of an eight-peer federation on namespace hosts (root), a seeded random fault
## in every round (benchmarks/results/soak.md)
soak: build
	python3 tools/soak.py $(RELEASE_BIN) .build/soak benchmarks/results/soak.md

## faults-simulated: split liveness views and partitions, 20 seeds each, in peer simulate
## (benchmarks/results/faults-simulated.md)
faults-simulated: build
	tools/faults-simulated.py $(RELEASE_BIN) benchmarks/results/faults-simulated.md .build/faults

## venv: Python tools for cross-checks (never needed by the product): torch (CPU), numpy
venv: .venv/bin/python
.venv/bin/python:
	python3 -m venv .venv
	.venv/bin/pip install -q torch==2.13.0 torchvision numpy pydicom Pillow

## check-data: peer's DICOM decoding and synthetic files against pydicom + Pillow (tools/check-data.py)
check-data: build venv
	rm -rf .build/check-data
	$(RELEASE_BIN) data synth --out .build/check-data --images 12 --size 256 --positive-rate 0.5 --site 1
	.venv/bin/python tools/check-data.py $(RELEASE_BIN) .build/check-data $(FIXTURE)

## check-pytorch: peer model init + forward against PyTorch (strict load, logits within 1e-4)
check-pytorch: build venv
	@mkdir -p .build/check
	$(RELEASE_BIN) model init --model resnet18 --seed 7 --out .build/check/resnet18.safetensors --force
	.venv/bin/python -c "import numpy, json, struct; x = numpy.random.default_rng(7).random((2, 1, 64, 64), dtype=numpy.float32); h = json.dumps({'input': {'dtype': 'F32', 'shape': list(x.shape), 'data_offsets': [0, x.nbytes]}}).encode(); h += b' ' * (-len(h) % 8); open('.build/check/input.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + x.tobytes())"
	$(RELEASE_BIN) model forward --weights .build/check/resnet18.safetensors --input .build/check/input.safetensors --output .build/check/logits.safetensors
	.venv/bin/python tools/check-pytorch.py .build/check/resnet18.safetensors .build/check/input.safetensors .build/check/logits.safetensors

## check-node: two peer run processes (resnet18 at 32 px): /metrics through prometheus_client's
## parser, /status fields, byte-identical checkpoints loading strictly into PyTorch (tools/check-node.py)
check-node: build venv
	.venv/bin/pip install -q prometheus_client
	rm -rf .build/check-node
	.venv/bin/python tools/check-node.py $(RELEASE_BIN) .build/check-node

clean:
	rm -rf .build
