import Crypto

internal import Foundation
import Gossip
import Synchronization
/// One line of a peer's journal: what became of one round (or of the starting model, round 0).
/// The journal is the peer's record of its place in the federation's model chain.
public struct JournalEntry: Codable, Equatable, Sendable {
    /// How the peer's model for the round came about.
    public enum Kind: String, Codable, Sendable {
        /// Round 0: M(0), from the seed or `--init`.
        case start
        /// The peer took part in the round and it completed.
        case completed
        /// The peer missed the round and took a neighbour's signed record of it.
        case caughtUp = "caught-up"
        /// The peer was behind by more rounds than records are kept and took a neighbour's
        /// checkpoint, checked against the round's signed model hash.
        case checkpoint
        /// The round produced no model here: M(r) = M(r-1).
        case aborted
    }

    /// Validation figures after the round; a figure that is not finite (a diverged model) is
    /// nil, since JSON has no NaN.
    public struct Metrics: Codable, Equatable, Sendable {
        public var trainingLoss: Double?
        public var validationLoss: Double?
        public var f1: Double?
        public var auc: Double?
        public var threshold: Double?
        public var precision: Double?
        public var recall: Double?

        public init(trainingLoss: Double?, validationLoss: Double, f1: Double, auc: Double?, threshold: Double, precision: Double, recall: Double) {
            let finite = { (value: Double?) in value.flatMap { $0.isFinite ? $0 : nil } }
            self.trainingLoss = finite(trainingLoss)
            self.validationLoss = finite(validationLoss)
            self.f1 = finite(f1)
            self.auc = finite(auc)
            self.threshold = finite(threshold)
            self.precision = finite(precision)
            self.recall = finite(recall)
        }
    }

    public var round: Int
    public var kind: Kind
    /// The federation id (hex) of the topology file, on the start entry.
    public var federation: String?
    /// Hex BLAKE2b-256 of the checkpoint file of M(r) (the file's exact bytes).
    public var modelHash: String
    /// Hex hash of M(r-1).
    public var baseHash: String
    /// The checkpoint file of M(r) in the state directory.
    public var checkpoint: String
    public var aggregateHash: String?
    /// Hex of the coordinator's signed Outcome naming baseHash -> modelHash, when there is one.
    public var signedOutcome: String?
    public var coordinator: String?
    public var contributors: [String] = []
    public var dropped: [String] = []
    /// Roster1 peers that did not contribute, with the phase each was lost in.
    public var lostIn: [String: String] = [:]
    /// Whether this peer's update is in the aggregate.
    public var contributed = false
    public var caughtUpFrom: String?
    public var abortReason: String?
    public var metrics: Metrics?
    /// Seconds per step: train, each protocol phase, evaluate, checkpoint.
    public var seconds: [String: Double] = [:]
    /// When the line was written, ISO 8601.
    public var time: String
}

extension JournalEntry {
    /// Takes what `outcome` says of the round (its coordinator, contributors, lost peers,
    /// aggregate and signed Outcome, where it came from), as peer `id` ended it.
    mutating func take(_ outcome: RoundOutcome, peer id: String) {
        coordinator = outcome.coordinator
        contributors = outcome.contributors
        dropped = outcome.dropped
        lostIn = outcome.lostIn
        aggregateHash = outcome.aggregateHash?.hexString
        signedOutcome = outcome.signedOutcome?.bytes.hexString
        caughtUpFrom = outcome.caughtUpFrom
        contributed = outcome.abortReason == nil && outcome.contributors.contains(id)
    }
}
