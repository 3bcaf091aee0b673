import Crypto
import Gossip

/// When the peers may unmask a Total (docs/PROTOCOL.md, "What a peer can learn" and
/// "Partitions"): every peer applies the same rule to the same signed Total, so all reveal or
/// none does.
enum UnmaskingRule {
    /// Why `contributors` may not be unmasked, or nil when they may.
    ///
    /// Besides the quorum (`AggregationSettings.quorum(peerCount:)`), the mask graph among the
    /// contributors must stay connected when any one peer is taken out of it. Once the self-masks of C are removed, a piece summing a set
    /// S of contributors still carries the pairwise masks of the mask edges from S to the rest
    /// of C; a peer p knows only the masks of its own edges. So p learns the plain sum of S
    /// only if no mask edge joins S to C minus S and p, that is, only if S is a union of
    /// components of the mask graph on C without p. With that graph connected for every p, the
    /// only such S is C without p, whose sum p learns from the aggregate anyway.
    static func refusal(contributors: [String], maskGraph: [String: [String]], peerCount: Int,
                        settings: AggregationSettings) -> RoundOutcome.AbortReason? {
        let needed = settings.quorum(peerCount: peerCount)
        guard contributors.count >= needed else { return .tooFew(what: "contributors", count: contributors.count, threshold: needed) }
        switch weakness(contributors, maskGraph: maskGraph) {
        case .disconnected(let peer)?: return .unsafe("the mask graph among the \(contributors.count) contributors does not reach \(peer)")
        case .cut(let peer)?: return .unsafe("the mask graph among the \(contributors.count) contributors falls apart without \(peer)")
        case nil: return nil
        }
    }

    /// How the mask graph among some members fails to stay connected without any one of them.
    enum Weakness: Equatable {
        /// The graph does not reach this member from the first.
        case disconnected(String)
        /// Taking this member out disconnects the graph (an articulation point).
        case cut(String)
    }

    /// The weakness of the mask graph among `members`, or nil when it stays connected without
    /// any one of them. Tarjan's low-link search, iterative so that a large federation cannot
    /// exhaust the stack.
    static func weakness(_ members: [String], maskGraph: [String: [String]]) -> Weakness? {
        guard members.count >= 3 else { return nil }
        let index = Dictionary(members.enumerated().map { ($1, $0) }) { first, _ in first }
        let adjacency = members.map { (maskGraph[$0] ?? []).compactMap { index[$0] } }
        var discovered = [Int](repeating: -1, count: members.count), low = discovered
        var time = 0, rootChildren = 0
        // Each frame: the node and how far through its neighbours the search has got.
        var stack: [(node: Int, next: Int)] = [(0, 0)]
        var parent = [Int](repeating: -1, count: members.count)
        discovered[0] = 0
        low[0] = 0
        while let (node, next) = stack.last {
            if next < adjacency[node].count {
                stack[stack.count - 1].next += 1
                let neighbour = adjacency[node][next]
                if discovered[neighbour] < 0 {
                    time += 1
                    discovered[neighbour] = time
                    low[neighbour] = time
                    parent[neighbour] = node
                    if node == 0 { rootChildren += 1 }
                    stack.append((neighbour, 0))
                } else if neighbour != parent[node] {
                    low[node] = min(low[node], discovered[neighbour])
                }
                continue
            }
            stack.removeLast()
            guard let above = stack.last?.node else { continue }
            low[above] = min(low[above], low[node])
            if above != 0 && low[node] >= discovered[above] { return .cut(members[above]) }
        }
        if let unreached = discovered.firstIndex(of: -1) { return .disconnected(members[unreached]) }
        return rootChildren > 1 ? .cut(members[0]) : nil
    }
}
