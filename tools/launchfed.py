"""Federations started by `peer launch`, for the fault matrix and the soak (tools/faults.py,
tools/soak.py): synthetic hospitals, generated topologies (on loopback, or one network namespace
per peer), the launch itself, and the peers' journals afterwards. Standard library only."""
import json
import os
import shutil
import subprocess
import sys


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def journal(state, peer):
    path = os.path.join(state, peer, "journal.jsonl")
    with open(path) as file:
        return [json.loads(line) for line in file if line.strip()]


def hospitals(peer, data, count, images):
    """data/peer-i: a synthetic hospital of `images` half-positive images, site profile i."""
    for index in range(1, count + 1):
        target = os.path.join(data, f"peer-{index}")
        if not os.path.exists(os.path.join(target, "train-rle.csv")):
            result = run([peer, "data", "synth", "--out", target, "--images", str(images), "--size", "64", "--positive-rate", "0.5",
                          "--seed", str(index), "--site", str(index), "--force"])
            if result.returncode != 0:
                sys.exit(f"peer data synth failed: {result.stderr}")


def topology(peer, directory, kind, count, rounds, port, hosts=None, degree=None):
    """A fresh topology of small-cnn peers at 32 px in `directory` (ring.json-like), its keys in
    directory/keys; with `hosts`, peer i listens on hosts[i] instead of loopback."""
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    path = os.path.join(directory, "topology.json")
    keys = os.path.join(directory, "keys")
    command = [peer, "topology", "generate", kind, "--peers", str(count), "--out", path, "--keys-dir", keys, "--base-port", str(port),
               "--model", "small-cnn", "--image-size", "32", "--rounds", str(rounds), "--optimizer", "adam", "--learning-rate", "0.001"]
    result = run(command + (["--degree", str(degree)] if degree else []))
    if result.returncode != 0:
        sys.exit(f"peer topology generate failed: {result.stderr}")
    if hosts:
        with open(path) as file:
            description = json.load(file)
        for index, entry in enumerate(description["peers"]):
            for field in ("address", "status"):
                entry[field] = f"{hosts[index]}:{entry[field].rsplit(':', 1)[1]}"
        with open(path, "w") as file:
            json.dump(description, file, indent=2)
    with open(path) as file:
        return path, keys, json.load(file)


def launch(peer, path, keys, data, state, plan, hosts=None, timeout=900, extra=()):
    """`peer launch --json` with `plan` injected; returns (exit status, its table, stdout)."""
    command = [peer, "launch", path, "--data-root", data, "--keys-dir", keys, "--state-root", state, "--phase-timeout", "5", "--json"]
    if hosts:
        command += ["--remote", "ip netns exec {host}"]
    if plan:
        command += ["--inject", plan]
    environment = dict(os.environ, PATH=os.path.dirname(os.path.abspath(peer)) + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
    result = run(command + list(extra), timeout=timeout, env=environment)
    if "{\n" not in result.stdout:
        sys.exit(f"peer launch printed no table (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.returncode, json.loads(result.stdout[result.stdout.index("{\n"):]), result


class Namespaces:
    """`count` network namespaces named NET.1 ... on one bridge that has NET.254, so that this
    host reaches every peer's status port: each peer of a topology on its own host, for cuts
    and partitions (blackhole routes inside a namespace). Needs root and iproute2."""

    def __init__(self, count, net="10.78.0", bridge="peersoakbr0", prefix="ps"):
        self.count, self.net, self.bridge, self.prefix = count, net, bridge, prefix
        self.hosts = [f"{net}.{index}" for index in range(1, count + 1)]

    def ip(self, *arguments, check=True):
        result = run(["ip", *arguments])
        if check and result.returncode != 0:
            sys.exit(f"ip {' '.join(arguments)} failed: {result.stderr.strip()}")

    def __enter__(self):
        if os.geteuid() != 0 or shutil.which("ip") is None:
            sys.exit("this run needs root and iproute2 ('ip') to make one network namespace per peer")
        self.__exit__()
        self.ip("link", "add", self.bridge, "type", "bridge")
        self.ip("addr", "add", f"{self.net}.254/24", "dev", self.bridge)
        self.ip("link", "set", self.bridge, "up")
        for index, host in enumerate(self.hosts, start=1):
            outside, inside = f"{self.prefix}h{index}", f"{self.prefix}n{index}"
            self.ip("netns", "add", host)
            self.ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            self.ip("link", "set", inside, "netns", host)
            self.ip("link", "set", outside, "master", self.bridge)
            self.ip("link", "set", outside, "up")
            self.ip("-n", host, "addr", "add", f"{host}/24", "dev", inside)
            self.ip("-n", host, "link", "set", inside, "up")
            self.ip("-n", host, "link", "set", "lo", "up")
        return self

    def __exit__(self, *exception):
        for index, host in enumerate(self.hosts, start=1):
            self.ip("link", "delete", f"{self.prefix}h{index}", check=False)
            self.ip("netns", "delete", host, check=False)
        self.ip("link", "delete", self.bridge, check=False)
