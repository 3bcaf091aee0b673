import Crypto
import Gossip
import Testing
@testable import Peer

/// The model chain: peers advertise the model they start from, the coordinator takes only
/// peers starting where it does, and its signed Outcome names M(r-1) and M(r).
@Suite struct ModelChainTests {
    /// The link of a peer starting from `base`: M(r)'s hash is the hash of base || the average's bytes.
    private func link(_ base: UInt8) -> ModelLink {
        let hash = [UInt8](repeating: base, count: 32)
        return ModelLink(base: hash) { average in Blake2b.hash(hash + average.withUnsafeBytes { Array($0) }) }
    }

    @Test func theSignedOutcomeNamesBothModelsOfTheRound() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let ids = federation.topology.peers.map(\.id)
        let outcomes = await federation.run(round: 1, models: Dictionary(uniqueKeysWithValues: ids.map { ($0, link(1)) }))
        #expect(outcomes.values.allSatisfy { $0.abortReason == nil })
        let average = try #require(outcomes.values.first?.average)
        let expected = try await link(1).next(average)
        for outcome in outcomes.values {
            let signed = try #require(outcome.signedOutcome, "\(outcome.peer)")
            #expect(signed.base == [UInt8](repeating: 1, count: 32) && signed.model == expected && signed.coordinator == outcome.coordinator)
            #expect(SignedOutcome.verified(signed.bytes, topology: federation.topology) == signed)
            // A changed byte breaks the signature.
            var forged = signed.bytes
            forged[forged.count - 70] ^= 1
            #expect(SignedOutcome.verified(forged, topology: federation.topology) == nil)
        }
    }

    /// A peer starting from another model is left out of the coordinator's roster (the refusal
    /// names both hashes), learns why from the roster, and the others complete without it.
    @Test func aPeerOnAnotherModelIsLeftOut() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let coordinator = federation.coordinator(round: 1)
        let odd = federation.topology.peers.map(\.id).first { $0 != coordinator }!
        var models = Dictionary(uniqueKeysWithValues: federation.topology.peers.map { ($0.id, link(1)) })
        models[odd] = link(2)
        let outcomes = await federation.run(round: 1, models: models)
        #expect(outcomes[odd]?.abortReason == .differentModel(own: [UInt8](repeating: 2, count: 32), coordinator: coordinator,
                                                                theirs: [UInt8](repeating: 1, count: 32)))
        let others = outcomes.values.filter { $0.peer != odd }
        #expect(others.count == 4 && others.allSatisfy { $0.abortReason == nil && !$0.contributors.contains(odd) })
        let refusal = ModelLink.short([UInt8](repeating: 2, count: 32))
        #expect(federation.peers[coordinator]!.refusals.contains { $0.contains(odd) && $0.contains(refusal) && $0.contains("not in the roster") })
    }

    /// A coordinator on another model than all the others: its roster names only itself, so it
    /// gives the round up, and nobody binds anything to it; the next candidate coordinates the
    /// four on the same model, and the first, following it, leaves naming both hashes.
    @Test func aCoordinatorOnAnotherModelIsNotFollowed() async throws {
        let federation = try ManualFederation(.complete, peers: 5, threshold: 3)
        let order = RoundStructure.coordinatorOrder(round: 1, peers: federation.topology.peers.map(\.id))
        let coordinator = order[0]
        var models = Dictionary(uniqueKeysWithValues: federation.topology.peers.map { ($0.id, link(1)) })
        models[coordinator] = link(2)
        let outcomes = await federation.run(round: 1, models: models)
        #expect(outcomes[coordinator]?.abortReason == .differentModel(own: [UInt8](repeating: 2, count: 32), coordinator: order[1],
                                                                        theirs: [UInt8](repeating: 1, count: 32)))
        for outcome in outcomes.values where outcome.peer != coordinator {
            #expect(outcome.abortReason == nil && outcome.coordinator == order[1] && outcome.contributors.count == 4,
                    "\(outcome.peer): \(String(describing: outcome.abortReason))")
        }
        #expect(!federation.messages.contains { entry in
            if case .shareBundle(let bundle) = entry.message { return bundle.coordinator == coordinator }
            return false
        })
    }
}
