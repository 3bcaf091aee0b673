import Testing
@testable import Peer

/// How long a peer that ended a round without its model waits before concluding that nobody
/// completed it (docs/PROTOCOL.md, "Rejoining"): while a neighbour is still in the round, and,
/// when no neighbour has committed it, while a recovering neighbour is near a peer that is.
@Suite struct RecoveryWaitTests {
    private func head(_ neighbour: String, committed: Int = 4, running: Int = 5, _ activity: SyncMessage.Activity,
                      progress: UInt8 = SyncMessage.Head.unreachable) -> PeerNode.Head {
        PeerNode.Head(neighbour: neighbour, committed: committed, running: running, activity: activity, progress: progress, start: [],
                      outcome: nil)
    }

    @Test func aPeerWaitsForANeighbourInTheRoundAndNotForOneThatCommittedIt() {
        #expect(PeerNode.keepsWaiting(round: 5, heads: [], peers: 6))
        #expect(PeerNode.keepsWaiting(round: 5, heads: [head("a", .aggregating), head("b", committed: 5, running: 0, .idle)], peers: 6))
        #expect(PeerNode.keepsWaiting(round: 5, heads: [head("a", .committing)], peers: 6))
        #expect(!PeerNode.keepsWaiting(round: 5, heads: [head("a", .recovering, progress: 1), head("b", committed: 5, running: 0, .idle)],
                                       peers: 6))
        // A neighbour in another round is not waited for.
        #expect(!PeerNode.keepsWaiting(round: 5, heads: [head("a", committed: 3, running: 4, .aggregating)], peers: 6))
    }

    /// Every peer of a ring recovers the round and updates its hops from its neighbours' heads,
    /// as recovery does: with one peer still aggregating, the hops settle at the distances to it
    /// and nobody stops waiting; with nobody left in the round, the hops count up past the
    /// federation's size within as many exchanges, and everyone concludes.
    @Test func hopsSettleNearARoundInProgressAndCountPastTheSizeWithoutOne() {
        let count = 6
        func exchange(_ progress: inout [UInt8], aggregating: Int?) -> [Bool] {
            let heads = progress.indices.map { peer in
                peer == aggregating ? head("\(peer)", .aggregating, progress: 0) : head("\(peer)", .recovering, progress: progress[peer])
            }
            let neighbours = { (peer: Int) in [heads[(peer + 1) % count], heads[(peer + count - 1) % count]] }
            progress = progress.indices.map { $0 == aggregating ? 0 : PeerNode.progress(round: 5, heads: neighbours($0)) }
            return progress.indices.map { PeerNode.keepsWaiting(round: 5, heads: neighbours($0), peers: count) }
        }
        var progress = [UInt8](repeating: 1, count: count)
        for _ in 0..<50 { #expect(exchange(&progress, aggregating: 0).allSatisfy { $0 }) }
        #expect(progress == [0, 1, 2, 3, 2, 1])

        progress = [UInt8](repeating: 1, count: count)
        let exchanges = (1...3 * count).first { _ in !exchange(&progress, aggregating: nil).contains(true) }
        #expect(exchanges.map { $0 <= count + 1 } == true, "\(String(describing: exchanges)) exchanges")
        #expect(progress.allSatisfy { Int($0) > count })
    }
}
