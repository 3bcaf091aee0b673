import Crypto
import Gossip

extension Simulation {
    /// A fault `peer simulate --fault` injects besides crashes, so that anyone can run the
    /// cases the protocol's rules are there for (docs/PROTOCOL.md, "One coordinator per round"
    /// and "Partitions").
    public enum Fault: Sendable, Equatable, CustomStringConvertible {
        /// At the start of every round, `count` peers chosen by the seed do not see the round's
        /// first coordinator candidate as alive (its links to them have not come back); they see
        /// it again as they leave the advertise phase. Messages flow all along.
        case splitView(count: Int)
        /// In the middle of the first round (as the first peer enters the tree sum) the topology
        /// is cut into two connected parts, a bare majority of the peers and the rest, for
        /// the rest of the run.
        case partition

        /// Parses `split-view:K` or `partition`.
        public init?(text: String) {
            if text == "partition" { self = .partition; return }
            guard text.hasPrefix("split-view:"), let count = Int(text.dropFirst("split-view:".count)), count >= 1 else { return nil }
            self = .splitView(count: count)
        }

        public var description: String {
            switch self {
            case .splitView(let count): return "split-view:\(count)"
            case .partition: return "partition"
            }
        }
    }

    /// Two connected parts of `topology`'s peers, the first of a bare majority (`peers.count / 2 + 1`),
    /// the second the rest: a breadth-first region grown from a start peer chosen by
    /// `generator`, kept when what is left is connected too. Nil when no start gives that.
    static func cut(_ topology: Topology, using generator: inout SeededGenerator) -> [Set<String>]? {
        let ids = topology.peers.map(\.id)
        let size = ids.count / 2 + 1
        guard size < ids.count else { return nil }
        for start in ids.shuffled(using: &generator) {
            let first = Set(RoundStructure.Tree(topology: topology, members: Set(ids), root: start).order.prefix(size))
            let rest = Set(ids).subtracting(first)
            guard let other = rest.first else { continue }
            if RoundStructure.Tree(topology: topology, members: rest, root: other).order.count == rest.count { return [first, rest] }
        }
        return nil
    }
}

/// A fault that cannot be injected into the simulated topology.
public struct FaultError: Error, CustomStringConvertible {
    public let description: String
}
