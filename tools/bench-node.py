#!/usr/bin/env python3
"""The resident memory and round time of ResNet-18 peers at 128 px, batch 16, over 10 rounds,
and four such peers sharing this host:

    tools/bench-node.py PEER WORKDIR OUT.md

Runs two `peer run` processes on loopback (a complete graph, one BLAS thread each, 80 synthetic
images per hospital), polls each peer's /status every second, and writes OUT.md with every
round's resident memory and the peak (VmHWM) per peer, against the 1.5 GiB target; then runs
four peers in a ring for 3 rounds and reports whether any failure detector suspected a
neighbour.
Standard library only.
"""
import datetime
import os
import platform
import subprocess
import sys

from localfed import LocalFederation

TARGET = 1.5 * 2**30
ROUNDS = 10


def main(peer, workdir, out):
    federation = LocalFederation(peer, workdir, "complete", 2, 47700,
                                 ["--model", "resnet18", "--image-size", "128", "--batch-size", "16", "--rounds", str(ROUNDS)], images=80)
    federation.start_all()
    memory = {id: {} for id in federation.ids}

    def record(statuses):
        for id, status in statuses.items():
            memory[id][status["lastCommittedRound"]] = (status.get("residentMemoryBytes") or 0, status.get("peakResidentMemoryBytes") or 0)

    try:
        statuses = federation.wait_finished(timeout=3600, on_poll=record)
    finally:
        federation.stop()
    record(statuses)
    journals = {id: federation.journal(id) for id in federation.ids}
    hashes = {journal[-1]["modelHash"] for journal in journals.values()}
    mib = lambda value: f"{value / 2**20:.0f} MiB"
    lines = [
        "# Peer node: memory and round time",
        "",
        f"Measured {datetime.date.today()} on {platform.machine()}, {os.cpu_count()} cores, by `make bench-node`",
        f"(`tools/bench-node.py {peer} {workdir} {out}`): two `peer run` processes on loopback, ResNet-18 at 128 px,",
        f"batch 16, SGD, {ROUNDS} rounds of one local epoch on 56 training images each (80 synthetic images per",
        "hospital), one BLAS thread per peer (the default). Resident memory is read from each peer's `/status`",
        "after every round; the peak is the process's VmHWM.",
        "",
        "| peer | round 1 | round 5 | round 10 | peak | target | mean round (train / aggregate / total) |",
        "|---|---|---|---|---|---|---|",
    ]
    worst = 0
    for id in federation.ids:
        rounds = memory[id]
        peak = max(p for _, p in rounds.values())
        worst = max(worst, peak)
        entries = [e for e in journals[id] if e["kind"] == "completed"]
        train = sum(e["seconds"].get("train", 0) for e in entries) / len(entries)
        total = sum(e["seconds"].get("total", 0) for e in entries) / len(entries)
        aggregate = sum(sum(v for k, v in e["seconds"].items() if k not in ("train", "evaluate", "checkpoint", "total")) for e in entries) / len(entries)
        at = lambda r: mib(rounds[r][0]) if r in rounds else "-"
        lines.append(f"| {id} | {at(1)} | {at(5)} | {at(10)} | {mib(peak)} | {'under' if peak < TARGET else 'OVER'} 1.5 GiB | "
                     f"{train:.1f} s / {aggregate:.1f} s / {total:.1f} s |")
    lines += ["", f"Every round completed on both peers: {all(len([e for e in j if e['kind'] == 'completed']) == ROUNDS for j in journals.values())};",
              f"final model hashes agree: {len(hashes) == 1}.", ""]
    crowded = crowded_host(peer, os.path.join(workdir, "four"))
    lines += crowded["lines"]
    with open(out, "w") as file:
        file.write("\n".join(lines))
    print("\n".join(lines))
    return 0 if worst < TARGET and len(hashes) == 1 and crowded["ok"] else 1


def crowded_host(peer, workdir):
    """Four ResNet-18 peers at 128 px in a ring on this one host, 3 rounds, default threads:
    whether their failure detectors held (no neighbour suspected) and every round had all four."""
    federation = LocalFederation(peer, workdir, "ring", 4, 47800,
                                 ["--model", "resnet18", "--image-size", "128", "--rounds", "3"], images=80)
    federation.start_all()
    started = datetime.datetime.now()
    try:
        federation.wait_finished(timeout=3600)
    finally:
        federation.stop()
    seconds = (datetime.datetime.now() - started).total_seconds()
    suspicions = sum(open(federation.log_path(id)).read().count("suspect ") for id in federation.ids)
    journals = [federation.journal(id) for id in federation.ids]
    full = all(len(e["contributors"]) == 4 for j in journals for e in j if e["round"] > 0)
    agree = len({j[-1]["modelHash"] for j in journals}) == 1
    lines = ["## Four peers on one 2-core host", "",
             "Four ResNet-18 peers at 128 px in a ring on this host, 3 rounds, default threads (one BLAS thread",
             f"each), 80 images per hospital: {seconds:.0f} s; neighbours suspected down: {suspicions}; every round with",
             f"all four contributors: {full}; final model hashes agree: {agree}.", ""]
    return {"lines": lines, "ok": suspicions == 0 and full and agree}


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
