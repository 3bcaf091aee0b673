import Crypto
import Foundation
import Testing
@testable import Gossip
@testable import Peer

/// A peer that runs for months keeps per-round state only for the rounds still needed.
@Suite struct RetainedStateTests {
    /// Over 60 rounds, after each round r a peer holds state only for rounds r - 1 and r (and
    /// the records of the last two), and messages only of round r: nothing accumulates.
    @Test func perRoundStateStaysBoundedOverManyRounds() async throws {
        let federation = try ManualFederation(.ring, peers: 5, threshold: 3)
        for round in UInt64(1)...60 {
            let outcomes = await federation.run(round: round, dimension: 8)
            #expect(outcomes.values.allSatisfy { $0.abortReason == nil }, "round \(round)")
            for (id, peer) in federation.peers {
                let retained = peer.retainedRounds
                #expect(retained.state.allSatisfy { $0 + 1 >= round && $0 <= round }, "\(id) after round \(round): \(retained.state.sorted())")
                #expect(retained.mailbox.isSubset(of: [round]), "\(id) after round \(round): messages of \(retained.mailbox.sorted())")
            }
        }
    }
}
