"""A local federation of `peer run` processes on loopback, for the node's checks and benchmarks
(tools/check-node.py, tools/bench-node.py). Standard library only."""
import json
import os
import signal
import subprocess
import time
import urllib.request


class LocalFederation:
    """Peers of a generated topology, each on its own synthetic hospital, started as processes."""

    def __init__(self, peer, workdir, kind, count, base_port, training, images, image_size=128, extra=()):
        self.peer, self.workdir, self.extra = peer, workdir, list(extra)
        os.makedirs(workdir, exist_ok=True)
        self.topology = os.path.join(workdir, "topology.json")
        self.run([peer, "topology", "generate", kind, "--peers", str(count), "--out", self.topology,
                  "--keys-dir", os.path.join(workdir, "keys"), "--base-port", str(base_port), "--force"] + training)
        with open(self.topology) as file:
            self.description = json.load(file)
        self.ids = [p["id"] for p in self.description["peers"]]
        self.rounds = self.description["training"]["rounds"]
        for index, id in enumerate(self.ids):
            data = os.path.join(workdir, "data", id)
            if not os.path.exists(os.path.join(data, "train-rle.csv")):
                self.run([peer, "data", "synth", "--out", data, "--images", str(images), "--size", str(image_size),
                          "--seed", str(index + 1), "--site", str(index + 1), "--force"])
        self.processes = {}

    @staticmethod
    def run(command):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr}")
        return result.stdout

    def log_path(self, id):
        return os.path.join(self.workdir, f"{id}.log")

    def start(self, id, extra=()):
        log = open(self.log_path(id), "a")
        command = [self.peer, "run", "--topology", self.topology, "--id", id, "--key", os.path.join(self.workdir, "keys", f"{id}.key"),
                   "--data", os.path.join(self.workdir, "data", id), "--state", os.path.join(self.workdir, "state", id),
                   "--linger"] + self.extra + list(extra)
        self.processes[id] = subprocess.Popen(command, stdout=log, stderr=log)

    def start_all(self):
        for id in self.ids:
            self.start(id)

    def status(self, id):
        address = next(p["status"] for p in self.description["peers"] if p["id"] == id)
        with urllib.request.urlopen(f"http://{address}/status", timeout=10) as response:
            return json.load(response)

    def get(self, id, path):
        address = next(p["status"] for p in self.description["peers"] if p["id"] == id)
        with urllib.request.urlopen(f"http://{address}{path}", timeout=10) as response:
            return response.read().decode()

    def wait_finished(self, timeout, on_poll=lambda statuses: None):
        """Polls every peer's status until all have finished the rounds (or one exits)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for id, process in self.processes.items():
                if process.poll() is not None:
                    raise SystemExit(f"{id} exited {process.returncode}; see {self.log_path(id)}")
            try:
                statuses = {id: self.status(id) for id in self.ids}
            except OSError:
                statuses = None
            if statuses:
                on_poll(statuses)
                if all(s["state"] == "finished" for s in statuses.values()):
                    return statuses
            time.sleep(1)
        raise SystemExit(f"the federation did not finish within {timeout} s")

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = {id: process.wait(timeout=60) for id, process in self.processes.items()}
        self.processes = {}
        return codes

    def journal(self, id):
        with open(os.path.join(self.workdir, "state", id, "journal.jsonl")) as file:
            return [json.loads(line) for line in file if line.strip()]

    def checkpoint(self, id):
        return os.path.join(self.workdir, "state", id, self.journal(id)[-1]["checkpoint"])
