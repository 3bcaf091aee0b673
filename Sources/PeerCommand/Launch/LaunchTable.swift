internal import Foundation
import Peer

/// The table a launch ends with: per peer, rounds completed, contributed and dropped,
/// validation F1 and AUC, the short model hash; whether all hashes agree; and the peers' mean
/// validation AUC round by round, which shows whether the federation learns.
enum LaunchTable {
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

    static func rows(plan: LaunchPlan, statuses: [String: NodeStatus]) -> [Row] {
        plan.members.map { member in
            guard let status = statuses[member.id] else {
                return Row(id: member.id, host: member.host, state: "unreachable", completed: 0, contributed: 0, dropped: 0, f1: nil, auc: nil,
                           modelHash: nil)
            }
            let rounds = status.history.filter { $0.round > 0 }
            return Row(id: member.id, host: member.host, state: status.state.rawValue, completed: status.lastCommittedRound,
                       contributed: rounds.count { $0.contributed }, dropped: rounds.count { !$0.contributed },
                       f1: rounds.last?.f1, auc: rounds.last?.auc, modelHash: status.modelHash)
        }
    }

    /// Each round's validation AUC averaged over the peers whose history has it, oldest first.
    static func meanAUCByRound(_ statuses: [String: NodeStatus]) -> [(round: Int, auc: Double)] {
        let values = Dictionary(grouping: statuses.values.flatMap { status in
            status.history.filter { $0.round > 0 }.compactMap { summary in summary.auc.map { (round: summary.round, auc: $0) } }
        }, by: \.round)
        return values.keys.sorted().map { round in (round, values[round]!.map(\.auc).reduce(0, +) / Double(values[round]!.count)) }
    }

    static func text(plan: LaunchPlan, statuses: [String: NodeStatus]) -> String {
        let rows = rows(plan: plan, statuses: statuses)
        let number = { (value: Double?) in value.map { String(format: "%.4f", $0) } ?? "-" }
        var out = "\n" + ["PEER", "HOST", "STATE", "COMPLETED", "CONTRIBUTED", "DROPPED", "F1", "AUC", "MODEL"].map { pad($0) }.joined() + "\n"
        for row in rows {
            out += [row.id, row.host, row.state, String(row.completed), String(row.contributed), String(row.dropped), number(row.f1),
                    number(row.auc), row.modelHash.map { String($0.prefix(12)) } ?? "-"].map { pad($0) }.joined() + "\n"
        }
        let hashes = Set(rows.compactMap(\.modelHash))
        out += hashes.count == 1 && rows.allSatisfy({ $0.modelHash != nil })
            ? "all \(rows.count) peers hold model \(hashes.first!.prefix(12))\n" : "the peers do NOT agree: \(hashes.count) models among the reachable ones\n"
        let learning = meanAUCByRound(statuses)
        if !learning.isEmpty {
            out += "validation AUC by round, mean over the peers: " + learning.map { String(format: "%d: %.3f", $0.round, $0.auc) }.joined(separator: "  ") + "\n"
        }
        return out
    }

    static func json(plan: LaunchPlan, statuses: [String: NodeStatus], exits: [String: Int32], interrupted: Bool) -> String {
        let rows = rows(plan: plan, statuses: statuses)
        let peers: [[String: Any]] = rows.map { row in
            ["id": row.id, "host": row.host, "state": row.state, "roundsCompleted": row.completed, "roundsContributed": row.contributed,
             "roundsDropped": row.dropped, "f1": row.f1 ?? NSNull(), "auc": row.auc ?? NSNull(), "modelHash": row.modelHash ?? NSNull(),
             "exitStatus": exits[row.id].map { Int($0) } ?? NSNull()]
        }
        let hashes = Set(rows.compactMap(\.modelHash))
        let object: [String: Any] = ["peers": peers, "agree": hashes.count == 1 && rows.allSatisfy { $0.modelHash != nil }, "interrupted": interrupted,
                                     "meanAUCByRound": meanAUCByRound(statuses).map { ["round": $0.round, "auc": $0.auc] }]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func pad(_ text: String) -> String {
        let width = 13
        return text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
