import Crypto
public import Gossip

/// A coordinator's signed statement of a completed round, as the journal keeps it: which
/// Total was unmasked, the hash of the aggregate, and the link M(r-1) -> M(r) of the model
/// chain. Anyone holding the topology can check it (`verified`).
public struct SignedOutcome: Equatable, Sendable {
    public let round: UInt64
    public let coordinator: String
    /// BLAKE2b-256 of the accepted Total message.
    public let totalHash: [UInt8]
    public let aggregateHash: [UInt8]
    /// The hash of the model the round started from.
    public let base: [UInt8]
    /// The hash of the model the round ended with.
    public let model: [UInt8]
    /// The Outcome message on the wire, signature included.
    public let bytes: [UInt8]

    init<Word: RingWord>(_ outcome: RoundMessage<Word>.Outcome) {
        round = outcome.round
        coordinator = outcome.coordinator
        totalHash = outcome.totalHash
        aggregateHash = outcome.aggregateHash
        base = outcome.base
        model = outcome.model
        bytes = RoundMessage<Word>.outcome(outcome).encoded
    }

    /// The Outcome encoded in `bytes` when it carries the valid signature of the coordinator it
    /// names, a peer of `topology`; nil otherwise.
    public static func verified(_ bytes: [UInt8], topology: Topology) -> SignedOutcome? {
        typealias Message = RoundMessage<UInt32>
        guard case .outcome(let outcome)? = try? Message.decode(bytes, peerLimit: topology.peers.count, wordLimit: 0),
              let key = topology.peer(outcome.coordinator)?.key else { return nil }
        let body = Message.outcomeBody(round: outcome.round, coordinator: outcome.coordinator, totalHash: outcome.totalHash,
                                       aggregateHash: outcome.aggregateHash, base: outcome.base, model: outcome.model)
        guard key.isValidSignature(outcome.signature, for: Message.outcomeContext + topology.federationID.bytes + body) else { return nil }
        return SignedOutcome(outcome)
    }
}
