public import Crypto
internal import Foundation
public import Gossip
import Synchronization

/// One peer's side of secure aggregation (docs/PROTOCOL.md, "Secure aggregation"): double
/// masking, sums along the aggregation tree, Shamir recovery of dropped peers' masks.
///
/// Runs over any `RoundNetwork`; the network calls `receive(_:from:)` with authenticated
/// messages. Every peer unmasks the sum itself and ends with the same bytes.
public final class SecureAggregationPeer<Word: RingWord>: Sendable {
    /// Timing and resources of the protocol.
    public struct Configuration: Sendable {
        /// How long a phase waits for what is missing (it ends earlier when complete).
        public var phaseTimeout: Duration = .seconds(10)
        /// Threads for mask expansion (1 when many peers share a process).
        public var maskThreads: Int = MaskGenerator.defaultThreadCount
        /// How many completed rounds a peer keeps the record of (Total, Outcome, aggregate), to
        /// serve neighbours that missed them (`catchUp(round:dimension:)`).
        public var keptRecords: Int = 2
        public init() {}
    }

    public let id: String
    let topology: Topology
    let identity: IdentityKey
    let network: any RoundNetwork
    let codec: FixedPoint<Word>
    let configuration: Configuration
    let mailbox = Mailbox<Word>()
    let log: @Sendable (String) -> Void

    private struct State {
        /// Content this peer can serve by hash (share bundles, the sum), per round.
        var content: [UInt64: [[UInt8]: [UInt8]]] = [:]
        /// Pull requests for content not here yet: answered when it arrives.
        var pendingPulls: [[UInt8]: Set<String>] = [:]
        /// Hashes this peer has asked its neighbours for, for itself or passing on a neighbour's
        /// request: a PullResponse is taken only for one of them.
        var forwardedPulls: Set<[UInt8]> = []
        /// Hashes this peer asked for itself, with the round of the content asked for.
        var ownPulls: [[UInt8]: UInt64] = [:]
        /// Content messages each peer pushed per round (`pushedPerSender`).
        var pushed: [UInt64: [String: [UInt8: Int]]] = [:]
        /// The Total accepted per round (its hash); others are refused.
        var acceptedTotals: [UInt64: [UInt8]] = [:]
        /// What this peer revealed per round: owner -> kind. Never both kinds for one owner.
        var revealed: [UInt64: [String: RoundMessage<Word>.RevealedShare.Kind]] = [:]
        var stopped = false
        /// The round in progress; messages of other rounds than it and the next are refused.
        var currentRound: UInt64 = 0
        /// The coordinator of the round in progress.
        var coordinator: String?
        /// Rounds in which this peer already sent its own partial sum up, and to whom.
        var sentUp: [UInt64: String] = [:]
        /// The aggregation tree of each round, once known.
        var trees: [UInt64: RoundStructure.Tree] = [:]
        /// This peer's own piece per round, kept until the Total, to re-send it if the peer it
        /// went to dies first.
        var ownPiece: [UInt64: RoundMessage<Word>.PartialSum] = [:]
        var maskBytes = 0
        var computeSeconds = 0.0
        /// Records of the last completed rounds, to serve neighbours that missed them.
        var records: [UInt64: RoundMessage<Word>.Record.Held] = [:]
        /// Rounds this peer is catching up on: records are taken in only for them.
        var catchingUp: Set<UInt64> = []
        /// Per round, the coordinator earliest in the round's order whose validly signed Roster1
        /// has arrived: a peer that follows a later one leaves the round.
        var earliestRoster: [UInt64: String] = [:]
        /// Small messages of rounds a little ahead of the one in progress (`earlyRounds`), kept
        /// (at most `earlyLimit`, oldest dropped) for a peer that is still catching up while the
        /// others begin a later round: handed over again as that round begins.
        var early: [(round: UInt64, from: String, bytes: [UInt8])] = []
        /// Messages refused, for tests and logs (the most recent `keptRefusals`).
        var refusals: [String] = []
        var refusalsByPeer: [String: Int] = [:]
    }

    /// How far ahead of the round in progress small messages are kept rather than refused, how
    /// many at most, and how large one may be (advertisements, rosters, bundles; never a sum).
    static var earlyRounds: UInt64 { 4 }
    static var earlyLimit: Int { 512 }
    static var earlyMessageBytes: Int { 64 << 10 }

    /// Hands over again the kept early messages of the round in progress and the next, and
    /// drops those of rounds gone by.
    func releaseEarly() async {
        let due = state.withLock { state -> [(round: UInt64, from: String, bytes: [UInt8])] in
            let current = state.currentRound
            let due = state.early.filter { $0.round <= current + 1 && $0.round >= current }
            state.early.removeAll { $0.round <= current + 1 }
            return due
        }
        for message in due { await receive(message.bytes, from: message.from) }
    }

    /// Content messages of one kind (a bundle, the sum, the aggregate) one peer may push to this
    /// one per round before they are refused: an honest peer sends one of each at most, so that
    /// a round's kept content stays bounded.
    static var pushedPerSender: Int { 2 }

    /// Counts a content message of `kind` that `sender` pushed for `round`; false beyond
    /// `pushedPerSender`.
    private func admitPushed(_ kind: UInt8, from sender: String, round: UInt64) -> Bool {
        state.withLock { state in
            let count = state.pushed[round]?[sender]?[kind] ?? 0
            guard count < Self.pushedPerSender else { return false }
            state.pushed[round, default: [:]][sender, default: [:]][kind] = count + 1
            return true
        }
    }

    /// Pull requests for missing content a neighbour may have waiting here at once.
    static var pendingPullsPerNeighbour: Int { 64 }
    /// Refusals kept for `refusals`.
    static var keptRefusals: Int { 1000 }

    private let state = Mutex(State())

    /// - Throws: `CryptoError` when the topology's fixed-point settings are invalid for `Word`.
    public init(id: String, topology: Topology, identity: IdentityKey, network: any RoundNetwork,
                configuration: Configuration = .init(), log: @escaping @Sendable (String) -> Void = { _ in }) throws(CryptoError) {
        self.id = id
        self.topology = topology
        self.identity = identity
        self.network = network
        self.configuration = configuration
        self.log = log
        codec = try FixedPoint<Word>(clip: Float(topology.aggregation.clip), fractionBits: topology.aggregation.fractionBits)
        try codec.checkCapacity(peerCount: topology.peers.count)
    }

    /// Messages refused so far, as log lines.
    public var refusals: [String] { state.withLock { $0.refusals } }

    /// Tells a peer that starts (or restarts) in the middle of a federation that `round` is the
    /// last one behind it, so that the next round's messages, which may come before this peer
    /// begins it, are taken rather than refused as too far ahead.
    public func resume(after round: UInt64) {
        state.withLock { $0.currentRound = max($0.currentRound, round) }
    }

    /// Simulates a crash: from now on this peer sends nothing and its round ends.
    public func stop() {
        state.withLock { $0.stopped = true }
        mailbox.poke()
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Re-checks waiting conditions and re-sends pieces whose receiver died (the network calls
    /// it when liveness changes).
    public func livenessChanged() {
        mailbox.poke()
        Task { await resendLostPieces() }
    }

    /// Refusals of what each peer sent, by sender.
    public var refusalsByPeer: [String: Int] { state.withLock { $0.refusalsByPeer } }

    /// Refuses what `peer` sent: logged and counted against it.
    func refuse(_ reason: String, from peer: String) {
        state.withLock { $0.refusalsByPeer[peer, default: 0] += 1 }
        refuse(reason)
    }

    func refuse(_ reason: String) {
        state.withLock { state in
            state.refusals.append(reason)
            if state.refusals.count > Self.keptRefusals { state.refusals.removeFirst(state.refusals.count - Self.keptRefusals) }
        }
        log("refused: \(reason)")
    }

    // MARK: - Receiving

    /// Hands a message from the network to the protocol. `from` is the authenticated sender
    /// (the origin of a broadcast, or the neighbour of a direct message).
    public func receive(_ bytes: [UInt8], from: String) async {
        guard !isStopped else { return }
        let message: RoundMessage<Word>
        do {
            message = try RoundMessage<Word>.decode(bytes, peerLimit: topology.peers.count, wordLimit: 1 << 28)
        } catch {
            refuse("malformed message from \(from): \(error)", from: from)
            return
        }
        await receive(message, bytes: bytes, from: from)
    }

    /// Hands over a message already decoded from `bytes` (the in-memory network decodes a
    /// broadcast once for all its recipients, which then share its storage).
    func receive(_ message: RoundMessage<Word>, bytes: [UInt8], from: String) async {
        guard !isStopped else { return }
        switch message {
        case .recordRequest(let round):
            _ = await network.send(RoundMessage<Word>.record(.init(round: round, held: record(round: round))).encoded, to: from)
            return
        case .record(let record):
            guard state.withLock({ $0.catchingUp.contains(record.round) }) else {
                refuse("an unasked-for record of round \(record.round) from \(from)", from: from)
                return
            }
            mailbox.post(.init(from: from, message: message, bytes: bytes))
            return
        default:
            break
        }
        if let round = message.round {
            let current = state.withLock { $0.currentRound }
            if round > current + 1, round <= current + Self.earlyRounds, bytes.count <= Self.earlyMessageBytes {
                state.withLock { state in
                    state.early.append((round, from, bytes))
                    if state.early.count > Self.earlyLimit { state.early.removeFirst(state.early.count - Self.earlyLimit) }
                }
                return
            }
            guard round >= current, round <= current + 1 else {
                refuse("message of kind \(bytes[0]) for round \(round) from \(from) while in round \(current)", from: from)
                return
            }
        }
        switch message {
        case .pullRequest(let hash):
            // Answer now if the content is here; otherwise remember the requester and, once per
            // hash, ask the other neighbours in turn, so the request spreads until it reaches a
            // peer that has the content and the answer flows back.
            let (content, askOthers, refused) = state.withLock { state -> ([UInt8]?, Bool, Bool) in
                if let found = state.content.values.lazy.compactMap({ $0[hash] }).first { return (found, false, false) }
                let waiting = state.pendingPulls.values.lazy.filter { $0.contains(from) }.count
                guard state.pendingPulls[hash]?.contains(from) == true
                        || (state.pendingPulls.count < 16 * Self.pendingPullsPerNeighbour && waiting < Self.pendingPullsPerNeighbour) else {
                    return (nil, false, true)
                }
                state.pendingPulls[hash, default: []].insert(from)
                return (nil, state.forwardedPulls.insert(hash).inserted, false)
            }
            if refused { refuse("a pull request from \(from) beyond the \(Self.pendingPullsPerNeighbour) it may have waiting", from: from) }
            if let content { _ = await network.send(RoundMessage<Word>.pullResponse(bytes: content).encoded, to: from) }
            if askOthers { await requestPull(hash, except: from) }
            return
        case .pullResponse(let content):
            // Served content is taken only when its hash was asked for (a hash named in a signed
            // roster, Total or Outcome), for the round asked for; a bundle also only with its
            // owner's signature. It is then posted as if it came from its origin.
            let hash = Blake2b.hash(content)
            let (asked, askedRound, current) = state.withLock { ($0.forwardedPulls.contains(hash), $0.ownPulls[hash], $0.currentRound) }
            guard asked else {
                refuse("content from \(from) that nobody here asked for", from: from)
                return
            }
            guard let inner = try? RoundMessage<Word>.decode(content, peerLimit: topology.peers.count, wordLimit: 1 << 28),
                  let round = inner.round else {
                refuse("pulled content from \(from) that does not decode", from: from)
                return
            }
            // Passed on for a neighbour: content of any round this peer keeps content of.
            guard askedRound.map({ $0 == round }) ?? (round + 1 >= current && round <= current + 1) else {
                refuse("pulled content of round \(round) from \(from), not the round asked for", from: from)
                return
            }
            let origin: String
            switch inner {
            case .shareBundle(let bundle):
                guard isSigned(bundle) else {
                    refuse("a pulled bundle of \(bundle.owner) from \(from) without its owner's valid signature", from: from)
                    return
                }
                origin = bundle.owner
            case .sum, .aggregate: origin = from
            default: refuse("a pulled message that is not a bundle, the sum or the aggregate, from \(from)", from: from); return
            }
            await store(content: content, round: round, hash: hash) // so that this peer can serve it in turn
            mailbox.post(.init(from: origin, message: inner, bytes: content))
            return
        case .partialSum(let partial):
            // Atomically: before this peer sent its own sum up, the piece joins it (mailbox);
            // after, it is passed on separately.
            let envelope = Mailbox<Word>.Envelope(from: from, message: message, bytes: bytes)
            let forward = state.withLock { state -> Bool in
                if state.sentUp[partial.round] != nil { return true }
                mailbox.post(envelope)
                return false
            }
            if forward {
                var separate = partial
                separate.separate = true
                await sendUp(separate)
            }
            return
        case .total(let total):
            let accepted = state.withLock { $0.acceptedTotals[total.round] }
            if let accepted, accepted != Blake2b.hash(bytes) {
                refuse("a second, conflicting total for round \(total.round) from \(from); no reveals for it", from: from)
                return
            }
        case .roster1(let roster):
            noteRoster(roster)
        case .sum(let round, _), .aggregate(let round, _):
            guard admitPushed(bytes[0], from: from, round: round) else {
                refuse("a sum or aggregate of round \(round) from \(from) beyond the \(Self.pushedPerSender) of a kind a peer may push per round", from: from)
                return
            }
            await store(content: bytes, round: round)
        case .shareBundle(let bundle):
            guard bundle.owner == from else {
                refuse("a bundle of \(bundle.owner) broadcast by \(from)", from: from)
                return
            }
            guard admitPushed(bytes[0], from: from, round: bundle.round) else {
                refuse("a bundle of round \(bundle.round) from \(from) beyond the \(Self.pushedPerSender) of a kind a peer may push per round", from: from)
                return
            }
            await store(content: bytes, round: bundle.round)
            // Only the coordinator needs every bundle; others keep those holding their shares
            // (the content store still serves every bundle to pulls).
            let coordinator = state.withLock { $0.currentRound == bundle.round ? $0.coordinator : nil }
            if let coordinator, coordinator != id, bundle.owner != id, !bundle.holders.contains(id) { return }
        default:
            break
        }
        mailbox.post(.init(from: from, message: message, bytes: bytes))
    }

    // MARK: - Sending

    func broadcast(_ message: RoundMessage<Word>) async {
        guard !isStopped else { return }
        let bytes = message.encoded
        mailbox.post(.init(from: id, message: message, bytes: bytes))
        await network.broadcast(bytes)
    }

    /// Sends a piece towards the root. This peer's own sum goes to its tree parent; a piece that
    /// cannot go that way, and every separate piece, goes to the next hop on a shortest path to
    /// the root through the peers still alive that it has not passed (the parent in the tree
    /// rebuilt over them). Views of who is alive differ (a peer counts a crashed non-neighbour
    /// alive), so two peers could each see the shortest path through the other; a piece that
    /// names the peers it has passed goes to none of them again, and so reaches the root or is
    /// lost within as many hops as there are members.
    func sendUp(_ piece: RoundMessage<Word>.PartialSum, own: Bool = false) async {
        guard !isStopped else { return }
        let round = piece.round
        let (target, tree) = state.withLock { state in (state.sentUp[round] ?? state.trees[round]?.parent[id], state.trees[round]) }
        if own, !piece.separate, let target, network.isLive(target),
           await network.send(RoundMessage<Word>.partialSum(piece).encoded, to: target) { return }
        guard let tree, tree.depth[id] != nil else { return }
        var separate = piece
        separate.separate = true
        separate.passed.append(id)
        let live = Set(tree.depth.keys.filter { $0 == id || (network.isLive($0) && !piece.passed.contains($0)) })
        guard let next = RoundStructure.Tree(topology: topology, members: live, root: tree.root).parent[id], next != id,
              await network.send(RoundMessage<Word>.partialSum(separate).encoded, to: next) else {
            log("no live path to the root in round \(round); a partial sum is lost")
            return
        }
        if own {
            state.withLock { $0.sentUp[round] = next }
            log("re-parented to \(next) in round \(round)")
        } else {
            log("passed a separate piece to \(next) in round \(round)")
        }
    }

    /// Sends this peer's own piece and keeps it until the Total.
    func sendOwnPiece(_ piece: RoundMessage<Word>.PartialSum) async {
        state.withLock { $0.ownPiece[piece.round] = piece }
        await sendUp(piece, own: true)
    }

    /// After a crash somewhere: a piece whose receiver died before the Total goes again, as a
    /// separate piece by another way (the root ignores it if the first copy got through).
    private func resendLostPieces() async {
        let lost = state.withLock { state in
            state.ownPiece.filter { round, _ in
                guard state.acceptedTotals[round] == nil, let target = state.sentUp[round] else { return false }
                return !network.isLive(target)
            }.values
        }
        for piece in lost {
            var separate = piece
            separate.separate = true
            log("re-sending my piece of round \(piece.round): its receiver died")
            await sendUp(separate, own: true)
        }
    }

    func countMask(words: Int) {
        state.withLock { $0.maskBytes += words * MemoryLayout<Word>.size }
    }

    var maskBytes: Int { state.withLock { $0.maskBytes } }

    var computeSeconds: Double { state.withLock { $0.computeSeconds } }

    /// Runs `work` on a compute thread, adding the CPU time it took there to `computeSeconds`
    /// (work that `maskThreads` above 1 spreads to other threads is not counted).
    func compute<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        let (result, seconds) = try await ComputePool.shared.run {
            let start = ThreadCPUTime.seconds()
            let result = try work()
            return (result, ThreadCPUTime.seconds() - start)
        }
        state.withLock { $0.computeSeconds += seconds }
        return result
    }

    static func wordBytes(_ words: [Word]) -> [UInt8] {
        words.withUnsafeBytes { Array($0) } // little-endian hosts only (x86_64, arm64)
    }

    // MARK: - Shared state used by the round

    /// Asks every live neighbour but `except` for the content with `hash` (once per hash).
    func requestPull(_ hash: [UInt8], except: String? = nil) async {
        for neighbour in topology.neighbours[id] ?? [] where neighbour != except && network.isLive(neighbour) {
            _ = await network.send(RoundMessage<Word>.pullRequest(hash: hash).encoded, to: neighbour)
        }
    }

    /// Marks `hash` as asked for by this peer, for content of `round`.
    func markPulled(_ hash: [UInt8], round: UInt64) {
        state.withLock { state in
            state.forwardedPulls.insert(hash)
            state.ownPulls[hash] = round
        }
    }

    /// Keeps `bytes` to serve pulls by their BLAKE2b-256 hash (`hash`, when the caller has it
    /// already), and answers pulls waiting for it.
    func store(content bytes: [UInt8], round: UInt64, hash known: [UInt8]? = nil) async {
        let hash = known ?? Blake2b.hash(bytes)
        let waiting = state.withLock { state in
            state.content[round, default: [:]][hash] = bytes
            return state.pendingPulls.removeValue(forKey: hash) ?? []
        }
        for requester in waiting { _ = await network.send(RoundMessage<Word>.pullResponse(bytes: bytes).encoded, to: requester) }
    }

    /// Content of `round` kept under `hash`, if any.
    func storedContent(hash: [UInt8], round: UInt64) -> [UInt8]? {
        state.withLock { $0.content[round]?[hash] }
    }

    /// Starts `round`: forgets content and bookkeeping of the rounds before it (the previous
    /// round's content and reveals stay, for a neighbour still finishing it).
    func begin(round: UInt64, coordinator: String) {
        state.withLock { state in
            state.currentRound = round
            state.coordinator = coordinator
            state.content = state.content.filter { $0.key + 1 >= round }
            state.sentUp = state.sentUp.filter { $0.key >= round }
            state.trees = state.trees.filter { $0.key >= round }
            state.ownPiece = state.ownPiece.filter { $0.key >= round }
            state.acceptedTotals = state.acceptedTotals.filter { $0.key + 1 >= round }
            state.revealed = state.revealed.filter { $0.key + 1 >= round }
            state.earliestRoster = state.earliestRoster.filter { $0.key >= round }
            state.pushed = state.pushed.filter { $0.key + 1 >= round }
            state.pendingPulls = [:]
            state.forwardedPulls = []
            state.ownPulls = [:]
        }
    }

    /// Keeps `roster` as the round's earliest Roster1 if its coordinator comes before every
    /// other seen so far, it names as many peers as a round completes with, and it is validly
    /// signed, and wakes the waiting phases so that a peer
    /// following a later coordinator leaves the round at once.
    private func noteRoster(_ roster: RoundMessage<Word>.Roster) {
        // A roster naming fewer peers than a round completes with gives the round up.
        guard roster.entries.count >= quorum else { return }
        let earliest = state.withLock { $0.earliestRoster[roster.round] }
        if let earliest, !RoundStructure.isEarlier(roster.coordinator, than: earliest, round: roster.round) { return }
        guard isSigned(roster, kind: .roster1) else { return }
        state.withLock { state in
            if let current = state.earliestRoster[roster.round], !RoundStructure.isEarlier(roster.coordinator, than: current, round: roster.round) {
                return
            }
            state.earliestRoster[roster.round] = roster.coordinator
        }
        mailbox.poke()
    }

    /// The coordinator of a validly signed Roster1 of `round` earlier in the order than
    /// `coordinator`, if one has arrived.
    func superseding(_ coordinator: String, round: UInt64) -> String? {
        guard let earliest = state.withLock({ $0.earliestRoster[round] }),
              RoundStructure.isEarlier(earliest, than: coordinator, round: round) else { return nil }
        return earliest
    }

    /// Follows `coordinator` for the round in progress (the roster of one earlier in the order
    /// than the one this peer first chose came in).
    func follow(coordinator: String) {
        state.withLock { $0.coordinator = coordinator }
    }

    /// The rounds this peer holds per-round state for (kept content, accepted Totals, reveals,
    /// trees, own pieces, records, rosters, catch-ups) and the rounds of the messages in its
    /// mailbox: only the rounds still needed, however many have run (tests check it).
    var retainedRounds: (state: Set<UInt64>, mailbox: Set<UInt64>) {
        let rounds = state.withLock { state -> Set<UInt64> in
            var rounds = state.catchingUp
            rounds.formUnion(state.content.keys)
            rounds.formUnion(state.acceptedTotals.keys)
            rounds.formUnion(state.revealed.keys)
            rounds.formUnion(state.trees.keys)
            rounds.formUnion(state.ownPiece.keys)
            rounds.formUnion(state.records.keys)
            rounds.formUnion(state.sentUp.keys)
            rounds.formUnion(state.earliestRoster.keys)
            rounds.formUnion(state.pushed.keys)
            return rounds
        }
        return (rounds, mailbox.rounds())
    }

    /// Marks this peer's own sum as sent towards `parent` and returns the pieces that arrived
    /// since `processed` (they missed the sum and must be passed on separately).
    func remember(tree: RoundStructure.Tree, round: UInt64) {
        state.withLock { $0.trees[round] = tree }
    }

    func markSentUp(round: UInt64, to parent: String, processed: Int) -> [RoundMessage<Word>.PartialSum] {
        state.withLock { state in
            state.sentUp[round] = parent
            return mailbox.messages(.partialSum).dropFirst(processed).compactMap { envelope in
                guard case .partialSum(let piece) = envelope.message, piece.round == round else { return nil }
                return piece
            }
        }
    }

    /// Keeps the record of a completed round, forgetting the oldest beyond `keptRecords`.
    func keep(_ record: RoundMessage<Word>.Record.Held) {
        let kept = configuration.keptRecords
        state.withLock { state in
            state.records[record.total.round] = record
            for old in state.records.keys.sorted().dropLast(kept) { state.records.removeValue(forKey: old) }
        }
    }

    /// The record of `round`, if this peer keeps one.
    func record(round: UInt64) -> RoundMessage<Word>.Record.Held? {
        state.withLock { $0.records[round] }
    }

    /// Marks `round` as being caught up on (records for it are taken in) or no longer. A peer
    /// catching up on a round is past it: from then on it takes messages of the next round in.
    func setCatchingUp(_ round: UInt64, _ active: Bool) {
        state.withLock { state in
            if active {
                state.catchingUp.insert(round)
                state.currentRound = max(state.currentRound, round)
            } else {
                state.catchingUp.remove(round)
            }
        }
    }

    /// Accepts the first Total of a round; a different one later is refused.
    func accept(totalHash: [UInt8], round: UInt64) -> Bool {
        state.withLock { state in
            if let accepted = state.acceptedTotals[round] { return accepted == totalHash }
            state.acceptedTotals[round] = totalHash
            return true
        }
    }

    /// Records a reveal; false (and nothing recorded) if the other kind was revealed for this owner.
    func recordReveal(owner: String, kind: RoundMessage<Word>.RevealedShare.Kind, round: UInt64) -> Bool {
        state.withLock { state in
            if let earlier = state.revealed[round]?[owner], earlier != kind { return false }
            state.revealed[round, default: [:]][owner] = kind
            return true
        }
    }

    /// What this peer revealed in `round`, for tests.
    public func revealedKinds(round: UInt64) -> [String: UInt8] {
        state.withLock { ($0.revealed[round] ?? [:]).mapValues(\.rawValue) }
    }
}
