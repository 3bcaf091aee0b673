internal import Foundation
import Gossip
import Peer

/// `peer status`: asks running peers how they are doing.
enum StatusCommand {
    static let command = Command(
        name: "status",
        summary: "Show the state of running peers from their status endpoints.",
        usage: "peer status (--address HOST:PORT | --topology FILE (--id ID | --all)) [--json] [--watch SECONDS]",
        details: """
        Asks each peer's GET /status. Per peer: state, round and phase, training progress, the
        last round's contributors, validation F1, the short model hash, warnings, and F1 per
        round as a sparkline. With --all, one row per peer of the topology (unreachable peers
        shown as such) and whether all reachable peers hold the same model.

        OPTIONS:
          --address HOST:PORT     One peer's status address.
          --topology FILE         Take status addresses from this topology file...
          --id ID                 ...for this peer,
          --all                   ...or for every peer.
          --json                  Print each peer's /status object (with its id) as a JSON array.
          --watch SECONDS         Ask again every SECONDS until interrupted.
          -h, --help              Show help information.

        Exit status 1 when a peer is unreachable or has failed.
        """,
        run: run
    )

    /// One peer asked.
    struct Answer {
        let id: String
        let address: PeerAddress
        let status: NodeStatus?
        let problem: String?
    }

    static func run(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let addressText = try arguments.option("--address")
        let topologyPath = try arguments.option("--topology")
        let id = try arguments.option("--id")
        let all = try arguments.flag("--all")
        let json = try arguments.flag("--json")
        let watch = try arguments.number("--watch", default: 0, in: 0...86_400)
        try arguments.finish()
        var targets: [(id: String, address: PeerAddress)] = []
        switch (addressText, topologyPath) {
        case (let text?, nil):
            guard id == nil, !all else { throw arguments.usage("--id and --all go with --topology, not --address") }
            guard let address = PeerAddress(parsing: text) else { throw arguments.usage("--address '\(text)' is not HOST:PORT") }
            targets = [(text, address)]
        case (nil, let path?):
            let topology = try TopologyParser.load(path)
            guard (id == nil) != !all else { throw arguments.usage("give --id ID or --all with --topology") }
            let peers = all ? topology.peers : try [topology.peer(id!) ?? { throw arguments.usage("\(path) has no peer '\(id!)'") }()]
            for peer in peers {
                guard let address = peer.status else {
                    if all { continue }
                    throw arguments.usage("\(path) gives \(peer.id) no status address; ask it with --address HOST:PORT")
                }
                targets.append((peer.id, address))
            }
            guard !targets.isEmpty else { throw arguments.usage("\(path) gives no peer a status address") }
        default:
            throw arguments.usage("give --address HOST:PORT or --topology FILE")
        }
        while true {
            let answers = await ask(targets)
            if json {
                console.output(render(json: answers))
            } else {
                console.output(StatusTable.text(answers.map { ($0.id, $0.status, $0.problem) }, all: targets.count > 1))
            }
            guard watch > 0 else {
                return answers.contains { $0.status == nil || $0.status?.state == .failed } ? ExitStatus.failure : ExitStatus.success
            }
            try await Task.sleep(for: .milliseconds(Int(watch * 1000)))
        }
    }

    /// Every target's `/status`, asked at once.
    static func ask(_ targets: [(id: String, address: PeerAddress)]) async -> [Answer] {
        await withTaskGroup(of: (Int, Answer).self) { group in
            for (index, target) in targets.enumerated() {
                group.addTask {
                    do {
                        let (code, body) = try await HTTPClient.get("/status", from: target.address)
                        guard code == 200 else { return (index, Answer(id: target.id, address: target.address, status: nil, problem: "HTTP \(code)")) }
                        let status = try JSONDecoder().decode(NodeStatus.self, from: Data(body))
                        return (index, Answer(id: status.id, address: target.address, status: status, problem: nil))
                    } catch {
                        return (index, Answer(id: target.id, address: target.address, status: nil, problem: "\(error)"))
                    }
                }
            }
            var answers: [(Int, Answer)] = []
            for await answer in group { answers.append(answer) }
            return answers.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// The answers as a JSON array: each reachable peer's document, each unreachable one as
    /// {"id", "address", "unreachable"}.
    static func render(json answers: [Answer]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let items: [String] = answers.map { answer in
            if let status = answer.status, let data = try? encoder.encode(status) { return String(decoding: data, as: UTF8.self) }
            let object: [String: String] = ["id": answer.id, "address": "\(answer.address)", "unreachable": answer.problem ?? ""]
            return String(decoding: (try? encoder.encode(object)) ?? Data(), as: UTF8.self)
        }
        return "[" + items.joined(separator: ",\n") + "]\n"
    }
}
