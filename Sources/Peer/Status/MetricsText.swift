internal import Foundation
import Gossip
import Synchronization
/// The Prometheus text exposition format (version 0.0.4) of a peer's status.
enum MetricsText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func render(_ status: NodeStatus) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                let labels = sample.labels.isEmpty ? "" : "{" + sample.labels.map { "\($0.0)=\"\(escaped($0.1))\"" }.joined(separator: ",") + "}"
                out += "\(name)\(labels) \(number(sample.value))\n"
            }
        }
        let last = status.history.last
        family("peer_build_info", "gauge", "The peer's version.", [([("version", status.version), ("federation", status.federation)], 1)])
        family("peer_round", "gauge", "The round in progress or last run.", [([], Double(status.round))])
        family("peer_last_committed_round", "gauge", "The newest round this peer holds a model for.", [([], Double(status.lastCommittedRound))])
        family("peer_rounds_completed_total", "counter", "Rounds completed with this peer taking part.",
               [([], Double(status.history.count { $0.kind == .completed }))])
        family("peer_rounds_caught_up_total", "counter", "Rounds missed and caught up on from a neighbour.",
               [([], Double(status.history.count { $0.kind == .caughtUp || $0.kind == .checkpoint }))])
        let aborts = Dictionary(status.history.filter { $0.kind == .aborted }.map { (reasonLabel($0.abortReason), 1) }, uniquingKeysWith: +)
        family("peer_round_aborts_total", "counter", "Rounds that produced no model, by reason.",
               aborts.keys.sorted().map { ([("reason", $0)], Double(aborts[$0]!)) })
        family("peer_phase_duration_seconds", "gauge", "Duration of each step of the last round.",
               (last?.seconds ?? [:]).keys.sorted().map { ([("phase", $0)], last!.seconds[$0]!) })
        family("peer_neighbor_up", "gauge", "Whether the connection to a neighbour is up.",
               status.neighbours.map { ([("neighbor", $0.id)], $0.up ? 1 : 0) })
        family("peer_sent_bytes_total", "counter", "Bytes sent to a neighbour.", status.neighbours.map { ([("neighbor", $0.id)], Double($0.sentBytes)) })
        family("peer_received_bytes_total", "counter", "Bytes received from a neighbour.",
               status.neighbours.map { ([("neighbor", $0.id)], Double($0.receivedBytes)) })
        family("peer_neighbor_refused_total", "counter", "Messages from a neighbour that were refused.",
               status.neighbours.map { ([("neighbor", $0.id)], Double($0.refusals)) })
        family("peer_messages_refused_total", "counter", "Messages refused, by reason.",
               status.refusals.keys.sorted().map { ([("reason", $0)], Double(status.refusals[$0]!)) })
        if let loss = last?.trainingLoss { family("peer_train_loss", "gauge", "Mean training loss of the last round.", [([], loss)]) }
        if let loss = last?.validationLoss { family("peer_validation_loss", "gauge", "Validation loss after the last round.", [([], loss)]) }
        if let f1 = last?.f1 { family("peer_validation_f1", "gauge", "Validation F1 after the last round.", [([], f1)]) }
        if let auc = last?.auc { family("peer_validation_auc", "gauge", "Validation AUC after the last round.", [([], auc)]) }
        if let bytes = status.residentMemoryBytes {
            family("peer_resident_memory_bytes", "gauge", "Resident memory of the peer process.", [([], Double(bytes))])
        }
        return out
    }

    /// A short label for an abort reason: its first words.
    private static func reasonLabel(_ reason: String?) -> String {
        guard let reason else { return "unknown" }
        return reason.split(separator: " ").prefix(3).joined(separator: " ")
    }

    private static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }
}
