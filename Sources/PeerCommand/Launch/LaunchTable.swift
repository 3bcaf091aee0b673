internal import Foundation
import Peer

/// The table a launch ends with: per peer, rounds completed, contributed and dropped,
/// validation F1 and AUC, the short model hash; whether all hashes agree; and the peers' mean
/// validation AUC round by round, which shows whether the federation learns; the injected
/// faults and what became of each.
struct LaunchTable {
    struct Row {
        let id: String
        let host: String
        let state: String
        let completed: Int
        let contributed: Int
        let dropped: Int
        let f1: Double?
        let auc: Double?
        let modelHash: String?
    }

    let rows: [Row]
    /// The agreement and the learning curve count these statuses: the survivors'.
    let statuses: [String: NodeStatus]
    /// The peers an injected kill took and no restart brought back.
    let down: Set<String>
    /// Each injection and what the launch saw of it (nil: it did not happen).
    let injections: [(FaultPlan.Injection, String?)]

    /// The table of `plan`'s peers; `statuses` are the survivors' last ones, `down` the peers
    /// an injected kill took.
    init(plan: LaunchPlan, statuses: [String: NodeStatus], down: Set<String> = [], injections: [(FaultPlan.Injection, String?)] = []) {
        self.statuses = statuses
        self.down = down
        self.injections = injections
        rows = plan.members.map { member in
            guard let status = statuses[member.id] else {
                return Row(id: member.id, host: member.host, state: down.contains(member.id) ? "killed" : "unreachable", completed: 0, contributed: 0,
                           dropped: 0, f1: nil, auc: nil, modelHash: nil)
            }
            let rounds = status.history.filter { $0.round > 0 }
            return Row(id: member.id, host: member.host, state: status.state.rawValue, completed: status.lastCommittedRound,
                       contributed: rounds.count { $0.contributed }, dropped: rounds.count { !$0.contributed },
                       f1: rounds.last?.f1, auc: rounds.last?.auc, modelHash: status.modelHash)
        }
    }

    /// Whether every survivor holds one model.
    var agree: Bool {
        let survivors = rows.filter { !down.contains($0.id) }
        return Set(survivors.compactMap(\.modelHash)).count == 1 && survivors.allSatisfy { $0.modelHash != nil }
    }

    /// Each round's validation AUC averaged over the peers whose history has it, oldest first.
    static func meanAUCByRound(_ statuses: [String: NodeStatus]) -> [(round: Int, auc: Double)] {
        let values = Dictionary(grouping: statuses.values.flatMap { status in
            status.history.filter { $0.round > 0 }.compactMap { summary in summary.auc.map { (round: summary.round, auc: $0) } }
        }, by: \.round)
        return values.keys.sorted().map { round in (round, values[round]!.map(\.auc).reduce(0, +) / Double(values[round]!.count)) }
    }

    var text: String {
        let number = { (value: Double?) in value.map { String(format: "%.4f", $0) } ?? "-" }
        var out = "\n" + ["PEER", "HOST", "STATE", "COMPLETED", "CONTRIBUTED", "DROPPED", "F1", "AUC", "MODEL"].map { Self.pad($0) }.joined() + "\n"
        for row in rows {
            out += [row.id, row.host, row.state, String(row.completed), String(row.contributed), String(row.dropped), number(row.f1),
                    number(row.auc), row.modelHash.map { String($0.prefix(12)) } ?? "-"].map { Self.pad($0) }.joined() + "\n"
        }
        let survivors = rows.filter { !down.contains($0.id) }
        let hashes = Set(survivors.compactMap(\.modelHash))
        out += agree ? "all \(survivors.count) \(survivors.count == rows.count ? "" : "surviving ")peers hold model \(hashes.first!.prefix(12))\n"
            : "the peers do NOT agree: \(hashes.count) models among the reachable ones\n"
        let learning = Self.meanAUCByRound(statuses)
        if !learning.isEmpty {
            out += "validation AUC by round, mean over the peers: " + learning.map { String(format: "%d: %.3f", $0.round, $0.auc) }.joined(separator: "  ") + "\n"
        }
        for (injection, seen) in injections {
            out += "injected \(injection) (\(injection.victim)): \(seen ?? "did not happen")\n"
        }
        return out
    }

    func json(exits: [String: Int32], interrupted: Bool) -> String {
        let peers: [[String: Any]] = rows.map { row in
            ["id": row.id, "host": row.host, "state": row.state, "roundsCompleted": row.completed, "roundsContributed": row.contributed,
             "roundsDropped": row.dropped, "f1": row.f1 ?? NSNull(), "auc": row.auc ?? NSNull(), "modelHash": row.modelHash ?? NSNull(),
             "exitStatus": exits[row.id].map { Int($0) } ?? NSNull()]
        }
        let object: [String: Any] = ["peers": peers, "agree": agree, "interrupted": interrupted,
                                     "meanAUCByRound": Self.meanAUCByRound(statuses).map { ["round": $0.round, "auc": $0.auc] },
                                     "injections": injections.map { injection, seen in
                                         ["injection": injection.description, "peer": injection.victim, "observed": seen ?? NSNull()] as [String: Any]
                                     }]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func pad(_ text: String) -> String {
        let width = 13
        return text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
