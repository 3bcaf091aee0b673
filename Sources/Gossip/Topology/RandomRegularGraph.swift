/// Random d-regular graphs on n nodes, from a seeded generator (the same seed gives the same
/// graph on every peer).
public enum RandomRegularGraph {
    /// Why no graph was made.
    public enum Failure: Error, Equatable, Sendable {
        /// No d-regular simple graph on n nodes exists (d >= n, d < 1, or n*d odd).
        case impossible(nodeCount: Int, degree: Int)
        /// Random construction kept getting stuck (very dense requests).
        case gaveUp(attempts: Int)
    }

    /// The edges (i < j) of a random simple `degree`-regular graph on `nodeCount` nodes.
    ///
    /// Pairs free stubs at random, never creating a loop or a repeated edge, and restarts when
    /// stuck; with `connected`, also restarts until the graph is connected.
    public static func edges(nodeCount: Int, degree: Int, connected: Bool = true,
                             using generator: inout some RandomNumberGenerator) throws(Failure) -> [(Int, Int)] {
        guard degree >= 1, degree < nodeCount, nodeCount * degree % 2 == 0 else {
            throw .impossible(nodeCount: nodeCount, degree: degree)
        }
        let attempts = 200
        for _ in 0..<attempts {
            if let edges = attempt(nodeCount: nodeCount, degree: degree, using: &generator),
               !connected || isConnected(nodeCount: nodeCount, edges: edges) {
                return edges
            }
        }
        throw .gaveUp(attempts: attempts)
    }

    private static func attempt(nodeCount: Int, degree: Int, using generator: inout some RandomNumberGenerator) -> [(Int, Int)]? {
        var remaining = [Int](repeating: degree, count: nodeCount)
        var adjacent = [Set<Int>](repeating: [], count: nodeCount)
        var open = Array(0..<nodeCount) // nodes with free stubs
        var edges: [(Int, Int)] = []
        while !open.isEmpty {
            // Take the node with the most free stubs first (ties at random), then a random partner.
            let most = open.map { remaining[$0] }.max()!
            let heavy = open.filter { remaining[$0] == most }
            let u = heavy.randomElement(using: &generator)!
            let candidates = open.filter { $0 != u && !adjacent[u].contains($0) }
            guard !candidates.isEmpty else { return nil }
            let total = candidates.reduce(0) { $0 + remaining[$1] }
            var pick = Int.random(in: 0..<total, using: &generator)
            var v = candidates[0]
            for candidate in candidates {
                if pick < remaining[candidate] { v = candidate; break }
                pick -= remaining[candidate]
            }
            adjacent[u].insert(v)
            adjacent[v].insert(u)
            edges.append((min(u, v), max(u, v)))
            remaining[u] -= 1
            remaining[v] -= 1
            open.removeAll { remaining[$0] == 0 }
        }
        return edges.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    }

    private static func isConnected(nodeCount: Int, edges: [(Int, Int)]) -> Bool {
        var adjacency = [[Int]](repeating: [], count: nodeCount)
        for (a, b) in edges { adjacency[a].append(b); adjacency[b].append(a) }
        var seen = [Bool](repeating: false, count: nodeCount)
        var stack = [0]
        seen[0] = true
        var count = 1
        while let node = stack.popLast() {
            for next in adjacency[node] where !seen[next] {
                seen[next] = true
                count += 1
                stack.append(next)
            }
        }
        return count == nodeCount
    }
}
