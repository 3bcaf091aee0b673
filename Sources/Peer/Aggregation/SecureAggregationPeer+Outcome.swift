import Crypto
import Gossip

extension SecureAggregationPeer {
    /// The coordinator's statement of a round's result: the aggregate's bytes are kept for pulls
    /// (a peer that missed the round can fetch them and check them against the hash), and the
    /// signed Outcome naming their hash is broadcast. Returns the bytes and their hash.
    func announceOutcome(_ context: RoundContext, aggregate: [Word]) async -> (bytes: [UInt8], hash: [UInt8]) {
        let bytes = Message.aggregate(round: context.round, words: aggregate).encoded
        let aggregateHash = Blake2b.hash(bytes)
        await store(content: bytes, round: context.round)
        let body = Message.outcomeBody(round: context.round, coordinator: id, totalHash: context.totalHash, aggregateHash: aggregateHash)
        await broadcast(.outcome(.init(round: context.round, coordinator: id, totalHash: context.totalHash, aggregateHash: aggregateHash,
                                       signature: identity.signature(for: Message.outcomeContext + topology.federationID.bytes + body))))
        return (bytes, aggregateHash)
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
        if id == context.coordinator { return await announceOutcome(context, aggregate: aggregate).hash }
        let outcome = try await awaitOutcome(context)
        let own = try await compute { Self.aggregateHash(round: context.round, words: aggregate) }
        guard let outcome else {
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
