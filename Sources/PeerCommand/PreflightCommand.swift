import Crypto
internal import Foundation
import Gossip
import Learn
import Peer

/// `peer preflight`: what `peer run` would need on this host, checked without starting it.
enum PreflightCommand {
    static let command = Command(
        name: "preflight",
        summary: "Check that this host can run a peer: version, topology, key, data, ports, state.",
        usage: "peer preflight --topology FILE --id ID --key FILE --data DIR [--state DIR] [--json]",
        details: """
        Checks, without starting anything: the topology file parses (its federation id is
        printed, to compare between hosts), the key file is readable (0600) and is the key the
        topology pins for ID, DIR holds SIIM-layout images and labels, the peer's listener and
        status ports are free here, and no 'peer run' holds the state directory. 'peer launch'
        runs it on every host before it starts anything.

        OPTIONS:
          --topology FILE         The federation's topology file.
          --id ID                 The peer's id.
          --key FILE              Its secret key file.
          --data DIR              Its data directory.
          --state DIR             Its state directory (default ./state/ID).
          --json                  Print {"id", "host", "version", "federation", "checks": [{"check", "ok", "detail"}]}.
          -h, --help              Show help information.

        Exit status 0 when every check passes, 1 otherwise, 64 for a topology that does not parse.
        """,
        run: run
    )

    static func run(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let topologyPath = try arguments.required("--topology", placeholder: "FILE")
        let id = try arguments.required("--id", placeholder: "ID")
        let keyPath = try arguments.required("--key", placeholder: "FILE")
        let data = try arguments.required("--data", placeholder: "DIR")
        let statePath = try arguments.option("--state") ?? "state/\(id)"
        let json = try arguments.flag("--json")
        try arguments.finish()
        let topology = try TopologyParser.load(topologyPath)
        var checks: [(check: String, ok: Bool, detail: String)] = []
        let peer = topology.peer(id)
        checks.append(("id", peer != nil, peer != nil ? "\(id) is in \(topologyPath)" : "\(topologyPath) has no peer '\(id)'"))
        do {
            let key = try IdentityKey(contentsOfFile: keyPath)
            let pinned = peer?.key
            checks.append(("key", key.publicKey == pinned,
                           key.publicKey == pinned ? "\(keyPath) holds the pinned key \(key.publicKey.text)"
                               : "\(keyPath) holds \(key.publicKey.text), not the key pinned for \(id) (\(pinned?.text ?? "none"))"))
        } catch {
            checks.append(("key", false, "\(keyPath): \(error)"))
        }
        do {
            let dataset = try SIIMDataset(directory: data)
            checks.append(("data", dataset.items.count >= 10, "\(data): \(dataset.items.count) labelled images"))
        } catch {
            checks.append(("data", false, "\(data): \(error)"))
        }
        for (name, address) in [("listener port", peer?.address), ("status port", peer?.status)] {
            guard let address else { continue }
            do {
                let socket = try Socket.listen(on: PeerAddress(host: address.host, port: address.port))
                socket.close()
                checks.append((name, true, "\(address) is free"))
            } catch {
                checks.append((name, false, "\(address) cannot be listened on: \(error)"))
            }
        }
        let held = StateLock.isHeld(statePath)
        checks.append(("state", !held, held ? "\(statePath) is in use by peer run (pid \(StateLock.holder(of: statePath) ?? "unknown"))"
                                              : "\(statePath) is not in use"))
        let host = ProcessInfo.processInfo.hostName
        if json {
            console.json(["id": id, "host": host, "version": PeerVersion.current, "federation": topology.federationID.hex,
                          "checks": checks.map { ["check": $0.check, "ok": $0.ok, "detail": $0.detail] }])
        } else {
            console.output("\(id) on \(host): peer \(PeerVersion.current), federation \(topology.federationID.short)\n")
            for check in checks { console.output("  \(check.ok ? "ok  " : "FAIL") \(check.check): \(check.detail)\n") }
        }
        return checks.allSatisfy(\.ok) ? ExitStatus.success : ExitStatus.failure
    }
}
