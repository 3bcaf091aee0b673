import Crypto
import Foundation
import Testing
@testable import Gossip
@testable import Peer

/// Messages a valid (authenticated) peer could send that must be refused, never crash anyone,
/// and never be attributed to anyone but their signer.
@Suite struct HostileMessageTests {
    typealias Message = RoundMessage<UInt32>

    func expectCompleted(_ outcomes: [String: RoundOutcome], count: Int) {
        #expect(outcomes.count == count)
        #expect(outcomes.values.allSatisfy { $0.abortReason == nil }, "\(outcomes.values.map { "\($0.peer): \(String(describing: $0.abortReason))" })")
        #expect(Set(outcomes.values.map(\.sumBytes)).count == 1)
    }

    /// An Advertise signed by its peer but carrying a key of small order reaches the coordinator
    /// first: it is refused, and the peer's real one is taken.
    @Test func anAdvertisedKeyOfSmallOrderIsRefused() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let victim = federation.topology.peers.map(\.id).first { $0 != coordinator }!
        let weak = try X25519PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32)), maskKey = X25519KeyPair().publicKey
        let body = Message.advertiseBody(round: 1, peer: victim, shareKey: weak, maskKey: maskKey, base: ModelLink.none.base)
        let signature = federation.identities[victim]!.signature(for: Message.advertiseContext + federation.topology.federationID.bytes + body)
        let hostile = Message.advertise(.init(round: 1, peer: victim, shareKey: weak, maskKey: maskKey, base: ModelLink.none.base, signature: signature))
        let outcomes = await federation.run(round: 1) { peer, phase in
            // Before the victim's own advertisement leaves it.
            if peer == victim && phase == "advertise" {
                await federation.peers[coordinator]!.receive(hostile.encoded, from: victim)
            }
        }
        expectCompleted(outcomes, count: 5)
        #expect(outcomes[coordinator]!.contributors.contains(victim))
        #expect(federation.peers[coordinator]!.refusals.contains { $0.contains("advertise from \(victim)") && $0.contains("small order") })
    }

    /// A Reveal whose share has the wrong length is refused share by share; the round completes.
    @Test func aRevealedShareOfTheWrongLengthIsRefused() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let ids = federation.topology.peers.map(\.id).sorted(by: KeyAgreement.precedes)
        let target = ids.first { $0 != coordinator }!, holder = ids.last { $0 != coordinator && $0 != target }!
        let traffic = federation.traffic
        let outcomes = await federation.run(round: 1) { peer, phase in
            guard peer == target && phase == "unmask" else { return }
            await traffic.awaitEntry { $0.from == coordinator && $0.bytes.first == Message.Kind.total.rawValue }
            let totalBytes = traffic.entries.first { $0.from == coordinator && $0.bytes.first == Message.Kind.total.rawValue }!.bytes
            // The holder's index among the holders of `coordinator` (everyone, canonical order).
            let index = UInt8(ids.firstIndex(of: holder)! + 1)
            let short = Message.reveal(.init(round: 1, holder: holder, totalHash: Blake2b.hash(totalBytes),
                                             shares: [.init(owner: coordinator, kind: .selfMask, share: [index] + [UInt8](repeating: 1, count: 9))]))
            await federation.peers[target]!.receive(short.encoded, from: holder)
        }
        expectCompleted(outcomes, count: 5)
        #expect(federation.peers[target]!.refusals.contains { $0.contains("invalid revealed share of \(coordinator) from \(holder) (10 bytes)") })
    }

    /// Lists of peers repeat no name: rosters, Totals, partial sums and reveals that do are
    /// refused as they are decoded, as are lists out of canonical order.
    @Test func repeatedOrUnorderedNamesDoNotDecode() throws {
        let hash = [UInt8](repeating: 1, count: 32), signature = [UInt8](repeating: 2, count: 64)
        let keys = X25519KeyPair().publicKey
        let entry = Message.Advertise(round: 1, peer: "a", shareKey: keys, maskKey: keys, base: hash, signature: signature)
        let hostile: [(Message, String)] = [
            (.total(.init(round: 1, coordinator: "a", contributors: ["a", "b", "b"], dropped: [], sumHash: hash, signature: signature)), "twice"),
            (.total(.init(round: 1, coordinator: "a", contributors: ["a"], dropped: ["c", "b"], sumHash: hash, signature: signature)), "order"),
            (.roster1(.init(round: 1, coordinator: "a", entries: [entry, entry], bundleHashes: [], signature: signature)), "twice"),
            (.partialSum(.init(round: 1, contributors: ["b", "a"], words: [1])), "order"),
            // In increasing byte order, yet the same name for Swift (canonically equivalent).
            (.total(.init(round: 1, coordinator: "a", contributors: ["e\u{301}x", "\u{e9}x"], dropped: [], sumHash: hash, signature: signature)),
             "twice"),
            (.reveal(.init(round: 1, holder: "a", totalHash: hash, shares: [.init(owner: "b", kind: .selfMask, share: [1, 2]),
                                                                           .init(owner: "b", kind: .maskKey, share: [1, 2])])), "twice"),
        ]
        for (message, reason) in hostile {
            #expect(throws: WireReader.Malformed.self) { try Message.decode(message.encoded, peerLimit: 10, wordLimit: 10) }
            do {
                _ = try Message.decode(message.encoded, peerLimit: 10, wordLimit: 10)
            } catch {
                #expect(error.description.contains(reason), "\(error)")
            }
        }
        let fine = Message.total(.init(round: 1, coordinator: "a", contributors: ["a", "b"], dropped: ["c"], sumHash: hash, signature: signature))
        #expect(throws: Never.self) { try Message.decode(fine.encoded, peerLimit: 10, wordLimit: 10) }
    }

    /// A Total signed by the coordinator whose contributor list repeats a name (so that it counts
    /// one contributor more than there are, and still partitions the survivors) reaches a peer
    /// before the real one: refused as it is decoded, and the real Total is taken.
    @Test func aTotalRepeatingAContributorIsRefused() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let everyone = federation.topology.peers.map(\.id).sorted(by: KeyAgreement.precedes)
        let target = everyone.first { $0 != coordinator }!
        let hostile = federation.total(round: 1, coordinator: coordinator, contributors: [everyone[0]] + everyone.dropLast(),
                                       dropped: [everyone.last!], signer: federation.identities[coordinator]!)
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == target && phase == "tree-sum" { await federation.peers[target]!.receive(hostile, from: coordinator) }
        }
        expectCompleted(outcomes, count: 5)
        #expect(federation.peers[target]!.refusals.contains { $0.contains("malformed message from \(coordinator)") && $0.contains("twice") })
    }

    /// A non-finite value in a peer's own update is refused before anything is sent: that peer
    /// sits the round out with a clear reason, and the others complete without it.
    @Test func aNonFiniteUpdateIsRefusedLocallyAndNeverSent() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3, timeout: .seconds(1))
        let coordinator = federation.coordinator(round: 1)
        let faulty = federation.topology.peers.map(\.id).first { $0 != coordinator }!
        var input = [Float](repeating: 0.5, count: 50)
        input[7] = .nan
        let outcomes = await federation.run(round: 1, inputs: [faulty: input])
        #expect(outcomes[faulty]?.abortReason == .invalidInput("value 7 of the update is nan; nothing was sent"))
        // Nothing of its own: no advertisement, bundle, piece of the sum or reveal (it may still
        // pass a neighbour's pull request on, as every peer does).
        #expect(!federation.messages.contains { entry in
            guard entry.from == faulty else { return false }
            switch entry.message {
            case .advertise, .shareBundle, .partialSum, .reveal: return true
            default: return false
            }
        })
        let others = outcomes.values.filter { $0.peer != faulty }
        #expect(others.count == 4 && others.allSatisfy { $0.abortReason == nil && !$0.contributors.contains(faulty) })
    }

    /// A neighbour asking for content nobody has may have 64 requests waiting at a peer; the
    /// rest are refused, and the round goes on.
    @Test func pullRequestsForUnknownContentAreBoundedPerNeighbour() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let neighbour = federation.topology.neighbours[coordinator]!.first!
        let outcomes = await federation.run(round: 1) { id, phase in
            guard id == coordinator && phase == "share-keys" else { return }
            for index in 0..<80 {
                let hash = Blake2b.hash(Array("unknown \(index)".utf8))
                await federation.peers[coordinator]!.receive(Message.pullRequest(hash: hash).encoded, from: neighbour)
            }
        }
        expectCompleted(outcomes, count: 5)
        let refused = federation.peers[coordinator]!.refusals.filter { $0.contains("a pull request from \(neighbour) beyond the 64") }
        #expect(refused.count == 16)
    }

    /// A neighbour pushing masked sums nobody asked for gets 2 per round kept; the rest are
    /// refused, so that the content a round keeps stays bounded, and its own bundle still counts.
    @Test func pushedContentIsBoundedPerSenderAndRound() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let target = federation.topology.peers.map(\.id).first { $0 != coordinator }!
        let sender = federation.topology.peers.map(\.id).first { $0 != coordinator && $0 != target }!
        let outcomes = await federation.run(round: 1) { id, phase in
            guard id == target && phase == "advertise" else { return }
            for index in 0..<10 {
                await federation.peers[target]!.receive(Message.sum(round: 1, words: [UInt32(index)]).encoded, from: sender)
            }
        }
        expectCompleted(outcomes, count: 5)
        let refused = federation.peers[target]!.refusals.filter { $0.contains("from \(sender) beyond the 2 of a kind a peer may push per round") }
        #expect(refused.count == 8 && refused.allSatisfy { $0.hasPrefix("a sum or aggregate") })
        #expect(outcomes[target]!.phaseTimes.allSatisfy { $0.seconds < 5 })
    }

    /// Content served by hash is taken only when this peer asked for that hash, for the round it
    /// asked for, and (a bundle) with its owner's valid signature; nothing else is attributed to
    /// the peer it names.
    @Test func pulledContentIsTakenOnlyAsAskedAndSigned() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let owner = federation.topology.peers.map(\.id).first { $0 != coordinator }!
        let neighbour = federation.topology.peers.map(\.id).first { $0 != coordinator && $0 != owner }!
        let peer = federation.peers[coordinator]!
        func bundle(round: UInt64, signer: IdentityKey) -> [UInt8] {
            let rosterHash = [UInt8](repeating: 3, count: 32)
            let body = Message.bundleBody(round: round, owner: owner, coordinator: coordinator, rosterHash: rosterHash, holders: [], sealed: [])
            let signature = signer.signature(for: Message.bundleContext + federation.topology.federationID.bytes + body)
            return Message.shareBundle(.init(round: round, owner: owner, coordinator: coordinator, rosterHash: rosterHash, holders: [],
                                             sealed: [], signature: signature)).encoded
        }
        let forged = bundle(round: 1, signer: IdentityKey())
        let otherRound = bundle(round: 0, signer: federation.identities[owner]!)
        let outcomes = await federation.run(round: 1) { id, phase in
            guard id == coordinator && phase == "share-keys" else { return }
            await peer.receive(Message.pullResponse(bytes: forged).encoded, from: neighbour)
            peer.markPulled(Blake2b.hash(forged), round: 1)
            peer.markPulled(Blake2b.hash(otherRound), round: 1)
            await peer.receive(Message.pullResponse(bytes: forged).encoded, from: neighbour)
            await peer.receive(Message.pullResponse(bytes: otherRound).encoded, from: neighbour)
        }
        expectCompleted(outcomes, count: 5)
        let refusals = peer.refusals
        #expect(refusals.contains("content from \(neighbour) that nobody here asked for"))
        #expect(refusals.contains("a pulled bundle of \(owner) from \(neighbour) without its owner's valid signature"))
        #expect(refusals.contains("pulled content of round 0 from \(neighbour), not the round asked for"))
        #expect(outcomes[coordinator]!.contributors.contains(owner))
    }
}
