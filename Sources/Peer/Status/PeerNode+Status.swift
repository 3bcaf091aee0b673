import Synchronization
internal import Foundation
import Gossip

extension PeerNode {
    /// The status document now.
    public func snapshot() -> NodeStatus {
        let live = status.withLock { $0 }
        var document = live.document
        document.phaseSeconds = live.phaseStarted.map { (ContinuousClock.now - $0) / .seconds(1) }
        let refusedRound = aggregator.refusalsByPeer
        document.neighbours = transport.metrics().map { metrics in
            .init(id: metrics.peer, up: metrics.isConnected, lastHeardSeconds: metrics.sinceLastHeard.map { $0 / .seconds(1) },
                  sentBytes: metrics.bytesSent, receivedBytes: metrics.bytesReceived, connections: metrics.connectionCount,
                  refusals: (refusedRound[metrics.peer] ?? 0) + syncRefusals[metrics.peer])
        }
        document.refusals = Dictionary(aggregator.refusals.map { (RefusalCategory.of($0), 1) }, uniquingKeysWith: +)
            .merging(live.transportRefusals > 0 ? ["handshake": live.transportRefusals] : [:], uniquingKeysWith: +)
        document.uptimeSeconds = (ContinuousClock.now - live.started) / .seconds(1)
        document.residentMemoryBytes = ResidentMemory.bytes()
        document.peakResidentMemoryBytes = ResidentMemory.peakBytes()
        let down = document.neighbours.filter { !$0.up }.map(\.id)
        if !down.isEmpty { document.warnings.append("neighbours down: \(down.joined(separator: ", "))") }
        return document
    }

    /// Whether the node could take part in a round now: started (keys, topology, data and
    /// state checked), listening, and connected to a neighbour (through which the flooding
    /// overlay reaches the rest of the federation), or without neighbours to wait for.
    var isReady: Bool {
        let document = status.withLock { $0.document }
        guard document.state != .starting, document.state != .failed else { return false }
        return !transport.connectedNeighbours.isEmpty || (topology.neighbours[id] ?? []).isEmpty
    }

    /// Shows and logs a round as committed.
    func record(_ entry: JournalEntry) {
        let summary = NodeStatus.RoundSummary(entry)
        status.withLock {
            $0.document.history = Array(($0.document.history + [summary]).suffix(100))
            $0.document.lastCommittedRound = entry.round
            $0.document.modelHash = entry.modelHash
            $0.document.chainHead = .init(round: entry.round, modelHash: entry.modelHash, signedBy: entry.signedOutcome == nil ? nil : entry.coordinator)
            if entry.kind == .aborted { $0.document.aborts += 1 }
        }
        let number = { (value: Double?) in value.map { String(format: "%.4f", $0) } ?? "-" }
        let figures = entry.metrics.map { metrics in
            "loss \(number(metrics.trainingLoss ?? metrics.validationLoss))  F1 \(number(metrics.f1))  AUC \(number(metrics.auc))"
        } ?? ""
        let fields: [String: any Sendable] = [
            "round": entry.round, "kind": entry.kind.rawValue, "contributors": entry.contributors, "dropped": entry.dropped,
            "contributed": entry.contributed, "modelHash": entry.modelHash, "seconds": entry.seconds["total"] ?? 0,
            "trainingLoss": entry.metrics?.trainingLoss ?? -1, "validationLoss": entry.metrics?.validationLoss ?? -1,
            "f1": entry.metrics?.f1 ?? -1, "auc": entry.metrics?.auc ?? -1,
        ]
        log.event("round", "round \(entry.round) \(entry.kind.rawValue): contributors \(entry.contributors.count), dropped \(entry.dropped.count)  \(figures)  model \(entry.modelHash.prefix(12))  \(String(format: "%.1f", entry.seconds["total"] ?? 0)) s",
                  fields)
    }

    /// The status endpoint's answer to `request`.
    func respond(to request: HTTPServer.Request) -> HTTPServer.Response {
        switch request.path {
        case "/status":
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            let body: [UInt8] = (try? encoder.encode(snapshot())).map { [UInt8]($0) + [0x0a] } ?? []
            return HTTPServer.Response(status: 200, contentType: "application/json", body: body)
        case "/metrics":
            return HTTPServer.Response(status: 200, contentType: MetricsText.contentType, body: Array(MetricsText.render(snapshot()).utf8))
        case "/healthz":
            return .text(200, "ok\n")
        case "/readyz":
            return isReady ? .text(200, "ready\n") : .text(503, "not ready: \(status.withLock { $0.document.state.rawValue }), \(transport.connectedNeighbours.count) neighbours up\n")
        default:
            return .text(404, "no such path; try /status, /metrics, /healthz or /readyz\n")
        }
    }
}

/// A bounded set of labels for refusal messages (Prometheus labels must not be free text).
enum RefusalCategory {
    static func of(_ refusal: String) -> String {
        let text = refusal.lowercased()
        for (needle, category) in [("signature", "signature"), ("malformed", "malformed"), ("decode", "malformed"), ("roster", "roster"),
                                   ("model", "model"), ("record", "record"), ("bundle", "bundle"), ("share", "share")] where text.contains(needle) {
            return category
        }
        return "other"
    }
}
