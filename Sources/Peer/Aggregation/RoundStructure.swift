import Crypto
public import Gossip

/// The parts of a round every peer computes identically from public data: the coordinator
/// order, the mask graph and the aggregation tree.
public enum RoundStructure {
    /// Peers ordered by BLAKE2b-256(le64(round) || id); the coordinator is the first live one.
    public static func coordinatorOrder(round: UInt64, peers: [String]) -> [String] {
        peers.map { (orderKey(round: round, peer: $0), $0) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
    }

    /// Whether `a` comes before `b` in the coordinator order of `round`.
    static func isEarlier(_ a: String, than b: String, round: UInt64) -> Bool {
        orderKey(round: round, peer: a).lexicographicallyPrecedes(orderKey(round: round, peer: b))
    }

    /// BLAKE2b-256(le64(round) || id): a peer's place in the coordinator order of `round`.
    static func orderKey(round: UInt64, peer: String) -> [UInt8] {
        var hasher = Blake2b.Hasher()
        hasher.update(round)
        hasher.update(Array(peer.utf8))
        return hasher.finalize()
    }

    /// Mask neighbours of every member: all other members (complete), or a random K-regular
    /// graph seeded by the federation, the round and the members (regular:K). K is lowered to
    /// fit fewer members (at most members-1, members x K even).
    static func maskGraph(members: [String], masking: AggregationSettings.Masking, round: UInt64,
                          federation: FederationID) -> [String: [String]] {
        let sorted = members.sorted(by: KeyAgreement.precedes)
        var degree = sorted.count - 1
        if case .regular(let wanted) = masking { degree = min(wanted, sorted.count - 1) }
        if sorted.count * degree % 2 == 1 { degree -= 1 }
        guard degree < sorted.count - 1, degree >= 1 else {
            return Dictionary(uniqueKeysWithValues: sorted.map { id in (id, sorted.filter { $0 != id }) })
        }
        var hasher = Blake2b.Hasher()
        hasher.updateField(Array("secagg mask graph v1".utf8))
        hasher.updateField(federation.bytes)
        hasher.update(round)
        for id in sorted { hasher.updateField(Array(id.utf8)) }
        let seed = hasher.finalize().prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var generator = SeededGenerator(seed: seed)
        // Drawn again (from the same seeded stream, so every peer draws the same) until no single
        // member's removal disconnects it: a round without drops then always meets the unmasking
        // rule (UnmaskingRule). A degree that cannot give that (1) keeps the last draw.
        var graph: [String: [String]] = [:]
        for _ in 0..<maskGraphDraws {
            let edges = (try? RandomRegularGraph.edges(nodeCount: sorted.count, degree: degree, connected: true, using: &generator)) ?? []
            var neighbours = Dictionary(uniqueKeysWithValues: sorted.map { ($0, [String]()) })
            for (a, b) in edges {
                neighbours[sorted[a], default: []].append(sorted[b])
                neighbours[sorted[b], default: []].append(sorted[a])
            }
            graph = neighbours.mapValues { $0.sorted(by: KeyAgreement.precedes) }
            if UnmaskingRule.weakness(sorted, maskGraph: graph) == nil { break }
        }
        return graph
    }

    /// How many regular mask graphs a round draws at most to find one without a cut.
    static var maskGraphDraws: Int { 20 }

    /// The aggregation tree: BFS over the topology's links among `members`, from `root`,
    /// visiting neighbours in canonical order. Members the BFS cannot reach have no parent.
    public struct Tree: Sendable {
        public let root: String
        public let parent: [String: String]
        public let depth: [String: Int]
        public let children: [String: [String]]
        /// The members the BFS reached, in the order it visited them (the root first): every
        /// prefix of it is a subtree around the root.
        let order: [String]

        public init(topology: Topology, members: Set<String>, root: String) {
            self.root = root
            var parent: [String: String] = [:], depth = [root: 0], children: [String: [String]] = [:]
            var queue = [root], head = 0
            while head < queue.count {
                let node = queue[head]
                head += 1
                for next in topology.neighbours[node] ?? [] where members.contains(next) && depth[next] == nil {
                    depth[next] = depth[node]! + 1
                    parent[next] = node
                    children[node, default: []].append(next)
                    queue.append(next)
                }
            }
            self.parent = parent
            self.depth = depth
            self.children = children
            order = queue
        }
    }
}
