import Crypto
import Foundation
import Testing
@testable import Gossip
@testable import Peer

@Suite struct SecureAggregationExactnessTests {
    func run(_ request: Simulation.Request) async throws -> [Simulation.RoundReport] {
        try await Simulation.run(request, word: UInt32.self)
    }

    /// Checks a completed round: every survivor holds the exact ring sum of the contributors'
    /// encoded inputs, and the decoded average is the plaintext weighted average within the bound.
    func expectExact(_ report: Simulation.RoundReport, _ request: Simulation.Request, contributors expected: Set<String>) throws {
        #expect(report.abortReason == nil, "round aborted: \(report.abortReason ?? "")")
        #expect(Set(report.contributors) == expected)
        #expect(report.survivorsAgree)
        let sum = try expectedSum(report, request: request, word: UInt32.self)
        let completed = report.outcomes.values.filter { $0.abortReason == nil }
        #expect(Set(completed.map(\.peer)) == Set(request.topology.peers.map(\.id)).subtracting(report.crashed))
        for outcome in completed { #expect(outcome.sumBytes == sum, "\(outcome.peer) holds another sum") }
        #expect(report.maximumError <= report.errorBound)
    }

    @Test(arguments: [AggregationSettings.Masking.complete, .regular(degree: 4)])
    func withoutDropsTheAggregateIsExact(masking: AggregationSettings.Masking) async throws {
        let (topology, identities) = try federation(.randomRegular, peers: 10, threshold: 3, masking: masking, degree: 3)
        var request = Simulation.Request(topology: topology, identities: identities, dimension: 300)
        request.seed = 3
        let report = try await run(request)[0]
        try expectExact(report, request, contributors: Set(topology.peers.map(\.id)))
        #expect(report.dropped.isEmpty)
    }

    @Test(arguments: Simulation.phases)
    func oneDropAtEachPhase(phase: String) async throws {
        for masking in [AggregationSettings.Masking.complete, .regular(degree: 4)] {
            let (topology, identities) = try federation(.randomRegular, peers: 8, threshold: 3, masking: masking, degree: 3)
            let coordinator = RoundStructure.coordinatorOrder(round: 1, peers: topology.peers.map(\.id)).first!
            let victim = topology.peers.map(\.id).first { $0 != coordinator }!
            var request = Simulation.Request(topology: topology, identities: identities, dimension: 200)
            request.crashes = [victim: phase]
            request.phaseTimeout = .seconds(20)
            let report = try await run(request)[0]
            let everyone = Set(topology.peers.map(\.id))
            // A peer that crashes before sending its masked input is not a contributor; one that
            // crashes at unmask already contributed, and the others remove its self-mask.
            let contributes = phase == "unmask"
            try expectExact(report, request, contributors: contributes ? everyone : everyone.subtracting([victim]))
            let listedAsDropped = ["masked-input", "tree-sum"].contains(phase)
            #expect(report.dropped == (listedAsDropped ? [victim] : []), "\(masking) \(phase)")
        }
    }

    /// On a 3x3 torus, crash a leaf or an inner node of the aggregation tree after the share
    /// phase: the inner node's children find it dead and re-parent to other neighbours nearer
    /// the root, so every other peer still contributes.
    @Test(arguments: ["leaf", "inner"])
    func dropInTheTree(position: String) async throws {
        let (topology, identities) = try federation(.torus, peers: 9, threshold: 4)
        let ids = topology.peers.map(\.id)
        let coordinator = RoundStructure.coordinatorOrder(round: 1, peers: ids).first!
        let tree = RoundStructure.Tree(topology: topology, members: Set(ids), root: coordinator)
        let inner = ids.filter { $0 != coordinator && !(tree.children[$0] ?? []).isEmpty }
        let leaves = ids.filter { $0 != coordinator && (tree.children[$0] ?? []).isEmpty }
        let victim = try #require(position == "leaf" ? leaves.first : inner.first)
        let log = LogRecorder()
        var request = Simulation.Request(topology: topology, identities: identities, dimension: 100)
        request.crashes = [victim: "masked-input"]
        request.phaseTimeout = .seconds(20)
        let report = try await Simulation.run(request, word: UInt32.self, log: log.append)[0]
        try expectExact(report, request, contributors: Set(ids).subtracting([victim]))
        #expect(report.dropped == [victim])
        // Each child of a dead inner node re-routes its own piece (a child that reached the
        // victim just before it died re-sends, and may log twice); nobody re-routes for a leaf.
        let reparented = Set(log.lines.filter { $0.contains("re-parented") }.map { String($0.prefix { $0 != "]" }.dropFirst()) })
        #expect(reparented == (position == "inner" ? Set(tree.children[victim]!) : []))
    }

    /// On a ring of six, an inner node whose child has a child crashes as it enters
    /// masked-input, and only its neighbours see it (as on the real transport, where a peer
    /// that is not a neighbour counts a crashed one alive): its child re-routes its piece the
    /// other way round, through its own child, which still counts the crashed node alive and
    /// would hand the piece back. A separate piece carries the peers it has passed, none of
    /// which it goes to again: it reaches the root once, and the round completes with five.
    @Test(.timeLimit(.minutes(1))) func aSeparatePieceNeverGoesBackToAPeerItPassed() async throws {
        let federation = try ManualFederation(.ring, peers: 6, threshold: 4, timeout: .seconds(5))
        let ids = federation.topology.peers.map(\.id)
        let root = RoundStructure.coordinatorOrder(round: 1, peers: ids)[0]
        let tree = RoundStructure.Tree(topology: federation.topology, members: Set(ids), root: root)
        let victim = try #require(tree.children[root]?.first { child in (tree.children[child] ?? []).contains { !(tree.children[$0] ?? []).isEmpty } })
        federation.network.keepSeeingAlive(victim, from: ids.filter { $0 != victim && !federation.topology.areNeighbours(victim, $0) })
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == victim && phase == "masked-input" { federation.network.crash(peer) }
        }
        let survivors = outcomes.values.filter { $0.peer != victim }
        #expect(survivors.count == 5)
        #expect(survivors.allSatisfy { $0.abortReason == nil && $0.contributors.count == 5 },
                "\(survivors.map { "\($0.peer): \(String(describing: $0.abortReason)), \($0.contributors.count) contributors" })")
        // A piece ping-ponging between two peers is passed thousands of times; passed on once per
        // peer, and again by one that re-sends after the crash, it is passed a handful of times.
        let passes = federation.logs.lines.count { $0.contains("passed a separate piece") }
        #expect(passes <= 2 * survivors.count, "a separate piece was passed \(passes) times")
    }

    /// An inner node that dies while the sums go up may take the pieces it already received
    /// with it: those peers count as dropped too, and the round is still exact for the rest.
    @Test func innerNodeDyingDuringTheTreeSum() async throws {
        let (topology, identities) = try federation(.torus, peers: 9, threshold: 4)
        let ids = topology.peers.map(\.id)
        let coordinator = RoundStructure.coordinatorOrder(round: 1, peers: ids).first!
        let tree = RoundStructure.Tree(topology: topology, members: Set(ids), root: coordinator)
        let victim = try #require(ids.first { $0 != coordinator && !(tree.children[$0] ?? []).isEmpty })
        var request = Simulation.Request(topology: topology, identities: identities, dimension: 100)
        request.crashes = [victim: "tree-sum"]
        // A deadline for loaded machines: the root stops as soon as every live peer is covered.
        request.phaseTimeout = .seconds(20)
        let report = try await run(request)[0]
        #expect(report.abortReason == nil)
        #expect(report.dropped.contains(victim))
        #expect(Set(report.dropped).isSubset(of: Set([victim] + tree.children[victim]!)))
        try expectExact(report, request, contributors: Set(ids).subtracting(report.dropped))
    }

    @Test func sixtyFourBitRingIsExactToo() async throws {
        let (topology, identities) = try federation(.complete, peers: 5, threshold: 3, ringBits: 64)
        var request = Simulation.Request(topology: topology, identities: identities, dimension: 100)
        request.crashes = ["peer-2": "tree-sum"]
        request.phaseTimeout = .seconds(20)
        let report = try await Simulation.run(request, word: UInt64.self)[0]
        #expect(report.abortReason == nil && report.survivorsAgree)
        let sum = try expectedSum(report, request: request, word: UInt64.self)
        #expect(report.outcomes.values.filter { $0.abortReason == nil }.allSatisfy { $0.sumBytes == sum })
    }
}
