import Crypto
import Foundation
import Testing
@testable import Gossip
@testable import Peer

/// When a Total may be unmasked: the quorum, and a mask graph among the contributors that no
/// single peer's removal disconnects (docs/PROTOCOL.md, "What a peer can learn").
@Suite struct UnmaskingRuleTests {
    func graph(_ edges: [(String, String)]) -> [String: [String]] {
        var graph: [String: [String]] = [:]
        for (a, b) in edges {
            graph[a, default: []].append(b)
            graph[b, default: []].append(a)
        }
        return graph
    }

    @Test func weaknessesOfSmallGraphs() {
        let triangle = graph([("a", "b"), ("b", "c"), ("c", "a")])
        #expect(UnmaskingRule.weakness(["a", "b", "c"], maskGraph: triangle) == nil)
        let path = graph([("a", "b"), ("b", "c"), ("c", "d")])
        #expect([.cut("b"), .cut("c")].contains(UnmaskingRule.weakness(["a", "b", "c", "d"], maskGraph: path)))
        // Two triangles sharing c: c is the cut, whichever member the search starts from.
        let bowtie = graph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("e", "c")])
        #expect(UnmaskingRule.weakness(["c", "a", "b", "d", "e"], maskGraph: bowtie) == .cut("c"))
        #expect(UnmaskingRule.weakness(["a", "b", "c", "d", "e"], maskGraph: bowtie) == .cut("c"))
        let twoTriangles = graph([("a", "b"), ("b", "c"), ("c", "a"), ("d", "e"), ("e", "f"), ("f", "d")])
        #expect(UnmaskingRule.weakness(["a", "b", "c", "d", "e", "f"], maskGraph: twoTriangles) == .disconnected("d"))
        // Only the edges among the members count.
        let square = graph([("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")])
        #expect(UnmaskingRule.weakness(["a", "b", "c", "d"], maskGraph: square) == nil)
        #expect(UnmaskingRule.weakness(["a", "b", "c"], maskGraph: square) == .cut("b"))
    }

    /// Property: on random graphs, the search finds a weakness exactly when removing some member
    /// (or none) leaves the others disconnected, checked by brute force.
    @Test func theSearchAgreesWithBruteForceOnRandomGraphs() {
        var generator = SeededGenerator(seed: 12)
        func connected(_ members: Set<String>, _ graph: [String: [String]]) -> Bool {
            guard let start = members.first else { return true }
            var seen: Set<String> = [start], stack = [start]
            while let node = stack.popLast() {
                for next in graph[node] ?? [] where members.contains(next) && seen.insert(next).inserted { stack.append(next) }
            }
            return seen == members
        }
        var weak = 0
        for trial in 0..<400 {
            let count = 3 + trial % 10
            let members = (0..<count).map { "p\($0)" }
            var edges: [(String, String)] = []
            for i in 0..<count { for j in (i + 1)..<count where Double.random(in: 0..<1, using: &generator) < 0.35 { edges.append((members[i], members[j])) } }
            let g = graph(edges)
            let set = Set(members)
            let bruteForce = !connected(set, g) || members.contains { !connected(set.subtracting([$0]), g) }
            let found = UnmaskingRule.weakness(members, maskGraph: g)
            #expect((found != nil) == bruteForce, "\(edges)")
            if case .cut(let peer)? = found { #expect(!connected(set.subtracting([peer]), g), "\(peer) is no cut of \(edges)") }
            if found != nil { weak += 1 }
        }
        #expect(weak > 50 && weak < 350) // both kinds of graph were drawn
    }

    /// The regular mask graph a round draws has no cut among all its members, so a round
    /// without drops always meets the rule; odd member counts lower K by one (K = 3 -> 2: a
    /// single cycle).
    @Test func aRoundsMaskGraphHasNoCutAmongAllItsMembers() throws {
        let federation = FederationID(topologyFileBytes: Array("mask graph test".utf8))
        for (count, degree) in [(10, 4), (9, 3), (12, 3), (16, 4), (40, 6)] {
            for round in UInt64(1)...40 {
                let members = (0..<count).map { "peer-\($0)" }
                let graph = RoundStructure.maskGraph(members: members, masking: .regular(degree: degree), round: round, federation: federation)
                #expect(UnmaskingRule.weakness(members, maskGraph: graph) == nil, "\(count) members, regular:\(degree), round \(round)")
                #expect(graph.values.allSatisfy { $0.count == (count * degree % 2 == 1 ? degree - 1 : degree) })
            }
        }
    }

    /// regular:2 masking: the mask graph is a union of cycles, so once one peer drops, the
    /// graph among the contributors has a cut (or falls apart). A peer there would learn the
    /// sum of the peers on one side of it: the round aborts before anything is revealed.
    @Test func aMaskGraphWithACutAmongTheContributorsRevealsNothing() async throws {
        let federation = try ManualFederation(.complete, peers: 6, threshold: 2, masking: .regular(degree: 2))
        let coordinator = federation.coordinator(round: 1)
        let victim = federation.topology.peers.map(\.id).first { $0 != coordinator }!
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == victim && phase == "masked-input" { federation.network.crash(peer) }
        }
        let survivors = outcomes.values.filter { $0.peer != victim }
        #expect(survivors.count == 5)
        for outcome in survivors {
            guard case .unsafe(let reason)? = outcome.abortReason else {
                Issue.record("\(outcome.peer): \(String(describing: outcome.abortReason))")
                continue
            }
            #expect(reason.contains("the mask graph among the 5 contributors"))
        }
        #expect(!federation.messages.contains { if case .reveal = $0.message { return true } else { return false } })
    }

    /// With complete masking and a threshold of 2, two contributors out of four reach the
    /// threshold, but each would learn the other's update from the sum: a round needs 3.
    @Test func twoContributorsNeverCompleteARoundOfMoreThanTwoPeers() async throws {
        let federation = try ManualFederation(.complete, peers: 4, threshold: 2, timeout: .seconds(1))
        let coordinator = federation.coordinator(round: 1)
        let victims = federation.topology.peers.map(\.id).filter { $0 != coordinator }.prefix(2)
        let outcomes = await federation.run(round: 1) { peer, phase in
            if victims.contains(peer) && phase == "masked-input" { federation.network.crash(peer) }
        }
        #expect(outcomes[coordinator]?.abortReason == .tooFew(what: "contributors", count: 2, threshold: 3))
        #expect(outcomes.values.allSatisfy { $0.abortReason != nil })
        #expect(!federation.messages.contains { if case .reveal = $0.message { return true } else { return false } })
    }
}
