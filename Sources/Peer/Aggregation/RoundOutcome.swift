/// How a round ended for one peer, with what it measured.
public struct RoundOutcome: Sendable {
    /// Why a round produced no new model.
    public enum AbortReason: Equatable, Sendable, CustomStringConvertible {
        /// The coordinator announced nothing in time; nothing was revealed.
        case coordinatorSilent(phase: String)
        /// Fewer peers, bundles, contributors or shares than the round needs (`threshold`: the
        /// Shamir threshold, or for contributors the quorum of docs/PROTOCOL.md).
        case tooFew(what: String, count: Int, threshold: Int)
        /// This peer is not in the coordinator's roster (it was late or dropped).
        case excluded
        /// Something announced could not be obtained from any neighbour in time.
        case missing(String)
        /// The coordinator announced something inconsistent (refused and logged).
        case inconsistent(String)
        /// This peer stopped (simulated crash).
        case stopped
        /// This peer's own update was refused before anything was sent (a non-finite value).
        case invalidInput(String)
        /// A validly signed Roster1 of a coordinator earlier in the round's order came after this
        /// peer had followed another: it leaves the round without revealing anything.
        case superseded(by: String)
        /// Unmasking the Total would expose less than the sum of its contributors (the privacy
        /// rule of docs/PROTOCOL.md, "What a peer can learn"); nothing is revealed.
        case unsafe(String)
        /// A received message made a protocol step fail (logged); nothing more is revealed.
        case failed(String)
        /// The coordinator starts the round from another model than this peer (`own` and
        /// `theirs` are the two hashes): this peer's update cannot be averaged with its.
        case differentModel(own: [UInt8], coordinator: String, theirs: [UInt8])

        public var description: String {
            switch self {
            case let .coordinatorSilent(phase): return "the coordinator was silent in \(phase)"
            case let .tooFew(what, count, threshold): return "\(count) \(what), fewer than the \(threshold) needed"
            case .excluded: return "not in the coordinator's roster"
            case let .missing(what): return "\(what) could not be obtained in time"
            case let .inconsistent(what): return "the coordinator's \(what) was inconsistent"
            case .stopped: return "stopped"
            case let .invalidInput(reason): return "this peer's update was refused: \(reason)"
            case let .superseded(coordinator): return "superseded by the roster of \(coordinator), earlier in the coordinator order"
            case let .unsafe(reason): return "unmasking would not be private: \(reason)"
            case let .failed(reason): return "a protocol step failed: \(reason)"
            case let .differentModel(own, coordinator, theirs):
                return "this peer starts from model \(ModelLink.short(own)), the coordinator \(coordinator) from \(ModelLink.short(theirs))"
            }
        }
    }

    /// Wall time of each phase this peer went through, in order.
    public struct PhaseTime: Sendable {
        public let phase: String
        public let seconds: Double
    }

    public let round: UInt64
    public let peer: String
    public let coordinator: String
    /// Nil when the round completed.
    public let abortReason: AbortReason?
    /// Contributors and dropped peers of the accepted Total.
    public let contributors: [String]
    public let dropped: [String]
    /// The weighted average of the contributors' inputs, decoded.
    public let average: [Float]?
    /// The unmasked ring sum (numerators and, last, the summed weight), bit for bit.
    public let sumBytes: [UInt8]?
    /// The summed weight of the contributors, decoded.
    public let totalWeight: Double?
    /// BLAKE2b-256 of the round's Aggregate message, as named by the coordinator's signed Outcome
    /// (checked against it unless the coordinator was gone), when the round completed.
    public let aggregateHash: [UInt8]?
    /// Whether the contributors shared the unmasking (docs/PROTOCOL.md, phase 5).
    public let sharedUnmasking: Bool
    /// The neighbour whose record of the round this peer checked and took, when it missed the
    /// round and caught up on it (`SecureAggregationPeer.catchUp`); nil when it took part.
    public let caughtUpFrom: String?
    public let phaseTimes: [PhaseTime]
    /// Bytes of Salsa20 keystream this peer expanded (masking and unmasking).
    public let maskBytesExpanded: Int
    /// CPU seconds this peer spent on its compute thread: encoding and masking its input,
    /// removing masks from the sum.
    public let computeSeconds: Double
    /// The coordinator's signed Outcome of the completed round, when this peer has it.
    public var signedOutcome: SignedOutcome? = nil
    /// Peers of the round's Roster1 that did not contribute, with the phase each was lost in
    /// (share-keys or masked-input), as this peer saw the rosters and the Total.
    public var lostIn: [String: String] = [:]
}
