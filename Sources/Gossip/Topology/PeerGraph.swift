/// The peers and links of a topology as an adjacency list over indices, for graph figures.
public struct PeerGraph: Sendable {
    /// Peer ids; index i in the adjacency list is `ids[i]`.
    public let ids: [String]
    /// Neighbour indices of every peer.
    public let adjacency: [[Int]]

    public init(ids: [String], links: [Topology.Link]) {
        self.ids = ids
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($0.element, $0.offset) })
        var adjacency = [[Int]](repeating: [], count: ids.count)
        for link in links {
            guard let a = index[link.first], let b = index[link.second] else { continue }
            adjacency[a].append(b)
            adjacency[b].append(a)
        }
        self.adjacency = adjacency
    }

    /// The graph of a validated topology.
    public init(_ topology: Topology) {
        self.init(ids: topology.peers.map(\.id), links: topology.links)
    }

    /// Hop counts from `source` by BFS; -1 where unreachable.
    public func distances(from source: Int) -> [Int] {
        var distance = [Int](repeating: -1, count: ids.count)
        distance[source] = 0
        var queue = [source], head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in adjacency[node] where distance[next] < 0 {
                distance[next] = distance[node] + 1
                queue.append(next)
            }
        }
        return distance
    }
}
