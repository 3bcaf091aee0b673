/// The messages peers exchange, outside rounds, to find where the federation is and to bring a
/// peer that fell behind back onto the model chain (docs/PROTOCOL.md, "Rejoining"). Sent on
/// transport channel 3, to neighbours only. Every request carries an id its reply repeats.
enum SyncMessage: Equatable, Sendable {
    /// What a peer is doing with the round it is in.
    enum Activity: UInt8, Sendable {
        /// Between rounds.
        case idle = 0
        /// Training for the round or aggregating it.
        case aggregating = 1
        /// The round completed here; its model is being evaluated and written.
        case committing = 2
        /// The round ended here without a model; the peer is looking for one.
        case recovering = 3
    }

    /// Where a peer is.
    struct Head: Equatable, Sendable {
        /// The newest round it holds a model for.
        let committed: UInt64
        /// The round it is in (0 when none) and what it is doing with it.
        let running: UInt64
        let activity: Activity
        /// While it recovers a round: hops from it to the nearest peer still aggregating or
        /// committing that round, as far as its neighbours tell (`Head.unreachable` when none
        /// is). A peer whose neighbours are all recovering waits while one of them is near
        /// such a peer, and no longer once the hops count past the federation's size.
        let progress: UInt8
        /// The hash of its M(0).
        let start: [UInt8]
        /// The newest signed Outcome naming the committed model's hash (empty when none does:
        /// round 0, or a round whose coordinator was gone before its Outcome).
        let outcome: [UInt8]

        /// `progress` when no peer the sender knows of is aggregating or committing its round.
        static let unreachable: UInt8 = .max
    }

    /// "Where are you?"
    case headRequest(id: UInt64)
    case head(id: UInt64, Head)
    /// "Send me your checkpoint of M(round)."
    case checkpointRequest(id: UInt64, round: UInt64)
    /// The checkpoint of M(round) with the signed Outcome naming its hash; round 0 and empty
    /// when the asked peer does not hold it.
    case checkpoint(id: UInt64, round: UInt64, outcome: [UInt8], model: [UInt8])

    /// A signed Outcome is a few hundred bytes.
    static let outcomeByteLimit = 4096

    var id: UInt64 {
        switch self {
        case .headRequest(let id), .head(let id, _), .checkpointRequest(let id, _), .checkpoint(let id, _, _, _): id
        }
    }

    /// Whether this is a request (which the receiver answers).
    var isRequest: Bool {
        switch self {
        case .headRequest, .checkpointRequest: true
        case .head, .checkpoint: false
        }
    }

    var encoded: [UInt8] {
        var writer = WireWriter()
        switch self {
        case .headRequest(let id):
            writer.u8(1)
            writer.u64(id)
        case let .head(id, head):
            writer.u8(2)
            writer.u64(id)
            writer.u64(head.committed)
            writer.u64(head.running)
            writer.u8(head.activity.rawValue)
            writer.u8(head.progress)
            writer.raw(head.start)
            writer.data(head.outcome)
        case let .checkpointRequest(id, round):
            writer.u8(3)
            writer.u64(id)
            writer.u64(round)
        case let .checkpoint(id, round, outcome, model):
            writer.u8(4)
            writer.u64(id)
            writer.u64(round)
            writer.data(outcome)
            writer.data(model)
        }
        return writer.bytes
    }

    /// Decodes a message whose model, if any, has at most `modelByteLimit` bytes.
    static func decode(_ bytes: [UInt8], modelByteLimit: Int) throws(WireReader.Malformed) -> SyncMessage {
        var reader = WireReader(bytes)
        let message: SyncMessage
        switch try reader.u8() {
        case 1: message = .headRequest(id: try reader.u64())
        case 2:
            let id = try reader.u64(), committed = try reader.u64(), running = try reader.u64()
            guard let activity = Activity(rawValue: try reader.u8()) else { throw WireReader.Malformed(description: "unknown activity") }
            message = .head(id: id, Head(committed: committed, running: running, activity: activity, progress: try reader.u8(),
                                         start: try reader.raw(ModelLink.hashByteCount),
                                         outcome: try reader.data(limit: outcomeByteLimit)))
        case 3: message = .checkpointRequest(id: try reader.u64(), round: try reader.u64())
        case 4:
            message = .checkpoint(id: try reader.u64(), round: try reader.u64(), outcome: try reader.data(limit: outcomeByteLimit),
                                  model: try reader.data(limit: modelByteLimit))
        case let kind: throw WireReader.Malformed(description: "unknown sync message kind \(kind)")
        }
        try reader.finish()
        return message
    }
}
