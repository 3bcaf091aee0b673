import Crypto
import Gossip

extension SecureAggregationPeer {
    /// The coordinator's statement of a round's result: the signed Outcome naming the hash of
    /// the Aggregate message, broadcast.
    /// - Returns: the Outcome sent.
    /// It also names the model the round started from and the one it ends with, computed from
    /// the aggregate's average by `context.model`.
    func announceOutcome(_ context: RoundContext, aggregate: [Word], aggregateHash: [UInt8]) async throws -> Message.Outcome {
        let (average, _) = try await decodeAverage(aggregate)
        let model = try await context.model.next(average)
        let base = context.model.base
        let body = Message.outcomeBody(round: context.round, coordinator: id, totalHash: context.totalHash, aggregateHash: aggregateHash,
                                       base: base, model: model)
        let outcome = Message.Outcome(round: context.round, coordinator: id, totalHash: context.totalHash, aggregateHash: aggregateHash,
                                      base: base, model: model,
                                      signature: identity.signature(for: Message.outcomeContext + topology.federationID.bytes + body))
        await broadcast(.outcome(outcome))
        return outcome
    }

    /// The coordinator's signed Outcome for the accepted Total, or nil when the coordinator is
    /// found dead (or stays silent for twice the phase timeout) before sending one.
    func awaitOutcome(_ context: RoundContext) async throws -> Message.Outcome? {
        let round = context.round, totalHash = context.totalHash
        let network = network, coordinator = context.coordinator
        do {
            let message = try await announcement(.outcome, context, phase: "unmask", giveUp: { !network.isLive(coordinator) },
                                                 leavesWhenSuperseded: false) { message in
                guard case .outcome(let outcome) = message, outcome.round == round, outcome.coordinator == coordinator,
                      outcome.totalHash == totalHash else { return false }
                return isSigned(outcome)
            }
            guard case .outcome(let outcome) = message else { return nil }
            return outcome
        } catch let abort as Abort where abort.reason != .stopped {
            return nil
        }
    }

    /// Whether `outcome` carries its coordinator's valid signature.
    func isSigned(_ outcome: Message.Outcome) -> Bool {
        guard let key = topology.peer(outcome.coordinator)?.key else { return false }
        let body = Message.outcomeBody(round: outcome.round, coordinator: outcome.coordinator, totalHash: outcome.totalHash,
                                       aggregateHash: outcome.aggregateHash, base: outcome.base, model: outcome.model)
        return key.isValidSignature(outcome.signature, for: Message.outcomeContext + topology.federationID.bytes + body)
    }

    /// After unmasking alone: the coordinator announces the aggregate's hash, every other peer
    /// checks its own aggregate against it, so that all end the round on the same bytes.
    /// - Returns: the aggregate's hash, and the Outcome that names it (nil when the coordinator
    ///   was gone before sending one).
    /// - Throws: `Abort` (inconsistent aggregate) when the hashes differ.
    func checkAggregate(_ context: RoundContext, aggregate: [Word]) async throws -> (hash: [UInt8], outcome: Message.Outcome?) {
        let own = try await compute { Self.aggregateHash(round: context.round, words: aggregate) }
        if id == context.coordinator {
            return (own, try await announceOutcome(context, aggregate: aggregate, aggregateHash: own))
        }
        guard let outcome = try await awaitOutcome(context) else {
            log("round \(context.round): the coordinator is gone before its Outcome; the aggregate is not checked against it")
            return (own, nil)
        }
        guard own == outcome.aggregateHash else {
            refuse("round \(context.round): this peer's aggregate differs from the coordinator's")
            throw Abort(reason: .inconsistent("aggregate"))
        }
        return (own, outcome)
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
