import Crypto
import Testing
@testable import Gossip
@testable import Peer

/// Shared unmasking (docs/PROTOCOL.md, phase 5): when removing every mask alone would cost a
/// peer more than twice its own masking, the contributors split the work.
@Suite struct SharedUnmaskingTests {
    typealias Peer = SecureAggregationPeer<UInt32>

    @Test func sharedOnlyWhenUnmaskingAloneWouldCostMoreThanTheMasking() {
        let regular4 = Dictionary(uniqueKeysWithValues: (0..<16).map { ("p\($0)", ["a", "b", "c", "d"]) })
        #expect(!Peer.sharesUnmasking(taskCount: 5, maskGraph: regular4))
        #expect(Peer.sharesUnmasking(taskCount: 6, maskGraph: regular4))
        #expect(!Peer.sharesUnmasking(taskCount: 0, maskGraph: [:]))
    }

    /// A self-mask per contributor, and a pairwise mask per contributing mask neighbour of each
    /// dropped peer: the count every peer derives from the Total alone, before any reveal.
    @Test func theTaskCountComesFromTheTotal() {
        let graph = ["a": ["b", "c", "d"], "b": ["a", "c"], "c": ["a", "b"], "d": ["a"]]
        let total = RoundMessage<UInt32>.Total(round: 1, coordinator: "a", contributors: ["a", "c"], dropped: ["b", "d"],
                                               sumHash: [], signature: [])
        #expect(Peer.taskCount(total, maskGraph: graph) == 2 + 2 + 1)
    }

    /// The fewest helpers that keep each at K + 1 tasks or fewer, nearest the coordinator first:
    /// on a line a-b-c-d-e rooted at c, the BFS order is c, b, d, a, e.
    @Test func theHelpersAreTheFewestNearestTheCoordinator() throws {
        let (topology, _) = try federation(.line, peers: 5, threshold: 2)
        let ids = topology.peers.map(\.id)
        let tree = RoundStructure.Tree(topology: topology, members: Set(ids), root: ids[2])
        #expect(tree.order == [ids[2], ids[1], ids[3], ids[0], ids[4]])
        let degree2 = Dictionary(uniqueKeysWithValues: ids.map { ($0, ["x", "y"]) })
        #expect(Peer.helpers(tree, taskCount: 3, maskGraph: degree2) == [ids[2]])
        #expect(Peer.helpers(tree, taskCount: 4, maskGraph: degree2) == [ids[2], ids[1]])
        #expect(Peer.helpers(tree, taskCount: 7, maskGraph: degree2) == [ids[2], ids[1], ids[3]])
        #expect(Peer.helpers(tree, taskCount: 100, maskGraph: degree2) == tree.order)
    }

    @Test func everyTaskGoesToExactlyOneHelper() {
        let tasks = (0..<11).map { Peer.UnmaskTask(secret: SecureBytes(copying: [UInt8(truncatingIfNeeded: $0)]), sign: .add) }
        let shares = (0..<4).map { Peer.share(of: $0, in: tasks, helperCount: 4) }
        #expect(shares.map(\.count) == [3, 3, 3, 2])
        let handedOut = shares.flatMap { $0.map { $0.secret.withUnsafeBytes { Array($0) } } }
        #expect(Set(handedOut) == Set(tasks.map { $0.secret.withUnsafeBytes { Array($0) } }) && handedOut.count == tasks.count)
    }

    /// 16 peers, regular:4 masking, two peers lost in the tree sum and one contributor lost as
    /// the unmasking starts (a child of the root, so its tasks and nobody else's go missing): the coordinator covers that helper's tasks, every survivor holds
    /// the exact sum, and none of them expanded every mask itself.
    @Test func helpersSplitTheWorkAndTheCoordinatorCoversALostHelper() async throws {
        // Each peer's shares have 5 holders (itself and its 4 mask neighbours): with 3 peers
        // lost, a threshold of 2 keeps every peer's shares recoverable.
        let (topology, identities) = try federation(.randomRegular, peers: 16, threshold: 2, masking: .regular(degree: 4), degree: 4)
        let ids = topology.peers.map(\.id)
        let coordinator = RoundStructure.coordinatorOrder(round: 1, peers: ids).first!
        // Two leaves of the aggregation tree never send their pieces; a child of the root sends
        // its piece straight to the root, so it contributes, and then dies.
        let tree = RoundStructure.Tree(topology: topology, members: Set(ids), root: coordinator)
        let rootChildren = tree.children[coordinator] ?? []
        let leaves = ids.filter { $0 != coordinator && (tree.children[$0] ?? []).isEmpty && !rootChildren.contains($0) }
        let lostHelper = try #require(rootChildren.first)
        try #require(leaves.count >= 2)
        var request = Simulation.Request(topology: topology, identities: identities, dimension: 400)
        request.crashes = [leaves[0]: "tree-sum", leaves[1]: "tree-sum", lostHelper: "unmask"]
        request.phaseTimeout = .seconds(20)
        let log = LogRecorder()
        let report = try await Simulation.run(request, word: UInt32.self, log: log.append)[0]
        #expect(report.abortReason == nil && report.survivorsAgree)
        #expect(report.contributors.contains(lostHelper) && Set(report.dropped) == [leaves[0], leaves[1]])
        #expect(report.sharedUnmasking && report.aggregateHash != nil)
        let sum = try expectedSum(report, request: request, word: UInt32.self)
        let survivors = report.outcomes.values.filter { !report.crashed.contains($0.peer) }
        #expect(survivors.count == 13 && survivors.allSatisfy { $0.sumBytes == sum })
        #expect(log.lines.contains { $0.hasPrefix("[\(coordinator)]") && $0.contains("covered the unmasking tasks of") })
        // Alone, a peer would expand its own 5 masks and every task: a self-mask per contributor
        // and up to 4 pairwise masks per dropped peer.
        let words = request.dimension + 1
        let alone = (5 + report.contributors.count + 4 * report.dropped.count) * words * 4
        let helpers = survivors.filter { $0.peer != coordinator && report.contributors.contains($0.peer) }
        #expect(!helpers.isEmpty && helpers.allSatisfy { $0.maskBytesExpanded < alone / 2 })
    }

    /// The coordinator dies as the unmasking starts (after its Total): no Outcome comes, and
    /// every survivor removes every mask itself, to the same exact sum.
    @Test func withoutTheCoordinatorEveryPeerUnmasksAlone() async throws {
        let (topology, identities) = try federation(.randomRegular, peers: 16, threshold: 3, masking: .regular(degree: 4), degree: 4)
        let ids = topology.peers.map(\.id)
        let coordinator = RoundStructure.coordinatorOrder(round: 1, peers: ids).first!
        var request = Simulation.Request(topology: topology, identities: identities, dimension: 300)
        request.crashes = [ids.first { $0 != coordinator }!: "tree-sum", coordinator: "unmask"]
        request.phaseTimeout = .seconds(20)
        let log = LogRecorder()
        let report = try await Simulation.run(request, word: UInt32.self, log: log.append)[0]
        let survivors = report.outcomes.values.filter { !report.crashed.contains($0.peer) }
        #expect(survivors.count == 14 && survivors.allSatisfy { $0.abortReason == nil })
        // The coordinator crashed, so the contributors come from a survivor's Total.
        let sum = try expectedSum(report, request: request, word: UInt32.self, contributors: survivors.first?.contributors ?? [])
        #expect(survivors.allSatisfy { $0.sumBytes == sum && !$0.sharedUnmasking })
        #expect(Set(survivors.map(\.aggregateHash)).count == 1)
        #expect(log.lines.filter { $0.contains("no aggregate from the coordinator") }.count == 14)
    }

    /// A peer whose neighbours all crash during the tree sum is cut off: its piece is lost, it
    /// is in D, and it cannot obtain the aggregate, which travels only between neighbours. It
    /// gives up at once (rather than waiting out the phase for the aggregate and then another
    /// for S) and ends the round as missing the aggregate; the others complete.
    @Test func aPeerCutOffFromEveryNeighbourEndsTheRoundAtOnce() async throws {
        let (topology, identities) = try federation(.ring, peers: 8, threshold: 3)
        let ids = topology.peers.map(\.id)
        let coordinator = RoundStructure.coordinatorOrder(round: 1, peers: ids).first!
        let isolated = try #require(ids.first { id in id != coordinator && !topology.neighbours[id]!.contains(coordinator) })
        var request = Simulation.Request(topology: topology, identities: identities, dimension: 100)
        request.crashes = Dictionary(uniqueKeysWithValues: topology.neighbours[isolated]!.map { ($0, "tree-sum") })
        request.phaseTimeout = .seconds(20)
        let log = LogRecorder()
        let report = try await Simulation.run(request, word: UInt32.self, log: log.append)[0]
        #expect(log.lines.contains("[\(isolated)] round 1: no live neighbour to obtain the aggregate from"))
        #expect(report.abortReason == nil && report.sharedUnmasking && report.dropped.contains(isolated))
        #expect(report.outcomes[isolated]?.abortReason == .missing("the aggregate"))
        let survivors = report.outcomes.values.filter { !report.crashed.contains($0.peer) && $0.peer != isolated }
        #expect(survivors.count == 5 && survivors.allSatisfy { $0.abortReason == nil && $0.sumBytes == survivors.first?.sumBytes })
    }
}
