/// The figures `peer topology check` reports about a valid topology.
public struct TopologyAnalysis: Sendable {
    public let peerCount: Int
    public let linkCount: Int
    public let minimumDegree: Int
    public let meanDegree: Double
    public let maximumDegree: Int
    /// Always true for a topology that parsed; kept for the report.
    public let isConnected: Bool
    /// Longest shortest path, in hops.
    public let diameter: Int
    /// The aggregation tree is a BFS tree rooted at the round's coordinator, so its depth is
    /// that peer's eccentricity: between the radius and the diameter.
    public let treeDepthRange: ClosedRange<Int>
    /// 1 - (second largest eigenvalue modulus) of the Metropolis-Hastings gossip matrix.
    public let spectralGap: Double
    /// Whether the gap was computed exactly (Jacobi) or estimated (power iteration, large graphs).
    public let spectralGapIsEstimate: Bool
    public let threshold: Int
    /// The fewest contributors a round completes with (`AggregationSettings.quorum(peerCount:)`).
    public let quorum: Int
    public let masking: AggregationSettings.Masking
    /// Privacy and robustness warnings, as sentences.
    public let warnings: [String]

    /// Jacobi up to this many peers; power iteration beyond.
    static let exactSpectrumLimit = 300

    public init(_ topology: Topology) {
        let graph = PeerGraph(topology)
        let n = graph.ids.count
        let degrees = graph.adjacency.map(\.count)
        peerCount = n
        linkCount = topology.links.count
        minimumDegree = degrees.min() ?? 0
        maximumDegree = degrees.max() ?? 0
        meanDegree = n == 0 ? 0 : Double(degrees.reduce(0, +)) / Double(n)
        let eccentricities = (0..<n).map { source in graph.distances(from: source).max() ?? 0 }
        isConnected = (0..<n).allSatisfy { graph.distances(from: 0)[$0] >= 0 }
        diameter = eccentricities.max() ?? 0
        treeDepthRange = (eccentricities.min() ?? 0)...diameter
        (spectralGap, spectralGapIsEstimate) = Self.spectralGap(graph)
        threshold = topology.aggregation.threshold
        quorum = topology.aggregation.quorum(peerCount: n)
        masking = topology.aggregation.masking

        var warnings: [String] = []
        if n == 2 {
            warnings.append("two peers cannot aggregate privately: each can subtract its own update from the sum and learn the other's")
        }
        if 2 * threshold <= n {
            warnings.append("threshold \(threshold) is at most half of \(n) peers: a minority of \(threshold) colluding peers can rebuild another peer's masks and unmask its update")
        }
        if case .complete = masking, n > 100 {
            warnings.append("complete masking among \(n) peers expands \(n - 1) masks per peer per round; consider \"regular:K\" with K about 2 log2 n")
        }
        self.warnings = warnings
    }

    /// The Metropolis-Hastings weights W_ij = 1 / (1 + max(d_i, d_j)) on links, W_ii = 1 - sum.
    static func spectralGap(_ graph: PeerGraph) -> (Double, Bool) {
        let n = graph.ids.count
        guard n > 1 else { return (1, false) }
        let degrees = graph.adjacency.map(\.count)
        func weight(_ i: Int, _ j: Int) -> Double { 1 / Double(1 + max(degrees[i], degrees[j])) }
        if n <= exactSpectrumLimit {
            var matrix = [Double](repeating: 0, count: n * n)
            for i in 0..<n {
                var sum = 0.0
                for j in graph.adjacency[i] { matrix[i * n + j] = weight(i, j); sum += weight(i, j) }
                matrix[i * n + i] = 1 - sum
            }
            let values = SymmetricEigenvalues.of(matrix, size: n)
            return (1 - max(abs(values[1]), abs(values[n - 1])), false)
        }
        // Power iteration on W restricted to the complement of the all-ones vector.
        var x = (0..<n).map { Double(($0 * 7919) % 101) - 50 }
        var estimate = 0.0
        for _ in 0..<3000 {
            let mean = x.reduce(0, +) / Double(n)
            x = x.map { $0 - mean }
            var y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var sum = 0.0, self_ = 1.0
                for j in graph.adjacency[i] { sum += weight(i, j) * x[j]; self_ -= weight(i, j) }
                y[i] = sum + self_ * x[i]
            }
            let norm = (y.reduce(0) { $0 + $1 * $1 }).squareRoot(), previous = (x.reduce(0) { $0 + $1 * $1 }).squareRoot()
            guard norm > 0, previous > 0 else { break }
            estimate = norm / previous
            x = y.map { $0 / norm }
        }
        return (1 - estimate, true)
    }
}
