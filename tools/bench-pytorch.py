#!/usr/bin/env python3
"""PyTorch's CPU training speed for ResNet-18 (1 channel, 1 logit), the same shapes and thread
count as `peer bench learn`; prints JSON {"128": images/s, "256": images/s, "threads": n}.

Usage: .venv/bin/python tools/bench-pytorch.py [--threads 2] [--steps 3]
"""
import argparse
import json
import time

import torch
from torch import nn

from importlib import util as _util  # noqa: E402
spec = _util.spec_from_file_location("check", __file__.replace("bench-pytorch.py", "check-pytorch.py"))
check = _util.module_from_spec(spec)
spec.loader.exec_module(check)

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--steps", type=int, default=3)
arguments = parser.parse_args()
torch.set_num_threads(arguments.threads)
results = {"threads": arguments.threads}
for size in (128, 256):
    model, _ = check.resnet18()
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.rand(16, 1, size, size)
    labels = torch.randint(0, 2, (16,)).float()
    loss_function = nn.BCEWithLogitsLoss()

    def step():
        optimizer.zero_grad()
        loss_function(model(images).squeeze(1), labels).backward()
        optimizer.step()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(arguments.steps):
        step()
    results[str(size)] = 16 * arguments.steps / (time.perf_counter() - start)
print(json.dumps(results))
