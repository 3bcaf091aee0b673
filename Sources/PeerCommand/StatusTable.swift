internal import Foundation
import Peer

/// `peer status` for people: a block per peer, or one row per peer with the agreement line.
enum StatusTable {
    static func text(_ peers: [(id: String, status: NodeStatus?, problem: String?)], all: Bool) -> String {
        var out = ""
        if all {
            out += pad("PEER", 12) + pad("STATE", 12) + pad("ROUND", 8) + pad("PHASE", 14) + pad("CONTRIB", 9) + pad("F1", 8)
                + pad("MODEL", 14) + "F1 BY ROUND\n"
        }
        for (id, status, problem) in peers {
            guard let status else {
                out += all ? pad(id, 12) + "unreachable (\(problem ?? ""))\n" : "\(id): unreachable (\(problem ?? ""))\n"
                continue
            }
            let last = status.history.last
            let f1 = last?.f1.map { String(format: "%.4f", $0) } ?? "-"
            let contributors = last.map { "\($0.contributors.count)" } ?? "-"
            let line = sparkline(status.history.compactMap(\.f1))
            if all {
                out += pad(status.id, 12) + pad(status.state.rawValue, 12) + pad("\(status.round)/\(status.rounds)", 8) + pad(status.phase ?? "-", 14)
                    + pad(contributors, 9) + pad(f1, 8) + pad(String(status.modelHash.prefix(12)), 14) + line + "\n"
                continue
            }
            out += "\(status.id)  \(status.state.rawValue)  round \(status.round)/\(status.rounds)"
            if let phase = status.phase { out += "  phase \(phase)" + (status.phaseSeconds.map { String(format: " (%.0f s)", $0) } ?? "") }
            out += "\n"
            if let progress = status.progress {
                out += "  training: epoch \(progress.epoch)/\(progress.epochs), batch \(progress.batch)/\(progress.batches)"
                    + (progress.etaSeconds.map { String(format: ", ETA %.0f s", $0) } ?? "") + "\n"
            }
            out += "  committed round \(status.lastCommittedRound), model \(status.modelHash.prefix(12))"
                + (status.chainHead.signedBy.map { ", signed by \($0)" } ?? "") + "\n"
            if let last {
                out += "  last round: \(last.kind.rawValue), \(contributors) contributors, \(last.dropped.count) dropped, F1 \(f1)"
                    + (last.auc.map { String(format: ", AUC %.4f", $0) } ?? "") + "\n"
            }
            let neighbours = status.neighbours.map { n in
                n.id + (n.up ? "" : " (down)") + (n.lastHeardSeconds.map { String(format: " heard %.1fs ago", $0) } ?? "")
                    + (n.refusals > 0 ? ", \(n.refusals) refused" : "")
            }
            if !neighbours.isEmpty { out += "  neighbours: \(neighbours.joined(separator: ", "))\n" }
            if !line.isEmpty { out += "  F1 by round: \(line)\n" }
            for warning in status.warnings { out += "  warning: \(warning)\n" }
        }
        let reachable = peers.compactMap(\.status)
        if all, !reachable.isEmpty {
            let hashes = Set(reachable.map(\.modelHash))
            out += hashes.count == 1 ? "all \(reachable.count) reachable peers hold model \(hashes.first!.prefix(12))\n"
                : "reachable peers hold \(hashes.count) different models\n"
        }
        return out
    }

    /// ▁▂▃▄▅▆▇█ from 0 to 1.
    static func sparkline(_ values: [Double]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        return String(values.map { bars[min(bars.count - 1, max(0, Int(($0 * Double(bars.count)).rounded(.down))))] })
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
