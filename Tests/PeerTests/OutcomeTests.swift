import Crypto
import Testing
@testable import Gossip
@testable import Peer

/// The coordinator's signed Outcome: every peer checks its aggregate against it.
@Suite struct OutcomeTests {
    @Test func theHashIsTheAggregateMessagesHash() {
        let words: [UInt32] = [1, 2, 0xFFFF_FFFF, 7]
        let expected = Blake2b.hash(RoundMessage<UInt32>.aggregate(round: 9, words: words).encoded)
        #expect(SecureAggregationPeer<UInt32>.aggregateHash(round: 9, words: words) == expected)
        #expect(SecureAggregationPeer<UInt32>.aggregateHash(round: 10, words: words) != expected)
    }

    @Test func everyPeerEndsOnTheCoordinatorsHash() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let outcomes = await federation.run(round: 1)
        let announced = federation.messages.compactMap { entry -> RoundMessage<UInt32>.Outcome? in
            if case .outcome(let outcome) = entry.message { return outcome }
            return nil
        }
        #expect(announced.count == 1 && announced.first?.coordinator == federation.coordinator(round: 1))
        for outcome in outcomes.values {
            let words = try #require(outcome.sumBytes).withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
            #expect(SecureAggregationPeer<UInt32>.aggregateHash(round: 1, words: words) == announced.first?.aggregateHash)
            #expect(outcome.aggregateHash == announced.first?.aggregateHash && !outcome.sharedUnmasking)
        }
    }

    /// An Outcome validly signed by the coordinator but naming other bytes (a coordinator that
    /// equivocates, or a bug) reaches one peer first: that peer refuses to end the round on
    /// bytes that differ, and the others complete.
    @Test func aPeerWhoseAggregateDiffersEndsTheRoundWithoutIt() async throws {
        let federation = try ManualFederation(.complete, peers: 6, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let victim = federation.topology.peers.map(\.id).first { $0 != coordinator }!
        let outcomes = await federation.run(round: 1) { peer, phase in
            // The coordinator enters the unmasking after broadcasting its Total.
            guard peer == coordinator && phase == "unmask",
                  let total = federation.messages.first(where: { if case .total = $0.message { true } else { false } }) else { return }
            let totalHash = Blake2b.hash(total.bytes), wrong = [UInt8](repeating: 1, count: 32)
            let body = RoundMessage<UInt32>.outcomeBody(round: 1, coordinator: coordinator, totalHash: totalHash, aggregateHash: wrong,
                                                        base: ModelLink.none.base, model: ModelLink.none.base)
            let signature = federation.identities[coordinator]!.signature(for: RoundMessage<UInt32>.outcomeContext
                                                                          + federation.topology.federationID.bytes + body)
            let forged = RoundMessage<UInt32>.outcome(.init(round: 1, coordinator: coordinator, totalHash: totalHash, aggregateHash: wrong,
                                                            base: ModelLink.none.base, model: ModelLink.none.base, signature: signature))
            await federation.peers[victim]!.receive(forged.encoded, from: coordinator)
        }
        #expect(outcomes[victim]?.abortReason == .inconsistent("aggregate"))
        #expect(federation.peers[victim]!.refusals.contains { $0.contains("differs from the coordinator's") })
        let others = outcomes.values.filter { $0.peer != victim }
        #expect(others.count == 5 && others.allSatisfy { $0.abortReason == nil } && Set(others.map(\.sumBytes)).count == 1)
    }
}
