import Crypto
import Gossip

extension SecureAggregationPeer {
    /// Why a record of a missed round is not taken.
    enum RecordFault: Error, CustomStringConvertible {
        case total, outcome, aggregate, length(expected: Int, found: Int), tooFew(contributors: Int)

        var description: String {
            switch self {
            case .total: return "its Total is not signed by a peer of the topology for that round"
            case .outcome: return "its Outcome is not the coordinator's signed statement for that Total"
            case .aggregate: return "its aggregate does not have the hash the Outcome names"
            case let .length(expected, found): return "its aggregate has \(found) words, not \(expected)"
            case let .tooFew(contributors): return "its Total names \(contributors) contributors, fewer than a round completes with"
            }
        }
    }

    /// Catches up on a round this peer missed (it crashed, restarted, or ended the round without
    /// the aggregate): asks its live neighbours one at a time for their record of `round`, and
    /// takes the first whose Total and Outcome carry the round coordinator's valid signatures,
    /// whose Outcome names that Total's hash, and whose aggregate has the hash the Outcome names
    /// (docs/PROTOCOL.md, "Catching up").
    /// - Parameter dimension: the length of the peers' inputs; the aggregate has one more word.
    /// - Returns: the round's result as every peer that took part ended it, with `caughtUpFrom`
    ///   set; or, when no neighbour holds a valid record, an outcome aborted as `.missing`.
    public func catchUp(round: UInt64, dimension: Int) async -> RoundOutcome {
        setCatchingUp(round, true)
        defer {
            setCatchingUp(round, false)
            mailbox.discard(.record, round: round)
        }
        let startCompute = computeSeconds
        for neighbour in topology.neighbours[id] ?? [] where network.isLive(neighbour) {
            guard await network.send(Message.recordRequest(round: round).encoded, to: neighbour),
                  let record = await awaitRecord(round: round, from: neighbour) else { continue }
            guard let held = record.held else {
                log("catch-up on round \(round): \(neighbour) holds no record of it")
                continue
            }
            do {
                try check(held, round: round, dimension: dimension)
                let (average, weight) = try await decodeAverage(held.words)
                keep(held)
                log("caught up on round \(round) from \(neighbour)")
                return RoundOutcome(round: round, peer: id, coordinator: held.total.coordinator, abortReason: nil,
                                    contributors: held.total.contributors, dropped: held.total.dropped, average: average,
                                    sumBytes: Self.wordBytes(held.words), totalWeight: weight, aggregateHash: held.outcome.aggregateHash,
                                    sharedUnmasking: false, caughtUpFrom: neighbour, phaseTimes: [], maskBytesExpanded: 0,
                                    computeSeconds: computeSeconds - startCompute, signedOutcome: SignedOutcome(held.outcome))
            } catch {
                refuse("the record of round \(round) from \(neighbour): \(error)", from: neighbour)
            }
        }
        return RoundOutcome(round: round, peer: id, coordinator: "", abortReason: .missing("a valid record of round \(round) from a neighbour"),
                            contributors: [], dropped: [], average: nil, sumBytes: nil, totalWeight: nil, aggregateHash: nil,
                            sharedUnmasking: false, caughtUpFrom: nil, phaseTimes: [], maskBytesExpanded: 0,
                            computeSeconds: computeSeconds - startCompute)
    }

    /// The answer of `neighbour` to a record request, or nil when none comes within a phase
    /// timeout (or the neighbour is found dead first).
    private func awaitRecord(round: UInt64, from neighbour: String) async -> Message.Record? {
        var found: Message.Record?
        let network = network
        await collect(.record, round: round, until: deadline(), { envelope in
            if envelope.from == neighbour, case .record(let record) = envelope.message { found = record }
        }, done: { found != nil || !network.isLive(neighbour) })
        return found
    }

    /// Checks the record of `round` against the signatures it carries and the hashes they name.
    func check(_ record: Message.Record.Held, round: UInt64, dimension: Int) throws(RecordFault) {
        let total = record.total, outcome = record.outcome
        guard total.round == round, isSigned(total) else { throw .total }
        guard total.contributors.count >= topology.aggregation.quorum(peerCount: topology.peers.count) else {
            throw .tooFew(contributors: total.contributors.count)
        }
        guard outcome.round == round, outcome.coordinator == total.coordinator,
              outcome.totalHash == Blake2b.hash(Message.total(total).encoded), isSigned(outcome) else { throw .outcome }
        guard record.words.count == dimension + 1 else { throw .length(expected: dimension + 1, found: record.words.count) }
        guard Self.aggregateHash(round: round, words: record.words) == outcome.aggregateHash else { throw .aggregate }
    }
}
