import Crypto
import Gossip

extension SecureAggregationPeer {
    /// One mask to take off the masked sum: a contributor's self-mask, or a pairwise mask a
    /// dropped peer's neighbour added for it. Every peer lists the same tasks in the same order.
    struct UnmaskTask: Sendable {
        let secret: SecureBytes
        let sign: MaskSign
    }

    /// Applies the masks of `tasks` to `vector` in one pass over it, on a compute thread.
    func applying(_ tasks: [UnmaskTask], to vector: [Word]) async throws -> [Word] {
        let threads = configuration.maskThreads
        let result = try await compute {
            var words = vector
            let masks = try tasks.map { task throws(CryptoError) in (generator: try MaskGenerator(seed: task.secret), sign: task.sign) }
            MaskGenerator.apply(masks, to: &words, threadCount: threads)
            return words
        }
        countMask(words: vector.count * tasks.count)
        return result
    }

    /// Whether the round's peers share the unmasking: when removing every mask alone would cost
    /// a peer more than twice the masks it added (K + 1 with K the mask graph's degree). Sharing
    /// moves the correction up and the aggregate down a tree (two model-sized transfers per link),
    /// which costs more than a few mask expansions: on loopback, one transfer of a model-sized
    /// vector took as long as five expansions. Every peer decides the same from the Total.
    static func sharesUnmasking(taskCount: Int, maskGraph: [String: [String]]) -> Bool {
        let degree = maskGraph.values.map(\.count).max() ?? 0
        return taskCount > 2 * (degree + 1)
    }

    /// The tasks helper `position` (its place among the contributors) takes on: every
    /// `helperCount`-th one from `position` on.
    static func share(of position: Int, in tasks: [UnmaskTask], helperCount: Int) -> [UnmaskTask] {
        Swift.stride(from: position, to: tasks.count, by: helperCount).map { tasks[$0] }
    }

    /// Shared unmasking (docs/PROTOCOL.md, phase 5): the contributors split the mask removal
    /// among themselves and sum their corrections up a tree over the contributors to the
    /// coordinator, which adds them to the masked sum, covers the tasks of any helper it did
    /// not hear from, and announces the aggregate with a signed Outcome; the aggregate goes
    /// down the same tree and can be pulled by its hash.
    /// - Returns: the unmasked sum and the Outcome naming its hash, or nil when no valid Outcome and aggregate arrive
    ///   in time (the coordinator died after its Total); the caller then removes every mask itself.
    func sharedUnmask(_ context: RoundContext, tasks: [UnmaskTask], sum: [Word]) async throws -> (words: [Word], outcome: Message.Outcome)? {
        let round = context.round, totalHash = context.totalHash
        let helpers = context.total!.contributors
        let tree = RoundStructure.Tree(topology: topology, members: Set(helpers), root: context.coordinator)
        if let position = helpers.firstIndex(of: id) {
            let zeros = [Word](repeating: 0, count: sum.count)
            var correction = try await applying(Self.share(of: position, in: tasks, helperCount: helpers.count), to: zeros)
            var covered: Set<String> = [id]
            let helperSet = Set(helpers), children = tree.children[id] ?? []
            var heard = Set<String>()
            await collect(.correction, round: round, until: deadline(), { envelope in
                guard case .correction(let piece) = envelope.message else { return }
                let pieceHelpers = Set(piece.helpers)
                guard piece.totalHash == totalHash, piece.words.count == sum.count, pieceHelpers.isSubset(of: helperSet),
                      pieceHelpers.isDisjoint(with: covered) else {
                    refuse("correction from \(envelope.from) in round \(round) for another total, of the wrong length or overlapping")
                    return
                }
                Self.accumulate(.add, piece.words, into: &correction)
                covered.formUnion(pieceHelpers)
                heard.insert(envelope.from)
            }, done: { children.allSatisfy { heard.contains($0) || !network.isLive($0) } })
            if isStopped { throw Abort(reason: .stopped) }
            if id != context.coordinator {
                if let parent = tree.parent[id] {
                    let piece = Message.correction(.init(round: round, totalHash: totalHash, helpers: covered.sorted(by: KeyAgreement.precedes),
                                                         words: correction))
                    if await !network.send(piece.encoded, to: parent) {
                        log("round \(round): correction not delivered, \(parent) is down; the coordinator covers its tasks")
                    }
                }
            } else {
                return try await announceAggregate(context, sum: sum, correction: correction, covered: covered, tasks: tasks,
                                                   children: children)
            }
        }
        // The coordinator's signed Outcome, then the aggregate it names.
        guard let outcome = try await awaitOutcome(context),
              let bytes = await content(hash: outcome.aggregateHash, kind: .aggregate, round: round, awaitFrom: tree.parent[id]),
              case .aggregate(_, let words) = try? Message.decode(bytes, peerLimit: topology.peers.count, wordLimit: 1 << 28),
              words.count == sum.count else {
            if isStopped { throw Abort(reason: .stopped) }
            return nil
        }
        for child in tree.children[id] ?? [] where network.isLive(child) { _ = await network.send(bytes, to: child) }
        return (words, outcome)
    }

    /// The coordinator's end of shared unmasking: the tasks of helpers it did not hear from,
    /// the aggregate, its signed Outcome and the aggregate sent down the tree.
    private func announceAggregate(_ context: RoundContext, sum: [Word], correction: [Word], covered: Set<String>, tasks: [UnmaskTask],
                                   children: [String]) async throws -> (words: [Word], outcome: Message.Outcome) {
        let round = context.round
        let helpers = context.total!.contributors
        let missing = helpers.indices.filter { !covered.contains(helpers[$0]) }
        var aggregate = try await applying(missing.flatMap { Self.share(of: $0, in: tasks, helperCount: helpers.count) }, to: sum)
        if !missing.isEmpty { log("round \(round): covered the unmasking tasks of \(missing.count) helpers not heard from") }
        Self.accumulate(.add, correction, into: &aggregate)
        // The Aggregate goes down the tree and can be pulled by its hash, so it is encoded and kept.
        let bytes = Message.aggregate(round: round, words: aggregate).encoded
        let hash = Blake2b.hash(bytes)
        await store(content: bytes, round: round)
        let outcome = await announceOutcome(context, aggregateHash: hash)
        for child in children where network.isLive(child) { _ = await network.send(bytes, to: child) }
        return (aggregate, outcome)
    }
}
