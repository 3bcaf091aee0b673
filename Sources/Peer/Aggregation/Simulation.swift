public import Crypto
internal import Foundation
public import Gossip
import Learn
import Synchronization

/// `peer simulate`: N protocol instances in one process over the in-memory network, with
/// crashes injected at chosen phases, checked against the plaintext weighted average.
public enum Simulation {
    /// The phases a peer can be dropped at.
    public static let phases = ["advertise", "share-keys", "masked-input", "tree-sum", "unmask"]

    public struct Request: Sendable {
        public var topology: Topology
        /// Fresh identities for the topology's peers (the simulation signs for all of them).
        public var identities: [String: IdentityKey]
        public var dimension: Int
        public var dropFraction: Double = 0
        /// One of `phases`, or "random" to spread drops over them.
        public var dropPhase = "random"
        /// Peers to crash explicitly, with their phase (tests use it to hit a leaf or an inner node).
        public var crashes: [String: String] = [:]
        public var seed: UInt64 = 1
        public var rounds = 1
        public var phaseTimeout: Duration = .seconds(10)
        /// After each round, restart the peers that crashed in it and have them catch up on the
        /// round from a neighbour (docs/PROTOCOL.md, "Catching up"); they take part in the next.
        public var rejoin = false
        /// Whether each report keeps every peer's outcome (its aggregate among them). Without,
        /// a run of many rounds holds only the figures, so that its resident memory shows the
        /// peers' own.
        public var keepsOutcomes = true
        /// A split liveness view or a partition, besides the crashes.
        public var fault: Fault?

        public init(topology: Topology, identities: [String: IdentityKey], dimension: Int) {
            self.topology = topology
            self.identities = identities
            self.dimension = dimension
        }
    }

    /// What one round did.
    public struct RoundReport: Sendable {
        public let round: UInt64
        public let coordinator: String
        public let contributors: [String]
        public let dropped: [String]
        public let crashed: [String]
        public let abortReason: String?
        /// Longest time any peer spent in each phase.
        public let phaseSeconds: [(phase: String, seconds: Double)]
        public let wallSeconds: Double
        public let bytesSentMean: Double
        public let bytesSentMax: Int
        public let maskBytesMean: Double
        /// Whether every surviving peer holds the same unmasked sum, bit for bit.
        /// Every peer that completed holds the same sum, with the same hash.
        public let survivorsAgree: Bool
        /// The hash the completed peers ended on (the coordinator's Outcome names it).
        public let aggregateHash: [UInt8]?
        /// Whether the contributors shared the unmasking.
        public let sharedUnmasking: Bool
        /// Largest difference between the decoded average and the plaintext weighted average of
        /// the contributors' inputs, and the bound it must stay within.
        public let maximumError: Double
        public let errorBound: Double
        /// Every peer's outcome, for tests and dumps (empty unless `Request.keepsOutcomes`).
        public var outcomes: [String: RoundOutcome]
        /// With `rejoin`: the crashed peers restarted after the round, and those of them whose
        /// catch-up ended on the round's aggregate hash.
        public var rejoined: [String] = []
        public var caughtUp: [String] = []
        /// How many different aggregate hashes the peers that completed the round ended on:
        /// more than one is a fork.
        public let distinctAggregateHashes: Int
        /// Owners for which both a self-mask share and a mask-key share were revealed, by any
        /// peers of the federation (the simulation sees every peer's reveals): must be 0.
        public let ownersWithBothSharesRevealed: Int
        /// The coordinators that peers followed in the round (more than one under a split view
        /// or a partition).
        public let coordinatorsFollowed: [String]
        /// What the fault did in this round, if one was injected.
        public var fault: String?
        /// Resident memory of the simulating process after the round, in bytes.
        public var residentBytes: Int?
    }

    /// Inputs of every peer: a uniform random vector in [-1, 1] and a weight in [0.1, 1].
    public static func inputs(peers: [String], dimension: Int, seed: UInt64, round: UInt64) -> [String: (input: [Float], weight: Double)] {
        Dictionary(uniqueKeysWithValues: peers.enumerated().map { index, id in
            var generator = SeededGenerator(seed: seed &* 1_000_003 &+ round &* 7919 &+ UInt64(index))
            let input = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
            return (id, (input, Double.random(in: 0.1...1, using: &generator)))
        })
    }

    /// Runs the simulation with words of `Word`.
    /// Runs the simulation in the ring of the topology's `ringBits`.
    /// - Parameters:
    ///   - progress: one line per round as it starts.
    ///   - log: every peer's log lines, prefixed with its id.
    public static func run(_ request: Request, progress: @Sendable (String) -> Void = { _ in },
                           log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> [RoundReport] {
        // Concrete calls, so that the protocol code is specialised for each word type.
        if request.topology.aggregation.ringBits == 64 {
            return try await run(request, word: UInt64.self, progress: progress, log: log)
        }
        return try await run(request, word: UInt32.self, progress: progress, log: log)
    }

    static func run<Word: RingWord>(_ request: Request, word: Word.Type, progress: @Sendable (String) -> Void = { _ in },
                                    log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> [RoundReport] {
        let topology = request.topology
        let network = InMemoryNetwork<Word>(topology: topology)
        var configuration = SecureAggregationPeer<Word>.Configuration()
        configuration.maskThreads = 1
        configuration.phaseTimeout = request.phaseTimeout
        func makePeer(_ id: String) throws -> SecureAggregationPeer<Word> {
            try SecureAggregationPeer<Word>(id: id, topology: topology, identity: request.identities[id]!, network: network.endpoint(id),
                                            configuration: configuration, log: { log("[\(id)] \($0)") })
        }
        var peers = try topology.peers.map { try makePeer($0.id) }
        for peer in peers { network.attach(peer) }
        var generator = SeededGenerator(seed: request.seed)
        var reports: [RoundReport] = []
        for round in UInt64(1)...UInt64(request.rounds) {
            let live = topology.peers.map(\.id).filter(network.isLive)
            guard let coordinator = RoundStructure.coordinatorOrder(round: round, peers: live).first else { break }
            var crashes = request.crashes
            let dropCount = Int((Double(live.count) * request.dropFraction).rounded(.down))
            for victim in live.filter({ $0 != coordinator && crashes[$0] == nil }).shuffled(using: &generator).prefix(dropCount) {
                crashes[victim] = request.dropPhase == "random" ? phases.randomElement(using: &generator)! : request.dropPhase
            }
            var viewers = Set<String>(), parts: [Set<String>]?, faultNote: String?
            switch request.fault {
            case .splitView(let count)?:
                viewers = Set(live.filter { $0 != coordinator }.shuffled(using: &generator).prefix(count))
                network.hide(coordinator, from: viewers)
                faultNote = "\(viewers.sorted(by: KeyAgreement.precedes).joined(separator: ", ")) did not see \(coordinator) at the start"
            case .partition? where round == 1:
                guard let cut = cut(topology, using: &generator) else {
                    throw FaultError(description: "the topology cannot be cut into two connected parts")
                }
                parts = cut
                faultNote = "cut into " + cut.map { $0.sorted(by: KeyAgreement.precedes).joined(separator: ",") }.joined(separator: " | ")
                    + " as the tree sum began"
            default:
                break
            }
            let cutDone = Locked(false), cutParts = parts, splitViewers = viewers
            let data = inputs(peers: live, dimension: request.dimension, seed: request.seed, round: round)
            let bytesBefore = network.bytesSent
            progress("round \(round): \(live.count) peers, coordinator \(coordinator), \(crashes.count) to crash")
            let start = ContinuousClock.now
            let plannedCrashes = crashes, roundPeers = peers
            let outcomes = await withTaskGroup(of: RoundOutcome.self) { group in
                for peer in roundPeers where live.contains(peer.id) {
                    let (input, weight) = data[peer.id]!
                    group.addTask {
                        await peer.runRound(round, input: input, weight: weight) { phase in
                            if phase == "share-keys" && splitViewers.contains(peer.id) { network.restoreView(of: peer.id) }
                            if phase == "tree-sum", let cutParts, cutDone.update({ done in defer { done = true }; return !done }) {
                                network.partition(cutParts)
                            }
                            if plannedCrashes[peer.id] == phase { network.crash(peer.id) }
                        }
                    }
                }
                var outcomes: [String: RoundOutcome] = [:]
                for await outcome in group { outcomes[outcome.peer] = outcome }
                return outcomes
            }
            let elapsed = ContinuousClock.now - start
            for viewer in viewers { network.restoreView(of: viewer) }
            var roundReport = report(round: round, coordinator: coordinator, outcomes: outcomes, crashed: Array(plannedCrashes.keys),
                                     data: data, peers: peers, bytesBefore: bytesBefore, bytesAfter: network.bytesSent,
                                     wall: elapsed / .seconds(1))
            roundReport.fault = faultNote
            if request.rejoin {
                let restarted = try roundReport.crashed.map(makePeer)
                for peer in restarted {
                    network.rejoin(peer)
                    peers[peers.firstIndex { $0.id == peer.id }!] = peer
                }
                roundReport.rejoined = restarted.map(\.id)
                roundReport.caughtUp = await catchUp(restarted, round: round, dimension: request.dimension, hash: roundReport.aggregateHash)
                progress("round \(round): \(restarted.count) crashed peers restarted, \(roundReport.caughtUp.count) caught up on its aggregate")
            }
            if !request.keepsOutcomes { roundReport.outcomes = [:] }
            roundReport.residentBytes = ResidentMemory.bytes()
            reports.append(roundReport)
        }
        return reports
    }

    /// Has each restarted peer catch up on `round`; returns those that ended on `hash`.
    private static func catchUp<Word: RingWord>(_ restarted: [SecureAggregationPeer<Word>], round: UInt64, dimension: Int,
                                                hash: [UInt8]?) async -> [String] {
        await withTaskGroup(of: RoundOutcome.self) { group in
            for peer in restarted { group.addTask { await peer.catchUp(round: round, dimension: dimension) } }
            var caughtUp: [String] = []
            for await outcome in group where hash != nil && outcome.aggregateHash == hash { caughtUp.append(outcome.peer) }
            return caughtUp.sorted(by: KeyAgreement.precedes)
        }
    }

    /// Owners for which both kinds of share were revealed in `round`, by any of `peers`.
    static func ownersWithBothSharesRevealed<Word: RingWord>(_ peers: some Collection<SecureAggregationPeer<Word>>,
                                                             round: UInt64) -> [String] {
        var kinds: [String: Set<UInt8>] = [:]
        for peer in peers {
            for (owner, kind) in peer.revealedKinds(round: round) { kinds[owner, default: []].insert(kind) }
        }
        return kinds.filter { $0.value.count > 1 }.keys.sorted(by: KeyAgreement.precedes)
    }

    private static func report<Word: RingWord>(round: UInt64, coordinator: String, outcomes: [String: RoundOutcome], crashed: [String],
                                               data: [String: (input: [Float], weight: Double)], peers: [SecureAggregationPeer<Word>],
                                               bytesBefore: [String: Int], bytesAfter: [String: Int], wall: Double) -> RoundReport {
        let completed = outcomes.values.filter { $0.abortReason == nil }
        let reference = completed.first
        let agree = completed.allSatisfy { $0.sumBytes == reference?.sumBytes && $0.aggregateHash == reference?.aggregateHash }
        var maximumError = 0.0, bound = 0.0
        if let reference, let average = reference.average {
            let codec = peers[0].codec
            let contributors = reference.contributors
            let weights = contributors.map { Float(min(max(data[$0]!.weight, 0), 1)) }
            let totalWeight = weights.reduce(0, +)
            // Numerator and weight sums are each within n half-steps e of the exact sums N and W,
            // so |N'/W' - N/W| <= n e (1 + |N/W|) / (W - n e), with |N/W| <= 1 for inputs in
            // [-1, 1]; 1e-6 covers Float32 products and the final conversion.
            let spread = Double(contributors.count) * codec.roundingErrorBound(stochastic: false)
            bound = 2 * spread / (Double(totalWeight) - spread) + 1e-6
            for index in average.indices {
                var numerator = 0.0
                for (contributor, weight) in zip(contributors, weights) { numerator += Double(data[contributor]!.input[index] * weight) }
                maximumError = max(maximumError, abs(Double(average[index]) - numerator / Double(totalWeight)))
            }
        }
        var phaseSeconds: [(String, Double)] = []
        for phase in phases {
            let times = outcomes.values.compactMap { $0.phaseTimes.first { $0.phase == phase }?.seconds }
            if let longest = times.max() { phaseSeconds.append((phase, longest)) }
        }
        let sent = outcomes.keys.map { (bytesAfter[$0] ?? 0) - (bytesBefore[$0] ?? 0) }
        let mask = outcomes.values.map(\.maskBytesExpanded)
        let main = outcomes[coordinator] ?? reference
        return RoundReport(round: round, coordinator: coordinator, contributors: main?.contributors ?? [], dropped: main?.dropped ?? [],
                           crashed: crashed.sorted(by: KeyAgreement.precedes), abortReason: main?.abortReason?.description,
                           phaseSeconds: phaseSeconds, wallSeconds: wall,
                           bytesSentMean: Double(sent.reduce(0, +)) / Double(max(sent.count, 1)), bytesSentMax: sent.max() ?? 0,
                           maskBytesMean: Double(mask.reduce(0, +)) / Double(max(mask.count, 1)), survivorsAgree: agree,
                           aggregateHash: reference?.aggregateHash, sharedUnmasking: reference?.sharedUnmasking ?? false,
                           maximumError: maximumError, errorBound: bound, outcomes: outcomes,
                           distinctAggregateHashes: Set(completed.compactMap(\.aggregateHash)).count,
                           ownersWithBothSharesRevealed: ownersWithBothSharesRevealed(peers, round: round).count,
                           coordinatorsFollowed: Set(outcomes.values.map(\.coordinator)).sorted(by: KeyAgreement.precedes))
    }
}
