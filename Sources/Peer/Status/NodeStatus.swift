internal import Foundation
import Gossip
import Synchronization
/// What a running peer says about itself: the `GET /status` document, which the status server
/// writes and `peer status` reads. Nothing secret is in it.
public struct NodeStatus: Codable, Equatable, Sendable {
    /// What the peer is doing.
    public enum State: String, Codable, Sendable {
        case starting, waiting, training, aggregating, idle, finished, failed
    }

    /// Local training progress of the round in progress.
    public struct Progress: Codable, Equatable, Sendable {
        public var epoch: Int
        public var epochs: Int
        public var batch: Int
        public var batches: Int
        public var etaSeconds: Double?
    }

    /// The newest link of the model chain this peer holds.
    public struct ChainHead: Codable, Equatable, Sendable {
        public var round: Int
        public var modelHash: String
        /// The coordinator whose signed Outcome names the hash; nil when unsigned (round 0, or
        /// a round whose coordinator was gone before its Outcome).
        public var signedBy: String?
    }

    /// One neighbour as the transport sees it.
    public struct Neighbour: Codable, Equatable, Sendable {
        public var id: String
        public var up: Bool
        public var lastHeardSeconds: Double?
        public var sentBytes: Int
        public var receivedBytes: Int
        public var connections: Int
        /// Messages from it this peer refused (round and sync messages).
        public var refusals: Int
    }

    /// One round as this peer ended it.
    public struct RoundSummary: Codable, Equatable, Sendable {
        public var round: Int
        public var kind: JournalEntry.Kind
        public var contributors: [String]
        public var dropped: [String]
        /// Roster1 peers that did not contribute, with the phase each was lost in.
        public var lostIn: [String: String]
        public var contributed: Bool
        public var abortReason: String?
        public var trainingLoss: Double?
        public var validationLoss: Double?
        public var f1: Double?
        public var auc: Double?
        public var modelHash: String
        /// Seconds per step: train, each protocol phase, evaluate, checkpoint.
        public var seconds: [String: Double]

        /// The summary of a journal entry.
        public init(_ entry: JournalEntry) {
            round = entry.round
            kind = entry.kind
            contributors = entry.contributors
            dropped = entry.dropped
            lostIn = entry.lostIn
            contributed = entry.contributed
            abortReason = entry.abortReason
            trainingLoss = entry.metrics?.trainingLoss
            validationLoss = entry.metrics?.validationLoss
            f1 = entry.metrics?.f1
            auc = entry.metrics?.auc
            modelHash = entry.modelHash
            seconds = entry.seconds
        }
    }

    /// A freeze `--freeze-at` asked for, noted once the process was continued.
    public struct Freeze: Codable, Equatable, Sendable {
        public var round: Int
        public var phase: String
        public var seconds: Double
    }

    public var id: String
    public var federation: String
    public var version: String
    public var state: State
    /// The round in progress, or the last one.
    public var round: Int
    public var rounds: Int
    public var phase: String?
    /// When the phase began (ISO 8601), and the seconds since.
    public var phaseStarted: String?
    public var phaseSeconds: Double?
    public var progress: Progress?
    public var lastCommittedRound: Int
    public var modelHash: String
    public var chainHead: ChainHead
    public var neighbours: [Neighbour]
    /// Messages refused so far, by reason (the first words of each refusal).
    public var refusals: [String: Int]
    /// The rounds in order, at most the last 100.
    public var history: [RoundSummary]
    public var aborts: Int
    /// Seconds since this process started (it falls when the peer was started again).
    public var uptimeSeconds: Double? = nil
    public var residentMemoryBytes: Int?
    public var peakResidentMemoryBytes: Int?
    public var warnings: [String]
    /// The freezes rehearsed so far (`--freeze-at`), in order; nil from a peer of a version
    /// without the field.
    public var freezes: [Freeze]? = []

    /// Every field is written, absent ones as null, so that readers see the same keys always.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(federation, forKey: .federation)
        try container.encode(version, forKey: .version)
        try container.encode(state, forKey: .state)
        try container.encode(round, forKey: .round)
        try container.encode(rounds, forKey: .rounds)
        try container.encode(phase, forKey: .phase)
        try container.encode(phaseStarted, forKey: .phaseStarted)
        try container.encode(phaseSeconds, forKey: .phaseSeconds)
        try container.encode(progress, forKey: .progress)
        try container.encode(lastCommittedRound, forKey: .lastCommittedRound)
        try container.encode(modelHash, forKey: .modelHash)
        try container.encode(chainHead, forKey: .chainHead)
        try container.encode(neighbours, forKey: .neighbours)
        try container.encode(refusals, forKey: .refusals)
        try container.encode(history, forKey: .history)
        try container.encode(aborts, forKey: .aborts)
        try container.encode(uptimeSeconds, forKey: .uptimeSeconds)
        try container.encode(residentMemoryBytes, forKey: .residentMemoryBytes)
        try container.encode(peakResidentMemoryBytes, forKey: .peakResidentMemoryBytes)
        try container.encode(warnings, forKey: .warnings)
        try container.encode(freezes, forKey: .freezes)
    }
}
