import Gossip
import Synchronization
internal import Foundation
import Crypto
import Learn

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

    /// What a neighbour says of itself.
    struct Head {
        let neighbour: String
        let committed: Int
        let running: Int
        let outcome: SignedOutcome?
    }

    /// Answers a neighbour's sync request from the chain this peer holds.
    func answer(_ request: SyncMessage) -> SyncMessage? {
        let (entry, running) = chain.withLock { ($0.entries.last, $0.running) }
        switch request {
        case .headRequest:
            let outcome = entry?.signedOutcome.flatMap { [UInt8](hex: $0) } ?? []
            return .head(committed: UInt64(entry?.round ?? 0), running: UInt64(running), outcome: outcome)
        case .checkpointRequest(let round):
            guard let entry, entry.round == Int(round), let outcome = entry.signedOutcome.flatMap({ [UInt8](hex: $0) }),
                  let model = state.read(entry.checkpoint) else {
                return .checkpoint(round: 0, outcome: [], model: [])
            }
            return .checkpoint(round: round, outcome: outcome, model: model)
        case .head, .checkpoint:
            return nil
        }
    }

    /// The heads of the connected neighbours, asked at once.
    func heads() async -> [Head] {
        let neighbours = transport.connectedNeighbours, timeout = configuration.phaseTimeout, topology = topology
        return await withTaskGroup(of: Head?.self) { group in
            for neighbour in neighbours {
                group.addTask { [sync] in
                    guard case let .head(committed, running, outcome)? = await sync.ask(neighbour, .headRequest, timeout: timeout) else { return nil }
                    let signed = SignedOutcome.verified(outcome, topology: topology)
                    return Head(neighbour: neighbour, committed: Int(clamping: committed), running: Int(clamping: running),
                                outcome: signed?.round == committed ? signed : nil)
                }
            }
            var heads: [Head] = []
            for await head in group { if let head { heads.append(head) } }
            return heads
        }
    }

    /// Ends round `round` for a peer that did not complete it: waits until no neighbour is
    /// still running it, then takes a neighbour's signed record of it, or a newer checkpoint.
    func recover(round: Int, base: ModelState, baseHash: [UInt8]) async throws(NodeError) -> Recovery {
        let deadline = ContinuousClock.now + configuration.phaseTimeout * 6
        var found = await heads()
        while !isStopping, found.contains(where: { $0.running == round }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(250))
            found = await heads()
        }
        guard found.contains(where: { $0.committed >= round }) else { return .abortedEverywhere }
        if let (model, record) = try await record(of: round, base: base, baseHash: baseHash) { return .caughtUp(model, record) }
        try await catchUpWithNeighbours()
        return chain.withLock { $0.committed } >= round ? .overtaken : .abortedEverywhere
    }

    /// A neighbour's record of `round` applied to `base`, when its signed Outcome starts from
    /// `baseHash` and names the model the average gives.
    /// - Throws: `NodeError.differentStart` when the federation's round 1 started from another
    ///   M(0) than this peer's.
    private func record(of round: Int, base: ModelState, baseHash: [UInt8]) async throws(NodeError) -> (ModelState, RoundOutcome)? {
        let record = await aggregator.catchUp(round: UInt64(round), dimension: base.vectorCount)
        guard record.abortReason == nil, let average = record.average, let signed = record.signedOutcome else { return nil }
        guard signed.base == baseHash else {
            let completed = chain.withLock { $0.entries.contains { $0.kind != .start && $0.kind != .aborted } }
            if !completed {
                throw .differentStart(own: baseHash.hexString, federation: signed.base.hexString, from: "round \(round)'s Outcome signed by \(signed.coordinator)")
            }
            log.event("behind", "round \(round) started from \(ModelLink.short(signed.base)), not this peer's \(ModelLink.short(baseHash))")
            return nil
        }
        let model = base.adding(average)
        guard Blake2b.hash(model.safetensors) == signed.model else {
            log.event("refused", "the record of round \(round) gives a model other than the signed \(ModelLink.short(signed.model))")
            return nil
        }
        log.event("caught-up", "round \(round): caught up from \(record.caughtUpFrom ?? "a neighbour")", ["round": round])
        return (model, record)
    }

    /// Brings this peer to the newest model its neighbours hold: round by round from their
    /// records when one round behind, by their checkpoint (checked against its round's signed
    /// model hash) when further behind or off the chain.
    func catchUpWithNeighbours() async throws(NodeError) {
        while !isStopping {
            let (own, base, baseHash) = chain.withLock { ($0.committed, $0.model, $0.modelHash) }
            let ahead = await heads().filter { $0.committed > own && $0.outcome != nil }.sorted { $0.committed > $1.committed }
            guard let best = ahead.first else { return }
            if best.committed == own + 1, let (model, record) = try await record(of: own + 1, base: base, baseHash: baseHash) {
                var entry = JournalEntry(round: own + 1, kind: .caughtUp, modelHash: "", baseHash: baseHash.hexString, checkpoint: "", time: "")
                entry.caughtUpFrom = record.caughtUpFrom
                entry.coordinator = record.coordinator
                entry.contributors = record.contributors
                entry.dropped = record.dropped
                entry.aggregateHash = record.aggregateHash?.hexString
                entry.signedOutcome = record.signedOutcome?.bytes.hexString
                entry.contributed = record.contributors.contains(id)
                try await commit(entry, model: model, trainingLoss: nil, seconds: [:], started: .now)
                continue
            }
            guard try await adoptCheckpoint(from: ahead) else { return }
        }
    }

    /// Takes the newest checkpoint one of `heads` sends whose bytes have the model hash its
    /// round's signed Outcome names.
    /// - Returns: whether one was taken.
    private func adoptCheckpoint(from heads: [Head]) async throws(NodeError) -> Bool {
        setState(.waiting, phase: "fetch-checkpoint")
        for head in heads {
            guard let signed = head.outcome,
                  case let .checkpoint(round, outcome, bytes)? = await sync.ask(head.neighbour, .checkpointRequest(round: UInt64(head.committed)),
                                                                                 timeout: configuration.phaseTimeout * 2),
                  round == UInt64(head.committed), outcome == signed.bytes else { continue }
            guard Blake2b.hash(bytes) == signed.model, let model = try? ModelState(safetensors: bytes),
                  (try? model.load(into: training.session.model)) != nil else {
                log.event("refused", "the checkpoint of round \(round) from \(head.neighbour) does not have the signed hash \(ModelLink.short(signed.model)) or does not fit the model")
                continue
            }
            log.event("checkpoint", "took \(head.neighbour)'s checkpoint of round \(round), model \(ModelLink.short(signed.model)), signed by \(signed.coordinator)",
                      ["round": Int(round), "from": head.neighbour])
            var entry = JournalEntry(round: Int(round), kind: .checkpoint, modelHash: "", baseHash: signed.base.hexString, checkpoint: "", time: "")
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
