#!/usr/bin/env python3
"""Runs the simulated fault cases of docs/PROTOCOL.md ("One coordinator per round", "Partitions")
and writes their summary as Markdown.

    tools/faults-simulated.py PEER OUT.md [WORKDIR]

For each fault (split-view:3, partition), masking (complete, regular:4) and seed 1..20 it runs
`PEER simulate --peers 8 --dimension 2000 --fault F --masking M --rounds 2 --seed S --json`,
keeping each report in WORKDIR (default .build/faults); a report already there is reused, so
an interrupted run resumes where it stopped.
"""
import json
import os
import subprocess
import sys

FAULTS = ["split-view:3", "partition"]
MASKINGS = ["complete", "regular:4"]
SEEDS = range(1, 21)


def reports(peer, workdir, fault, masking, seed):
    path = os.path.join(workdir, f"{fault}-{masking}-{seed}.json")
    if not os.path.exists(path):
        command = [peer, "simulate", "--peers", "8", "--dimension", "2000", "--fault", fault, "--masking", masking,
                   "--rounds", "2", "--seed", str(seed), "--json"]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr}")
        with open(path + ".part", "w") as file:
            file.write(result.stdout)
        os.replace(path + ".part", path)
    with open(path) as file:
        return json.load(file)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    peer, out = sys.argv[1], sys.argv[2]
    workdir = sys.argv[3] if len(sys.argv) == 4 else ".build/faults"
    os.makedirs(workdir, exist_ok=True)
    rows = []
    for fault in FAULTS:
        for masking in MASKINGS:
            runs = [reports(peer, workdir, fault, masking, seed) for seed in SEEDS]
            rounds = [r for run in runs for r in run]
            # A round is completed when some peers completed it (a partition's majority part, or a
            # split view's earliest coordinator): the report's own status is the first candidate's.
            completed = sum(r["distinctAggregateHashes"] == 1 for r in rounds)
            runs_completing = sum(any(r["distinctAggregateHashes"] == 1 for r in run) for run in runs)
            two_coordinators = sum(len(r["coordinatorsFollowed"]) > 1 for r in rounds)
            most_hashes = max(r["distinctAggregateHashes"] for r in rounds)
            both = sum(r["ownersWithBothSharesRevealed"] for r in rounds)
            reasons = {}
            for r in rounds:
                if r["distinctAggregateHashes"] == 0:
                    reason = r["abortReason"].split(",")[0].split(":")[0]
                    reasons[reason] = reasons.get(reason, 0) + 1
            wall = sorted(r["wallSeconds"] for r in rounds)
            rows.append((fault, masking, len(runs), len(rounds), completed, runs_completing, two_coordinators, most_hashes, both,
                         "; ".join(f"{count}x {reason}" for reason, count in sorted(reasons.items())) or "-",
                         wall[len(wall) // 2], wall[-1]))
            print(f"{fault} {masking}: {completed}/{len(rounds)} rounds completed, at most {most_hashes} hash, {both} both revealed",
                  file=sys.stderr)
    with open(out, "w") as file:
        file.write("# Simulated faults: split liveness views and partitions\n\n")
        file.write("Written by `make faults-simulated` (tools/faults-simulated.py): for each fault, masking and seed 1-20,\n")
        file.write("`peer simulate --peers 8 --dimension 2000 --fault F --masking M --rounds 2 --seed S --json`\n")
        file.write("(8 peers on a random 4-regular topology, default threshold: 5 with complete masking, 3 with regular:4;\n")
        file.write("a round needs a quorum of 5 contributors either way). `split-view:3`: three peers chosen by the seed do not\n")
        file.write("see the round's first coordinator candidate as alive at its start. `partition`: the topology is cut into 5 + 3\n")
        file.write("connected peers as the first round's tree sum begins, for the rest of the run.\n\n")
        file.write("| fault | masking | runs | rounds | rounds completed by some peers | runs with a completed round "
                   "| rounds with two coordinators followed | most aggregate hashes in a round | owners with both shares revealed "
                   "| rounds nobody completed, by the first candidate's reason | median / max round s |\n")
        file.write("|---|---|---|---|---|---|---|---|---|---|---|\n")
        for row in rows:
            file.write("| " + " | ".join(str(value) if not isinstance(value, float) else f"{value:.2f}" for value in row[:10])
                       + f" | {row[10]:.2f} / {row[11]:.2f} |\n")
        file.write("\nEvery round ended on at most one aggregate hash among the peers that completed it, and no owner had both its\n")
        file.write("self-mask share and its mask-key share revealed by any peers. Under a split view the earliest coordinator wins\n")
        file.write("(docs/PROTOCOL.md, \"One coordinator per round\"); in a partition only the part with a strict majority completes\n")
        file.write("rounds (\"Partitions\"). Aborted rounds waited out the coordinator's phase timeouts (10 s by default), which\n")
        file.write("is what the longest rounds show.\n")


if __name__ == "__main__":
    main()
