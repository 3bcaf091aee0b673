import Gossip

extension FaultPlan {
    /// `part` as a cut, a partition or a heal; nil when it is none of them.
    /// - Throws: `UsageError` naming what is wrong in it.
    static func parseNetwork(_ part: String, topology: Topology) throws(UsageError) -> Injection? {
        guard let at = part.firstIndex(of: "@") else { return nil }
        let head = String(part[..<at])
        let when = part[part.index(after: at)...].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let kind: Kind
        if head.hasPrefix("cut:") {
            guard when.count == 2 else { throw usage("'\(part)' is not cut:ID-ID@ROUND:PHASE") }
            kind = .cut(try link(String(head.dropFirst(4)), of: part, topology: topology), phase: when[1])
        } else if head.hasPrefix("partition:") {
            guard (1...2).contains(when.count) else { throw usage("'\(part)' is not partition:ID,ID|ID,ID@ROUND[:PHASE]") }
            kind = .partition(try parts(String(head.dropFirst(10)), of: part, topology: topology), phase: when.count == 2 ? when[1] : "train")
        } else if head == "heal" {
            guard (1...2).contains(when.count) else { throw usage("'\(part)' is not heal@ROUND[:PHASE]") }
            kind = .heal(phase: when.count == 2 ? when[1] : "train")
        } else {
            return nil
        }
        let round = try round(when[0], of: part, topology: topology)
        if let phase = when.dropFirst().first { try checkPhase(phase, of: part) }
        let victim = switch kind {
        case .cut(let link, _): link.description
        case .partition(let parts, _): parts.map { $0.joined(separator: ",") }.joined(separator: "|")
        default: "every cut"
        }
        return Injection(kind: kind, target: .peer(victim), round: round, victim: victim)
    }

    /// The link `pair` ("ID-ID", where ids may hold '-' themselves) names between neighbours.
    private static func link(_ pair: String, of part: String, topology: Topology) throws(UsageError) -> Link {
        let dashes = pair.indices.filter { pair[$0] == "-" }
        let links = dashes.map { Link(first: String(pair[..<$0]), second: String(pair[pair.index(after: $0)...])) }
            .filter { topology.peer($0.first) != nil && topology.peer($0.second) != nil }
        guard let link = links.first, links.count == 1, link.first != link.second else {
            throw usage("'\(part)': '\(pair)' is not two peers of the topology joined by '-'")
        }
        guard topology.neighbours[link.first]?.contains(link.second) == true else {
            throw usage("'\(part)': \(link.first) and \(link.second) are not linked in the topology, so there is no link to cut")
        }
        return link
    }

    /// The parts of `text` ("ID,ID|ID,ID"): two or more, together every peer once.
    private static func parts(_ text: String, of part: String, topology: Topology) throws(UsageError) -> [[String]] {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false).map { $0.split(separator: ",").map(String.init) }
        let named = parts.flatMap { $0 }
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty }) else { throw usage("'\(part)': give two or more parts, ID,ID|ID,ID") }
        if let stranger = named.first(where: { topology.peer($0) == nil }) { throw usage("'\(part)': \(stranger) is not a peer of the topology") }
        let all = topology.peers.map(\.id)
        guard named.count == Set(named).count, Set(named) == Set(all) else {
            throw usage("'\(part)': the parts must hold every peer once (\(all.joined(separator: ", ")))")
        }
        return parts
    }
}
