#!/usr/bin/env python3
"""Flower 1.42's own SecAgg+ functions on the shapes of `peer bench aggregation`: n clients, one
vector of d values, one client dropping after sending its masked vector, complete masking
(num_shares = n). Times each client's work (keys, shares, quantisation, masks) and the server's
(summing the masked vectors, recombining shares, removing masks, dequantising) the way
flwr/client/mod/secure_aggregation/secaggplus_mod.py and
flwr/server/workflow/secure_aggregation/secaggplus_workflow.py call them, and plain numpy
averaging of the same vectors. Prints JSON; `peer bench aggregation --flower FILE` reports it.

Usage: .venv/bin/python tools/bench-flower.py [--clients 8] [--dimension 11170753]
"""
import argparse
import json
import os
import time

import numpy as np
import flwr
from flwr.common.secure_aggregation.crypto.shamir import combine_shares, create_shares
from flwr.common.secure_aggregation.crypto.symmetric_encryption import generate_shared_key
from flwr.common.secure_aggregation.ndarrays_arithmetic import (
    factor_combine, factor_extract, get_parameters_shape, parameters_addition, parameters_mod,
    parameters_multiply, parameters_subtraction)
from flwr.common.secure_aggregation.quantization import dequantize, quantize
from flwr.common.secure_aggregation.secaggplus_utils import pseudo_rand_gen
from flwr.supercore.primitives.asymmetric import (
    bytes_to_private_key, bytes_to_public_key, generate_key_pairs, private_key_to_bytes, public_key_to_bytes)

parser = argparse.ArgumentParser()
parser.add_argument("--clients", type=int, default=8)
parser.add_argument("--dimension", type=int, default=11_170_753)
arguments = parser.parse_args()
n, d = arguments.clients, arguments.dimension
threshold = n // 2 + 1
# SecAggPlusWorkflow's defaults.
max_weight, clipping_range, target_range, mod_range = 1000.0, 8.0, 4194304, 4294967296

rng = np.random.default_rng(1)
updates = [[rng.uniform(-1, 1, d).astype(np.float32)] for _ in range(n)]  # model updates are float32
weights = [rng.integers(100, 1000) for _ in range(n)]
ids = list(range(1, n + 1))
dropped = ids[1]


def client_setup(nid):
    sk1, pk1 = generate_key_pairs()
    sk2, pk2 = generate_key_pairs()
    rd_seed = os.urandom(32)
    state = {"sk1": private_key_to_bytes(sk1), "pk1": public_key_to_bytes(pk1), "rd_seed": rd_seed}
    state["b_shares"] = create_shares(rd_seed, threshold, n)
    state["sk1_shares"] = create_shares(state["sk1"], threshold, n)
    return state


def client_mask(nid, state, public_keys):
    ratio = weights[nid - 1] / max_weight
    q_ratio = round(ratio * target_range)
    parameters = parameters_multiply(updates[nid - 1], q_ratio / target_range)
    quantized = factor_combine(q_ratio, quantize(parameters, clipping_range, target_range))
    dimensions = [a.shape for a in quantized]
    quantized = parameters_addition(quantized, pseudo_rand_gen(state["rd_seed"], mod_range, dimensions))
    for other in ids:
        if other == nid:
            continue
        key = generate_shared_key(bytes_to_private_key(state["sk1"]), bytes_to_public_key(public_keys[other]))
        mask = pseudo_rand_gen(key, mod_range, dimensions)
        quantized = parameters_addition(quantized, mask) if nid > other else parameters_subtraction(quantized, mask)
    return parameters_mod(quantized, mod_range)


states, client_seconds, masked = {}, {}, {}
for nid in ids:
    start = time.process_time()
    states[nid] = client_setup(nid)
    client_seconds[nid] = time.process_time() - start
public_keys = {nid: states[nid]["pk1"] for nid in ids}
for nid in ids:
    start = time.process_time()
    masked[nid] = client_mask(nid, states[nid], public_keys)
    client_seconds[nid] += time.process_time() - start

# The server: the survivors' masked vectors, then shares of every client (t of them).
start = time.process_time()
active = [nid for nid in ids if nid != dropped]
total = None
for nid in active:
    total = masked[nid] if total is None else parameters_addition(total, masked[nid])
total = parameters_mod(total, mod_range)
for nid in ids:
    shares = (states[nid]["b_shares"] if nid in active else states[nid]["sk1_shares"])[:threshold]
    secret = combine_shares(shares)
    if nid in active:
        total = parameters_subtraction(total, pseudo_rand_gen(secret, mod_range, get_parameters_shape(total)))
    else:
        for other in active:
            key = generate_shared_key(bytes_to_private_key(secret), bytes_to_public_key(public_keys[other]))
            mask = pseudo_rand_gen(key, mod_range, get_parameters_shape(total))
            total = parameters_addition(total, mask) if nid > other else parameters_subtraction(total, mask)
total = parameters_mod(total, mod_range)
q_total, total = factor_extract(total)
aggregate = dequantize(total, clipping_range, target_range)
for vector in aggregate:
    vector += -(len(active) - 1) * clipping_range
    vector *= target_range / q_total
server_seconds = time.process_time() - start

expected = sum(weights[nid - 1] * updates[nid - 1][0] for nid in active) / sum(weights[nid - 1] for nid in active)
error = float(np.max(np.abs(aggregate[0] - expected)))

start = time.process_time()
plain = updates[0][0].copy()
for nid in ids[1:]:
    plain += updates[nid - 1][0]
plain /= n
plain_seconds = time.process_time() - start

print(json.dumps({"flwr": flwr.__version__, "clients": n, "dimension": d, "dropped": 1,
                  "client_seconds_mean": sum(client_seconds.values()) / n, "server_seconds": server_seconds,
                  "plain_numpy_seconds": plain_seconds, "largest_error": error}))
