import Crypto
import Gossip

extension SecureAggregationPeer {
    /// The coordinator's statement of a round's result: the signed Outcome naming the hash of
    /// the Aggregate message, broadcast.
    func announceOutcome(_ context: RoundContext, aggregateHash: [UInt8]) async {
        let body = Message.outcomeBody(round: context.round, coordinator: id, totalHash: context.totalHash, aggregateHash: aggregateHash)
        await broadcast(.outcome(.init(round: context.round, coordinator: id, totalHash: context.totalHash, aggregateHash: aggregateHash,
                                       signature: identity.signature(for: Message.outcomeContext + topology.federationID.bytes + body))))
    }

    /// The coordinator's signed Outcome for the accepted Total, or nil when the coordinator is
    /// found dead (or stays silent for twice the phase timeout) before sending one.
    func awaitOutcome(_ context: RoundContext) async throws -> Message.Outcome? {
        let round = context.round, totalHash = context.totalHash
        let network = network, coordinator = context.coordinator
        do {
            let message = try await announcement(.outcome, context, phase: "unmask", giveUp: { !network.isLive(coordinator) }) { message in
                guard case .outcome(let outcome) = message, outcome.round == round, outcome.coordinator == coordinator,
                      outcome.totalHash == totalHash, let key = topology.peer(coordinator)?.key else { return false }
                let body = Message.outcomeBody(round: round, coordinator: coordinator, totalHash: totalHash, aggregateHash: outcome.aggregateHash)
                return key.isValidSignature(outcome.signature, for: Message.outcomeContext + topology.federationID.bytes + body)
            }
            guard case .outcome(let outcome) = message else { return nil }
            return outcome
        } catch let abort as Abort where abort.reason != .stopped {
            return nil
        }
    }

    /// After unmasking alone: the coordinator announces the aggregate's hash, every other peer
    /// checks its own aggregate against it, so that all end the round on the same bytes.
    /// - Returns: the aggregate's hash.
    /// - Throws: `Abort` (inconsistent aggregate) when the hashes differ.
    func checkAggregate(_ context: RoundContext, aggregate: [Word]) async throws -> [UInt8] {
        let own = try await compute { Self.aggregateHash(round: context.round, words: aggregate) }
        if id == context.coordinator {
            await announceOutcome(context, aggregateHash: own)
            return own
        }
        guard let outcome = try await awaitOutcome(context) else {
            log("round \(context.round): the coordinator is gone before its Outcome; the aggregate is not checked against it")
            return own
        }
        guard own == outcome.aggregateHash else {
            refuse("round \(context.round): this peer's aggregate differs from the coordinator's")
            throw Abort(reason: .inconsistent("aggregate"))
        }
        return own
    }

    /// BLAKE2b-256 of the Aggregate message of `round` carrying `words`, without building it.
    static func aggregateHash(round: UInt64, words: [Word]) -> [UInt8] {
        var header = WireWriter()
        header.u8(Message.Kind.aggregate.rawValue)
        header.u64(round)
        header.u32(UInt32(words.count))
        var hasher = Blake2b.Hasher()
        hasher.update(header.bytes)
        words.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }
}
