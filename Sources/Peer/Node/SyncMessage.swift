internal import Foundation
import Gossip
import Synchronization
/// The messages peers exchange, outside rounds, to find where the federation is and to bring a
/// peer that fell behind back onto the model chain (docs/PROTOCOL.md, "Rejoining"). Sent on
/// transport channel 3, to neighbours only.
enum SyncMessage: Equatable, Sendable {
    /// "Where are you?"
    case headRequest
    /// The newest round this peer holds a model for, the round it is running now (0 when
    /// none), and the signed Outcome of the committed round (empty when unsigned or round 0).
    case head(committed: UInt64, running: UInt64, outcome: [UInt8])
    /// "Send me your checkpoint of M(round)."
    case checkpointRequest(round: UInt64)
    /// The checkpoint of M(round) with the signed Outcome naming its hash; round 0 and empty
    /// when the asked peer does not hold it.
    case checkpoint(round: UInt64, outcome: [UInt8], model: [UInt8])

    /// A signed Outcome is a few hundred bytes.
    static let outcomeByteLimit = 4096

    var encoded: [UInt8] {
        var writer = WireWriter()
        switch self {
        case .headRequest:
            writer.u8(1)
        case let .head(committed, running, outcome):
            writer.u8(2)
            writer.u64(committed)
            writer.u64(running)
            writer.data(outcome)
        case .checkpointRequest(let round):
            writer.u8(3)
            writer.u64(round)
        case let .checkpoint(round, outcome, model):
            writer.u8(4)
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
        case 1: message = .headRequest
        case 2: message = .head(committed: try reader.u64(), running: try reader.u64(), outcome: try reader.data(limit: outcomeByteLimit))
        case 3: message = .checkpointRequest(round: try reader.u64())
        case 4:
            message = .checkpoint(round: try reader.u64(), outcome: try reader.data(limit: outcomeByteLimit),
                                  model: try reader.data(limit: modelByteLimit))
        case let kind: throw WireReader.Malformed(description: "unknown sync message kind \(kind)")
        }
        try reader.finish()
        return message
    }

    /// Which reply a request waits for.
    var replyKind: UInt8? {
        switch self {
        case .headRequest: 2
        case .checkpointRequest: 4
        case .head, .checkpoint: nil
        }
    }
}
