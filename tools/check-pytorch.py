#!/usr/bin/env python3
"""Cross-checks `peer model init` and `peer model forward` against PyTorch.

Loads the checkpoint into resnet18 with conv1 = Conv2d(1, 64, 7, 2, 3, bias=False) and
fc = Linear(512, 1) using load_state_dict(strict=True), runs it in eval mode on the tensor
"input" of INPUT, and compares with the tensor "logits" of LOGITS (relative tolerance 1e-4).

torchvision's own resnet18 is used when torchvision imports; the torchvision wheel PyPI pairs
with torch 2.13.0+cpu here fails to load its C++ operators, so the script falls back to the same
module tree written out below (torchvision's names: conv1, bn1, layerN.M.{conv1,bn1,conv2,bn2,
downsample.0,downsample.1}, fc).

Usage: tools/check-pytorch.py WEIGHTS INPUT LOGITS      (in the .venv of `make venv`)
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.downsample = None
        if stride != 1 or inputs != outputs:
            self.downsample = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        channels = 64
        for stage, width in enumerate([64, 128, 256, 512]):
            blocks = [BasicBlock(channels, width, 1 if stage == 0 else 2), BasicBlock(width, width, 1)]
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
            channels = width
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 1)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18():
    try:
        import torchvision
        model = torchvision.models.resnet18()
        model.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        model.fc = nn.Linear(512, 1)
        return model, "torchvision"
    except Exception:
        return ResNet18(), "the same module tree (torchvision does not import here)"


def read_safetensors(path):
    data = open(path, "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        dtype = {"F32": "<f4", "I64": "<i8"}[entry["dtype"]]
        out[name] = np.frombuffer(data[8 + length + start:8 + length + end], dtype=dtype).reshape(entry["shape"])
    return out


def main(weights, input_path, logits_path):
    model, source = resnet18()
    state = {name: torch.from_numpy(array.copy()) for name, array in read_safetensors(weights).items()}
    model.load_state_dict(state, strict=True)
    parameters = sum(p.numel() for p in model.parameters())
    model.eval()
    with torch.no_grad():
        expected = model(torch.from_numpy(read_safetensors(input_path)["input"].copy())).numpy()
    ours = read_safetensors(logits_path)["logits"]
    relative = float(np.abs(ours - expected).max() / max(np.abs(expected).max(), 1e-12))
    print(f"strict load into {source}: ok, {parameters} parameters; logits {ours.ravel()[:4]} vs PyTorch {expected.ravel()[:4]}; "
          f"largest relative difference {relative:.2e}")
    return 0 if parameters == 11_170_753 and relative <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
