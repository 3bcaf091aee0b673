internal import Foundation
import Crypto
import Gossip
import Learn
import Synchronization

extension PeerNode {
    /// How a round this peer could not complete ends for it.
    enum Recovery {
        /// A neighbour's signed record of the round, applied to M(r-1), gave the signed M(r).
        case caughtUp(ModelState, RoundOutcome)
        /// A neighbour holds a newer model than the record could give; this peer took it.
        case overtaken
        /// No neighbour completed the round.
        case abortedEverywhere
    }

    /// What a neighbour says of itself, its Outcome verified.
    struct Head {
        let neighbour: String
        let committed: Int
        let running: Int
        let activity: SyncMessage.Activity
        let progress: UInt8
        let start: [UInt8]

        /// Whether it is still training, aggregating or committing `round`.
        func isInside(_ round: Int) -> Bool { running == round && (activity == .aggregating || activity == .committing) }
        let outcome: SignedOutcome?
    }

    /// This peer's head: where it is, and the newest signed Outcome naming its committed model.
    func head(id: UInt64) -> SyncMessage {
        chain.withLock { chain in
            let last = chain.last, signed = chain.lastSigned
            let outcome = signed?.modelHash == last.modelHash ? signed?.signedOutcome.flatMap { [UInt8](hex: $0) } ?? [] : []
            let start = [UInt8](hex: chain.start.modelHash) ?? ModelLink.none.base
            return .head(id: id, .init(committed: UInt64(last.round), running: UInt64(chain.running), activity: chain.activity,
                                       progress: chain.progress, start: start, outcome: outcome))
        }
    }

    /// Answers a neighbour's sync request from the chain this peer holds.
    func answer(_ request: SyncMessage) -> SyncMessage? {
        switch request {
        case .headRequest(let id):
            return head(id: id)
        case let .checkpointRequest(id, round):
            guard case let .head(_, head) = head(id: id), head.committed == round, !head.outcome.isEmpty,
                  let model = state.read(chain.withLock { $0.last.checkpoint }) else {
                return .checkpoint(id: id, round: 0, outcome: [], model: [])
            }
            return .checkpoint(id: id, round: round, outcome: head.outcome, model: model)
        case .head, .checkpoint:
            return nil
        }
    }

    /// The heads of the connected neighbours, asked at once; a head past the federation's
    /// last round is refused.
    func heads() async -> [Head] {
        let neighbours = transport.connectedNeighbours, timeout = configuration.phaseTimeout, topology = topology
        return await withTaskGroup(of: Head?.self) { group in
            for neighbour in neighbours {
                group.addTask { [sync, log] in
                    guard case let .head(_, head)? = await sync.ask(neighbour, timeout: timeout, { .headRequest(id: $0) }) else { return nil }
                    guard head.committed <= UInt64(topology.training.rounds), head.running <= UInt64(topology.training.rounds) else {
                        log.event("refused", "\(neighbour) claims round \(head.committed), past the federation's \(topology.training.rounds)")
                        return nil
                    }
                    let signed = SignedOutcome.verified(head.outcome, topology: topology)
                    return Head(neighbour: neighbour, committed: Int(head.committed), running: Int(head.running), activity: head.activity,
                                progress: head.progress, start: head.start, outcome: signed.flatMap { $0.round <= head.committed ? $0 : nil })
                }
            }
            var heads: [Head] = []
            for await head in group { if let head { heads.append(head) } }
            return heads
        }
    }

    /// Ends round `round` for a peer that did not complete it: waits (six phase timeouts at
    /// most) until no neighbour is still aggregating it or committing its model, and, when no
    /// neighbour has committed it, until no recovering neighbour is near a peer that is; then
    /// takes a neighbour's signed record of it, or a newer checkpoint.
    func recover(round: Int, base: ModelState, baseHash: [UInt8]) async throws(NodeError) -> Recovery {
        let deadline = ContinuousClock.now + configuration.phaseTimeout * 6
        var found = await heads()
        while !isStopping, ContinuousClock.now < deadline, Self.keepsWaiting(round: round, heads: found, peers: topology.peers.count) {
            let hops = Self.progress(round: round, heads: found)
            chain.withLock { $0.progress = hops }
            try? await Task.sleep(for: .milliseconds(250))
            found = await heads()
        }
        guard found.contains(where: { $0.committed >= round }) else { return .abortedEverywhere }
        if let (model, record) = await record(of: round, base: base, baseHash: baseHash) { return .caughtUp(model, record) }
        try await catchUpWithNeighbours()
        return chain.withLock { $0.committed } >= round ? .overtaken : .abortedEverywhere
    }

    /// Hops from this peer to the nearest peer still aggregating or committing `round`, from its
    /// neighbours' heads.
    static func progress(round: Int, heads: [Head]) -> UInt8 {
        let nearest = heads.filter { $0.running == round }.map { $0.isInside(round) ? 0 : Int($0.progress) }.min()
        return nearest.map { UInt8(min($0 + 1, Int(SyncMessage.Head.unreachable))) } ?? SyncMessage.Head.unreachable
    }

    /// Whether a peer recovering `round` waits on: nobody answered; a neighbour is still in the
    /// round; or none has committed it and a recovering neighbour is still near a peer that is
    /// in it (fewer hops than the federation has peers: its recovery may yet find the round's
    /// model, where a count past that is only recovering peers counting up among themselves).
    static func keepsWaiting(round: Int, heads: [Head], peers: Int) -> Bool {
        if heads.isEmpty || heads.contains(where: { $0.isInside(round) }) { return true }
        if heads.contains(where: { $0.committed >= round }) { return false }
        return Int(progress(round: round, heads: heads)) <= peers
    }

    /// A neighbour's record of `round` applied to `base`, when its signed Outcome starts from
    /// `baseHash` and names the model the average gives.
    private func record(of round: Int, base: ModelState, baseHash: [UInt8]) async -> (ModelState, RoundOutcome)? {
        let record = await aggregator.catchUp(round: UInt64(round), dimension: base.vectorCount)
        guard record.abortReason == nil, let average = record.average, let signed = record.signedOutcome else { return nil }
        guard signed.base == baseHash else {
            log.event("behind", "round \(round) started from \(ModelLink.short(signed.base)), not this peer's \(ModelLink.short(baseHash))")
            return nil
        }
        guard Self.hash(of: base, adding: average) == signed.model else {
            log.event("refused", "the record of round \(round) gives a model other than the signed \(ModelLink.short(signed.model))")
            return nil
        }
        let model = base.adding(average)
        log.event("caught-up", "round \(round): caught up from \(record.caughtUpFrom ?? "a neighbour")", ["round": round])
        return (model, record)
    }

    /// Brings this peer to the newest model its neighbours hold: round by round from their
    /// records when one round behind, by their checkpoint (checked against the signed model
    /// hash) when further behind or off the chain. A neighbour counts as ahead only when its
    /// model is signed for a later round than this peer's newest signed one (or is this peer's
    /// model): one that wrongly concluded a round aborted everywhere journals later rounds on
    /// an older model, which must not replace the model the others completed that round on.
    /// - Throws: `NodeError.differentStart` when the neighbour ahead started from another M(0).
    func catchUpWithNeighbours() async throws(NodeError) {
        while !isStopping {
            let (own, base, baseHash, start, signedRound) = chain.withLock { chain in
                (chain.committed, chain.model, chain.modelHash, chain.start.modelHash,
                 chain.lastSigned?.signedOutcome.flatMap { [UInt8](hex: $0) }
                    .flatMap { SignedOutcome.verified($0, topology: topology) }?.round ?? 0)
            }
            let ahead = await heads().filter { head in
                guard head.committed > own, let signed = head.outcome else { return false }
                return signed.round > signedRound || signed.model == baseHash
            }.sorted { $0.committed > $1.committed }
            guard let best = ahead.first else { return }
            guard best.start.hexString == start else {
                throw .differentStart(own: start, federation: best.start.hexString, from: best.neighbour)
            }
            if best.committed == own + 1, let (model, record) = await record(of: own + 1, base: base, baseHash: baseHash) {
                var entry = JournalEntry(round: own + 1, kind: .caughtUp, modelHash: "", baseHash: baseHash.hexString, checkpoint: "", time: "")
                entry.take(record, peer: id)
                try await commit(entry, model: model, trainingLoss: nil, seconds: [:], started: .now)
                continue
            }
            guard try await adoptCheckpoint(from: ahead) else { return }
        }
    }

    /// Takes the newest checkpoint one of `heads` sends whose bytes have the model hash its
    /// signed Outcome names.
    /// - Returns: whether one was taken.
    private func adoptCheckpoint(from heads: [Head]) async throws(NodeError) -> Bool {
        setState(.waiting, phase: "fetch-checkpoint")
        for head in heads {
            guard let signed = head.outcome,
                  case let .checkpoint(_, round, outcome, bytes)? = await sync.ask(head.neighbour, timeout: configuration.phaseTimeout * 2, {
                      .checkpointRequest(id: $0, round: UInt64(head.committed))
                  }),
                  round == UInt64(head.committed), outcome == signed.bytes else { continue }
            guard Blake2b.hash(bytes) == signed.model, let model = try? ModelState(safetensors: bytes),
                  (try? model.load(into: training.session.model)) != nil else {
                log.event("refused", "the checkpoint of round \(round) from \(head.neighbour) does not have the signed hash \(ModelLink.short(signed.model)) or does not fit the model")
                continue
            }
            log.event("checkpoint", "took \(head.neighbour)'s checkpoint of round \(round), model \(ModelLink.short(signed.model)), signed by \(signed.coordinator) for round \(signed.round)",
                      ["round": head.committed, "from": head.neighbour])
            var entry = JournalEntry(round: head.committed, kind: .checkpoint, modelHash: "", baseHash: signed.base.hexString, checkpoint: "", time: "")
            entry.caughtUpFrom = head.neighbour
            entry.coordinator = signed.coordinator
            entry.aggregateHash = signed.aggregateHash.hexString
            entry.signedOutcome = signed.bytes.hexString
            try await commit(entry, model: model, trainingLoss: nil, seconds: [:], started: .now)
            return true
        }
        return false
    }
}

extension Array where Element == UInt8 {
    /// The bytes of lower- or upper-case hex `text`; nil when it is not hex.
    init?(hex text: String) {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self = bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }
}
