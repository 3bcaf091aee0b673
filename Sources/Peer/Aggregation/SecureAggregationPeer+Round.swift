import Crypto
internal import Foundation
import Gossip

extension SecureAggregationPeer {
    typealias Message = RoundMessage<Word>
    typealias Envelope = Mailbox<Word>.Envelope

    /// What the round has learned so far, passed from phase to phase.
    struct RoundContext {
        let round: UInt64
        /// The coordinator this peer follows: its first choice, or the coordinator of an
        /// earlier one's Roster1 that came first.
        var coordinator: String
        /// The model the round updates.
        let model: ModelLink
        /// BLAKE2b-256 of the accepted Roster1 message: the share bundles are bound to it.
        var rosterHash: [UInt8] = []
        var roster1: [String: Message.Advertise] = [:]
        var members: [String] = []
        var maskGraph: [String: [String]] = [:]
        var survivors: [String] = []
        /// Shares this peer holds: owner -> (mask key share, self-mask seed share).
        var held: [String: (maskKey: SecretShare, selfMask: SecretShare)] = [:]
        var tree: RoundStructure.Tree?
        var total: Message.Total?
        var totalHash: [UInt8] = []
        /// The masked sum S: at the root from the tree sum, elsewhere once received.
        var sum: [Word] = []
        /// Words of every peer's vector: the input's values and the weight.
        var length = 0
    }

    /// Why the round stops early.
    struct Abort: Error {
        let reason: RoundOutcome.AbortReason
    }

    /// Runs round `round` with this peer's update `input` (the model delta) and `weight`
    /// (its sample count over maxWeight, at most 1).
    /// - Parameters:
    ///   - model: the hash of the model the update was made from, and how to hash the model
    ///     the round ends with; only peers starting from the coordinator's model take part.
    ///   - onPhase: called as each phase starts (the simulation drops peers there).
    public func runRound(_ round: UInt64, input: [Float], weight: Double, model: ModelLink = .none,
                         onPhase: @Sendable (String) async -> Void = { _ in }) async -> RoundOutcome {
        let live = topology.peers.map(\.id).filter { $0 == id || network.isLive($0) }
        let coordinator = RoundStructure.coordinatorOrder(round: round, peers: live).first ?? id
        begin(round: round, coordinator: coordinator)
        mailbox.discard(before: round)
        await releaseEarly()
        var context = RoundContext(round: round, coordinator: coordinator, model: model)
        context.length = input.count + 1
        var times: [RoundOutcome.PhaseTime] = []
        let startMask = maskBytes, startCompute = computeSeconds
        func aborted(_ reason: RoundOutcome.AbortReason) -> RoundOutcome {
            log("round \(round) aborted: \(reason)")
            return RoundOutcome(round: round, peer: id, coordinator: context.coordinator, abortReason: reason,
                                contributors: context.total?.contributors ?? [], dropped: context.total?.dropped ?? [], average: nil,
                                sumBytes: nil, totalWeight: nil, aggregateHash: nil, sharedUnmasking: false, caughtUpFrom: nil, phaseTimes: times,
                                maskBytesExpanded: maskBytes - startMask, computeSeconds: computeSeconds - startCompute)
        }
        // An update that cannot be encoded is refused here, before anything is sent: the peer
        // sits the round out and the others go on without it.
        if let bad = input.firstIndex(where: { !$0.isFinite }) {
            return aborted(.invalidInput("value \(bad) of the update is \(input[bad]); nothing was sent"))
        }
        guard weight.isFinite else { return aborted(.invalidInput("the weight is \(weight); nothing was sent")) }
        func phase(_ name: String, _ body: () async throws -> Void) async throws {
            await onPhase(name)
            if isStopped { throw Abort(reason: .stopped) }
            let start = ContinuousClock.now
            try await body()
            let elapsed = ContinuousClock.now - start
            times.append(.init(phase: name, seconds: elapsed / .seconds(1)))
        }
        do {
            let shareKeys = X25519KeyPair(), maskKeys = X25519KeyPair()
            let selfMaskSeed = SecureBytes(randomCount: MaskGenerator.seedByteCount)
            try await phase("advertise") { try await advertise(&context, shareKeys: shareKeys, maskKeys: maskKeys) }
            try await phase("share-keys") {
                try await shareKeysPhase(&context, shareKeys: shareKeys, maskKeys: maskKeys, selfMaskSeed: selfMaskSeed)
            }
            var masked: [Word] = []
            try await phase("masked-input") {
                let frozen = context
                masked = try await compute {
                    try self.maskedInput(frozen, input: input, weight: weight, maskKeys: maskKeys, selfMaskSeed: selfMaskSeed)
                }
            }
            try await phase("tree-sum") { try await treeSum(&context, masked: masked) }
            var result: Unmasked?
            try await phase("unmask") { result = try await unmask(&context) }
            guard let result, let total = context.total else { throw Abort(reason: .failed("the unmask phase ended without a result")) }
            if let outcome = result.outcome {
                keep(.init(total: total, outcome: outcome, words: result.sum))
            }
            return RoundOutcome(round: round, peer: id, coordinator: context.coordinator, abortReason: nil,
                                contributors: total.contributors, dropped: total.dropped, average: result.average,
                                sumBytes: Self.wordBytes(result.sum), totalWeight: result.weight, aggregateHash: result.hash,
                                sharedUnmasking: result.shared, caughtUpFrom: nil, phaseTimes: times,
                                maskBytesExpanded: maskBytes - startMask, computeSeconds: computeSeconds - startCompute,
                                signedOutcome: result.outcome.map(SignedOutcome.init),
                                lostIn: Self.lostIn(members: context.members, survivors: context.survivors, dropped: total.dropped))
        } catch let abort as Abort {
            return aborted(abort.reason)
        } catch {
            // A step that failed on what others sent (a key, a share): this peer reveals
            // nothing more for the round.
            refuse("round \(round): \(error)")
            return aborted(.failed("\(error)"))
        }
    }

    /// The phase each peer of the roster was lost in: share-keys for a member whose bundle
    /// did not reach Roster2, masked-input for a Roster2 peer the Total drops.
    static func lostIn(members: [String], survivors: [String], dropped: [String]) -> [String: String] {
        let bundled = Set(survivors)
        var lost = Dictionary(uniqueKeysWithValues: members.filter { !bundled.contains($0) }.map { ($0, "share-keys") })
        for peer in dropped { lost[peer] = "masked-input" }
        return lost
    }

    // MARK: - Waiting

    func deadline() -> ContinuousClock.Instant { .now + configuration.phaseTimeout }

    /// Processes messages of `kind` for this round as they arrive until `done` or the deadline.
    /// - Returns: how many messages of `kind` it went through.
    @discardableResult
    func collect(_ kind: Message.Kind, round: UInt64, until deadline: ContinuousClock.Instant,
                         _ process: (Envelope) async -> Void, done: () -> Bool) async -> Int {
        var seen = 0
        while true {
            let pokes = mailbox.pokeCount
            let all = mailbox.messages(kind)
            for envelope in all[seen...] where envelope.round == round { await process(envelope) }
            seen = all.count
            if done() || isStopped || ContinuousClock.now >= deadline { return seen }
            await mailbox.waitForChange(kind, beyond: seen, pokes: pokes, until: deadline)
        }
    }

    /// Waits for the coordinator's signed announcement of `kind` (roster, total or outcome).
    /// The coordinator may itself wait a whole phase timeout before announcing, so peers wait twice that,
    /// or until `giveUp` says there is no point any more.
    /// With `leavesWhenSuperseded`, a peer that learns while waiting of an earlier coordinator's
    /// Roster1 leaves the round.
    /// - Parameter until: when to stop waiting (default: twice the phase timeout from now).
    func announcement(_ kind: Message.Kind, _ context: RoundContext, phase: String, until: ContinuousClock.Instant? = nil,
                      giveUp: @escaping () -> Bool = { false }, leavesWhenSuperseded: Bool = true,
                      verify: (Message) -> Bool) async throws -> Message {
        var found: Message?
        let round = context.round, coordinator = context.coordinator
        await collect(kind, round: round, until: until ?? .now + configuration.phaseTimeout * 2, { envelope in
            guard found == nil else { return }
            if verify(envelope.message) { found = envelope.message } else { refuse("\(kind) for round \(round) with a bad signature or from a coordinator this peer does not follow (yet)") }
        }, done: { found != nil || giveUp() || (leavesWhenSuperseded && superseding(coordinator, round: round) != nil) })
        if isStopped { throw Abort(reason: .stopped) }
        if leavesWhenSuperseded { try checkNotSuperseded(context) }
        guard let found else { throw Abort(reason: .coordinatorSilent(phase: phase)) }
        return found
    }

    /// Leaves the round when a validly signed Roster1 of a coordinator earlier in the order than
    /// the one this peer follows has arrived (docs/PROTOCOL.md, "One coordinator per round").
    func checkNotSuperseded(_ context: RoundContext) throws {
        guard let earlier = superseding(context.coordinator, round: context.round) else { return }
        refuse("round \(context.round): \(earlier) sent a roster and comes before \(context.coordinator) in the order; leaving the round")
        throw Abort(reason: .superseded(by: earlier))
    }

    /// The roster of `kind` in `message` if it is for `round`, from a coordinator `accept` takes,
    /// and validly signed by it; a Roster1 only when it names as many peers as a round completes
    /// with (one naming fewer gives the round up: no one follows it).
    private func verifyRoster(_ kind: Message.Kind, _ message: Message, round: UInt64, accept: (String) -> Bool) -> Message.Roster? {
        let roster: Message.Roster
        switch (kind, message) {
        case (.roster1, .roster1(let r)), (.roster2, .roster2(let r)): roster = r
        default: return nil
        }
        guard roster.round == round, kind == .roster2 || roster.entries.count >= quorum, accept(roster.coordinator),
              isSigned(roster, kind: kind) else { return nil }
        return roster
    }

    /// Whether `coordinator`'s validly signed Roster1 of `round` has come naming fewer peers than
    /// a round completes with: it gives the round up.
    private func hasGivenUp(_ coordinator: String, round: UInt64) -> Bool {
        mailbox.messages(.roster1).contains { envelope in
            guard envelope.round == round, case .roster1(let roster) = envelope.message else { return false }
            return roster.coordinator == coordinator && roster.round == round && roster.entries.count < quorum && isSigned(roster, kind: .roster1)
        }
    }

    /// A coordinator other than this peer whose Roster1 of `round`, validly signed and naming as
    /// many peers as a round completes with, has come: the round is coordinated already.
    private func coordinatedElsewhere(round: UInt64) -> String? {
        for envelope in mailbox.messages(.roster1) where envelope.round == round {
            if let roster = verifyRoster(.roster1, envelope.message, round: round, accept: { $0 != id }) { return roster.coordinator }
        }
        return nil
    }

    /// Whether `roster` carries the valid signature of the coordinator it names.
    func isSigned(_ roster: Message.Roster, kind: Message.Kind) -> Bool {
        guard let key = topology.peer(roster.coordinator)?.key else { return false }
        let body = Message.rosterBody(kind: kind, round: roster.round, coordinator: roster.coordinator, entries: roster.entries,
                                      bundleHashes: roster.bundleHashes)
        return key.isValidSignature(roster.signature, for: Message.rosterContext + topology.federationID.bytes + body)
    }

    /// Whether an advertisement is signed by the peer it names and its keys are usable (not of
    /// small order: a secret agreed with such a key is known to everyone).
    private func isValid(_ advertise: Message.Advertise) -> Bool {
        guard let key = topology.peer(advertise.peer)?.key, !advertise.shareKey.isWeak, !advertise.maskKey.isWeak else { return false }
        guard advertise.base.count == ModelLink.hashByteCount else { return false }
        let body = Message.advertiseBody(round: advertise.round, peer: advertise.peer, shareKey: advertise.shareKey, maskKey: advertise.maskKey,
                                         base: advertise.base)
        return key.isValidSignature(advertise.signature, for: Message.advertiseContext + topology.federationID.bytes + body)
    }

    /// Whether `bundle` carries its owner's valid signature.
    func isSigned(_ bundle: Message.ShareBundle) -> Bool {
        guard let key = topology.peer(bundle.owner)?.key else { return false }
        let body = Message.bundleBody(round: bundle.round, owner: bundle.owner, coordinator: bundle.coordinator, rosterHash: bundle.rosterHash,
                                      holders: bundle.holders, sealed: bundle.sealed)
        return key.isValidSignature(bundle.signature, for: Message.bundleContext + topology.federationID.bytes + body)
    }

    private func signRoster(_ kind: Message.Kind, round: UInt64, entries: [Message.Advertise], hashes: [[UInt8]]) -> Message.Roster {
        let body = Message.rosterBody(kind: kind, round: round, coordinator: id, entries: entries, bundleHashes: hashes)
        return Message.Roster(round: round, coordinator: id, entries: entries, bundleHashes: hashes,
                              signature: identity.signature(for: Message.rosterContext + topology.federationID.bytes + body))
    }

    var threshold: Int { topology.aggregation.threshold }
    /// The fewest contributors a round completes with.
    var quorum: Int { topology.aggregation.quorum(peerCount: topology.peers.count) }

    // MARK: - 1. Advertise

    private func advertise(_ context: inout RoundContext, shareKeys: X25519KeyPair, maskKeys: X25519KeyPair) async throws {
        let round = context.round
        let base = context.model.base
        let body = Message.advertiseBody(round: round, peer: id, shareKey: shareKeys.publicKey, maskKey: maskKeys.publicKey, base: base)
        let own = Message.Advertise(round: round, peer: id, shareKey: shareKeys.publicKey, maskKey: maskKeys.publicKey, base: base,
                                    signature: identity.signature(for: Message.advertiseContext + topology.federationID.bytes + body))
        await broadcast(.advertise(own))
        if context.coordinator == id { await announceRoster1(round: round, base: base) }
        // The first validly signed Roster1 of this peer's choice or of a coordinator earlier in
        // the order (one this peer could not see at the start of the round) is followed. After
        // half a phase without one, its choice may be gone unseen (a peer that is not a neighbour
        // looks alive) or gone since the round began: a later coordinator's roster, sent by a
        // peer that sees it gone, is followed too, the earliest of those there; and when this
        // peer comes next after its silent choice in the order, it coordinates itself if it does
        // not watch the choice (the peers that see the choice gone chose it) or sees it gone now
        // (everyone chose it while it was alive; nobody else will step in). A choice not watched
        // whose Advertise of this round has come is alive and in the round, only waiting for
        // the others' advertisements: no one steps in for it, unless it gives the round up (its
        // roster names fewer peers than a round completes with: it began the round after the
        // others had advertised, having just started again). That is watched for until the
        // round is coordinated or given up on.
        let choice = context.coordinator
        var accept: (String) -> Bool = { $0 == choice || RoundStructure.isEarlier($0, than: choice, round: round) }
        var message: Message
        do {
            message = try await announcement(.roster1, context, phase: "advertise", until: .now + configuration.phaseTimeout / 2,
                                             leavesWhenSuperseded: false) { verifyRoster(.roster1, $0, round: round, accept: accept) != nil }
        } catch let abort as Abort where abort.reason == .coordinatorSilent(phase: "advertise") {
            log("round \(round): no roster from \(choice) or an earlier coordinator in half a phase; a later one's is taken too")
            accept = { _ in true }
            let watched = network.watches(choice)
            var steppedIn = false
            let stepsIn = { [self] in
                !steppedIn && choice != id && nextCandidate(after: choice, round: round) == id
                    && (hasGivenUp(choice, round: round) || (watched ? !network.isLive(choice) : !hasAdvertised(choice, round: round)))
            }
            var deadline = ContinuousClock.now + configuration.phaseTimeout * 3 / 2
            while true {
                do {
                    message = try await announcement(.roster1, context, phase: "advertise", until: deadline, giveUp: stepsIn,
                                                     leavesWhenSuperseded: false) { verifyRoster(.roster1, $0, round: round, accept: accept) != nil }
                    break
                } catch let abort as Abort where abort.reason == .coordinatorSilent(phase: "advertise") && stepsIn() {
                    steppedIn = true
                    let why = hasGivenUp(choice, round: round) ? "gave the round up" : watched ? "is gone" : "is silent"
                    log("round \(round): \(choice) \(why) and this peer comes next in the order; coordinating")
                    await announceRoster1(round: round, base: base, silent: choice)
                    deadline = ContinuousClock.now + configuration.phaseTimeout * 3 / 2
                }
            }
        }
        // Nothing is bound to a roster yet: when an earlier coordinator's has come too, that one wins.
        if case .roster1(let first) = message, let earlier = superseding(first.coordinator, round: round),
           let better = mailbox.messages(.roster1).first(where: { envelope in
               verifyRoster(.roster1, envelope.message, round: round) { $0 == earlier } != nil
           }) {
            message = better.message
        }
        guard let roster = verifyRoster(.roster1, message, round: round, accept: accept) else { throw Abort(reason: .inconsistent("roster1")) }
        if roster.coordinator != choice {
            log("round \(round): following \(roster.coordinator), whose roster came, instead of \(choice)")
            context.coordinator = roster.coordinator
            follow(coordinator: roster.coordinator)
        }
        context.rosterHash = Blake2b.hash(message.encoded)
        if let theirs = roster.entries.first(where: { $0.peer == roster.coordinator })?.base, theirs != base {
            throw Abort(reason: .differentModel(own: base, coordinator: roster.coordinator, theirs: theirs))
        }
        guard roster.entries.contains(own) else { throw Abort(reason: .excluded) }
        // Decoding refused repeated names already.
        guard roster.entries.allSatisfy({ topology.peer($0.peer) != nil }) else {
            refuse("roster1 of round \(round) names a peer outside the topology")
            throw Abort(reason: .inconsistent("roster1"))
        }
        context.roster1 = Dictionary(roster.entries.map { ($0.peer, $0) }) { first, _ in first }
        context.members = roster.entries.map(\.peer)
        context.maskGraph = RoundStructure.maskGraph(members: context.members, masking: topology.aggregation.masking, round: round,
                                                     federation: topology.federationID)
    }

    /// The coordinator's Roster1: the valid advertisements of peers starting from `base`,
    /// heard until every live peer but `silent` has advertised or the phase times out, signed
    /// and broadcast; none when another coordinator's usable roster has come meanwhile (the
    /// round is coordinated already: this peer follows it rather than split the round).
    private func announceRoster1(round: UInt64, base: [UInt8], silent: String? = nil) async {
        var heard: [String: Message.Advertise] = [:], elsewhere = Set<String>()
        await collect(.advertise, round: round, until: deadline(), { envelope in
            guard case .advertise(let advertise) = envelope.message, advertise.peer == envelope.from, heard[advertise.peer] == nil,
                  !elsewhere.contains(advertise.peer) else { return }
            guard isValid(advertise) else {
                refuse("advertise from \(envelope.from) with a bad signature or a key of small order", from: envelope.from)
                return
            }
            // An update made from another model cannot be averaged with this one's.
            guard advertise.base == base else {
                refuse("round \(round): \(advertise.peer) starts from model \(ModelLink.short(advertise.base)), this coordinator from \(ModelLink.short(base)); not in the roster")
                elsewhere.insert(advertise.peer)
                return
            }
            heard[advertise.peer] = advertise
        }, done: {
            coordinatedElsewhere(round: round) != nil
                || topology.peers.allSatisfy { heard[$0.id] != nil || elsewhere.contains($0.id) || $0.id == silent || !network.isLive($0.id) }
        })
        if let other = coordinatedElsewhere(round: round) {
            log("round \(round): \(other) coordinates the round already; not announcing a roster")
            return
        }
        let entries = heard.values.sorted { KeyAgreement.precedes($0.peer, $1.peer) }
        if entries.count < quorum {
            log("round \(round): \(entries.count) advertisements, fewer than the \(quorum) a round completes with; this roster gives the round up")
        }
        await broadcast(.roster1(signRoster(.roster1, round: round, entries: entries, hashes: [])))
    }

    /// Whether `peer`'s validly signed Advertise of `round` has come.
    private func hasAdvertised(_ peer: String, round: UInt64) -> Bool {
        mailbox.messages(.advertise).contains { envelope in
            guard envelope.round == round, case .advertise(let advertise) = envelope.message else { return false }
            return advertise.peer == peer && envelope.from == peer && isValid(advertise)
        }
    }

    /// The first peer after `choice` in the coordinator order of `round` that this peer sees
    /// alive (itself included) and that has not given the round up.
    private func nextCandidate(after choice: String, round: UInt64) -> String? {
        let order = RoundStructure.coordinatorOrder(round: round, peers: topology.peers.map(\.id))
        return order.drop { $0 != choice }.dropFirst().first { ($0 == id || network.isLive($0)) && !hasGivenUp($0, round: round) }
    }

    /// The holders of `owner`'s shares, in share-index order: its mask neighbours and itself.
    func holders(of owner: String, _ context: RoundContext) -> [String] {
        ((context.maskGraph[owner] ?? []) + [owner]).sorted(by: KeyAgreement.precedes)
    }

    // MARK: - 2. Share keys

    private func shareKeysPhase(_ context: inout RoundContext, shareKeys: X25519KeyPair, maskKeys: X25519KeyPair,
                                selfMaskSeed: SecureBytes) async throws {
        let round = context.round
        let myHolders = holders(of: id, context)
        guard myHolders.count >= threshold else {
            throw Abort(reason: .tooFew(what: "share holders", count: myHolders.count, threshold: threshold))
        }
        // Verify the advertised keys of the peers this one exchanges secrets with.
        for neighbour in context.maskGraph[id] ?? [] where context.roster1[neighbour].map(isValid) != true {
            refuse("roster entry of \(neighbour) with a bad signature or a key of small order")
            throw Abort(reason: .inconsistent("roster1"))
        }
        let maskKeyShares = try SecretSharing.split(maskKeys.secretKey, threshold: threshold, shareCount: myHolders.count)
        let selfMaskShares = try SecretSharing.split(selfMaskSeed, threshold: threshold, shareCount: myHolders.count)
        var bundleHolders: [String] = [], sealed: [[UInt8]] = []
        for (index, holder) in myHolders.enumerated() {
            if holder == id {
                context.held[id] = (maskKeyShares[index], selfMaskShares[index])
                continue
            }
            // The roster's hash goes inside each sealed share too: a share opened under another
            // roster is refused by its holder.
            let plaintext = SecureBytes(count: Self.sharePlaintextByteCount) { buffer in
                context.rosterHash.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[0..<32]).copyMemory(from: $0) }
                maskKeyShares[index].serialized.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[32..<65]).copyMemory(from: $0) }
                selfMaskShares[index].serialized.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[65..<98]).copyMemory(from: $0) }
            }
            bundleHolders.append(holder)
            guard let entry = context.roster1[holder] else { throw Abort(reason: .inconsistent("roster1")) }
            sealed.append(try SealedShare(sealing: plaintext, to: entry.shareKey, from: shareKeys).bytes)
        }
        let body = Message.bundleBody(round: round, owner: id, coordinator: context.coordinator, rosterHash: context.rosterHash,
                                      holders: bundleHolders, sealed: sealed)
        let bundle = Message.shareBundle(.init(round: round, owner: id, coordinator: context.coordinator, rosterHash: context.rosterHash,
                                               holders: bundleHolders, sealed: sealed,
                                               signature: identity.signature(for: Message.bundleContext + topology.federationID.bytes + body)))
        await store(content: bundle.encoded, round: round)
        // Sent even when an earlier coordinator's roster has come meanwhile: it is bound to this
        // peer's roster, useless to any other, and tells the other coordinator not to wait for it.
        await broadcast(bundle)
        try checkNotSuperseded(context)

        if context.coordinator == id {
            var bundles: [String: [UInt8]] = [:], elsewhere = Set<String>()
            let members = context.members, rosterHash = context.rosterHash
            await collect(.shareBundle, round: round, until: deadline(), { envelope in
                guard case .shareBundle(let b) = envelope.message, b.owner == envelope.from, members.contains(b.owner),
                      bundles[b.owner] == nil, !elsewhere.contains(b.owner) else { return }
                guard isSigned(b) else {
                    refuse("bundle of \(b.owner) in round \(round) without its owner's valid signature")
                    return
                }
                guard b.coordinator == id, b.rosterHash == rosterHash else {
                    log("round \(round): \(b.owner) made its bundle for the roster of \(b.coordinator); not waiting for it")
                    elsewhere.insert(b.owner)
                    return
                }
                bundles[b.owner] = Blake2b.hash(envelope.bytes)
            }, done: { members.allSatisfy { bundles[$0] != nil || elsewhere.contains($0) || !network.isLive($0) } })
            let entries = members.compactMap { bundles[$0] != nil ? context.roster1[$0] : nil }
            await broadcast(.roster2(signRoster(.roster2, round: round, entries: entries, hashes: entries.compactMap { bundles[$0.peer] })))
        }
        let coordinator = context.coordinator
        let message = try await announcement(.roster2, context, phase: "share-keys") {
            verifyRoster(.roster2, $0, round: round) { $0 == coordinator } != nil
        }
        guard let roster = verifyRoster(.roster2, message, round: round, accept: { $0 == coordinator }) else {
            throw Abort(reason: .inconsistent("roster2"))
        }
        guard roster.entries.allSatisfy({ context.roster1[$0.peer] == $0 }) else {
            refuse("roster2 of round \(round) lists keys that roster1 did not")
            throw Abort(reason: .inconsistent("roster2"))
        }
        context.survivors = roster.entries.map(\.peer)
        guard context.survivors.contains(id) else { throw Abort(reason: .excluded) }
        guard context.survivors.count >= threshold else {
            throw Abort(reason: .tooFew(what: "share bundles", count: context.survivors.count, threshold: threshold))
        }
        // Open the shares addressed to this peer, pulling bundles it lacks by their hash; each
        // must be its owner's, signed, and bound to this peer's coordinator and roster.
        let hashes = Dictionary(zip(roster.entries.map(\.peer), roster.bundleHashes)) { first, _ in first }
        for owner in context.survivors where owner != id && holders(of: owner, context).contains(id) {
            guard let hash = hashes[owner], let entry = context.roster1[owner],
                  let bytes = await content(hash: hash, kind: .shareBundle, round: round),
                  case .shareBundle(let bundle) = try? Message.decode(bytes, peerLimit: topology.peers.count, wordLimit: 0),
                  bundle.owner == owner, let position = bundle.holders.firstIndex(of: id) else {
                log("no share of \(owner) for me in round \(round)")
                continue
            }
            guard isSigned(bundle), bundle.round == round, bundle.coordinator == context.coordinator, bundle.rosterHash == context.rosterHash else {
                refuse("bundle of \(owner) in round \(round) is not signed by it or not bound to the roster of \(context.coordinator)")
                continue
            }
            do {
                let plaintext = try SealedShare(bytes: bundle.sealed[position]).open(from: entry.shareKey, with: shareKeys)
                let (maskKeyShare, selfMaskShare) = try plaintext.withUnsafeBytes { (bytes) throws(CryptoError) in
                    guard bytes.count == Self.sharePlaintextByteCount else {
                        throw CryptoError.mismatchedShares(reason: "a share pair of \(bytes.count) bytes")
                    }
                    guard bytes[0..<32].elementsEqual(context.rosterHash) else {
                        throw CryptoError.mismatchedShares(reason: "shares sealed for another roster")
                    }
                    return (try SecretShare(serialized: SecureBytes(copying: bytes[32..<65])),
                            try SecretShare(serialized: SecureBytes(copying: bytes[65..<98])))
                }
                context.held[owner] = (maskKeyShare, selfMaskShare)
            } catch {
                refuse("share from \(owner) in round \(round) does not open: \(error)")
            }
        }
    }

    /// A sealed share's plaintext: the Roster1 hash (32), the mask-key share and the self-mask
    /// seed share (each 1 index byte and 32 bytes).
    static var sharePlaintextByteCount: Int { 32 + 2 * (1 + MaskGenerator.seedByteCount) }

    /// Content with `hash`: from the mailbox, else pulled from every live neighbour at once
    /// (a neighbour answers as soon as it has it). While `awaitFrom` (the tree parent, for the
    /// sum) is alive, it waits for that peer to send it instead of pulling. The sum and the
    /// aggregate travel only between neighbours, so with no live neighbour left it gives up at
    /// once instead of waiting out the phase.
    func content(hash: [UInt8], kind: Message.Kind, round: UInt64, awaitFrom: String? = nil) async -> [UInt8]? {
        let direct = kind == .sum || kind == .aggregate
        // Sums and aggregates are kept by hash as they arrive (no need to hash them again);
        // other content is looked for in the mailbox.
        func find(_ envelopes: ArraySlice<Envelope>) -> [UInt8]? {
            storedContent(hash: hash, round: round) ?? envelopes.first { $0.round == round && Blake2b.hash($0.bytes) == hash }?.bytes
        }
        var seen = 0
        var asked = false
        let until = deadline(), patience = ContinuousClock.now + configuration.phaseTimeout / 4
        while true {
            let pokes = mailbox.pokeCount
            let all = mailbox.messages(kind)
            if let found = find(all[seen...]) { return found }
            seen = all.count
            if isStopped || ContinuousClock.now >= until { return nil }
            if direct && !(topology.neighbours[id] ?? []).contains(where: network.isLive) {
                log("round \(round): no live neighbour to obtain the \(kind) from")
                return nil
            }
            let waitingForSender = awaitFrom.map(network.isLive) == true && ContinuousClock.now < patience
            if !asked && !waitingForSender {
                asked = true
                // Its own request goes to every live neighbour, even when it already passed
                // on a neighbour's request for the same hash (that one skipped the requester).
                markPulled(hash, round: round)
                await requestPull(hash)
                continue
            }
            await mailbox.waitForChange(kind, beyond: seen, pokes: pokes, until: asked ? until : min(until, patience))
        }
    }

    // MARK: - 3. Masked input

    func maskedInput(_ context: RoundContext, input: [Float], weight: Double, maskKeys: X25519KeyPair,
                             selfMaskSeed: SecureBytes) throws -> [Word] {
        let clippedWeight = Float(min(max(weight, 0), 1))
        // The weighted update with the weight appended, encoded straight into the words.
        var report = EncodingReport(clippedCount: 0, largestMagnitude: 0)
        var words = try [Word](unsafeUninitializedCapacity: input.count + 1) { (output, initialized) throws(CryptoError) in
            report = try input.withUnsafeBufferPointer { (values) throws(CryptoError) in
                try codec.encode(values, scaledBy: clippedWeight, into: .init(rebasing: output[..<input.count]))
            }
            _ = try [clippedWeight].withUnsafeBufferPointer { (values) throws(CryptoError) in
                try codec.encode(values, into: .init(rebasing: output[input.count...]))
            }
            initialized = input.count + 1
        }
        if report.clippedCount > 0 {
            log("round \(context.round): \(report.clippedCount) update values clipped to ±\(codec.clip) (largest \(report.largestMagnitude))")
        }
        // The self-mask and one pairwise mask per surviving mask neighbour, in one pass.
        var masks = [(generator: try MaskGenerator(seed: selfMaskSeed), sign: MaskSign.add)]
        for neighbour in context.maskGraph[id] ?? [] where context.survivors.contains(neighbour) {
            let secret = try KeyAgreement.pairwiseSecret(localKeyPair: maskKeys, localID: id, remoteKey: context.roster1[neighbour]!.maskKey,
                                                         remoteID: neighbour, federationID: topology.federationID.bytes, round: context.round)
            masks.append((try MaskGenerator(seed: secret), KeyAgreement.precedes(id, neighbour) ? .add : .subtract))
        }
        MaskGenerator.apply(masks, to: &words, threadCount: configuration.maskThreads)
        countMask(words: words.count * masks.count)
        return words
    }

    // MARK: - 4. Tree sum

    private func treeSum(_ context: inout RoundContext, masked: [Word]) async throws {
        try checkNotSuperseded(context)
        let round = context.round
        let members = Set(context.survivors)
        let tree = RoundStructure.Tree(topology: topology, members: members, root: context.coordinator)
        context.tree = tree
        remember(tree: tree, round: round)
        var sum = masked
        var contributors: Set<String> = [id]
        let children = tree.children[id] ?? []
        var heardChildren = Set<String>()
        var separatePieces: [(contributors: Set<String>, words: [Word])] = []
        let isRoot = id == context.coordinator
        let processed = await collect(.partialSum, round: round, until: deadline(), { envelope in
            guard case .partialSum(let piece) = envelope.message else { return }
            if piece.separate && !isRoot {
                await sendUp(piece)
                return
            }
            let pieceSet = Set(piece.contributors)
            guard piece.words.count == sum.count else {
                refuse("partial sum of \(piece.words.count) words from \(envelope.from) in round \(round), expected \(sum.count)", from: envelope.from)
                return
            }
            guard pieceSet.isSubset(of: members) else {
                refuse("partial sum from \(envelope.from) in round \(round) names peers outside the roster", from: envelope.from)
                return
            }
            if !pieceSet.isDisjoint(with: contributors) {
                // A re-sent piece may reach the root before the sum that already carried it.
                // The larger piece wins: separate pieces it covers are taken out again.
                let covered = separatePieces.indices.filter { separatePieces[$0].contributors.isSubset(of: pieceSet) }
                let overlap = pieceSet.intersection(contributors)
                guard isRoot, overlap.isSubset(of: covered.reduce(into: Set<String>()) { $0.formUnion(separatePieces[$1].contributors) }) else {
                    log("ignored a piece from \(envelope.from) in round \(round) that overlaps what is already summed (a re-sent copy)")
                    return
                }
                for index in covered.reversed() {
                    Self.accumulate(.subtract, separatePieces[index].words, into: &sum)
                    contributors.subtract(separatePieces[index].contributors)
                    separatePieces.remove(at: index)
                }
                log("a piece from \(envelope.from) in round \(round) replaced \(covered.count) re-sent pieces it covers")
            }
            Self.accumulate(.add, piece.words, into: &sum)
            contributors.formUnion(pieceSet)
            heardChildren.insert(envelope.from)
            if isRoot && piece.separate { separatePieces.append((pieceSet, piece.words)) }
        }, done: {
            guard isRoot else { return children.allSatisfy { heardChildren.contains($0) || !network.isLive($0) } }
            // Wait for every live member that still has a live path to the root.
            let reachable = RoundStructure.Tree(topology: topology, members: members.filter(network.isLive), root: id).depth
            return members.allSatisfy { contributors.contains($0) || reachable[$0] == nil }
        })
        if isStopped { throw Abort(reason: .stopped) }
        let ordered = contributors.sorted(by: KeyAgreement.precedes)
        if !isRoot {
            let late = markSentUp(round: round, to: tree.parent[id] ?? id, processed: processed)
            await sendOwnPiece(.init(round: round, contributors: ordered, words: sum))
            for piece in late {
                var separate = piece
                separate.separate = true
                await sendUp(separate)
            }
            return
        }
        // A root superseded meanwhile sends no Total: its followers leave the round too.
        try checkNotSuperseded(context)
        // A Total that may not be unmasked still goes out, so that every peer stops at once
        // (nobody reveals anything for it).
        let dropped = context.survivors.filter { !contributors.contains($0) }
        // Encoded once: hashed, kept for pulls and sent to every child as the same bytes.
        let sumBytes = Message.sum(round: round, words: sum).encoded
        let sumHash = Blake2b.hash(sumBytes)
        let body = Message.totalBody(round: round, coordinator: id, contributors: ordered, dropped: dropped, sumHash: sumHash)
        let total = Message.Total(round: round, coordinator: id, contributors: ordered, dropped: dropped, sumHash: sumHash,
                                  signature: identity.signature(for: Message.totalContext + topology.federationID.bytes + body))
        context.sum = sum
        await store(content: sumBytes, round: round)
        await broadcast(.total(total))
        guard unmaskingRefusal(ordered, context) == nil else { return }
        // Unmasking alone, every peer needs S: it goes down the tree. Shared, only the coordinator
        // needs it; its deputy keeps a copy, from which the others pull S if the coordinator dies.
        if Self.sharesUnmasking(total, maskGraph: context.maskGraph) {
            if let deputy = children.first(where: network.isLive) { _ = await network.send(sumBytes, to: deputy) }
        } else {
            for child in children where network.isLive(child) { _ = await network.send(sumBytes, to: child) }
        }
    }

    /// `target ±= source` word by word, through the ring word's specialised loop.
    static func accumulate(_ sign: MaskSign, _ source: [Word], into target: inout [Word]) {
        precondition(source.count == target.count, "vectors of different lengths")
        source.withUnsafeBufferPointer { source in
            target.withUnsafeMutableBufferPointer { target in
                Word.accumulate(sign, mask: source.baseAddress!, into: target.baseAddress!, count: source.count)
            }
        }
    }

    // MARK: - 5. Unmask

    /// What the unmask phase ends with.
    struct Unmasked {
        let sum: [Word]
        let average: [Float]
        let weight: Double
        /// BLAKE2b-256 of the Aggregate message: what the coordinator's Outcome names.
        let hash: [UInt8]
        /// The coordinator's Outcome, nil when it was gone before sending one.
        let outcome: Message.Outcome?
        let shared: Bool
    }

    private func unmask(_ context: inout RoundContext) async throws -> Unmasked {
        let round = context.round
        let message = try await announcement(.total, context, phase: "unmask") { message in
            guard case .total(let total) = message, total.round == round, total.coordinator == context.coordinator else { return false }
            return isSigned(total)
        }
        guard case .total(let total) = message else { throw Abort(reason: .inconsistent("total")) }
        let totalHash = Blake2b.hash(message.encoded)
        guard Set(total.contributors).union(total.dropped) == Set(context.survivors), Set(total.contributors).isDisjoint(with: total.dropped) else {
            refuse("total of round \(round) does not partition the survivors")
            throw Abort(reason: .inconsistent("total"))
        }
        guard accept(totalHash: totalHash, round: round) else {
            refuse("a second, conflicting total for round \(round)")
            throw Abort(reason: .inconsistent("total"))
        }
        context.total = total
        context.totalHash = totalHash
        // From here on a peer finishes the round even if an earlier coordinator's roster comes:
        // the Total meets the quorum, which that coordinator's followers then cannot, and the
        // shares revealed for it are bound to this coordinator's roster alone.
        if let refusal = unmaskingRefusal(total.contributors, context) { throw Abort(reason: refusal) }

        // Reveal: b-shares of contributors, mask-key shares of the dropped, never both.
        let contributors = Set(total.contributors)
        var shares: [Message.RevealedShare] = []
        for (owner, held) in context.held.sorted(by: { KeyAgreement.precedes($0.key, $1.key) }) {
            let kind: Message.RevealedShare.Kind = contributors.contains(owner) ? .selfMask : .maskKey
            guard recordReveal(owner: owner, kind: kind, round: round) else {
                refuse("refusing to reveal both shares of \(owner) in round \(round)")
                continue
            }
            let share = kind == .selfMask ? held.selfMask : held.maskKey
            shares.append(.init(owner: owner, kind: kind, share: share.serialized.withUnsafeBytes { Array($0) }))
        }
        await broadcast(.reveal(.init(round: round, holder: id, totalHash: totalHash, shares: shares)))

        // Unmasking alone, every peer needs the masked sum: the root has it; others get it down
        // the tree (and pass it on) or pull it by hash. Shared, only the root uses it.
        let sharing = Self.sharesUnmasking(total, maskGraph: context.maskGraph)
        if !sharing { try await obtainSum(&context, forward: true) }

        // Collect t shares per peer.
        var collected: [String: [UInt8: SecretShare]] = [:]
        let needed = context.survivors
        await collect(.reveal, round: round, until: deadline(), { envelope in
            guard case .reveal(let reveal) = envelope.message, reveal.holder == envelope.from, reveal.totalHash == totalHash else {
                if case .reveal(let r) = envelope.message, r.totalHash != totalHash { refuse("reveal from \(envelope.from) for another total", from: envelope.from) }
                return
            }
            for revealed in reveal.shares {
                let expected: Message.RevealedShare.Kind = contributors.contains(revealed.owner) ? .selfMask : .maskKey
                let ownerHolders = holders(of: revealed.owner, context)
                guard revealed.kind == expected, needed.contains(revealed.owner), let position = ownerHolders.firstIndex(of: reveal.holder),
                      revealed.share.count == 1 + MaskGenerator.seedByteCount,
                      let share = try? SecretShare(serialized: SecureBytes(copying: revealed.share)), share.index == UInt8(position + 1) else {
                    refuse("invalid revealed share of \(revealed.owner) from \(reveal.holder) (\(revealed.share.count) bytes)")
                    continue
                }
                collected[revealed.owner, default: [:]][share.index] = share
            }
        }, done: { needed.allSatisfy { (collected[$0]?.count ?? 0) >= threshold } })
        if isStopped { throw Abort(reason: .stopped) }
        let short = needed.filter { (collected[$0]?.count ?? 0) < threshold }
        guard short.isEmpty else {
            throw Abort(reason: .tooFew(what: "shares for \(short.count) peers", count: short.map { collected[$0]?.count ?? 0 }.min() ?? 0,
                                        threshold: threshold))
        }

        // The masks to remove: self-masks of contributors, pairwise masks of the dropped.
        var tasks = try total.contributors.map { owner throws(CryptoError) in
            UnmaskTask(secret: try SecretSharing.combine(Array(collected[owner]!.values), threshold: threshold), sign: .subtract)
        }
        for owner in total.dropped {
            let secretKey = try SecretSharing.combine(Array(collected[owner]!.values), threshold: threshold)
            let keyPair = try X25519KeyPair(secretKey: secretKey)
            guard keyPair.publicKey == context.roster1[owner]!.maskKey else {
                refuse("rebuilt mask key of \(owner) does not match its advertised key")
                throw Abort(reason: .tooFew(what: "valid shares for \(owner)", count: 0, threshold: threshold))
            }
            for neighbour in context.maskGraph[owner] ?? [] where contributors.contains(neighbour) {
                let secret = try KeyAgreement.pairwiseSecret(localKeyPair: keyPair, localID: owner, remoteKey: context.roster1[neighbour]!.maskKey,
                                                             remoteID: neighbour, federationID: topology.federationID.bytes, round: round)
                tasks.append(UnmaskTask(secret: secret, sign: KeyAgreement.precedes(neighbour, owner) ? .subtract : .add))
            }
        }
        var shared: (words: [Word], outcome: Message.Outcome)?
        if sharing {
            shared = try await sharedUnmask(context, tasks: tasks)
            if shared == nil {
                log("round \(round): no aggregate from the coordinator; removing every mask here")
                try await obtainSum(&context, forward: false)
            }
        }
        let sum: [Word], hash: [UInt8], outcome: Message.Outcome?
        if let shared {
            (sum, outcome, hash) = (shared.words, shared.outcome, shared.outcome.aggregateHash)
        } else {
            sum = try await applying(tasks, to: context.sum)
            (hash, outcome) = try await checkAggregate(context, aggregate: sum)
        }
        let (average, weight) = try await decodeAverage(sum)
        return Unmasked(sum: sum, average: average, weight: weight, hash: hash, outcome: outcome, shared: shared != nil)
    }

    /// The masked sum named by the accepted Total, into `context.sum`: the root has it; another
    /// peer waits for it from its tree parent or pulls it by hash, and with `forward` passes it
    /// to its tree children as received.
    /// - Throws: `Abort` (missing) when it cannot be obtained in time.
    private func obtainSum(_ context: inout RoundContext, forward: Bool) async throws {
        guard context.sum.isEmpty, let total = context.total else { return }
        guard let bytes = await content(hash: total.sumHash, kind: .sum, round: context.round, awaitFrom: context.tree?.parent[id]),
              case .sum(_, let words) = try? Message.decode(bytes, peerLimit: topology.peers.count, wordLimit: 1 << 28),
              words.count == context.length else {
            throw Abort(reason: .missing("the masked sum"))
        }
        context.sum = words
        guard forward else { return }
        for child in context.tree?.children[id] ?? [] where network.isLive(child) { _ = await network.send(bytes, to: child) }
    }

    /// Why the Total naming `contributors` may not be unmasked (`UnmaskingRule`), or nil.
    func unmaskingRefusal(_ contributors: [String], _ context: RoundContext) -> RoundOutcome.AbortReason? {
        UnmaskingRule.refusal(contributors: contributors, maskGraph: context.maskGraph, peerCount: topology.peers.count, settings: topology.aggregation)
    }

    /// Whether `total` carries its coordinator's valid signature.
    func isSigned(_ total: Message.Total) -> Bool {
        guard let key = topology.peer(total.coordinator)?.key else { return false }
        let body = Message.totalBody(round: total.round, coordinator: total.coordinator, contributors: total.contributors,
                                     dropped: total.dropped, sumHash: total.sumHash)
        return key.isValidSignature(total.signature, for: Message.totalContext + topology.federationID.bytes + body)
    }

    /// The weighted average and the total weight that an unmasked sum encodes.
    func decodeAverage(_ sum: [Word]) async throws -> (average: [Float], weight: Double) {
        let codec = self.codec
        return try await compute { () -> ([Float], Double) in
            let weight = codec.decode(sum[sum.count - 1])
            return (sum.withUnsafeBufferPointer { codec.decode(.init(rebasing: $0.dropLast()), dividingBy: weight) }, weight)
        }
    }
}
