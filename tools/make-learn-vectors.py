#!/usr/bin/env python3
"""Writes Tests/LearnTests/Vectors/small-step.safetensors with PyTorch: a small CNN (the same
layers and names as Learn's SmallCNN), its weights, an input batch and labels, the logits and
focal loss of a training-mode forward pass, every gradient, and the parameters and running
statistics after one SGD step (lr 0.1, momentum 0.9, weight decay 1e-4, Nesterov).

Usage: .venv/bin/python tools/make-learn-vectors.py      (run once; the file is committed)
"""
import json
import struct

import torch
from torch import nn

torch.manual_seed(11)
model = nn.Sequential()
model.add_module("features", nn.Sequential(
    nn.Conv2d(1, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2, 2),
    nn.Conv2d(8, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()))
model.add_module("pool", nn.AdaptiveAvgPool2d(1))
model.add_module("flatten", nn.Flatten())
model.add_module("classifier", nn.Linear(16, 1))
with torch.no_grad():  # non-trivial batch norm parameters
    for bn in (model.features[1], model.features[5]):
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.2, 0.2)

images = torch.rand(4, 1, 8, 8)
labels = torch.tensor([1.0, 0.0, 1.0, 0.0])
before = {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}

model.train()
logits = model(images).squeeze(1)
gamma, alpha = 2.0, 0.25
p = torch.sigmoid(logits)
pt = torch.where(labels > 0.5, p, 1 - p)
weight = torch.where(labels > 0.5, torch.full_like(p, alpha), torch.full_like(p, 1 - alpha))
loss = (-weight * (1 - pt) ** gamma * torch.log(pt)).mean()
loss.backward()
gradients = {name: parameter.grad.detach().clone() for name, parameter in model.named_parameters()}
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True)
optimizer.step()
after = {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}

# Names as Learn's SmallCNN has them (classifier = the Linear layer).
tensors = {}
for name, tensor in before.items():
    if not name.endswith("num_batches_tracked"):
        tensors["before." + name] = tensor
for name, tensor in gradients.items():
    tensors["gradient." + name] = tensor
for name, tensor in after.items():
    if not name.endswith("num_batches_tracked"):
        tensors["after." + name] = tensor
tensors["input"] = images
tensors["labels"] = labels
tensors["logits"] = logits.detach().reshape(4, 1)
tensors["loss"] = loss.detach().reshape(1)

header, blobs, offset = {}, [], 0
for name, tensor in tensors.items():
    data = tensor.contiguous().numpy().astype("<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
encoded = json.dumps(header).encode()
encoded += b" " * (-len(encoded) % 8)
with open("Tests/LearnTests/Vectors/small-step.safetensors", "wb") as file:
    file.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))
print(f"wrote {len(tensors)} tensors, loss {loss.item():.6f}")
