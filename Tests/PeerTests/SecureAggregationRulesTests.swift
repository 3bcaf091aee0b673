import Crypto
import Foundation
import Testing
@testable import Gossip
@testable import Peer

@Suite struct CoordinatorLossTests {
    @Test func silentBeforeItsTotalAbortsWithNothingRevealedAndTheNextRoundCompletes() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3, timeout: .seconds(1))
        let first = federation.coordinator(round: 1)
        let round1 = await federation.run(round: 1) { peer, phase in
            if peer == first && phase == "tree-sum" { federation.network.crash(peer) }
        }
        for (peer, outcome) in round1 where peer != first {
            #expect(outcome.abortReason == .coordinatorSilent(phase: "unmask"), "\(peer): \(String(describing: outcome.abortReason))")
        }
        #expect(!federation.messages.contains { if case .reveal = $0.message { return true } else { return false } })
        let second = federation.coordinator(round: 2)
        #expect(second != first)
        let round2 = await federation.run(round: 2)
        #expect(round2.count == 4)
        #expect(round2.values.allSatisfy { $0.abortReason == nil && $0.coordinator == second })
        #expect(Set(round2.values.map(\.sumBytes)).count == 1)
    }

    @Test func deadAfterItsTotalTheRoundStillCompletes() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == coordinator && phase == "unmask" { federation.network.crash(peer) }
        }
        let survivors = outcomes.values.filter { $0.peer != coordinator }
        #expect(survivors.allSatisfy { $0.abortReason == nil })
        #expect(survivors.allSatisfy { $0.contributors.contains(coordinator) })
        #expect(Set(survivors.map(\.sumBytes)).count == 1)
    }
}

@Suite struct PrivacyRuleTests {
    /// Shares revealed per owner over the whole round, by kind.
    func revealedKinds(_ federation: ManualFederation, round: UInt64) -> [String: Set<UInt8>] {
        var kinds: [String: Set<UInt8>] = [:]
        for entry in federation.messages {
            guard case .reveal(let reveal) = entry.message, reveal.round == round else { continue }
            for share in reveal.shares { kinds[share.owner, default: []].insert(share.kind.rawValue) }
        }
        return kinds
    }

    @Test func noPeerHasBothOfItsSharesRevealed() async throws {
        let federation = try ManualFederation(.complete, peers: 7, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let victims = federation.topology.peers.map(\.id).filter { $0 != coordinator }.prefix(2)
        let outcomes = await federation.run(round: 1) { peer, phase in
            if victims.contains(peer) && phase == "tree-sum" { federation.network.crash(peer) }
        }
        #expect(outcomes.values.filter { $0.abortReason == nil }.count == 5)
        let kinds = revealedKinds(federation, round: 1)
        #expect(kinds.count == 7)
        #expect(kinds.values.allSatisfy { $0.count == 1 })
        for victim in victims { #expect(kinds[victim] == [RoundMessage<UInt32>.RevealedShare.Kind.maskKey.rawValue]) }
    }

    @Test func withFewerThanThresholdContributorsNothingIsRevealed() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 4, timeout: .seconds(1))
        let coordinator = federation.coordinator(round: 1)
        let victims = federation.topology.peers.map(\.id).filter { $0 != coordinator }.prefix(2)
        let outcomes = await federation.run(round: 1) { peer, phase in
            if victims.contains(peer) && phase == "masked-input" { federation.network.crash(peer) }
        }
        #expect(outcomes[coordinator]?.abortReason == .tooFew(what: "contributors", count: 3, threshold: 4))
        #expect(outcomes.values.allSatisfy { $0.abortReason != nil })
        #expect(revealedKinds(federation, round: 1).isEmpty)
    }

    /// What any single peer receives (partial sums, the masked sum) never decodes to the
    /// plaintext of the inputs it covers: every piece is still masked.
    @Test func maskedPiecesNeverDecodeToTheirPlaintext() async throws {
        let federation = try ManualFederation(.torus, peers: 9, threshold: 5)
        let outcomes = await federation.run(round: 1, dimension: 200)
        #expect(outcomes.values.allSatisfy { $0.abortReason == nil })
        let data = Simulation.inputs(peers: federation.topology.peers.map(\.id), dimension: 200, seed: 9, round: 1)
        let codec = try FixedPoint<UInt32>(clip: 4, fractionBits: 16)
        var checked = 0
        for entry in federation.messages {
            let contributors: [String], words: [UInt32]
            switch entry.message {
            case .partialSum(let piece): (contributors, words) = (piece.contributors, piece.words)
            case .sum(_, let sum): (contributors, words) = (federation.topology.peers.map(\.id), sum)
            default: continue
            }
            var plain = [Double](repeating: 0, count: 200)
            for contributor in contributors {
                let (input, weight) = data[contributor]!
                for i in 0..<200 { plain[i] += Double(input[i]) * min(max(weight, 0), 1) }
            }
            let close = (0..<200).filter { abs(codec.decode(words[$0]) - plain[$0]) < 0.01 }.count
            #expect(close < 5, "a piece of \(contributors) from \(entry.from) decodes close to its plaintext at \(close) of 200 values")
            checked += 1
        }
        #expect(checked >= 9) // eight pieces up the tree and the sum coming down
    }
}

@Suite struct AdversarialInputTests {
    func expectCompleted(_ outcomes: [String: RoundOutcome], count: Int) {
        #expect(outcomes.count == count)
        #expect(outcomes.values.allSatisfy { $0.abortReason == nil })
        #expect(Set(outcomes.values.map(\.sumBytes)).count == 1)
    }

    @Test func totalWithABadSignatureIsRefusedAndTheRoundGoesOn() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let victim = federation.topology.peers.map(\.id).first { $0 != coordinator }!
        let everyone = federation.topology.peers.map(\.id)
        let forged = federation.total(round: 1, coordinator: coordinator, contributors: everyone, dropped: [], signer: IdentityKey())
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == victim && phase == "tree-sum" { await federation.peers[victim]!.receive(forged, from: coordinator) }
        }
        expectCompleted(outcomes, count: 5)
        #expect(federation.peers[victim]!.refusals.contains { $0.contains("total for round 1 with a bad signature") })
    }

    @Test func aConflictingTotalGetsNoReveals() async throws {
        let federation = try ManualFederation(.complete, peers: 6, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let everyone = federation.topology.peers.map(\.id).sorted(by: KeyAgreement.precedes)
        let victim = everyone.first { $0 != coordinator }!
        let excluded = everyone.last { $0 != coordinator && $0 != victim }!
        // An equivocating coordinator's second Total, reaching the victim first.
        let conflicting = federation.total(round: 1, coordinator: coordinator, contributors: everyone.filter { $0 != excluded },
                                           dropped: [excluded], signer: federation.identities[coordinator]!)
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == victim && phase == "tree-sum" { await federation.peers[victim]!.receive(conflicting, from: coordinator) }
        }
        // The victim revealed for the Total it accepted first, and refused the genuine one.
        let reveals = federation.messages.compactMap { entry -> RoundMessage<UInt32>.Reveal? in
            if case .reveal(let reveal) = entry.message, reveal.holder == victim { return reveal }
            return nil
        }
        #expect(reveals.count == 1)
        #expect(Set(reveals.map(\.totalHash)).count == 1)
        #expect(federation.peers[victim]!.refusals.contains { $0.contains("second, conflicting total") })
        // The others completed without the victim's reveals, which name another Total.
        let others = outcomes.values.filter { $0.peer != victim }
        #expect(others.allSatisfy { $0.abortReason == nil })
        #expect(federation.logs.lines.contains { $0.contains("refused: reveal from \(victim) for another total") })
    }

    @Test func messagesOfOtherRoundsAreRefused() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        _ = await federation.run(round: 1)
        let oldBundle = try #require(federation.messages.first { if case .shareBundle(let b) = $0.message { return b.round == 1 } else { return false } })
        let target = federation.topology.peers.map(\.id).first { $0 != oldBundle.from }!
        let futureReveal = RoundMessage<UInt32>.reveal(.init(round: 99, holder: oldBundle.from, totalHash: [UInt8](repeating: 0, count: 32), shares: [])).encoded
        let outcomes = await federation.run(round: 2) { peer, phase in
            if peer == target && phase == "share-keys" {
                await federation.peers[target]!.receive(oldBundle.bytes, from: oldBundle.from)
                await federation.peers[target]!.receive(futureReveal, from: oldBundle.from)
            }
        }
        expectCompleted(outcomes, count: 5)
        let refusals = federation.peers[target]!.refusals
        #expect(refusals.contains { $0.contains("for round 1 from \(oldBundle.from) while in round 2") })
        #expect(refusals.contains { $0.contains("for round 99") })
    }

    @Test func maskedInputOfTheWrongLengthIsRefused() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let neighbour = federation.topology.neighbours[coordinator]!.first!
        let wrong = RoundMessage<UInt32>.partialSum(.init(round: 1, contributors: [neighbour], words: [1, 2, 3])).encoded
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == coordinator && phase == "tree-sum" { await federation.peers[coordinator]!.receive(wrong, from: neighbour) }
        }
        expectCompleted(outcomes, count: 5)
        #expect(federation.peers[coordinator]!.refusals.contains { $0.contains("partial sum of 3 words") })
        #expect(outcomes[coordinator]!.contributors.count == 5)
    }
}
