#!/usr/bin/env python3
"""Checks a `peer simulate --dump DIR` round from outside: the aggregate of every surviving peer
must equal the weighted average of exactly the contributors' inputs, within the bound.

Usage: tools/check-aggregate.py DIR/round-1      (needs numpy)
"""
import json
import pathlib
import struct
import sys

import numpy as np


def read_safetensors(path):
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[8 + length + start:8 + length + end], dtype="<f4").reshape(entry["shape"])
    return tensors


def main(folder):
    folder = pathlib.Path(folder)
    manifest = json.loads((folder / "contributors.json").read_text())
    peers = {p.stem: read_safetensors(p) for p in folder.glob("*.safetensors")}
    contributors = manifest["contributors"]
    weights = np.array([min(max(float(peers[c]["weight"]), 0.0), 1.0) for c in contributors], dtype=np.float64)
    inputs = np.stack([peers[c]["input"].astype(np.float64) * w for c, w in zip(contributors, weights)])
    expected = inputs.sum(axis=0) / weights.sum()
    survivors = [p for p, t in peers.items() if "aggregate" in t]
    worst = max(float(np.abs(peers[p]["aggregate"] - expected).max()) for p in survivors)
    identical = all(np.array_equal(peers[p]["aggregate"], peers[survivors[0]]["aggregate"]) for p in survivors)
    print(f"{len(contributors)} contributors, {len(survivors)} survivors, identical: {identical}, "
          f"largest error {worst:.3e} (bound {manifest['errorBound']:.3e})")
    return 0 if identical and worst <= manifest["errorBound"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
