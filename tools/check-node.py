#!/usr/bin/env python3
"""Checks a peer node against the outside tools that read what it writes:

    tools/check-node.py PEER WORKDIR

Runs two `peer run` processes (resnet18 at 32 px, 2 rounds) on loopback, then checks that
prometheus_client's own parser reads every peer's /metrics with the expected families, that
/status is JSON with the documented fields, that both final checkpoints are byte-identical and
load strictly into PyTorch's resnet18 (1 input channel, 1 logit; tools/check-pytorch.py's), and that every peer
exits 0 on SIGTERM. Needs .venv with torch, torchvision and prometheus_client.
"""
import filecmp
import importlib.util
import os
import sys

import torch
from prometheus_client.parser import text_string_to_metric_families

from localfed import LocalFederation

# resnet18() and read_safetensors() of tools/check-pytorch.py.
_spec = importlib.util.spec_from_file_location("check_pytorch", os.path.join(os.path.dirname(__file__), "check-pytorch.py"))
check_pytorch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_pytorch)

EXPECTED_FAMILIES = {"peer_build_info", "peer_rounds_completed", "peer_round_aborts", "peer_phase_duration_seconds", "peer_neighbor_up",
                     "peer_sent_bytes", "peer_received_bytes", "peer_messages_refused", "peer_train_loss", "peer_validation_f1",
                     "peer_resident_memory_bytes"}
STATUS_FIELDS = {"id", "federation", "version", "state", "round", "rounds", "phase", "lastCommittedRound", "modelHash", "chainHead",
                 "neighbours", "refusals", "history", "aborts", "residentMemoryBytes", "warnings"}


def main(peer, workdir):
    federation = LocalFederation(peer, workdir, "complete", 2, 47600,
                                 ["--model", "resnet18", "--image-size", "32", "--rounds", "2", "--batch-size", "8"], images=40)
    federation.start_all()
    try:
        federation.wait_finished(timeout=900)
        for id in federation.ids:
            families = {family.name: family for family in text_string_to_metric_families(federation.get(id, "/metrics"))}
            missing = EXPECTED_FAMILIES - set(families)
            assert not missing, f"{id}: /metrics lacks {sorted(missing)}"
            completed = families["peer_rounds_completed"].samples[0].value
            assert completed == 2, f"{id}: peer_rounds_completed_total is {completed}"
            status = federation.status(id)
            assert STATUS_FIELDS <= set(status), f"{id}: /status lacks {sorted(STATUS_FIELDS - set(status))}"
            print(f"{id}: /metrics parsed by prometheus_client ({len(families)} families), /status has every field")
        first, second = (federation.checkpoint(id) for id in federation.ids)
        assert filecmp.cmp(first, second, shallow=False), "the two final checkpoints differ"
        model, source = check_pytorch.resnet18()
        state = {name: torch.from_numpy(array.copy()) for name, array in check_pytorch.read_safetensors(first).items()}
        model.load_state_dict(state, strict=True)
        print(f"{first}: byte-identical on both peers, loads strictly into resnet18 ({source})")
    finally:
        codes = federation.stop()
    assert all(code == 0 for code in codes.values()), f"exit statuses on SIGTERM: {codes}"
    print("both peers exited 0 on SIGTERM")


if __name__ == "__main__":
    main(*sys.argv[1:3])
